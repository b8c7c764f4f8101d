"""The agent's push listener: a verified notice from the hub wakes the poll; anything else is
refused with a 4xx and wakes nothing."""

from __future__ import annotations

import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cyberhub.agent.push import MAX_BODY, Listener
from cyberhub.core import signing

HUB = "identity--11111111-1111-4111-8111-111111111111"
TOWN = "identity--22222222-2222-4222-8222-222222222222"
OTHER_TOWN = "identity--33333333-3333-4333-8333-333333333333"


@pytest.fixture
def hub_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def listener(hub_key):
    public = signing.public_jwk(hub_key)
    keys = {signing.thumbprint(public): signing.RegisteredKey(signing.thumbprint(public), public,
                                                               HUB)}
    woken: list[float] = []
    running = Listener("127.0.0.1:0", audience=TOWN, keys=lambda: keys,
                       wake=lambda: woken.append(time.time()))
    running.start()
    running.woken = woken
    running.url = f"http://127.0.0.1:{running.port}/push"
    yield running
    running.stop()


def _notice(key, audience=TOWN, typ=signing.PUSH_TYP, issuer=HUB) -> str:
    return signing.sign_request(key, {"advisory": "report--x", "version": "v"}, issuer=issuer,
                                audience=audience, issued_at=int(time.time()), ttl=3600,
                                typ=typ)


def test_a_verified_notice_wakes_the_poll(listener, hub_key):
    response = requests.post(listener.url, json={"jws": _notice(hub_key)}, timeout=5)
    assert response.status_code == 202
    assert len(listener.woken) == 1


@pytest.mark.parametrize("make, status, fragment", [
    (lambda key: {"jws": _notice(Ed25519PrivateKey.generate())}, 401, "key-unknown"),
    (lambda key: {"jws": _notice(key, audience=OTHER_TOWN)}, 401, "audience"),
    (lambda key: {"jws": _notice(key, typ=signing.KEY_ROTATION_TYP)}, 401, ""),
    (lambda key: {"jws": "not.a.token"}, 401, ""),
    (lambda key: {"token": "x"}, 401, ""),
    (lambda key: ["jws"], 400, "jws"),
])
def test_anything_else_is_refused_and_wakes_nothing(listener, hub_key, make, status, fragment):
    response = requests.post(listener.url, json=make(hub_key), timeout=5)
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert listener.woken == []


def test_a_replayed_notice_is_refused(listener, hub_key):
    notice = {"jws": _notice(hub_key)}
    assert requests.post(listener.url, json=notice, timeout=5).status_code == 202
    again = requests.post(listener.url, json=notice, timeout=5)
    assert again.status_code == 401 and "replay" in again.json()["message"]
    assert len(listener.woken) == 1


def test_size_and_path_are_checked_before_reading(listener, hub_key):
    big = requests.post(listener.url, data=b"x" * (MAX_BODY + 1), timeout=5)
    assert big.status_code == 413
    wrong = requests.post(listener.url.replace("/push", "/other"),
                          json={"jws": _notice(hub_key)}, timeout=5)
    assert wrong.status_code == 404
    assert listener.woken == []

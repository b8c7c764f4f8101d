"""HTTP Basic authentication with limited failures: after too many, 429 and a Retry-After
without a password check, for every worker on the database; the same cost for unknown names."""

import logging

import pytest
from conftest import PASSWORD, TAXII, basic

from cyberhub.hub import accounts, audit
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.logins import Limit, Policy
from cyberhub.hub.storage.models import Account
from cyberhub.hub.web import context
from cyberhub.hub.web.app import create_app

SECOND = 1_000_000
POLICY = Policy(account=Limit(failures=3, window=900, lockout=900),
                address=Limit(failures=5, window=900, lockout=600))
TOWN, ELSEWHERE = "192.0.2.7", "198.51.100.9"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000 * SECOND

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def guard(clock, hasher):
    return context.LoginGuard(policy=POLICY, clock=clock, hasher=hasher)


@pytest.fixture
def guarded(app, guard):
    context.guard_logins(app, guard)
    return app.test_client()


def _get(client, username, password, address=TOWN):
    return client.get("/taxii2/", headers=basic(username, password),
                      environ_base={"REMOTE_ADDR": address})


def _is_locked(response, retry_after):
    assert response.status_code == 429
    assert response.content_type == TAXII
    assert response.headers["Retry-After"] == str(retry_after)
    body = response.get_json()
    assert body["http_status"] == "429" and body["error_code"] == "too-many-failed-logins"
    assert f"{retry_after} seconds" in body["description"]
    assert "WWW-Authenticate" not in response.headers


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_expires(
        guarded, anna, clock, hasher):
    for _ in range(3):
        assert _get(guarded, anna, "guess").status_code == 401
    assert hasher.verifications == 3
    _is_locked(_get(guarded, anna, PASSWORD), 900)
    clock.now += 899 * SECOND + 1
    _is_locked(_get(guarded, anna, PASSWORD), 1)
    assert hasher.verifications == 3  # a lock is answered without an Argon2 hash
    clock.now += SECOND
    assert _get(guarded, anna, PASSWORD).status_code == 200


def test_the_right_password_resets_the_accounts_count(guarded, anna, hasher):
    for _ in range(2):
        assert _get(guarded, anna, "guess").status_code == 401
    assert _get(guarded, anna, PASSWORD).status_code == 200
    for _ in range(2):
        assert _get(guarded, anna, "guess").status_code == 401
    assert _get(guarded, anna, PASSWORD).status_code == 200
    assert hasher.verifications == 5  # the second success came from the credential cache


def test_an_account_is_locked_for_every_address(guarded, anna):
    for _ in range(3):
        _get(guarded, anna, "guess", address=TOWN)
    _is_locked(_get(guarded, anna, PASSWORD, address=ELSEWHERE), 900)


def test_an_address_is_limited_apart_from_the_others(guarded, anna, clock):
    for n in range(5):  # one guess at each of five names: no account reaches its limit
        assert _get(guarded, f"name{n}", "guess", address=TOWN).status_code == 401
    _is_locked(_get(guarded, anna, PASSWORD, address=TOWN), 600)
    assert _get(guarded, anna, PASSWORD, address=ELSEWHERE).status_code == 200
    # An IPv6 client is counted by its /64, an IPv4 client on a dual-stack socket as IPv4.
    for n in range(5):
        _get(guarded, f"other{n}", "guess", address=f"2001:db8:5:6::{n + 1}")
    _is_locked(_get(guarded, anna, PASSWORD, address="2001:db8:5:6:ffff::1"), 600)
    _is_locked(_get(guarded, anna, PASSWORD, address=f"::ffff:{TOWN}"), 600)
    clock.now += 600 * SECOND
    assert _get(guarded, anna, PASSWORD, address=TOWN).status_code == 200


def test_a_towns_node_account_is_not_locked_but_its_guesser_is(guarded, make_town):
    # Its password is a secret the hub generated: a lock would only let anyone cut the town
    # off. The address that guesses is still limited.
    town = make_town("aue")
    username = town.enrollment["username"]
    for _ in range(4):
        assert _get(guarded, username, "guess", address=ELSEWHERE).status_code == 401
    response = guarded.get("/taxii2/", headers=town.headers, environ_base={"REMOTE_ADDR": TOWN})
    assert response.status_code == 200
    _get(guarded, username, "guess", address=ELSEWHERE)
    _is_locked(_get(guarded, username, "guess", address=ELSEWHERE), 600)


def test_loopback_the_reverse_proxy_is_not_limited_per_address(guarded, anna):
    for n in range(6):
        assert _get(guarded, f"name{n}", "guess", address="127.0.0.1").status_code == 401
    assert _get(guarded, anna, PASSWORD, address="127.0.0.1").status_code == 200
    for _ in range(3):  # its accounts still are
        _get(guarded, anna, "guess", address="127.0.0.1")
    _is_locked(_get(guarded, anna, PASSWORD, address="127.0.0.1"), 900)


def test_the_lock_holds_across_workers_on_one_database(app, guard, anna, settings):
    other_hub = bootstrap(settings)  # a second worker: its own hub, engine and cache
    try:
        other = create_app(hub=other_hub)
        context.guard_logins(app, guard)
        context.guard_logins(other, guard)
        first, second = app.test_client(), other.test_client()
        assert _get(first, anna, PASSWORD).status_code == 200  # cached in the first only
        _get(first, anna, "guess")
        _get(second, anna, "guess")
        _get(first, anna, "guess")
        _is_locked(_get(second, anna, PASSWORD), 900)
        _is_locked(_get(first, anna, PASSWORD), 900)  # despite its cache
    finally:
        other_hub.close()


def test_a_lock_is_audited_and_logged_once_without_the_password(guarded, anna, db, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(3):
        _get(guarded, anna, "secret guess")
    for _ in range(2):
        _get(guarded, anna, "secret guess")
    with db.session() as session:
        entries = audit.entries(session, subject=anna)
    assert [(e["actor"], e["action"], e["detail"]) for e in entries] == [
        ("hub", "login.account-locked", {"failures": 3, "seconds": 900, "client": TOWN})]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["account anna locked for 900 s after 3 failed logins"]
    assert "secret guess" not in caplog.text


def test_an_unknown_or_disabled_name_costs_a_password_check(guarded, anna, db, hasher):
    assert _get(guarded, "ghost", "guess").status_code == 401
    assert hasher.verifications == 1
    with db.writing() as session:
        session.query(Account).filter_by(username=anna).one().disabled = True
    assert _get(guarded, anna, PASSWORD).status_code == 401
    assert hasher.verifications == 2
    # Unknown names are counted and locked like known ones, so a lock tells nothing either.
    for _ in range(2):
        _get(guarded, "ghost", "guess")
    _is_locked(_get(guarded, "ghost", "guess"), 900)


def test_the_default_guard_counts_ten_failures_per_account(app):
    guard = app.extensions["cyberhub.logins"]
    assert guard == context.LoginGuard()
    assert guard.hasher is accounts.HASHER
    assert (guard.policy.account.failures, guard.policy.address.failures) == (10, 50)

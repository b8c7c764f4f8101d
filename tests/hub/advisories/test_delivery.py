"""Push notices: signed for the town, sent to its registered callback, retried with backoff."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cyberhub.core import addresses, signing, timestamps
from cyberhub.hub.advisories import delivery, document, lifecycle
from cyberhub.hub.storage.models import AdvisoryRecipient
from hub.advisories.test_lifecycle import GREEN_DOCUMENT

# The listeners run on loopback, allowed here as an operator allows a Land's network.
LOOPBACK = addresses.networks(["127.0.0.0/8"])


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"push_allowed_networks": ("127.0.0.0/8",)})


class Receiver:
    """A town's listener on loopback that answers with the status it is told to."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def _publish(db, people, signer) -> str:
    with db.writing() as session:
        drafted = lifecycle.draft(session, people(session, "anna"),
                                  document.parse(GREEN_DOCUMENT), now=timestamps.now_us())
        lifecycle.approve(session, people(session, "bert"), drafted["id"],
                          now=timestamps.now_us())
        lifecycle.publish(session, people(session, "carla"), drafted["id"], signer=signer,
                          now=timestamps.now_us())
    return drafted["id"]


def test_a_town_registers_its_callback_and_gets_a_signed_notice(client, db, people, signer,
                                                                make_town, receiver):
    town = make_town("aue")
    make_town("brilon")  # no callback: it polls
    response = client.post("/nodes/callback", json={"url": receiver.url}, headers=town.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    advisory_id = _publish(db, people, signer)
    result = delivery.push_due(db, signer=signer,
                               now=timestamps.now_us(), allowed_networks=LOOPBACK)
    assert result.delivered == ["aue"] and result.failed == []
    assert len(receiver.bodies) == 1
    public = signing.public_jwk(signer.key)
    key = signing.RegisteredKey(signing.thumbprint(public), public, signer.identity)
    claims, _ = signing.verify_request(
        receiver.bodies[0]["jws"], keys=lambda kid: key, audience=town.identity,
        now=timestamps.now_us() // 1_000_000, jti_seen=lambda jti: False,
        typ=delivery.PUSH_TYP)
    assert claims["advisory"] == advisory_id
    with db.session() as session:
        status = {t["node"]: t for t in lifecycle.status(session, advisory_id)["towns"]}
    assert status["aue"]["push"] == "delivered" and status["aue"]["pushed_at"]
    assert status["brilon"]["push"] == "poll only"
    # Nothing is due any more: a second round sends nothing.
    again = delivery.push_due(db, signer=signer,
                              now=timestamps.now_us(), allowed_networks=LOOPBACK)
    assert again.delivered == [] and len(receiver.bodies) == 1


def test_a_failed_push_is_retried_with_backoff(client, db, people, signer, make_town,
                                               receiver):
    town = make_town("aue")
    client.post("/nodes/callback", json={"url": receiver.url}, headers=town.headers)
    receiver.status = 503
    advisory_id = _publish(db, people, signer)
    now = timestamps.now_us()
    first = delivery.push_due(db, signer=signer, now=now, allowed_networks=LOOPBACK)
    assert first.failed == ["aue"]
    with db.session() as session:
        row = session.get(AdvisoryRecipient, (advisory_id, 1)) or session.query(
            AdvisoryRecipient).one()
        assert row.push_state == "pending" and row.last_error == "HTTP 503"
        assert row.next_attempt == now + delivery.FIRST_RETRY_SECONDS * 1_000_000
    # Not yet due: nothing is sent before the backoff has passed.
    early = delivery.push_due(db, signer=signer, now=now + 1, allowed_networks=LOOPBACK)
    assert early.delivered == early.failed == []
    receiver.status = 200
    later = now + delivery.FIRST_RETRY_SECONDS * 1_000_000
    assert delivery.push_due(db, signer=signer,
                             now=later, allowed_networks=LOOPBACK).delivered == ["aue"]
    assert len(receiver.bodies) == 2


def test_an_unreachable_town_is_given_up_after_the_last_attempt(client, db, people, signer,
                                                                make_town, receiver):
    town = make_town("aue")
    client.post("/nodes/callback", json={"url": receiver.url}, headers=town.headers)
    receiver.close()
    _publish(db, people, signer)
    now = timestamps.now_us()
    for attempt in range(delivery.MAX_ATTEMPTS):
        result = delivery.push_due(db, signer=signer,
                                   now=now, allowed_networks=LOOPBACK)
        assert result.failed == ["aue"], attempt
        now += delivery.MAX_RETRY_SECONDS * 1_000_000
    with db.session() as session:
        assert session.query(AdvisoryRecipient).one().push_state == "failed"


@pytest.mark.parametrize("body, message", [
    ({"url": "ftp://aue.example/push"}, "not an http(s) URL"),
    ({"url": "http://user:secret@aue.example/push"}, "without credentials"),
    ({"url": "http://aue.example/" + "x" * 600}, "at most 500"),
    ({"url": "http://aue.example/push", "more": 1}, "exactly"),
    ({"url": 42}, "at most 500"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "link-local"),
    ({"url": "http://[fe80::1]/push"}, "link-local"),
])
def test_a_bad_callback_is_refused_and_changes_nothing(client, db, make_town, body, message):
    town = make_town("aue")
    response = client.post("/nodes/callback", json=body, headers=town.headers)
    assert response.status_code == 400
    assert message in response.get_json()["description"]
    from cyberhub.hub.storage.models import Node

    with db.session() as session:
        assert session.query(Node).filter_by(slug="aue").one().callback_url is None


def test_only_a_node_registers_a_callback(client, admin):
    response = client.post("/nodes/callback", json={"url": "http://127.0.0.1:9/push"},
                           headers=admin)
    assert response.status_code == 403


def test_the_scheduler_process_retries_until_the_town_answers(client, db, people, signer,
                                                              make_town, receiver, settings,
                                                              tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    town = make_town("aue")
    client.post("/nodes/callback", json={"url": receiver.url}, headers=town.headers)
    receiver.status = 503
    advisory_id = _publish(db, people, signer)
    # The first try fails (as `advisories publish` would see it); the scheduler takes over
    # once the backoff has passed (here: moved to now instead of waiting 30 s).
    first = delivery.push_due(db, signer=signer,
                              now=timestamps.now_us(), allowed_networks=LOOPBACK)
    assert first.failed == ["aue"]
    with db.writing() as session:
        session.query(AdvisoryRecipient).one().next_attempt = timestamps.now_us()
    receiver.status = 204
    env = {**os.environ, "CYBERHUB_HOME": str(settings.home),
           "CYBERHUB_DATABASE_URL": settings.effective_database_url,
           "CYBERHUB_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8"}
    env.pop("CYBERHUB_CONFIG", None)
    log = tmp_path / "scheduler.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "cyberhub", "scheduler",
                                    "--push-seconds", "1"], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(receiver.bodies) < 2:
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    assert len(receiver.bodies) == 2, log.read_text()
    with db.session() as session:
        town_status = lifecycle.status(session, advisory_id)["towns"][0]
    assert town_status["push"] == "delivered" and town_status["push_error"] is None

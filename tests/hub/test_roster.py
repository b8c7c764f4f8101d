"""The towns as the console lists them (`cyberhub.hub.roster`), and "last seen": noted on a
town's authenticated requests, written at most once a minute per node, never failing one."""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from cyberhub.core import timestamps
from cyberhub.hub import nodes, roster
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Node
from cyberhub.hub.web.app import create_app
from hub.test_inbox import send, town_report

MINUTE = 60_000_000


def _seen(db, slug: str) -> int | None:
    with db.session() as session:
        return session.scalar(select(Node.last_seen).where(Node.slug == slug))


def _set_seen(db, slug: str, value: int | None) -> None:
    with db.writing() as session:
        session.execute(update(Node).where(Node.slug == slug).values(last_seen=value))


def _node_id(db, slug: str) -> int:
    with db.session() as session:
        return session.scalar(select(Node.id).where(Node.slug == slug))


def test_last_seen_is_written_at_most_once_a_minute(db, initialised):
    with db.writing() as session:
        nodes.add_node(session, "zell", "Zell", "BW", now=0, token_ttl_hours=1)
    node, start = _node_id(db, "zell"), 1_800_000_000_000_000
    seen = roster.LastSeen(db)
    seen.note(node, now=start)
    assert _seen(db, "zell") == start
    seen.note(node, now=start + MINUTE - 1)
    assert _seen(db, "zell") == start
    seen.note(node, now=start + MINUTE)
    assert _seen(db, "zell") == start + MINUTE


def test_another_process_reads_the_stored_value_before_it_writes(db, initialised):
    with db.writing() as session:
        nodes.add_node(session, "zell", "Zell", "BW", now=0, token_ttl_hours=1)
    node, start = _node_id(db, "zell"), 1_800_000_000_000_000
    roster.LastSeen(db).note(node, now=start)
    other = roster.LastSeen(db)
    other.note(node, now=start + 10_000_000)  # stored is fresh: no write
    assert _seen(db, "zell") == start
    # What it read is remembered: a changed row is not even read again within the minute.
    _set_seen(db, "zell", None)
    other.note(node, now=start + 20_000_000)
    assert _seen(db, "zell") is None


def test_a_failing_database_never_fails_the_caller(tmp_path, caplog):
    broken = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    try:
        with caplog.at_level(logging.WARNING, logger="cyberhub.hub.roster"):
            roster.LastSeen(broken).note(1, now=timestamps.now_us())
    finally:
        broken.dispose()
    assert "could not note that node 1 was seen: OperationalError" in caplog.text


def test_a_towns_requests_are_noted(client, db, make_town, collection_ids, hub):
    town = make_town("aue")
    assert _seen(db, "aue") is None  # enrolling is not a request of the agent's account
    before = timestamps.now_us()
    assert client.get("/taxii2/", headers=town.headers).status_code == 200
    first = _seen(db, "aue")
    assert first is not None and before <= first <= timestamps.now_us()
    send(client, town, collection_ids["reports"], town_report(town))
    assert _seen(db, "aue") == first  # within the minute: not written again
    # A stale value is brought up to date by the next request (a fresh process here).
    _set_seen(db, "aue", first - 2 * MINUTE)
    fresh = create_app(hub=hub).test_client()
    assert fresh.post("/nodes/callback", json={"url": None},
                      headers=town.headers).status_code == 200
    assert _seen(db, "aue") >= first


def test_people_and_failed_logins_are_not_noted(client, db, make_town, admin):
    make_town("aue")
    assert client.get("/taxii2/", headers=admin).status_code == 200
    wrong = {"Authorization": "Basic bm9kZS1hdWU6d3Jvbmc="}  # node-aue:wrong
    assert client.get("/taxii2/", headers=wrong).status_code == 401
    assert _seen(db, "aue") is None


def test_the_list_and_one_town(client, db, make_town, collection_ids):
    aue = make_town("aue", "SN")
    incident = send(client, aue, collection_ids["reports"], town_report(aue, name="Erste"))
    with db.writing() as session:
        nodes.add_node(session, "zell", "Gemeinde Zell", "BW", now=timestamps.now_us(),
                       token_ttl_hours=1)
        nodes.revoke_key(session, "aue", aue.kid, now=timestamps.now_us())
    with db.session() as session:
        listed = {t["slug"]: t for t in roster.towns(session)}
        one = roster.town(session, "aue")
        waiting = roster.town(session, "zell")
        assert roster.town(session, "nirgendwo") is None
    assert [t["slug"] for t in listed.values()] == ["zell", "aue"]  # by name
    assert listed["aue"]["active_keys"] == 0 and listed["aue"]["last_report"] is not None
    assert listed["aue"]["last_seen"] == _seen(db, "aue") is not None
    assert listed["zell"] == {"slug": "zell", "name": "Gemeinde Zell", "land": "BW",
                              "last_report": None, "last_seen": None, "active_keys": 0,
                              "disabled": False, "share_name": False}
    assert [(k["kid"], k["revoked"] is not None) for k in one["signing_keys"]] == [
        (aue.kid, True)]
    assert one["enrolled"] is not None and one["token_expires"] is None
    assert [r["incident"] for r in one["reports"]] == [incident]
    assert waiting["token_expires"] > timestamps.now_us() and waiting["enrolled"] is None

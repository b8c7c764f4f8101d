"""The index: rows per report, one per key and incident, counted per key."""

from __future__ import annotations

from conftest import REPO

from cyberhub.core import timestamps
from cyberhub.hub import nodes
from cyberhub.hub.correlation import index, warninglists

LISTS = warninglists.load(REPO / "config" / "warninglists")


def _sighting_report(n: int) -> list[dict]:
    stamp = "2026-11-21T07:00:00.000Z"
    return [
        {"type": "ipv4-addr", "spec_version": "2.1",
         "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "45.13.7.9"},
        {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{n:08d}-0000-4000-8000-"
         "000000000000", "created": stamp, "modified": stamp, "first_seen": stamp,
         "sighting_of_ref": "indicator--7d3c1b52-5f3f-4c4e-9d7a-1b2c3d4e5f60"},
    ]


def test_a_sighting_report_is_its_own_incident_even_with_a_shared_sco():
    first = index.draft(_sighting_report(1), node_id=1, lists=LISTS, now=0).finish()
    second = index.draft(_sighting_report(2), node_id=2, lists=LISTS, now=0).finish()
    assert {r.incident_id for r in first} == {"sighting--00000001-0000-4000-8000-000000000000"}
    assert {r.incident_id for r in second} != {r.incident_id for r in first}
    assert first[0].seen == timestamps.to_us("2026-11-21T07:00:00.000Z")


def test_rows_are_added_once_per_key_and_incident_and_counted(db, initialised):
    with db.writing() as session:
        node = nodes.add_node(session, "zeitz", "Stadt Zeitz", "ST", now=0, token_ttl_hours=1)
    with db.session() as session:
        from cyberhub.hub.storage.models import Node

        node_id = session.query(Node.id).filter(Node.slug == node["slug"]).scalar()
    rows = index.draft(_sighting_report(1), node_id=node_id, lists=LISTS, now=0).finish()
    with db.writing() as session:
        added = index.add_rows(session, rows)
    assert len(added.rows) == 2  # the address and its /24
    assert added.counts == {"ipv4:45.13.7.9": 1, "ipv4-24:45.13.7.0/24": 1}
    with db.writing() as session:
        resent = index.add_rows(session, rows)
    assert resent.rows == [] and resent.counts == {}  # a resend adds nothing
    with db.session() as session:
        assert index.postings_counts(session, [r.key for r in rows]) == {
            "ipv4:45.13.7.9": 1, "ipv4-24:45.13.7.0/24": 1}


def test_two_reports_in_one_envelope_count_twice(db, initialised):
    with db.writing() as session:
        nodes.add_node(session, "zeitz", "Stadt Zeitz", "ST", now=0, token_ttl_hours=1)
    with db.session() as session:
        from cyberhub.hub.storage.models import Node

        node_id = session.query(Node.id).filter(Node.slug == "zeitz").scalar()
    rows = (index.draft(_sighting_report(1), node_id=node_id, lists=LISTS, now=0).finish()
            + index.draft(_sighting_report(2), node_id=node_id, lists=LISTS, now=0).finish())
    with db.writing() as session:
        added = index.add_rows(session, rows)
    assert len(added.rows) == 4
    assert added.counts["ipv4:45.13.7.9"] == 2  # the count the upsert returned
    with db.session() as session:
        assert index.postings_counts(session, ["ipv4:45.13.7.9"]) == {"ipv4:45.13.7.9": 2}

"""The analysts' inbox: one row per town incident, written with the report; filters, keyset
pages, triage and notes."""

from __future__ import annotations

import uuid

import pytest
from conftest import post_objects
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from cyberhub.core import timestamps
from cyberhub.core.stix import INCIDENT_CORE
from cyberhub.hub import accounts, audit, inbox
from cyberhub.hub.storage.models import ReportNote, TownReport

AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def town_report(town, *, name="Phishing", stage="early-warning", types=("phishing",),
                marking=AMBER, incident_id=None, modified="2026-11-20T07:15:00.000Z",
                domain="rechnung.example", description=None) -> list[dict]:
    created = "2026-11-20T07:15:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": incident_id or f"incident--{uuid.uuid4()}", "created": created,
                "modified": modified, "name": name, "labels": [f"cyberhub:stage={stage}"],
                "object_marking_refs": [marking],
                "extensions": {INCIDENT_CORE: {
                    "extension_type": "property-extension", "determination": "confirmed",
                    "investigation_status": "open", "incident_types": list(types)}}}
    if description:
        incident["description"] = description
    sco = {"type": "domain-name", "spec_version": "2.1",
           "id": f"domain-name--{uuid.uuid5(uuid.NAMESPACE_DNS, domain)}", "value": domain}
    return [town.identity_object, incident, sco]


def send(client, town, reports_id, objects):
    answer = post_objects(client, town.headers, reports_id, town.sign(objects))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return objects[1]["id"]


@pytest.fixture
def reports_id(collection_ids):
    return collection_ids["reports"]


def test_a_signed_report_lands_in_the_inbox_and_a_later_stage_updates_it(
        client, db, make_town, reports_id):
    town = make_town("aue", "SN")
    incident = send(client, town, reports_id, town_report(town, types=("phishing",)))
    with db.session() as session:
        row = inbox.get(session, incident)
    assert row["town"] == "aue" and row["land"] == "SN" and row["stage"] == "early-warning"
    assert row["tlp"] == "amber" and row["types"] == ["phishing"] and row["versions"] == 1
    assert row["triage"] == "new"
    first = row["first_reported"]
    send(client, town, reports_id, town_report(
        town, incident_id=incident, stage="notification", modified="2026-11-21T07:15:00.000Z",
        types=("phishing", "ransomware")))
    with db.session() as session:
        row = inbox.get(session, incident)
        assert session.scalar(select(func.count()).select_from(TownReport)) == 1
    assert row["stage"] == "notification" and row["versions"] == 2
    assert row["types"] == ["phishing", "ransomware"] and row["first_reported"] == first
    assert row["last_reported"] > first


def test_a_refused_report_leaves_no_row(client, db, make_town, reports_id):
    town = make_town("aue")
    objects = town.sign(town_report(town), key=Ed25519PrivateKey.generate())  # not its key
    assert post_objects(client, town.headers, reports_id, objects).status_code == 422
    with db.session() as session:
        assert inbox.count(session) == 0


def test_filters_find_what_they_say(client, db, make_town, reports_id):
    aue, brilon = make_town("aue", "SN"), make_town("brilon", "NW")
    a = send(client, aue, reports_id, town_report(aue, domain="login-aue.example"))
    b = send(client, brilon, reports_id, town_report(
        brilon, stage="final", marking=GREEN, types=("ransomware",), name="Verschlüsselt",
        description="Server der Kämmerei verschlüsselt"))

    def found(**filters) -> set[str]:
        with db.session() as session:
            rows, _ = inbox.page(session, inbox.Filters(**filters))
        return {r["incident"] for r in rows}

    assert found() == {a, b}
    assert found(town="aue") == {a} and found(land="NW") == {b}
    assert found(stage="final") == {b} and found(tlp="amber") == {a}
    assert found(incident_type="ransomware") == {b} and found(incident_type="phish") == set()
    assert found(text="login-AUE") == {a} and found(text="kämmerei") == {b}
    assert found(text="100%_") == set()  # wildcards are text, not patterns
    assert found(triage="new") == {a, b} and found(triage="done") == set()


def test_keyset_pages_give_every_report_once(client, db, make_town, reports_id):
    town = make_town("aue")
    sent = {send(client, town, reports_id, town_report(town, name=f"Nr. {n}"))
            for n in range(7)}
    seen, after = [], None
    while True:
        with db.session() as session:
            rows, after = inbox.page(session, inbox.Filters(), after=after, limit=3)
        seen += [r["incident"] for r in rows]
        if after is None:
            break
    assert len(seen) == 7 and set(seen) == sent


def test_triage_and_notes_are_recorded_and_audited(client, db, make_town, reports_id):
    town = make_town("aue")
    incident = send(client, town, reports_id, town_report(town))
    with db.writing() as session:
        anna = accounts.create_account(session, "anna", "pw-anna-123456", role="analyst",
                                       now=timestamps.now_us())
        accounts.create_account(session, "bert", "pw-bert-123456", role="analyst",
                                now=timestamps.now_us())
        inbox.triage(session, anna, incident, state="in-progress", assignee="bert",
                     now=timestamps.now_us())
        inbox.add_note(session, anna, incident, "Rückruf bei der IT der Stadt vereinbart",
                       now=timestamps.now_us())
    with db.session() as session:
        row = inbox.get(session, incident)
        actions = [e["action"] for e in audit.entries(session, incident)]
    assert row["triage"] == "in-progress" and row["assignee"] == "bert"
    assert [n["text"] for n in row["notes"]] == ["Rückruf bei der IT der Stadt vereinbart"]
    assert actions == ["report.triage", "report.note"]


@pytest.mark.parametrize("change, field", [
    (lambda s, a, i: inbox.triage(s, a, i, state="vergessen", assignee=None, now=1), "state"),
    (lambda s, a, i: inbox.triage(s, a, i, state="done", assignee="niemand", now=1),
     "assignee"),
    (lambda s, a, i: inbox.add_note(s, a, i, "   ", now=1), "note"),
    (lambda s, a, i: inbox.add_note(s, a, i, "x" * 4001, now=1), "note"),
    (lambda s, a, i: inbox.add_note(s, a, "incident--nope", "text", now=1), "incident"),
])
def test_bad_changes_are_refused_and_change_nothing(client, db, make_town, reports_id,
                                                    change, field):
    town = make_town("aue")
    incident = send(client, town, reports_id, town_report(town))
    with pytest.raises(inbox.InboxError) as refused:
        with db.writing() as session:
            anna = accounts.create_account(session, "anna", "pw-anna-123456", role="analyst",
                                           now=timestamps.now_us())
            change(session, anna, incident)
    assert refused.value.field == field
    with db.session() as session:
        row = inbox.get(session, incident)
        assert session.scalar(select(func.count()).select_from(ReportNote)) == 0
    assert row["triage"] == "new" and row["assignee"] is None

"""Answers to a town about its report: a hub-signed STIX note in the `answers` collection, for
the reporting town only (decided at query time on every TAXII read path and `next` page),
checked text, audited; and the collection's rights on a hub that gains it by an upgrade."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, basic
from sqlalchemy import delete, func, select

from cyberhub.core import signing, timestamps, tlp
from cyberhub.hub import accounts, answers, audit, setup
from cyberhub.hub.storage.models import (
    AnswerObject,
    Collection,
    Node,
    Permission,
    StoredObject,
    TownAnswer,
)
from hub.advisories.test_audience import _read_all
from hub.test_inbox import send, town_report


@pytest.fixture
def analysts(db, initialised):
    """anna is an analyst; maschine is an account without a role."""
    with db.writing() as session:
        accounts.create_account(session, "anna", PASSWORD, now=timestamps.now_us(),
                                role="analyst")
        accounts.create_account(session, "maschine", PASSWORD, now=timestamps.now_us())

    def account(session, name: str):
        return accounts.check_password(session, name, PASSWORD)

    return account


@pytest.fixture
def reported(client, make_town, collection_ids):
    """Aue and Brilon each reported an incident."""
    aue, brilon = make_town("aue", "SN"), make_town("brilon", "NW")
    first = send(client, aue, collection_ids["reports"], town_report(aue, name="Phishing"))
    second = send(client, brilon, collection_ids["reports"], town_report(brilon))
    return (aue, first), (brilon, second)


def _answer(db, analysts, signer, incident_id, text, name="anna"):
    with db.writing() as session:
        return answers.send(session, analysts(session, name), incident_id, text,
                            signer=signer, now=timestamps.now_us())


def _stored_in(db, collection_ids, alias="answers") -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(StoredObject).where(
            StoredObject.collection_id == collection_ids[alias]))


def test_an_answer_is_a_hub_signed_note_on_the_incident_for_the_reporting_town(
        client, db, analysts, signer, reported, collection_ids, admin):
    (aue, incident), _ = reported
    sent = _answer(db, analysts, signer, incident, "Bitte Passwörter zurücksetzen.\nDanke.")
    assert sent["town"] == "aue" and sent["author"] == "anna"
    objects = _read_all(client, admin, collection_ids["answers"], limit=1000)
    note = next(o for o in objects if o["type"] == "note")
    assert note["id"] == sent["id"] and note["object_refs"] == [incident]
    assert note["content"] == "Bitte Passwörter zurücksetzen.\nDanke."
    assert note["abstract"] == "Bitte Passwörter zurücksetzen."
    assert note["created_by_ref"] == signer.identity
    assert note["object_marking_refs"] == [tlp.IDS["amber+strict"]]
    # The hub's signature covers it, as it covers advisories; the town's agent checks it.
    carrier = next(o for o in objects if o["type"] == signing.SIGNATURE_TYPE
                   and note["id"] in o["object_refs"])
    members = [o for o in objects if o["id"] in carrier["object_refs"]]
    key = signing.RegisteredKey(kid=signing.thumbprint(signing.public_jwk(signer.key)),
                                jwk=signing.public_jwk(signer.key), identity=signer.identity)
    verified = signing.verify_published(carrier["jws"], members, keys=lambda kid: key,
                                        signer_ref=carrier["created_by_ref"])
    assert verified.issuer == signer.identity
    with db.session() as session:
        row = session.get(TownAnswer, sent["id"])
        node = session.get(Node, row.node_id)
        assert node.slug == "aue" and row.incident_id == incident
        entries = audit.entries(session, incident[:100])
    assert [(e["actor"], e["action"]) for e in entries] == [("anna", "report.answer")]
    assert entries[0]["detail"]["note"] == sent["id"] and entries[0]["detail"]["town"] == "aue"
    with db.session() as session:
        assert answers.listing(session, incident)[0]["text"] == sent["text"]


def _town_reads(client, town, answers_id) -> dict[str, set[str]]:
    """What the town reads on each path, page by page."""
    return {path: {o["id"] for o in _read_all(client, town.headers, answers_id, path=path)}
            for path in ("objects", "manifest")}


def test_each_town_reads_only_its_own_answers_on_every_path(client, db, analysts, signer,
                                                            reported, collection_ids, admin):
    (aue, first), (brilon, second) = reported
    for n in range(3):  # interleaved, so that pages of one size mix both towns
        _answer(db, analysts, signer, first, f"An Aue {n}")
        _answer(db, analysts, signer, second, f"An Brilon {n}")
    answers_id = collection_ids["answers"]
    everything = _read_all(client, admin, answers_id, limit=1000)
    notes = {o["content"]: o["id"] for o in everything if o["type"] == "note"}
    for town, own, other in ((aue, "Aue", "Brilon"), (brilon, "Brilon", "Aue")):
        seen = _read_all(client, town.headers, answers_id)  # one object per page
        contents = {o["content"] for o in seen if o["type"] == "note"}
        assert contents == {f"An {own} {n}" for n in range(3)}
        # Its notes, their signatures and the TLP marking; nothing else of the collection.
        assert {o["type"] for o in seen} == {"note", signing.SIGNATURE_TYPE,
                                             "marking-definition"}
        reads = _town_reads(client, town, answers_id)
        assert reads["objects"] == reads["manifest"] == {o["id"] for o in seen}
        for n in range(3):
            foreign = notes[f"An {other} {n}"]
            one = f"/taxii2/hub/collections/{answers_id}/objects/{foreign}/"
            assert client.get(one, headers=town.headers).status_code == 404
            assert client.get(one + "versions/", headers=town.headers).status_code == 404
            matched = client.get(f"/taxii2/hub/collections/{answers_id}/objects/"
                                 f"?match[id]={foreign}", headers=town.headers)
            assert matched.status_code == 200 and matched.get_json() == {}
            manifest = client.get(f"/taxii2/hub/collections/{answers_id}/manifest/"
                                  f"?match[id]={foreign}", headers=town.headers)
            assert manifest.get_json() == {}
        mine = notes[f"An {own} 0"]
        one = f"/taxii2/hub/collections/{answers_id}/objects/{mine}/"
        assert client.get(one, headers=town.headers).status_code == 200
        assert client.get(one + "versions/", headers=town.headers).status_code == 200


def test_a_town_that_reported_nothing_reads_nothing(client, db, analysts, signer, reported,
                                                    collection_ids, make_town):
    (_, first), _ = reported
    _answer(db, analysts, signer, first, "Nur für Aue")
    celle = make_town("celle", "NI")
    assert _read_all(client, celle.headers, collection_ids["answers"]) == []
    assert _read_all(client, celle.headers, collection_ids["answers"], path="manifest") == []


def test_a_next_token_of_one_town_does_not_open_another_towns_answers(
        client, db, analysts, signer, reported, collection_ids):
    (aue, first), (brilon, _) = reported
    _answer(db, analysts, signer, first, "Erste")
    _answer(db, analysts, signer, first, "Zweite")
    url = f"/taxii2/hub/collections/{collection_ids['answers']}/objects/?limit=1"
    page = client.get(url, headers=aue.headers).get_json()
    assert page["more"] and page["next"]
    stolen = client.get(url + f"&next={page['next']}", headers=brilon.headers)
    assert stolen.status_code == 400


def test_visibility_is_decided_when_the_town_reads(client, db, analysts, signer, reported,
                                                   collection_ids):
    (aue, first), (brilon, _) = reported
    sent = _answer(db, analysts, signer, first, "Für Aue")
    answers_id = collection_ids["answers"]
    assert sent["id"] in {o["id"] for o in _read_all(client, aue.headers, answers_id)}
    with db.writing() as session:  # the recipient row is the rule: move it, and it follows
        row = session.get(TownAnswer, sent["id"])
        row.node_id = session.scalar(select(Node.id).where(Node.slug == "brilon"))
    assert sent["id"] not in {o["id"] for o in _read_all(client, aue.headers, answers_id)}
    assert sent["id"] in {o["id"] for o in _read_all(client, brilon.headers, answers_id)}


def test_analysts_read_every_answer(client, db, analysts, signer, reported, collection_ids):
    (_, first), (_, second) = reported
    for incident in (first, second):
        _answer(db, analysts, signer, incident, "Antwort")
    seen = _read_all(client, basic("anna", PASSWORD), collection_ids["answers"], limit=1000)
    assert len([o for o in seen if o["type"] == "note"]) == 2


def test_towns_read_the_answers_collection_from_the_start(db, reported, collection_ids):
    with db.session() as session:
        readers = set(session.scalars(select(Permission.account_id).where(
            Permission.collection_id == collection_ids["answers"], Permission.can_read)))
        towns = set(session.scalars(select(Node.account_id)))
    assert towns and towns <= readers


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("  \n\t ", "empty"), ("x" * (answers.MAX_TEXT + 1), "too-long"),
    ("mit\x00NUL", "characters"), ("Farbe \x1b[31mrot", "characters"),
    ("halbes \udc80 Zeichen", "characters"),
])
def test_a_bad_text_is_refused_and_nothing_is_stored(db, analysts, signer, reported,
                                                     collection_ids, text, reason):
    (_, first), _ = reported
    before = _stored_in(db, collection_ids)
    with pytest.raises(answers.AnswerError) as refused:
        _answer(db, analysts, signer, first, text)
    assert refused.value.field == "answer" and refused.value.reason == reason
    assert reason in answers.REASONS
    assert _stored_in(db, collection_ids) == before
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TownAnswer)) == 0
        assert audit.entries(session, first[:100]) == []


def test_the_longest_text_passes_and_line_ends_are_made_plain(db, analysts, signer, reported):
    (_, first), _ = reported
    longest = _answer(db, analysts, signer, first, "  " + "x" * answers.MAX_TEXT + "\r\n")
    assert longest["text"] == "x" * answers.MAX_TEXT
    lines = _answer(db, analysts, signer, first, "eins\r\nzwei\rdrei")
    assert lines["text"] == "eins\nzwei\ndrei"


@pytest.mark.parametrize("incident", ["incident--00000000-0000-4000-8000-000000000000",
                                      "incident--\x00", "x" * 400, ""])
def test_only_a_report_the_hub_holds_is_answered(db, analysts, signer, reported, incident):
    with pytest.raises(answers.AnswerError) as refused:
        _answer(db, analysts, signer, incident, "Hallo")
    assert refused.value.field == "incident"


def test_an_account_without_a_role_may_not_answer(db, analysts, signer, reported):
    (_, first), _ = reported
    with pytest.raises(answers.AnswerError) as refused:
        _answer(db, analysts, signer, first, "Hallo", name="maschine")
    assert refused.value.reason == "forbidden"


def test_an_upgrade_adds_the_collection_and_lets_existing_accounts_read_it(
        db, settings, analysts, reported):
    """A hub from before answers: `cyberhub init` adds the collection, readable by the towns
    and the people who would get it today, and signs its extension-definition."""
    with db.writing() as session:
        session.execute(delete(Collection).where(Collection.alias == "answers"))
    report = setup.initialise(settings, db, now=timestamps.now_us())
    assert "collection answers" in report.created
    with db.session() as session:
        added = session.scalar(select(Collection).where(Collection.alias == "answers"))
        assert added.addressed and not added.signed
        readers = set(session.scalars(select(Permission.account_id).where(
            Permission.collection_id == added.id, Permission.can_read)))
        towns = set(session.scalars(select(Node.account_id)))
        anna = accounts.check_password(session, "anna", PASSWORD).id
        maschine = accounts.check_password(session, "maschine", PASSWORD).id
        assert session.scalar(select(func.count()).select_from(StoredObject).where(
            StoredObject.collection_id == added.id)) == 2  # the definition and its signature
    assert len(towns) == 2 and towns | {anna} <= readers and maschine not in readers


def test_answer_objects_go_with_their_answer(db, analysts, signer, reported):
    (_, first), _ = reported
    sent = _answer(db, analysts, signer, first, "Hallo")
    with db.writing() as session:
        session.execute(delete(TownAnswer).where(TownAnswer.id == sent["id"]))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AnswerObject)) == 0

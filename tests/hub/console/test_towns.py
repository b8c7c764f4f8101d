"""Kommunen in the console: the list with last report, last contact and keys; one town's
keys, enrolment and reports; adding a town with its token shown once on a printable sheet
that enrols for real; new token, key revocation, disabling and name sharing through forms,
each audited with the person's name; bad input marks its field and changes nothing."""

from __future__ import annotations

import json
import re

import pytest
from conftest import post_objects
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from cyberhub.core import messages, signing, timestamps
from cyberhub.hub import audit, nodes
from cyberhub.hub.storage.models import AuditEntry, EnrollmentToken, Node, NodeKey, TownReport
from hub.test_inbox import send, town_report

SCRIPT = "<script>alert('x')</script>"
TOKEN = re.compile(r'<code class="token">([^<]+)</code>')


def row(page: str, slug: str) -> str:
    """The list's table row of one town."""
    return next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S)
                if f"<code>{slug}</code>" in r)


def entries(db, action: str) -> list[dict]:
    with db.session() as session:
        return [e for e in audit.entries(session) if e["action"] == action]


def counts(db) -> tuple[int, int, int]:
    with db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table))
                     for table in (Node, EnrollmentToken, AuditEntry))


@pytest.fixture
def towns(client, db, make_town, collection_ids, person, console):
    """Aue (enrolled, one report), Brilon (enrolled, nothing sent), a town whose name holds a
    script tag (never enrolled); anna, an analyst, signed in."""
    aue, brilon = make_town("aue", "SN"), make_town("brilon", "NW")
    incident = send(client, aue, collection_ids["reports"],
                    town_report(aue, name="Phishing im Bürgerbüro"))
    with db.writing() as session:
        nodes.add_node(session, "skript", SCRIPT, "BY", now=timestamps.now_us(),
                       token_ttl_hours=1)
    person("anna")
    console.login("anna")
    return {"aue": aue, "brilon": brilon, "incident": incident}


def add(console, **fields):
    data = {"name": "Gemeinde Zell", "slug": "zell", "land": "BW", **fields}
    return console.post("/console/towns", data, form_page="/console/towns")


def test_the_list_shows_last_report_last_contact_and_keys(console, towns, db):
    page = console.get("/console/towns")
    assert page.status_code == 200 and "<h1>Kommunen</h1>" in page.text
    aue = row(page.text, "aue")
    with db.session() as session:
        seen = session.scalar(select(Node.last_seen).where(Node.slug == "aue"))
        reported = session.scalar(select(TownReport.last_reported))
    assert "Stadt Aue" in aue and "Sachsen" in aue and "nie" not in aue
    assert seen is not None and f"<td>{messages.moment(seen)}</td>" in aue
    assert f"<td>{messages.moment(reported)}</td>" in aue
    assert "<td>1</td>" in aue and "<td>aktiv</td>" in aue
    brilon = row(page.text, "brilon")
    assert "Nordrhein-Westfalen" in brilon and "noch keine" in brilon
    script = row(page.text, "skript")
    assert "<td>nie</td>" in script and "<td>0</td>" in script and "Bayern" in script
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text


def test_a_town_page_shows_keys_enrolment_and_reports(console, towns):
    page = console.get("/console/towns/aue")
    assert page.status_code == 200 and "<h1>Stadt Aue</h1>" in page.text
    assert f"<code>{towns['aue'].kid}</code>" in page.text and "aktiv" in page.text
    assert "angemeldet am" in page.text
    assert f'href="/console/reports/{towns["incident"]}"' in page.text
    assert "Phishing im Bürgerbüro" in page.text
    waiting = console.get("/console/towns/skript")
    assert "Token ausgestellt, noch nicht benutzt, gültig bis" in waiting.text
    assert "Noch kein Schlüssel" in waiting.text
    assert SCRIPT not in waiting.text and "&lt;script&gt;" in waiting.text
    assert console.get("/console/towns/nirgendwo").status_code == 404


def test_adding_a_town_shows_its_token_once_on_a_sheet_that_enrols(console, towns, client,
                                                                    db, settings):
    answer = add(console, name="Gemeinde Zell", share_name="yes")
    assert answer.status_code == 200
    token = TOKEN.search(answer.text).group(1)
    assert "Anmeldeblatt: Gemeinde Zell" in answer.text and "Baden-Württemberg" in answer.text
    assert "nur jetzt angezeigt" in answer.text and "@media print" not in answer.text
    assert (f"cyberhub-agent enroll --hub {settings.base_url} --token {token}"
            in answer.text)
    assert "sudo systemctl enable --now cyberhub-agent" in answer.text
    for path in ("/console/towns", "/console/towns/zell"):
        again = console.get(path)
        assert again.status_code == 200 and token not in again.text
    assert "gültig bis" in console.get("/console/towns/zell").text
    enrolled = client.post("/nodes/enroll", json={
        "token": token, "jwk": signing.public_jwk(Ed25519PrivateKey.generate())})
    assert enrolled.status_code == 201 and enrolled.get_json()["slug"] == "zell"
    with db.session() as session:
        assert session.scalar(select(Node.share_name).where(Node.slug == "zell")) is True
    added = entries(db, "node.added")[-1]
    issued = entries(db, "node.token-issued")[-1]
    assert added["actor"] == issued["actor"] == "anna" and added["subject"] == "node:zell"
    assert added["detail"]["share_name"] is True and added["detail"]["land"] == "BW"
    key_added = entries(db, "node.key-added")[-1]
    assert key_added["actor"] == "node-zell" and key_added["detail"]["how"] == "enrolment"
    with db.session() as session:
        logged = json.dumps(audit.entries(session))
    assert token not in logged and enrolled.get_json()["password"] not in logged


def test_a_new_token_replaces_the_open_one(console, towns, client):
    first = TOKEN.search(add(console).text).group(1)
    answer = console.post("/console/towns/zell/token", {}, form_page="/console/towns/zell")
    assert answer.status_code == 200 and "Ein neues Token ist ausgestellt" in answer.text
    second = TOKEN.search(answer.text).group(1)
    assert second != first and f"--token {second}" in answer.text
    jwk = signing.public_jwk(Ed25519PrivateKey.generate())
    assert client.post("/nodes/enroll", json={"token": first, "jwk": jwk}).status_code == 403
    assert client.post("/nodes/enroll", json={"token": second, "jwk": jwk}).status_code == 201


def test_revoking_a_key_refuses_what_it_signs(console, towns, db, client, collection_ids):
    aue = towns["aue"]
    path = "/console/towns/aue"
    unconfirmed = console.post(f"{path}/keys/revoke", {"kid": aue.kid}, form_page=path)
    assert unconfirmed.status_code == 400 and f'id="revoke-{aue.kid}-error"' in unconfirmed.text
    assert 'aria-invalid="true"' in unconfirmed.text
    with db.session() as session:
        assert session.get(NodeKey, aue.kid).revoked_at is None
    answer = console.post(f"{path}/keys/revoke", {"kid": aue.kid, "confirm": "yes"},
                          form_page=path)
    assert answer.status_code == 302
    with db.session() as session:
        assert session.get(NodeKey, aue.kid).revoked_at is not None
    assert "<td>gesperrt</td>" in console.get(path).text
    refused = post_objects(client, aue.headers, collection_ids["reports"],
                           aue.sign(aue.report()))
    assert refused.status_code == 422 and refused.get_json()["error_code"] == "key-revoked"
    revoked = entries(db, "node.key-revoked")
    assert [(e["actor"], e["subject"], e["detail"]) for e in revoked] == [
        ("anna", "node:aue", {"kid": aue.kid})]
    unknown = console.post(f"{path}/keys/revoke", {"kid": "nope", "confirm": "yes"},
                           form_page=path)
    assert unknown.status_code == 400 and 'id="keys-error"' in unknown.text


def test_disabling_a_town_needs_confirmation_and_locks_it_out(console, towns, db, client):
    path = "/console/towns/brilon"
    before = counts(db)
    unconfirmed = console.post(f"{path}/disable", {}, form_page=path)
    assert unconfirmed.status_code == 400 and 'id="disable-error"' in unconfirmed.text
    assert "Bitte bestätigen Sie" in unconfirmed.text and counts(db) == before
    answer = console.post(f"{path}/disable", {"confirm": "yes"}, form_page=path)
    assert answer.status_code == 302
    assert "<dd>gesperrt</dd>" in console.get(path).text
    assert client.get("/taxii2/", headers=towns["brilon"].headers).status_code == 401
    [entry] = entries(db, "node.disabled")
    assert entry["actor"] == "anna" and entry["subject"] == "node:brilon"
    # A disabled town gets no new token, whatever the form says.
    refused = console.post(f"{path}/token", {}, form_page=path)
    assert refused.status_code == 400 and 'id="token-error"' in refused.text


def test_name_sharing_switches_both_ways(console, towns, db):
    path = "/console/towns/aue"
    assert console.post(f"{path}/sharing", {"share_name": "yes"},
                        form_page=path).status_code == 302
    assert "Andere Kommunen sehen den Namen." in console.get(path).text
    assert console.post(f"{path}/sharing", {"share_name": "no"},
                        form_page=path).status_code == 302
    assert "eine Kommune in Sachsen" in console.get(path).text
    changes = [(e["actor"], e["detail"]) for e in entries(db, "node.options-changed")]
    assert changes == [("anna", {"share_name": True}), ("anna", {"share_name": False})]
    bad = console.post(f"{path}/sharing", {"share_name": "vielleicht"}, form_page=path)
    assert bad.status_code == 400 and 'id="share_name-error"' in bad.text


@pytest.mark.parametrize("fields, field, message", [
    ({"slug": "Zell Ort"}, "slug", "Kleinbuchstaben"),
    ({"slug": "z"}, "slug", "Kleinbuchstaben"),
    ({"slug": "-zell"}, "slug", "Kleinbuchstaben"),
    ({"slug": "aue"}, "slug", "schon vergeben"),
    ({"name": "   "}, "name", "1 bis 200 Zeichen"),
    ({"name": "x" * 201}, "name", "1 bis 200 Zeichen"),
    ({"name": "Zell\x00"}, "name", "Steuerzeichen"),
    ({"land": "XX"}, "land", "16 Länder"),
    ({"land": ""}, "land", "16 Länder"),
    ({"share_name": "maybe"}, "share_name", "nicht zur Auswahl"),
])
def test_bad_input_marks_its_field_and_changes_nothing(console, towns, db, fields, field,
                                                       message):
    before = counts(db)
    answer = add(console, **fields)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.text and message in answer.text
    assert re.search(rf'aria-invalid="true" aria-describedby="{field}-error', answer.text)
    assert "Bitte prüfen Sie die markierten Felder" in answer.text
    assert counts(db) == before


def test_every_wrong_field_is_marked_at_once(console, towns):
    answer = add(console, slug="A", name="", land="QQ")
    assert answer.status_code == 400
    assert all(f'id="{f}-error"' in answer.text for f in ("slug", "name", "land"))


def test_a_form_without_its_csrf_token_is_refused(console, towns, db):
    before = counts(db)
    answer = console.client.post("/console/towns", data={
        "name": "Zell", "slug": "zell", "land": "BW"})
    assert answer.status_code == 400 and counts(db) == before


def test_a_coordinator_manages_towns_too(app, towns, person, db):
    from hub.console.conftest import Console

    person("carla", "coordinator")
    coordinator = Console(app)
    coordinator.login("carla")
    coordinator.enrol()
    assert add(coordinator, slug="zell").status_code == 200
    assert "<code>zell</code>" in coordinator.get("/console/towns").text
    assert entries(db, "node.added")[-1]["actor"] == "carla"


def test_english_on_request(console, towns):
    console.post("/console/language", {"lang": "en", "next": "/console/towns"},
                 form_page="/console/towns")
    page = console.get("/console/towns").text
    assert "<h1>Towns</h1>" in page and "never" in page and "Saxony" in page


def test_a_town_cannot_open_the_page(towns, app):
    from hub.console.conftest import Console

    visitor = Console(app)
    visitor.login(towns["aue"].enrollment["username"], towns["aue"].enrollment["password"])
    assert visitor.get("/console/towns").status_code == 302

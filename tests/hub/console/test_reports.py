"""Meldungen in the console: the inbox with its filters and pages, one report in plain German,
triage and notes through forms; bad input marks the field and changes nothing; stored text
is shown as text."""

from __future__ import annotations

import re

import pytest

from cyberhub.hub import inbox
from hub.feeds.conftest import make_feed
from hub.test_inbox import send, town_report

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def reported(client, db, make_town, collection_ids, person, console):
    """Two towns' reports, one carrying a script tag in its name and description; anna, an
    analyst, signed in."""
    aue, brilon = make_town("aue", "SN"), make_town("brilon", "NW")
    first = send(client, aue, collection_ids["reports"], town_report(
        aue, name=SCRIPT, description=f"Beschreibung {SCRIPT}", domain="login-aue.example"))
    second = send(client, brilon, collection_ids["reports"], town_report(
        brilon, stage="final", types=("ransomware",), name="Verschlüsselte Server"))
    person("anna")
    person("bert")
    console.login("anna")
    return first, second


def test_the_inbox_lists_reports_in_german_with_hostile_text_as_text(console, reported):
    page = console.get("/console/reports")
    assert page.status_code == 200 and "<h1>Meldungen</h1>" in page.text
    assert "Verschlüsselte Server" in page.text and "Abschlussmeldung" in page.text
    assert "Nordrhein-Westfalen" in page.text and "Frühwarnung" in page.text
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text


def test_filters_narrow_the_list(console, reported):
    first, second = reported
    by_land = console.get("/console/reports?land=NW").text
    assert second in by_land and first not in by_land
    by_text = console.get("/console/reports?q=login-aue").text
    assert first in by_text and second not in by_text
    nothing = console.get("/console/reports?triage=done").text
    assert "Keine Meldung passt" in nothing


@pytest.mark.parametrize("query, field", [
    ("land=XX", "land"), ("stage=later", "stage"), ("since=05.12.2026", "since"),
    ("town=elsewhere", "town"), ("q=" + "x" * 201, "q"), ("after=abc", "after"),
    ("after=9999999999999999999.1", "after"), ("q=%00", "q"),
])
def test_a_bad_filter_value_marks_its_field(console, reported, query, field):
    page = console.get(f"/console/reports?{query}")
    assert page.status_code == 400
    assert "Bitte prüfen Sie die markierten Felder" in page.text
    assert f'id="{field}-error"' in page.text


def test_pages_follow_the_keyset(console, reported, client, make_town, collection_ids):
    town = make_town("celle", "NI")
    for n in range(inbox.PAGE):
        send(client, town, collection_ids["reports"], town_report(town, name=f"Nr. {n}"))
    first_page = console.get("/console/reports").text
    following = re.search(r'href="([^"]+)" rel="next"', first_page).group(1)
    second_page = console.get(following.replace("&amp;", "&")).text
    assert reported[0] in second_page and reported[0] not in first_page
    assert 'rel="next"' not in second_page


def test_a_report_in_plain_german_with_versions_and_raw_json(console, reported):
    first, _ = reported
    page = console.get(f"/console/reports/{first}")
    assert page.status_code == 200
    assert "Frühwarnung" in page.text and "Sachsen" in page.text
    assert "<dd>bestätigt</dd>" in page.text and "<dd>laufend</dd>" in page.text
    assert "STIX-Objekt im Original" in page.text and "Anzahl: 1," in page.text
    assert SCRIPT not in page.text
    assert console.get("/console/reports/incident--nothing-here").status_code == 404


def test_triage_and_notes_through_the_forms(console, reported, db):
    first, _ = reported
    path = f"/console/reports/{first}"
    answer = console.post(f"{path}/triage", {"state": "in-progress", "assignee": "bert"},
                          form_page=path)
    assert answer.status_code == 302
    answer = console.post(f"{path}/notes", {"note": f"Rückruf {SCRIPT}"}, form_page=path)
    assert answer.status_code == 302
    page = console.get(path).text
    assert "in Bearbeitung" in page and "Rückruf &lt;script&gt;" in page
    listed = console.get("/console/reports?triage=in-progress").text
    assert first in listed and "(bert)" in listed


def test_bad_form_input_marks_the_field_and_changes_nothing(console, reported, db):
    first, _ = reported
    path = f"/console/reports/{first}"
    empty = console.post(f"{path}/notes", {"note": "  "}, form_page=path)
    assert empty.status_code == 400 and 'id="note-error"' in empty.text
    unknown = console.post(f"{path}/triage", {"state": "done", "assignee": "mallory"},
                           form_page=path)
    assert unknown.status_code == 400 and 'id="assignee-error"' in unknown.text
    without_token = console.client.post(f"{path}/notes", data={"note": "ohne Token"})
    assert without_token.status_code == 400
    with db.session() as session:
        row = inbox.get(session, first)
    assert row["triage"] == "new" and row["notes"] == []


def test_a_town_cannot_read_the_inbox(reported, make_town, app):
    from hub.console.conftest import Console

    town = make_town("dessau", "ST")
    visitor = Console(app)
    visitor.login(town.enrollment["username"], town.enrollment["password"])
    assert visitor.get("/console/reports").status_code == 302


def test_each_version_shows_its_signature_and_verifies_it_on_request(console, reported):
    first = reported[0]
    page = console.get(f"/console/reports/{first}").text
    assert "signiert" in page and "Signaturen jetzt prüfen" in page
    assert "gültig: deckt die gespeicherte Fassung" not in page  # only when asked
    checked = console.get(f"/console/reports/{first}?verify=1").text
    assert "gültig: deckt die gespeicherte Fassung" in checked


def test_a_value_a_feed_lists_is_marked_on_the_report(console, reported, run_feed, httpserver):
    first, second = reported
    httpserver.expect_request("/c2.csv").respond_with_data(
        '"2026-11-01 10:00:00","login-aue.example","Emotet"\n')
    run_feed(make_feed(format="csv", title="Feodo Tracker", url=httpserver.url_for("/c2.csv"),
                       csv={"columns": ["seen", "host", "malware"], "value": "host",
                            "kind": "domain", "name": "{malware} C2 laut Feodo Tracker"}))
    marked = console.get(f"/console/reports/{first}")
    assert "Bekannt aus Feeds" in marked.text
    assert "Emotet C2 laut Feodo Tracker" in marked.text
    assert "Keiner der Werte steht in einem Feed." in console.get(
        f"/console/reports/{second}").text

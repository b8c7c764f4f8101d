"""Kampagnen in the console: the list, a campaign explained with its pictures and tables, and
the analyst's verdict through the form; a dismissed campaign is not raised again by the same
evidence, but is by new evidence."""

from __future__ import annotations

import json

import pytest
from conftest import post_objects
from sqlalchemy import select

from cyberhub.hub.storage.models import AuditEntry, CampaignRecord
from hub.advisories.conftest import CAMPAIGN_DOMAIN, campaign, campaign_report  # noqa: F401
from hub.feeds.conftest import make_feed


@pytest.fixture
def judged(campaign, person, console):  # noqa: F811 - the fixture imported above
    person("anna")
    console.login("anna")
    return campaign


def _record(db, campaign_id):
    with db.session() as session:
        return session.get(CampaignRecord, campaign_id)


def test_the_list_and_the_page_explain_the_campaign_in_german(console, judged):
    campaign_id, towns, outside = judged
    listing = console.get("/console/campaigns")
    assert listing.status_code == 200 and "<h1>Kampagnen</h1>" in listing.text
    assert campaign_id in listing.text and "Sachsen" in listing.text
    assert "noch nicht bewertet" in listing.text
    page = console.get(f"/console/campaigns/{campaign_id}")
    assert page.status_code == 200
    assert "Kampagne über 3 Kommunen" in page.text
    # Names for analysts, with the pseudonym other towns see.
    for town in towns:
        assert town.identity_object["name"] in page.text
    assert "Town A" in page.text and outside.identity_object["name"] not in page.text
    # The pictures are server-drawn SVG with a title, and the tables carry the same facts.
    assert page.text.count("<svg role=\"img\"") == 2
    assert CAMPAIGN_DOMAIN in page.text and "Datei-Hash" in page.text
    assert "<script>" not in page.text.split("<main", 1)[1].split("</main>")[0]


def test_a_bad_list_choice_or_position_marks_the_field(console, judged):
    assert console.get("/console/campaigns?view=secret").status_code == 400
    answer = console.get("/console/campaigns?after=1.x")
    assert answer.status_code == 400 and 'id="after-error"' in answer.text
    missing = console.get("/console/campaigns/campaign--nope")
    assert missing.status_code == 404 and "Diese Seite gibt es nicht" in missing.text
    assert missing.headers["Content-Type"].startswith("text/html")


def test_dismissing_needs_a_reason_and_changes_nothing_without_one(console, judged, db):
    campaign_id = judged[0]
    path = f"/console/campaigns/{campaign_id}/verdict"
    refused = console.post(path, {"verdict": "dismissed", "note": " "},
                           form_page=f"/console/campaigns/{campaign_id}")
    assert refused.status_code == 400 and 'id="note-error"' in refused.text
    assert "Bitte begründen Sie das Verwerfen" in refused.text
    bad = console.post(path, {"verdict": "maybe"}, form_page=f"/console/campaigns/{campaign_id}")
    assert bad.status_code == 400 and 'id="verdict-error"' in bad.text
    assert _record(db, campaign_id).verdict is None


def test_a_confirmed_campaign_shows_who_confirmed_it(console, judged, db):
    campaign_id = judged[0]
    done = console.post(f"/console/campaigns/{campaign_id}/verdict",
                        {"verdict": "confirmed", "note": "<b>echt</b>"},
                        form_page=f"/console/campaigns/{campaign_id}")
    assert done.status_code == 302
    record = _record(db, campaign_id)
    assert (record.verdict, record.verdict_by) == ("confirmed", "anna")
    page = console.get(f"/console/campaigns/{campaign_id}").text
    assert "bestätigt" in page and "&lt;b&gt;echt&lt;/b&gt;" in page
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action ==
                                                        "campaign.confirmed"))
    assert entry.actor == "anna" and entry.subject == campaign_id


def test_a_dismissed_campaign_stays_quiet_until_new_evidence_comes(
        console, judged, db, client, collection_ids, make_town):
    campaign_id = judged[0]
    assert console.post(f"/console/campaigns/{campaign_id}/verdict",
                        {"verdict": "dismissed", "note": "Testmails des Landesamts"},
                        form_page=f"/console/campaigns/{campaign_id}").status_code == 302
    # Off the Lagebild and the open list; no advisory can be drafted from it.
    assert campaign_id not in console.get("/console/").text
    assert campaign_id not in console.get("/console/campaigns").text
    assert campaign_id in console.get("/console/campaigns?view=dismissed").text
    drafted = console.post("/console/advisories/new", {"campaign": campaign_id},
                           form_page=f"/console/campaigns/{campaign_id}")
    assert drafted.status_code == 400 and "verworfen" in drafted.text

    # A fourth town with the same evidence: more of the same, still dismissed.
    fourth = make_town("dahn", "RP")
    assert post_objects(client, fourth.headers, collection_ids["reports"],
                        fourth.sign(campaign_report(fourth, 4))).status_code == 202
    record = _record(db, campaign_id)
    assert record.verdict == "dismissed" and record.towns == 3
    # A fifth town that shares the campaign's file and brings a new domain: raised again.
    fifth = make_town("eisenach", "TH")
    report = campaign_report(fifth, 5)
    second = make_town("freital", "SN")
    other = campaign_report(second, 6)
    for town, objects in ((fifth, report), (second, other)):
        objects[2]["pattern"] = objects[2]["pattern"].replace(CAMPAIGN_DOMAIN,
                                                              "neu-rechnung.example")
        assert post_objects(client, town.headers, collection_ids["reports"],
                            town.sign(objects)).status_code == 202
    record = _record(db, campaign_id)
    assert record.verdict is None and record.state == "active"
    keys = {e["key"] for e in json.loads(record.explanation)["evidence"]}
    assert "domain:neu-rechnung.example" in keys
    with db.session() as session:
        raised = session.scalar(select(AuditEntry).where(
            AuditEntry.action == "campaign.raised-again"))
    assert raised is not None and "anna" in raised.detail


def test_evidence_a_feed_lists_is_cited_on_the_page(console, judged, run_feed, httpserver):
    campaign_id, _, _ = judged
    httpserver.expect_request("/liste.txt").respond_with_data(f"{CAMPAIGN_DOMAIN}\n")
    run_feed(make_feed(title="Phishing-Liste <b>Land</b>",
                       url=httpserver.url_for("/liste.txt")))
    page = console.get(f"/console/campaigns/{campaign_id}")
    assert (f"In Feeds: {CAMPAIGN_DOMAIN} (Phishing-Liste &lt;b&gt;Land&lt;/b&gt;)"
            in page.text)

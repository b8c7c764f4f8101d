"""Feed context: a report or a campaign whose values a feed lists says so, with the feed and
its entry - even a report only one town made - and the campaign's explanation cites it."""

from __future__ import annotations

import json

from sqlalchemy import select

from cyberhub.cli import main
from cyberhub.core import timestamps
from cyberhub.hub.correlation import context, report
from cyberhub.hub.storage.models import CampaignRecord, TownReport
from hub.advisories.conftest import CAMPAIGN_DOMAIN, campaign, campaign_report  # noqa: F401
from hub.feeds.conftest import make_feed, stored

LISTED = f"{CAMPAIGN_DOMAIN}\nanderes.example\n".encode()


def _listing(httpserver, run_feed, **changes):
    httpserver.expect_request("/phish.txt").respond_with_data(LISTED)
    feed = make_feed(name="phish-list", title="Phishing-Liste des Landes-CERT",
                     url=httpserver.url_for("/phish.txt"), **changes)
    assert run_feed(feed).added == 2
    return feed


def test_a_campaign_cites_the_feed_that_lists_its_evidence(db, campaign, run_feed,  # noqa: F811
                                                           httpserver, runner):
    campaign_id, _, _ = campaign
    _listing(httpserver, run_feed)

    with db.session() as session:
        detail = report.detail(session, campaign_id)
    domain = next(item for item in detail["explanation"]["evidence"]
                  if item["key"] == f"domain:{CAMPAIGN_DOMAIN}")
    assert domain["feeds"] == [f"{CAMPAIGN_DOMAIN} (Phishing-Liste des Landes-CERT)"]
    shown = runner.invoke(main, ["campaigns", "show", campaign_id])
    assert f"listed: {CAMPAIGN_DOMAIN} (Phishing-Liste des Landes-CERT)" in shown.output


def test_a_report_of_one_town_is_marked_with_the_feed_entry(db, campaign, run_feed,  # noqa: F811
                                                            httpserver):
    _listing(httpserver, run_feed)
    with db.session() as session:
        lonely = session.scalar(select(TownReport.incident_id)
                                .where(TownReport.name == "Phishing 9"))
        hits = context.for_incidents(session, [lonely])
    assert [(hit["kind"], hit["value"], hit["feeds"]) for hit in hits] == [
        ("domain", "anderes.example", ["anderes.example (Phishing-Liste des Landes-CERT)"])]


def test_an_expired_entry_is_no_longer_cited(db, campaign, run_feed, httpserver):  # noqa: F811
    feed = _listing(httpserver, run_feed)
    httpserver.clear()
    httpserver.expect_request("/phish.txt").respond_with_data(b"anderes.example\n")
    assert run_feed(feed, now=timestamps.now_us() + 1_000_000).expired == 1
    with db.session() as session:
        hits = context.feed_hits(session, [f"domain:{CAMPAIGN_DOMAIN}", "domain:anderes.example"])
        everything = context.feed_hits(session, [f"domain:{CAMPAIGN_DOMAIN}"],
                                       include_expired=True)
    assert list(hits) == ["domain:anderes.example"]
    assert everything[f"domain:{CAMPAIGN_DOMAIN}"][0]["state"] == "expired"


def test_the_campaign_written_after_the_feed_carries_the_citation_in_its_stix(
        db, hub, run_feed, httpserver, client, collection_ids, make_town):
    from conftest import post_objects
    _listing(httpserver, run_feed)
    for n, (slug, land) in enumerate((("aue", "SN"), ("brilon", "NW"), ("celle", "NI"))):
        town = make_town(slug, land)
        post_objects(client, town.headers, collection_ids["reports"],
                     town.sign(campaign_report(town, n)))
    with db.session() as session:
        record = session.scalar(select(CampaignRecord).where(CampaignRecord.state == "active"))
        explained = json.loads(record.explanation)
    assert any(item["feeds"] for item in explained["evidence"])
    published = next(o for o in stored(db, "campaigns") if o["id"] == record.id)
    assert f"{CAMPAIGN_DOMAIN} (Phishing-Liste des Landes-CERT)" in published["description"]

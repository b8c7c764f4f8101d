"""The Lagebild's figures from real reports, campaigns, advisories and receipts; and the
console page that shows them, with stored text shown as text, never run."""

from __future__ import annotations

import re

from cyberhub.core import timestamps
from cyberhub.hub import situation
from cyberhub.hub.advisories import document, drafting, lifecycle
from hub.advisories.conftest import campaign, people  # noqa: F401 - fixtures
from hub.advisories.test_lifecycle import GREEN_DOCUMENT
from hub.console.conftest import Console

SCRIPT = "<script>alert('x')</script>"


def _step(db, people, step, name, *args, **kwargs):  # noqa: F811
    with db.writing() as session:
        return getattr(lifecycle, step)(session, people(session, name), *args,
                                        now=timestamps.now_us(), **kwargs)


def test_the_overview_counts_what_needs_an_analyst(client, db, people, campaign,  # noqa: F811
                                                  signer, app):
    campaign_id, towns, outside = campaign
    with db.session() as session:
        view = situation.overview(session)
    assert view["campaign_count"] == 1 and view["largest_campaign"] == 3
    assert view["towns"] == 4 and view["waiting_count"] == 0
    assert view["unacknowledged_count"] == 0

    # A draft with a hostile title waits for a second analyst.
    hostile = document.parse({**GREEN_DOCUMENT, "title": {"de": SCRIPT, "en": SCRIPT}})
    _step(db, people, "draft", "anna", hostile)
    # An AMBER advisory from the campaign, published: its three towns have not acknowledged.
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    drafted = _step(db, people, "draft", "anna", proposal)
    _step(db, people, "approve", "bert", drafted["id"])
    _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    with db.session() as session:
        view = situation.overview(session)
    assert view["waiting_count"] == 1 and view["waiting"][0]["title"] == SCRIPT
    assert view["unacknowledged_count"] == 3
    assert {row["slug"] for row in view["unacknowledged"]} == {t.slug for t in towns}

    # One town acknowledges the published version.
    with db.session() as session:
        version = lifecycle.show(session, drafted["id"])["published_version"]
    answer = client.post("/nodes/receipts", headers=towns[0].headers, json={
        "id": drafted["id"], "version": version, "state": "applied"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    with db.session() as session:
        view = situation.overview(session)
    assert view["unacknowledged_count"] == 2
    assert towns[0].slug not in {row["slug"] for row in view["unacknowledged"]}

    # The page: German figures and names, the hostile title as text.
    console = Console(app)
    console.login("anna")
    page = console.get("/console/").text
    assert campaign_id in page
    assert "Nordrhein-Westfalen" in page and "Niedersachsen" in page  # brilon and celle
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert re.search(r"<td>\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}</td>", page)  # German dates


def test_reports_by_land_and_type_and_the_reporting_clocks(client, db, make_town,
                                                           collection_ids):
    from hub.test_inbox import send, town_report

    aue, brilon = make_town("aue", "SN"), make_town("brilon", "NW")
    reports = collection_ids["reports"]
    warned = send(client, aue, reports, town_report(aue, stage="early-warning"))
    notified = send(client, brilon, reports, town_report(
        brilon, stage="notification", types=("ransomware",)))
    send(client, brilon, reports, town_report(brilon, stage="final"))
    now = timestamps.now_us()
    hour = situation.HOUR_US
    with db.session() as session:
        day = situation.reported(session, "24h", now=now)
        assert day["total"] == 3 and dict(day["by_land"]) == {"SN": 1, "NW": 2}
        assert dict(day["by_type"]) == {"phishing": 2, "ransomware": 1}
        assert situation.reported(session, "24h", now=now + 25 * hour)["total"] == 0
        assert situation.reported(session, "7d", now=now + 25 * hour)["total"] == 3

        # Within 72 hours nothing is overdue; after them the early warning lacks its
        # notification; a month after the notification its final report is missing.
        assert situation.reporting_clocks(session, now=now + 71 * hour)[1] == 0
        rows, count = situation.reporting_clocks(session, now=now + 73 * hour)
        assert count == 1 and rows[0]["incident_id"] == warned
        assert rows[0]["missing"] == "notification"
        rows, count = situation.reporting_clocks(session, now=now + 31 * 24 * hour)
        assert count == 2 and {r["incident_id"]: r["missing"] for r in rows} == {
            warned: "notification", notified: "final"}

        # Both agents spoke just now: none silent today, both after a day.
        assert situation.silent_agents(session, now=now)[1] == 0
        silent, count = situation.silent_agents(session, now=now + 25 * hour)
        assert count == 2 and {s["slug"] for s in silent} == {"aue", "brilon"}


def test_the_lagebild_page_offers_the_periods_and_refuses_others(app, db, people):  # noqa: F811
    console = Console(app)
    console.login("anna")
    page = console.get("/console/?window=7d")
    assert page.status_code == 200 and "letzte 7 Tage" in page.text
    assert "Meldefristen überschritten" in page.text and "Verstummte Agenten" in page.text
    assert console.get("/console/?window=1y").status_code == 400


def test_feeds_that_fail_or_stopped_are_named_and_a_feed_just_switched_on_is_not(
        db, initialised, run_feed, httpserver, tmp_path):
    from cyberhub.hub.feeds import definitions, registry

    directory = tmp_path / "feeds"
    directory.mkdir()
    httpserver.expect_request("/list.txt").respond_with_data("91.92.240.11\n")
    (directory / "liste.toml").write_text(
        f'name = "liste"\ntitle = "Liste"\nformat = "text"\nenabled = true\nevery = "6h"\n'
        f'url = "{httpserver.url_for("/list.txt")}"\n', encoding="utf-8")
    feed = definitions.load_file(directory / "liste.toml")
    hour = situation.HOUR_US
    now = timestamps.now_us()
    assert not run_feed(feed, now=now).failed
    with db.session() as session:
        assert situation.feeds(session, directory, now=now + hour) == {
            "on": 1, "troubled": [], "problems": []}
        # Two intervals without a run are the scheduler's leeway; three are a stopped feed.
        assert situation.feeds(session, directory, now=now + 12 * hour)["troubled"] == []
        [late] = situation.feeds(session, directory, now=now + 19 * hour)["troubled"]
    assert late["feed"] == "liste" and late["overdue"] and late["error"] is None
    # Switched off and on again, long after: it is due at once and given its interval.
    later = now + 40 * hour
    with db.writing() as session:
        registry.set_enabled(session, directory, "liste", False, actor="cli", now=later)
        assert situation.feeds(session, directory, now=later)["on"] == 0
        registry.set_enabled(session, directory, "liste", True, actor="cli", now=later)
    with db.session() as session:
        assert situation.feeds(session, directory, now=later + hour)["troubled"] == []
    # A failing run is named at once, with the first line of its error.
    httpserver.clear()
    httpserver.expect_request("/list.txt").respond_with_data("nein", status=500)
    assert run_feed(feed, now=later + hour).failed
    with db.session() as session:
        [failing] = situation.feeds(session, directory, now=later + hour)["troubled"]
    assert failing["failures"] == 1 and "500" in failing["error"]
    assert failing["error"].endswith("HTTP 500")  # its error, in one line

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

"""The federal hub's console with what the Land hubs forward: their towns, pseudonymous or
named, their reports with the town's signature checked again, and the campaign across
Länder - every page answers."""

from __future__ import annotations

from conftest import PASSWORD
from sqlalchemy import select

from cyberhub.core import timestamps
from cyberhub.hub import accounts
from cyberhub.hub.correlation import report as campaigns
from cyberhub.hub.storage.models import Node
from hub.console.conftest import Console
from hub.federation.conftest import report
from hub.federation.test_forwarding import send


def test_every_page_shows_the_forwarded_towns_and_reports(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    towns = [make_town(slug) for slug in ("aue", "borna", "colditz")]
    send(land, towns[0], report(towns[0], level="green"))
    for town in towns[1:]:
        send(land, town, report(town, level="amber"))
    land.hub.forwarder.run("bund")
    with federal.hub.db.writing() as session:
        accounts.create_account(session, "lena", PASSWORD, now=timestamps.now_us(),
                                role="analyst")
        relayed = session.scalars(select(Node).where(Node.relayed_by.is_not(None))).all()
        (found,) = campaigns.summaries(session)
    console = Console(federal.app)
    assert console.login("lena").status_code in (200, 302)

    towns_page = console.get("/console/towns").text
    assert "Stadt Aue" in towns_page and "Kommune in Sachsen" in towns_page
    for node in relayed:
        assert console.get(f"/console/towns/{node.slug}").status_code == 200
    incident = report(towns[0], level="green")[2]["id"]
    detail = console.get(f"/console/reports/{incident}?verify=1")
    assert detail.status_code == 200 and "Stadt Aue" in detail.text
    # The town's own signature, checked again at the federal hub with the attested key.
    assert "gültig: deckt die gespeicherte Fassung" in detail.text
    for path in ("/console/", "/console/reports", "/console/campaigns",
                 f"/console/campaigns/{found['id']}", "/console/audit"):
        assert console.get(path).status_code == 200, path

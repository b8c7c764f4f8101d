"""The console's main flow in a real browser, with a real hub and real agent processes.

Three towns' agents report one phishing wave; two analysts and a coordinator, each in their own
browser context (the coordinator with the second factor), take the campaign to a published
advisory: the draft, the author's refused self-approval, the second analyst's approval, the
publication; the agents acknowledge, and the coordinator's page shows it without a reload.
Then the refusals a browser meets: a town's account, a form without its CSRF token, the lockout.
Every page on the way is checked with axe-core and photographed."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pyotp
from agent.conftest import PERSON_PASSWORD, hub_process, make_agent  # noqa: F401

from cyberhub.demo.walkthrough import Town, incident_text
from hub.console.test_browser import FLAGS, _accessible, browser  # noqa: F401

POLL = 2
TOWNS = [Town(slug, f"Stadt {slug.title()}", land, True, False) for slug, land in (
    ("annaberg", "SN"), ("calw", "BW"), ("detmold", "NW"))]


def _sign_in(context, base: str, name: str, seed: list[str] | None = None):
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("#username", name)
    page.fill("#password", PERSON_PASSWORD)
    page.click("button[type=submit] >> text=Anmelden")
    if seed is not None:  # a coordinator: enrol the second factor from the page
        page.wait_for_url("**/console/second-factor")
        seed.append(page.locator("#totp-seed").inner_text())
        page.fill("#code", pyotp.TOTP(seed[0]).now())
        page.click("button[type=submit] >> text=Bestätigen")
    page.wait_for_url("**/console/")
    return page


def _credentials(agent) -> tuple[str, str]:
    with sqlite3.connect(agent.home / "agent.db") as conn:
        rows = dict(conn.execute("SELECT key, value FROM settings WHERE key IN "
                                 "('username', 'password')").fetchall())
    return json.loads(rows["username"]), json.loads(rows["password"])


def test_two_analysts_and_a_coordinator_take_a_wave_to_the_towns(
        browser, hub_process, make_agent, tmp_path):  # noqa: F811
    for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator")):
        hub_process.cli("accounts", "add", name, "--role", role, "--password-stdin",
                        input=PERSON_PASSWORD + "\n")
    agents = []
    detected = datetime.now(timezone.utc) - timedelta(hours=6)
    for number, town in enumerate(TOWNS):
        agent = make_agent(town.slug, town.land, poll_interval=POLL)
        agent.start()
        agents.append(agent)
        path = tmp_path / f"{town.slug}.yaml"
        path.write_text(incident_text(town, number, detected + timedelta(hours=number)))
        assert agent.json("report", str(path))["state"] == "delivered"
    base = hub_process.base_url.rstrip("/")
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}, locale="de-DE")
                for _ in range(3)]
    try:
        anna = _sign_in(contexts[0], base, "anna")
        bert = _sign_in(contexts[1], base, "bert")
        carla = _sign_in(contexts[2], base, "carla", seed=[])
        _accessible(anna, "10-lagebild-mit-kampagne")

        # The campaign from the agents' reports, and the draft from it.
        anna.get_by_role("link", name="Kampagnen").click()
        anna.wait_for_url("**/console/campaigns")
        assert anna.locator("tbody tr").count() == 1
        _accessible(anna, "11-kampagnen")
        anna.locator("tbody tr a").first.click()
        anna.wait_for_url("**/console/campaigns/campaign--*")
        assert "Kampagne über 3 Kommunen" in anna.locator("h1").inner_text()
        _accessible(anna, "12-kampagne")
        anna.get_by_role("button", name="Bestätigen").click()
        anna.wait_for_load_state()
        assert "bestätigt" in anna.locator("dl.facts").inner_text()
        anna.get_by_role("button", name="Warnung entwerfen").click()
        anna.wait_for_url(re.compile(r".*/console/advisories/report--[0-9a-f-]+$"))
        advisory_url = anna.url
        assert "Entwurf" in anna.locator("dl.facts").inner_text()
        _accessible(anna, "13-warnung-entwurf")

        # The author's own approval is refused where she can see it.
        anna.get_by_role("button", name="Freigeben").click()
        assert "Freigabe abgelehnt" in anna.get_by_role("alert").inner_text()
        _accessible(anna, "14-freigabe-abgelehnt")

        bert.goto(advisory_url)
        bert.get_by_role("button", name="Freigeben").click()
        bert.wait_for_url(advisory_url)
        assert "freigegeben" in bert.locator("dl.facts").inner_text()

        carla.goto(advisory_url)
        carla.get_by_role("button", name="Veröffentlichen").click()
        carla.wait_for_url(advisory_url)
        assert "veröffentlicht" in carla.locator("dl.facts").inner_text()
        # The agents acknowledge; the page updates itself (no reload: the marker survives).
        carla.evaluate("window.stillTheSamePage = true")
        carla.locator("#delivery").get_by_text(
            "3 von 3 adressierten Kommunen haben bestätigt").wait_for(timeout=30_000)
        assert carla.evaluate("window.stillTheSamePage") is True
        assert carla.locator("#delivery tbody tr").count() == 3
        assert carla.locator("#delivery").get_by_text("angewendet").count() == 3
        _accessible(carla, "15-warnung-zugestellt")
        carla.select_option("#preview-town", "annaberg")
        carla.get_by_role("button", name="Vorschau zeigen").click()
        assert "erhält diese Fassung" in carla.locator("#preview").inner_text()
        carla.get_by_role("link", name="Warnungen").click()
        _accessible(carla, "16-warnungen")
        carla.get_by_role("link", name="Neue Warnung entwerfen").click()
        carla.get_by_role("button", name="Speichern").click()
        assert carla.locator("#title_de").get_attribute("aria-invalid") == "true"
        _accessible(carla, "17-warnung-formular-fehler")

        # A town's account is refused at the console.
        town_user, town_password = _credentials(agents[0])
        stranger = contexts[0].browser.new_context(locale="de-DE").new_page()
        stranger.goto(f"{base}/console/login")
        stranger.fill("#username", town_user)
        stranger.fill("#password", town_password)
        stranger.click("button[type=submit] >> text=Anmelden")
        assert "/console/login" in stranger.url
        assert stranger.get_by_role("alert").count() == 1
        # A form posted without its CSRF token is refused and changes nothing.
        refused = bert.request.post(f"{advisory_url}/approve", form={})
        assert refused.status == 400
        assert "Sicherheitsmerkmal" in refused.text() or "CSRF" in refused.text()
        # Ten wrong passwords lock the account; the eleventh attempt is told so.
        for _ in range(11):
            stranger.fill("#username", "bert")
            stranger.fill("#password", "falsch")
            stranger.click("button[type=submit] >> text=Anmelden")
        assert "Zu viele Fehlversuche" in stranger.get_by_role("alert").inner_text()
        stranger.context.close()
        log = hub_process.cli("audit", "--limit", "200")
        actions = {entry["action"] for entry in log}
        assert {"console.login-refused", "login.account-locked", "advisory.approve-refused",
                "advisory.publish", "campaign.confirmed"} <= actions, actions
    finally:
        for context in contexts:
            context.close()

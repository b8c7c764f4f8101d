"""The console in a real browser: Debian's Chromium driven by Playwright against a real
`cyberhub serve` on loopback. Sign-in by keyboard alone, the second factor enrolled from what
the page shows, the language switch; every page checked with axe-core (WCAG 2.1 AA: no
serious or critical violation) and photographed at 1366x768 into `screenshots/`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
import requests
from conftest import PASSWORD, REPO, TAXII, Town, settings_for
from hubprocess import RunningHub

from cyberhub.hub.storage.database import Database
from hub.test_inbox import town_report

CHROMIUM = os.environ.get("CYBERHUB_CHROMIUM") or shutil.which("chromium")
SHOTS = Path(os.environ.get("CYBERHUB_SCREENSHOTS", REPO / "screenshots"))
# Without the background-networking flags Chromium keeps trying hosts this machine cannot
# reach; --no-sandbox because CI runs as root.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true requires Chromium (Debian package chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=FLAGS)
        yield launched
        launched.close()


class _Http:
    """What `conftest.Town` needs of a client, over real HTTP to the running hub."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, json: dict):
        answer = requests.post(self.base + path, json=json, timeout=30)
        answer.get_data = lambda as_text=False: answer.text
        answer.get_json = answer.json
        return answer


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("console-hub"), "console")
    running = RunningHub(settings, 1)
    for name, role in (("anna", "analyst"), ("carla", "coordinator")):
        subprocess.run([sys.executable, "-m", "cyberhub", "accounts", "add", name, "--role",
                        role, "--password-stdin"], input=PASSWORD + "\n", env=running.env,
                       check=True, capture_output=True, text=True)
    # A town reports, so that the inbox and a report's page have something to show.
    db = Database(settings.effective_database_url)
    town = Town(_Http(running.url.replace("/taxii2/", "")), db, "aue", "SN")
    db.dispose()
    reports = running.collection("reports").id
    answer = requests.post(f"{running.url}hub/collections/{reports}/objects/", timeout=30,
                           json={"objects": town.sign(town_report(town, description=(
                               "Rechnungs-Mails mit Anhang an die Kämmerei")))},
                           headers={**town.headers, "Content-Type": TAXII})
    assert answer.status_code == 202, answer.text
    yield running
    running.stop()


@pytest.fixture
def page(browser, hub):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="de-DE",
                                  base_url=hub.url.replace("/taxii2/", ""))
    opened = context.new_page()
    yield opened
    context.close()


def _accessible(page, name: str) -> None:
    """No serious or critical WCAG 2.1 AA violation on the page as shown; a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
             for v in result.response["violations"]
             if v["impact"] in ("serious", "critical")]
    assert found == [], f"{name}: {found}"


def test_an_analyst_signs_in_by_keyboard_alone(page):
    page.goto("/console/")
    assert page.url.endswith("/console/login")
    _accessible(page, "01-anmeldung")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.focus("#username")
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/")
    assert page.locator("h1").inner_text() == "Lagebild"
    assert "Angemeldet als anna (Analyst/in)" in page.content()
    _accessible(page, "02-lagebild")
    page.get_by_role("link", name="Meldungen").press("Enter")
    page.wait_for_url("**/console/reports")
    _accessible(page, "06-meldungen")
    page.get_by_role("link", name="Phishing").press("Enter")
    page.wait_for_url("**/console/reports/incident--*")
    _accessible(page, "07-meldung")
    page.get_by_role("button", name="Abmelden").press("Enter")
    page.wait_for_url("**/console/login")


def test_a_wrong_password_is_announced(page):
    page.goto("/console/login")
    page.fill("#username", "anna")
    page.fill("#password", "falsch")
    page.click("button[type=submit] >> text=Anmelden")
    alert = page.get_by_role("alert")
    assert "Passwort ist falsch" in alert.inner_text()
    _accessible(page, "03-anmeldung-fehler")


def test_a_coordinator_enrols_the_second_factor_from_the_page(page):
    page.goto("/console/login")
    page.fill("#username", "carla")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=Anmelden")
    page.wait_for_url("**/console/second-factor")
    assert page.locator(".qr svg").count() == 1
    _accessible(page, "04-zweiter-faktor")
    seed = page.locator("#totp-seed").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", seed)
    page.fill("#code", pyotp.TOTP(seed).now())
    page.click("button[type=submit] >> text=Bestätigen")
    page.wait_for_url("**/console/")
    assert "Koordinator/in" in page.content()


def test_the_language_switch_turns_the_console_english(page):
    page.goto("/console/login")
    page.select_option("#lang-choice", "en")
    page.click("text=Wechseln")
    page.wait_for_url("**/console/login")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"
    _accessible(page, "05-sign-in-english")

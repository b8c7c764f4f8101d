"""Who gets into the console, and how: passwords limited in the database, towns refused,
a second factor for coordinators and admins, sessions that really end, CSRF on every form."""

from __future__ import annotations

import time

import pyotp
from conftest import PASSWORD
from sqlalchemy import func, select, update

from cyberhub.core import timestamps
from cyberhub.hub import audit
from cyberhub.hub.console import sessions
from cyberhub.hub.services import housekeeping
from cyberhub.hub.storage.models import Account, ConsoleSession
from hub.console.conftest import Console


def _actions(db, subject: str) -> list[str]:
    with db.session() as session:
        return [e["action"] for e in audit.entries(session, subject)]


def test_without_a_session_every_page_leads_to_the_login(console):
    answer = console.get("/console/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/login"
    login = console.get("/console/login")
    assert login.status_code == 200 and 'lang="de"' in login.text and "Anmeldung" in login.text


def test_an_analyst_signs_in_with_a_password_and_sees_the_overview(console, person, db):
    person("anna")
    answer = console.login("anna")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"
    overview = console.get("/console/")
    assert overview.status_code == 200 and "<h1>Lagebild</h1>" in overview.text
    assert "Angemeldet als anna (Analyst/in)" in overview.text
    assert _actions(db, "anna")[-1] == "console.login"


def test_a_wrong_password_is_refused_in_german_and_audited(console, person, db):
    person("anna")
    answer = console.login("anna", "falsch")
    assert answer.status_code == 401 and "Passwort ist falsch" in answer.text
    assert console.get("/console/").status_code == 302
    assert _actions(db, "anna") == ["console.login-failed"]


def test_a_hostile_username_is_refused_and_audited_without_its_text(console, db):
    answer = console.login("\x00anna<script>" + "x" * 300, "falsch")
    assert answer.status_code == 401
    with db.session() as session:
        entries = audit.entries(session)
    assert entries[-1]["action"] == "console.login-failed" and entries[-1]["actor"] == "-"


def test_a_towns_node_account_is_refused(console, make_town, db):
    town = make_town("aue")
    username = town.enrollment["username"]
    answer = console.login(username, town.enrollment["password"])
    assert answer.status_code == 403 and "keinen Zugang zur Konsole" in answer.text
    assert console.get("/console/").status_code == 302
    assert _actions(db, username) == ["console.login-refused"]


def test_an_account_without_a_role_is_refused(console, make_account):
    make_account("feedreader", read=["indicators"])
    assert console.login("feedreader").status_code == 403


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(console, person, db):
    person("anna")
    answer = console.client.post("/console/login",
                                 data={"username": "anna", "password": PASSWORD})
    assert answer.status_code == 400 and "Sicherheitsmerkmal" in answer.text
    assert _actions(db, "anna") == []
    console.login("anna")
    before = _actions(db, "anna")
    logout = console.client.post("/console/logout", data={})
    assert logout.status_code == 400
    assert console.get("/console/").status_code == 200  # still signed in
    assert _actions(db, "anna") == before


def test_lockout_engages_after_ten_failures_and_is_audited(console, person, db):
    person("anna")
    for _ in range(10):
        assert console.login("anna", "falsch").status_code == 401
    locked = console.login("anna")  # the right password too, while the lock holds
    assert locked.status_code == 429 and "Zu viele Fehlversuche" in locked.text
    assert "login.account-locked" in _actions(db, "anna")
    assert console.get("/console/").status_code == 302


def test_a_coordinator_enrols_a_second_factor_before_any_page(console, person, db, settings):
    person("carla", "coordinator")
    assert console.login("carla").headers["Location"] == "/console/second-factor"
    assert console.get("/console/").headers["Location"] == "/console/second-factor"
    page = console.get("/console/second-factor")
    assert "<svg" in page.text and "QR-Code" in page.text
    wrong = console.post("/console/second-factor", {"code": "000000"})
    assert wrong.status_code == 401 and "Code stimmt nicht" in wrong.text
    assert console.enrol().headers["Location"] == "/console/"
    assert console.get("/console/").status_code == 200
    with db.session() as session:
        sealed = session.scalar(select(Account.totp_sealed).where(Account.username == "carla"))
    assert sealed and console.seed not in sealed  # sealed, not stored as it is
    assert _actions(db, "carla") == ["console.login", "console.second-factor-failed",
                                     "account.second-factor-enrolled",
                                     "console.second-factor"]

    # Next time: the app's code, no new enrolment; a used code is not taken twice, in any
    # session.
    again = Console(console.client.application)
    again.login("carla")
    page = again.get("/console/second-factor")
    assert "<svg" not in page.text
    code = pyotp.TOTP(console.seed).at(time.time() + 30)  # the enrolment used this step's
    assert again.post("/console/second-factor", {"code": code}).status_code == 302
    third = Console(console.client.application)
    third.login("carla")
    assert third.post("/console/second-factor", {"code": code}).status_code == 401
    assert third.post("/console/second-factor", {"code": "12345x"}).status_code == 401
    assert third.get("/console/").headers["Location"] == "/console/second-factor"


def test_logout_ends_the_session_on_the_server(console, person, db):
    person("anna")
    console.login("anna")
    cookie = console.client.get_cookie(sessions.COOKIE, path=sessions.PATH).value
    assert console.post("/console/logout", {}, form_page="/console/").status_code == 302
    assert console.get("/console/").status_code == 302
    # The old value, replayed, opens nothing: the row is gone.
    replay = Console(console.client.application)
    replay.client.set_cookie(sessions.COOKIE, cookie, path=sessions.PATH)
    assert replay.get("/console/").status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession).where(
            ConsoleSession.account_id.is_not(None))) == 0
    assert _actions(db, "anna")[-1] == "console.logout"


def test_a_session_ends_after_idle_time_and_housekeeping_forgets_it(console, person, db,
                                                                     settings):
    person("anna")
    console.login("anna")
    assert console.get("/console/").status_code == 200
    idle = settings.console_idle_minutes * 60_000_000
    with db.writing() as session:
        session.execute(update(ConsoleSession).values(
            last_seen=ConsoleSession.last_seen - idle - 1_000_000))
    swept = housekeeping.sweep(db, now=timestamps.now_us(), status_retention_hours=168,
                               console_idle_minutes=settings.console_idle_minutes)
    assert swept.sessions == 1
    assert console.get("/console/").status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession).where(
            ConsoleSession.account_id.is_not(None))) == 0


def test_a_session_ends_after_its_longest_life(console, person, db, settings):
    person("anna")
    console.login("anna")
    longest = settings.console_session_hours * 3_600_000_000
    with db.writing() as session:
        session.execute(update(ConsoleSession).values(
            created=ConsoleSession.created - longest - 1_000_000))
    assert console.get("/console/").status_code == 302


def test_the_login_issues_a_new_session_value(console, person):
    person("anna")
    console.get("/console/login")
    before = console.client.get_cookie(sessions.COOKIE, path=sessions.PATH).value
    console.login("anna")
    after = console.client.get_cookie(sessions.COOKIE, path=sessions.PATH).value
    assert before != after


def test_every_console_answer_carries_the_security_headers(console, person):
    person("anna")
    console.login("anna")
    for path in ("/console/login", "/console/"):
        headers = console.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        cookie = headers.get("Set-Cookie", "")
        assert not cookie or ("HttpOnly" in cookie and "SameSite=Strict" in cookie)


def test_the_taxii_api_sets_no_cookie_and_needs_no_csrf_token(client, admin, collection_ids):
    answer = client.post(f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/",
                         data='{"objects": []}', headers={
                             **admin, "Content-Type": "application/taxii+json;version=2.1"})
    assert answer.status_code != 400 or answer.get_json()["error_code"] != "csrf"
    assert "Set-Cookie" not in answer.headers


def test_english_on_request(console, person):
    person("anna")
    console.post("/console/language", {"lang": "en", "next": "/console/login"},
                 form_page="/console/login")
    page = console.get("/console/login")
    assert 'lang="en"' in page.text and "Sign in" in page.text
    console.login("anna")
    assert "Signed in as anna (analyst)" in console.get("/console/").text


def test_the_language_switch_sends_nobody_elsewhere(console):
    answer = console.post("/console/language", {"lang": "en", "next": "https://evil.example/"},
                          form_page="/console/login")
    assert answer.headers["Location"] == "/console/"

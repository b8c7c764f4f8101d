"""Konten in the console: admins only; each act changes the database and is audited with the
admin's name; bad input comes back marked and changes nothing; a password or token is shown
once; a token works for TAXII in place of the password until it is revoked."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, basic
from sqlalchemy import func, select

from cyberhub.hub import accounts, audit
from cyberhub.hub.storage.models import Account, ApiToken, AuditEntry
from hub.console.conftest import Console

SCRIPT = "<script>alert('x')</script>"
_SECRET = re.compile(r'<code id="new-secret">([^<]+)</code>')


@pytest.fixture
def admin_console(console, person):
    """root, an admin with the second factor set up, signed in; anna, an analyst; robot, a
    machine client that reads the indicators."""
    person("root", "admin")
    person("anna")
    return console


@pytest.fixture
def root(admin_console, db):
    admin_console.login("root")
    admin_console.enrol()
    with db.writing() as session:
        accounts.create_account(session, "robot", PASSWORD, now=1, read=["indicators"])
    return admin_console


def _row(db, username):
    with db.session() as session:
        return session.scalar(select(Account).where(Account.username == username))


def _actions(db, subject):
    with db.session() as session:
        return [(e["actor"], e["action"]) for e in audit.entries(session, subject)]


def _counts(db):
    with db.session() as session:
        return (session.scalar(select(func.count(Account.id))),
                session.scalar(select(func.count(AuditEntry.id))),
                session.scalar(select(func.count(ApiToken.id))))


def test_an_analyst_is_refused_in_german(admin_console, db):
    admin_console.login("anna")
    page = admin_console.get("/console/accounts")
    assert page.status_code == 403 and "Administratorinnen und Administratoren" in page.text
    assert admin_console.get("/console/accounts/robot").status_code == 403
    before = _counts(db)
    posted = admin_console.post("/console/accounts", {"username": "eve", "role": "admin"},
                                form_page="/console/reports")
    assert posted.status_code == 403 and _counts(db) == before
    assert 'href="/console/accounts"' not in admin_console.get("/console/reports").text


def test_the_list_shows_people_and_machines_in_german_not_towns(root, make_town):
    make_town("aue")
    page = root.get("/console/accounts")
    assert page.status_code == 200 and "<h1>Konten</h1>" in page.text
    assert 'href="/console/accounts"' in page.text  # in the menu
    assert "Analyst/in" in page.text and "Maschinenkonto" in page.text
    assert ">robot</a>" in page.text and "node-aue" not in page.text
    assert root.get("/console/accounts/node-aue").status_code == 404


def test_adding_an_account_shows_its_password_once(root, db, app):
    page = root.post("/console/accounts", {"username": "bert", "role": "coordinator"})
    assert page.status_code == 200 and "Konto bert angelegt" in page.text
    password = _SECRET.search(page.text).group(1)
    assert '/console/accounts/bert">bert</a>' in page.text  # listed in the same answer
    assert _row(db, "bert").role == "coordinator"
    assert _actions(db, "bert") == [("root", "account.created")]
    assert password not in root.get("/console/accounts").text
    assert password not in root.get("/console/accounts/bert").text
    bert = Console(app)
    assert bert.login("bert", password).headers["Location"] == "/console/second-factor"


@pytest.mark.parametrize("username, role, field, reason", [
    ("", "analyst", "username", "1 bis 100 Zeichen"),
    ("x" * 101, "analyst", "username", "1 bis 100 Zeichen"),
    ("a\x00b", "analyst", "username", "1 bis 100 Zeichen"),
    ("anna", "analyst", "username", "gibt es schon"),
    ("hub", "analyst", "username", "reserviert"),
    ("bert", "boss", "role", "angebotenen Rollen"),
    ("bert", "", "role", "angebotenen Rollen"),
])
def test_bad_input_is_marked_and_changes_nothing(root, db, username, role, field, reason):
    before = _counts(db)
    page = root.post("/console/accounts", {"username": username, "role": role})
    assert page.status_code == 400 and reason in page.text
    assert f'aria-describedby="{field}-error"' in page.text
    assert f'id="{field}-error"' in page.text and 'aria-invalid="true"' in page.text
    assert _counts(db) == before


def test_role_disable_enable_resets_and_delete(root, db):
    path = "/console/accounts/anna"
    assert root.post(f"{path}/role", {"role": "coordinator"}, form_page=path).status_code == 302
    assert "Die Rolle von anna wurde geändert" in root.get(path).text
    assert root.post(f"{path}/disable", {}, form_page=path).status_code == 302
    assert _row(db, "anna").role == "coordinator" and _row(db, "anna").disabled
    assert root.post(f"{path}/enable", {}, form_page=path).status_code == 302
    assert not _row(db, "anna").disabled
    page = root.post(f"{path}/password", {}, form_page=path)
    password = _SECRET.search(page.text).group(1)
    with db.session() as session:
        assert accounts.check_password(session, "anna", password)
    assert root.post(f"{path}/second-factor", {}, form_page=path).status_code == 302
    assert root.post(f"{path}/delete", {}, form_page=path).status_code == 302
    assert _row(db, "anna") is None
    assert "anna wurde gelöscht" in root.get("/console/accounts").text
    assert _actions(db, "anna") == [
        ("root", "account.role-changed"), ("root", "account.disabled"),
        ("root", "account.enabled"), ("root", "account.password-reset"),
        ("root", "account.second-factor-reset"), ("root", "account.deleted")]


def test_a_disabled_person_is_out_of_the_console_at_once(root, app):
    anna = Console(app)
    anna.login("anna")
    assert anna.get("/console/reports").status_code == 200
    root.post("/console/accounts/anna/disable", {}, form_page="/console/accounts/anna")
    assert anna.get("/console/reports").status_code == 302


@pytest.mark.parametrize("act, data", [("delete", {}), ("disable", {}),
                                       ("role", {"role": "analyst"}), ("password", {}),
                                       ("second-factor", {})])
def test_the_admin_cannot_act_on_their_own_account(root, db, act, data):
    before = _counts(db)
    page = root.post(f"/console/accounts/root/{act}", data, form_page="/console/accounts/root")
    assert page.status_code == 400 and "mit dem eigenen Konto" in page.text
    assert 'id="username-error"' in page.text
    assert _counts(db) == before and _row(db, "root").role == "admin"


def test_a_person_becomes_a_machine_account_and_back(root, db):
    path = "/console/accounts/anna"
    assert root.post(f"{path}/role", {"role": "none"}, form_page=path).status_code == 302
    assert _row(db, "anna").role is None
    page = root.get(path).text
    assert '<option value="none" selected>Maschinenkonto' in page
    assert root.post(f"{path}/role", {"role": "analyst"}, form_page=path).status_code == 302
    assert _row(db, "anna").role == "analyst"


def test_bad_role_and_unknown_account(root, db):
    page = root.post("/console/accounts/anna/role", {"role": "boss"},
                     form_page="/console/accounts/anna")
    assert page.status_code == 400 and 'id="role-error"' in page.text
    assert _row(db, "anna").role == "analyst"
    assert root.post("/console/accounts/ghost/delete", {},
                     form_page="/console/accounts").status_code == 404


def test_a_token_is_shown_once_and_works_for_taxii_until_revoked(root, db, client):
    by_password = client.get("/taxii2/hub/collections/", headers=basic("robot", PASSWORD))
    page = root.post("/console/accounts/robot/tokens", {"name": f"SIEM {SCRIPT}"},
                     form_page="/console/accounts/robot")
    assert page.status_code == 200
    token = _SECRET.search(page.text).group(1)
    assert token.startswith("chub_") and SCRIPT not in page.text
    assert "/revoke" in page.text  # listed in the same answer
    later = root.get("/console/accounts/robot").text
    assert token not in later and "SIEM &lt;script&gt;" in later
    with db.session() as session:
        assert token not in {row.token_hash for row in session.scalars(select(ApiToken))}
    by_token = client.get("/taxii2/hub/collections/", headers=basic("robot", token))
    assert by_token.status_code == 200 and by_token.get_json() == by_password.get_json()
    listed = client.get("/taxii2/hub/collections/indicators/objects/",
                        headers=basic("robot", token))
    assert listed.status_code == 200
    assert client.get("/taxii2/hub/collections/", headers=basic("anna", token)) \
        .status_code == 401
    token_id = re.search(r'/tokens/(\d+)/revoke', later).group(1)
    assert root.post(f"/console/accounts/robot/tokens/{token_id}/revoke", {},
                     form_page="/console/accounts/robot").status_code == 302
    assert client.get("/taxii2/hub/collections/", headers=basic("robot", token)) \
        .status_code == 401
    assert client.get("/taxii2/hub/collections/", headers=basic("robot", PASSWORD)) \
        .status_code == 200
    assert _actions(db, "robot") == [("root", "account.token-created"),
                                     ("root", "account.token-revoked")]


@pytest.mark.parametrize("name, reason", [("", "1 bis 100 druckbare"),
                                          ("x" * 101, "1 bis 100 druckbare"),
                                          ("a\x00b", "1 bis 100 druckbare")])
def test_a_bad_token_name_is_marked(root, db, name, reason):
    before = _counts(db)
    page = root.post("/console/accounts/robot/tokens", {"name": name},
                     form_page="/console/accounts/robot")
    assert page.status_code == 400 and reason in page.text
    assert 'aria-describedby="name-error"' in page.text and _counts(db) == before


def test_revoking_an_unknown_token_is_refused(root, db):
    page = root.post("/console/accounts/robot/tokens/999/revoke", {},
                     form_page="/console/accounts/robot")
    assert page.status_code == 400 and "gibt es nicht" in page.text


def test_a_post_without_its_csrf_token_is_refused(root, db):
    before = _counts(db)
    answer = root.client.post("/console/accounts", data={"username": "eve", "role": "admin"})
    assert answer.status_code == 400 and _counts(db) == before


def test_every_refusal_has_a_text_in_the_catalog():
    from pathlib import Path

    from cyberhub.core import messages
    from cyberhub.hub import api_tokens

    codes = set()
    for module in (accounts, api_tokens):
        codes |= set(re.findall(r'code="([a-z-]+)"', Path(module.__file__).read_text()))
    assert {"yourself", "last-admin", "town", "token-exists"} <= codes
    for code in codes:
        assert messages.text(f"accounts.error.{code}", "de")
    for code in (*audit.REASONS, "bad-position"):
        assert messages.text(f"audit.error.{code}", "en")

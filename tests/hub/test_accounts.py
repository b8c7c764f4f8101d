"""Password checks cost the same whether the name exists or not; the cache answers only the
right password; API tokens stand in for it until revoked. The administrative acts change the
database, are audited in the same transaction, and refuse what would lock the hub out."""

import hashlib
import json
import subprocess
import sys

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from cyberhub.core import timestamps
from cyberhub.hub import accounts, api_tokens, audit
from cyberhub.hub.accounts import AccountError, CredentialCache, authenticate, check_password
from cyberhub.hub.storage.models import Account, ApiToken, AuditEntry


def _costs(hasher, check):
    before = hasher.verifications
    result = check()
    return result, hasher.verifications - before


def test_an_unknown_name_costs_one_verification_like_a_wrong_password(db, anna, hasher):
    cache = CredentialCache()
    with db.session() as session:
        assert _costs(hasher, lambda: authenticate(session, "ghost", "guess", cache,
                                                   hasher=hasher)) == (None, 1)
        assert _costs(hasher, lambda: authenticate(session, anna, "guess", cache,
                                                   hasher=hasher)) == (None, 1)
        # Not a name any account can have: refused before the database, at no cost.
        assert _costs(hasher, lambda: authenticate(session, "x" * 101, "guess", cache,
                                                   hasher=hasher)) == (None, 0)


def test_the_dummy_hash_is_made_once_with_the_hashers_parameters(hasher):
    assert accounts.dummy_hash(hasher) is accounts.dummy_hash(hasher)
    assert accounts.dummy_hash(hasher).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert accounts.dummy_hash(accounts.HASHER).startswith(
        f"$argon2id$v=19$m={accounts.HASHER.memory_cost},t={accounts.HASHER.time_cost},")


def test_a_hub_process_hashes_with_the_production_cost():
    """The test process hashes cheaply (tests/conftest.py); the hub itself does not."""
    done = subprocess.run([sys.executable, "-c", "from cyberhub.hub import accounts; "
                           "print(accounts.hash_password('correct horse battery'))"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_only_the_right_password_is_answered_from_the_cache(db, anna, hasher):
    cache = CredentialCache()
    with db.session() as session:
        first, cost = _costs(hasher, lambda: authenticate(session, anna, PASSWORD, cache,
                                                          hasher=hasher))
        assert first.username == anna and cost == 1
        again, cost = _costs(hasher, lambda: authenticate(session, anna, PASSWORD, cache,
                                                          hasher=hasher))
        assert again == first and cost == 0
        # A cached account still costs a full verification for any other password.
        assert _costs(hasher, lambda: authenticate(session, anna, PASSWORD + "x", cache,
                                                   hasher=hasher)) == (None, 1)


def test_a_disabled_account_costs_a_verification_even_when_cached(db, anna, hasher):
    cache = CredentialCache()
    with db.session() as session:
        assert authenticate(session, anna, PASSWORD, cache, hasher=hasher) is not None
    with db.writing() as session:
        session.query(Account).filter_by(username=anna).one().disabled = True
    with db.session() as session:
        assert _costs(hasher, lambda: authenticate(session, anna, PASSWORD, cache,
                                                   hasher=hasher)) == (None, 1)


def test_check_password_costs_the_same_for_every_failure(db, anna, hasher):
    with db.session() as session:
        assert check_password(session, anna, PASSWORD, hasher=hasher).username == anna
        for name, password in [("ghost", PASSWORD), (anna, "guess")]:
            before = hasher.verifications
            with pytest.raises(AccountError, match="or no such enabled account"):
                check_password(session, name, password, hasher=hasher)
            assert hasher.verifications == before + 1


def test_a_person_with_a_role_reads_reports_and_campaigns_from_the_start(db, initialised,
                                                                          client, admin):
    from conftest import basic

    with db.writing() as session:
        accounts.create_account(session, "anna", PASSWORD, now=timestamps.now_us(),
                                role="analyst")
        accounts.create_account(session, "robot", PASSWORD, now=timestamps.now_us())
    readable = {}
    for name in ("anna", "robot"):
        answer = client.get("/taxii2/hub/collections/", headers=basic(name, PASSWORD))
        readable[name] = {c["alias"] for c in answer.get_json().get("collections", [])
                          if c["can_read"]}
    assert {"reports", "campaigns"} <= readable["anna"]
    assert "reports" not in readable["robot"]  # a machine account gets what it is granted
    with db.writing() as session:
        accounts.set_role(session, "robot", "analyst", actor="cli", now=timestamps.now_us())
    answer = client.get("/taxii2/hub/collections/", headers=basic("robot", PASSWORD))
    assert "reports" in {c["alias"] for c in answer.get_json()["collections"] if c["can_read"]}


NOW = 1_800_000_000_000_000


def _audited(db, subject):
    with db.session() as session:
        return [(e["actor"], e["action"], e["detail"]) for e in audit.entries(session, subject)]


def _account(db, username):
    with db.session() as session:
        return session.scalar(select(Account).where(Account.username == username))


@pytest.fixture
def team(db, initialised):
    """root and admin (from init) are admins, anna an analyst, robot a machine client."""
    with db.writing() as session:
        accounts.create_account(session, "root", PASSWORD, now=NOW, role="admin")
        accounts.create_account(session, "anna", PASSWORD, now=NOW, role="analyst")
        accounts.create_account(session, "robot", PASSWORD, now=NOW, read=["indicators"])


def test_creating_an_account_with_an_actor_is_audited_without_the_password(db, initialised):
    with db.writing() as session:
        accounts.create_account(session, "bert", PASSWORD, now=NOW, role="coordinator",
                                actor="root")
    [(actor, action, detail)] = _audited(db, "bert")
    assert (actor, action) == ("root", "account.created")
    assert detail["role"] == "coordinator" and PASSWORD not in json.dumps(detail)


@pytest.mark.parametrize("username, code", [
    ("", "bad-username"), ("a" * 101, "bad-username"), ("nul\x00l", "bad-username"),
    ("anna\n", "bad-username"), ("-anna", "bad-username"), ("cli", "reserved"),
    ("Hub", "reserved"), ("anna", "exists"),
])
def test_a_bad_name_is_refused_with_its_reason(db, team, username, code):
    with pytest.raises(AccountError) as refused, db.writing() as session:
        accounts.create_account(session, username, PASSWORD, now=NOW, role="analyst",
                                actor="root")
    assert refused.value.code == code and refused.value.field == "username"
    with db.session() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_each_act_changes_the_account_and_is_audited(db, team):
    with db.writing() as session:
        accounts.set_role(session, "anna", "coordinator", actor="root", now=NOW)
        accounts.set_disabled(session, "anna", True, actor="root", now=NOW + 1)
    assert _account(db, "anna").role == "coordinator" and _account(db, "anna").disabled
    with db.writing() as session:
        accounts.set_disabled(session, "anna", False, actor="root", now=NOW + 2)
        password = accounts.reset_password(session, "anna", actor="root", now=NOW + 3)
        accounts.reset_second_factor(session, "anna", actor="root", now=NOW + 4)
        accounts.grant(session, "robot", "advisories", read=True, write=False, actor="root",
                       now=NOW + 5)
    with db.session() as session:
        assert accounts.check_password(session, "anna", password).username == "anna"
        with pytest.raises(AccountError):
            accounts.check_password(session, "anna", PASSWORD)
    assert not _account(db, "anna").disabled
    assert [(a, action) for a, action, _ in _audited(db, "anna")] == [
        ("root", "account.role-changed"), ("root", "account.disabled"),
        ("root", "account.enabled"), ("root", "account.password-reset"),
        ("root", "account.second-factor-reset")]
    assert _audited(db, "anna")[0][2] == {"before": "analyst", "after": "coordinator"}
    assert password not in json.dumps(_audited(db, "anna"))
    [(_, action, detail)] = _audited(db, "robot")
    assert action == "account.granted" and detail["collection"] == "advisories"
    with db.writing() as session:
        accounts.delete_account(session, "robot", actor="root", now=NOW + 6)
    assert _account(db, "robot") is None
    assert _audited(db, "robot")[-1][:2] == ("root", "account.deleted")


def test_a_change_to_nothing_is_no_act(db, team):
    with db.writing() as session:
        accounts.set_role(session, "anna", "analyst", actor="root", now=NOW)
        accounts.set_disabled(session, "anna", False, actor="root", now=NOW)
    assert _audited(db, "anna") == []


def test_nobody_locks_themself_or_the_hub_out(db, team):
    def refused(act):
        with pytest.raises(AccountError) as caught, db.writing() as session:
            act(session)
        return caught.value.code

    assert refused(lambda s: accounts.delete_account(s, "root", actor="root", now=NOW)) \
        == "yourself"
    assert refused(lambda s: accounts.set_disabled(s, "root", True, actor="root", now=NOW)) \
        == "yourself"
    assert refused(lambda s: accounts.set_role(s, "root", "analyst", actor="root",
                                               now=NOW)) == "yourself"
    assert refused(lambda s: accounts.reset_password(s, "root", actor="root", now=NOW)) \
        == "yourself"
    with db.writing() as session:
        accounts.set_disabled(session, "admin", True, actor="root", now=NOW)
    # root is now the last enabled admin: nobody may remove it, whoever asks.
    for act in (lambda s: accounts.delete_account(s, "root", actor="anna", now=NOW),
                lambda s: accounts.set_disabled(s, "root", True, actor="cli", now=NOW),
                lambda s: accounts.set_role(s, "root", "analyst", actor="cli", now=NOW)):
        assert refused(act) == "last-admin"
    assert _account(db, "root").role == "admin" and not _account(db, "root").disabled


def test_an_account_that_wrote_notes_is_kept_and_can_be_disabled(db, team, make_town,
                                                                  client, collection_ids):
    from cyberhub.hub import inbox
    from hub.test_inbox import send, town_report

    town = make_town("aue")
    incident = send(client, town, collection_ids["reports"], town_report(town))
    with db.writing() as session:
        inbox.add_note(session, _account_in(session, "anna"), incident, "Rückruf", now=NOW)
    with pytest.raises(AccountError) as refused, db.writing() as session:
        accounts.delete_account(session, "anna", actor="root", now=NOW)
    assert refused.value.code == "in-use" and _account(db, "anna") is not None
    with db.writing() as session:
        accounts.set_disabled(session, "anna", True, actor="root", now=NOW)
    assert _account(db, "anna").disabled


def _account_in(session, username):
    return session.scalar(select(Account).where(Account.username == username))


def test_a_towns_account_is_not_managed_here(db, team, make_town):
    town = make_town("aue")
    name = town.enrollment["username"]
    for act in (lambda s: accounts.set_role(s, name, "analyst", actor="root", now=NOW),
                lambda s: accounts.set_disabled(s, name, True, actor="root", now=NOW),
                lambda s: accounts.delete_account(s, name, actor="root", now=NOW),
                lambda s: api_tokens.issue(s, name, "x", actor="root", now=NOW)):
        with pytest.raises(AccountError) as refused, db.writing() as session:
            act(session)
        assert refused.value.code == "town"
    assert _account(db, name).role is None and not _account(db, name).disabled


def test_a_token_is_kept_as_its_sha256_only_and_listed_by_name(db, team):
    with db.writing() as session:
        made = api_tokens.issue(session, "robot", "  OpenCTI  ", actor="root", now=NOW)
    token = made["token"]
    assert token.startswith("chub_") and len(token) == accounts.TOKEN_LENGTH
    with db.session() as session:
        stored = session.scalar(select(ApiToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert api_tokens.listing(session, "robot") == [
            {"id": made["id"], "name": "OpenCTI", "created": NOW, "last_used": None}]
    [(actor, action, detail)] = _audited(db, "robot")
    assert (actor, action, detail["token"]) == ("root", "account.token-created", "OpenCTI")
    assert token not in json.dumps(detail) and stored.token_hash not in json.dumps(detail)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there", "nul\x00"])
def test_a_bad_token_name_is_refused(db, team, name):
    with pytest.raises(AccountError) as refused, db.writing() as session:
        api_tokens.issue(session, "robot", name, actor="root", now=NOW)
    assert (refused.value.code, refused.value.field) == ("bad-token-name", "name")


def test_a_token_name_is_unique_per_account(db, team):
    with db.writing() as session:
        api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)
        api_tokens.issue(session, "anna", "siem", actor="root", now=NOW)
    with pytest.raises(AccountError) as refused, db.writing() as session:
        api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)
    assert refused.value.code == "token-exists"


def test_a_token_authenticates_like_the_password_until_revoked(db, team, hasher):
    with db.writing() as session:
        made = api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)
        other = api_tokens.issue(session, "anna", "hers", actor="root", now=NOW)
    cache = CredentialCache()
    with db.session() as session:
        by_password = authenticate(session, "robot", PASSWORD, cache, hasher=hasher)
        by_token, cost = _costs(hasher, lambda: authenticate(session, "robot", made["token"],
                                                             cache, hasher=hasher))
        assert cost == 0 and by_token.token_id == made["id"]
        assert by_token.rights == by_password.rights and not by_token.is_admin
        # Another account's token is no key to this one; it costs a password check.
        assert _costs(hasher, lambda: authenticate(session, "robot", other["token"], cache,
                                                   hasher=hasher)) == (None, 1)
    with db.writing() as session:
        api_tokens.revoke(session, "robot", made["id"], actor="root", now=NOW)
    with db.session() as session:
        assert authenticate(session, "robot", made["token"], cache, hasher=hasher) is None
        assert api_tokens.listing(session, "robot") == []
    assert _audited(db, "robot")[-1][:2] == ("root", "account.token-revoked")


def test_a_token_of_a_disabled_account_is_refused(db, team, hasher):
    with db.writing() as session:
        made = api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)
        accounts.set_disabled(session, "robot", True, actor="root", now=NOW)
    with db.session() as session:
        assert _costs(hasher, lambda: authenticate(session, "robot", made["token"],
                                                   CredentialCache(), hasher=hasher)) \
            == (None, 1)


def test_revoking_needs_the_accounts_own_token(db, team):
    with db.writing() as session:
        made = api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)
    for username, token_id in (("anna", made["id"]), ("robot", made["id"] + 1),
                               ("robot", 2**40)):
        with pytest.raises(AccountError) as refused, db.writing() as session:
            api_tokens.revoke(session, username, token_id, actor="root", now=NOW)
        assert refused.value.code == "no-token"


def test_a_token_use_is_written_at_most_once_a_minute(db, team, hasher):
    with db.writing() as session:
        made = api_tokens.issue(session, "robot", "siem", actor="root", now=NOW)

    def used():
        with db.session() as session:
            return authenticate(session, "robot", made["token"], CredentialCache(),
                                hasher=hasher)

    def last_used():
        with db.session() as session:
            return api_tokens.listing(session, "robot")[0]["last_used"]

    api_tokens.note_use(db, used(), now=NOW)
    assert last_used() == NOW and used().token_last_used == NOW
    api_tokens.note_use(db, used(), now=NOW + 59_000_000)
    assert last_used() == NOW
    api_tokens.note_use(db, used(), now=NOW + 60_000_000)
    assert last_used() == NOW + 60_000_000
    # A request with the password is no token use.
    with db.session() as session:
        by_password = authenticate(session, "robot", PASSWORD, CredentialCache(),
                                   hasher=hasher)
    assert not api_tokens.use_due(by_password, NOW * 2)

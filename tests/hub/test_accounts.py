"""Password checks cost the same whether the name exists or not; the cache answers only the
right password."""

import pytest
from conftest import PASSWORD

from cyberhub.hub import accounts
from cyberhub.hub.accounts import AccountError, CredentialCache, authenticate, check_password
from cyberhub.hub.storage.models import Account


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

    from cyberhub.core import timestamps

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
        accounts.set_role(session, "robot", "analyst")
    answer = client.get("/taxii2/hub/collections/", headers=basic("robot", PASSWORD))
    assert "reports" in {c["alias"] for c in answer.get_json()["collections"] if c["can_read"]}

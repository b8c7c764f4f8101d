"""Failed logins counted in the database: windows, locks, their audit entry, the purge."""

import logging

import pytest
from sqlalchemy import select

from cyberhub.hub import audit, logins
from cyberhub.hub.logins import ACCOUNT, ADDRESS, Limit, Policy
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import LoginFailure

SECOND = 1_000_000
START = 1_800_000_000 * SECOND
POLICY = Policy(account=Limit(failures=3, window=60, lockout=120),
                address=Limit(failures=5, window=60, lockout=300))
ANNA = {ACCOUNT: "anna", ADDRESS: "192.0.2.7"}


def _fail(db, attempt_keys=ANNA, now=START, policy=POLICY):
    with db.writing() as session:
        return logins.record_failure(session, attempt_keys, now=now, policy=policy,
                                     client=attempt_keys.get(ADDRESS))


def _standing(db, attempt_keys=ANNA):
    with db.session() as session:
        return logins.standing(session, attempt_keys)


def _rows(db):
    with db.session() as session:
        return {(row.scope, row.key): (row.failures, row.window_start, row.locked_until)
                for row in session.scalars(select(LoginFailure))}


@pytest.mark.parametrize("remote_addr, key", [
    ("192.0.2.7", "192.0.2.7"),
    ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 on a dual-stack socket
    ("2001:db8:1:2:aaaa::5", "2001:db8:1:2::/64"),  # a host holds its whole /64
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("127.0.0.1", None), ("127.8.0.1", None), ("::1", None),  # the reverse proxy
    (None, None), ("", None), ("not an address", None),
])
def test_address_keys(remote_addr, key):
    assert logins.address_key(remote_addr) == key


def test_keys_count_any_possible_username_and_no_impossible_one():
    assert logins.keys("ghost", "192.0.2.7") == {ACCOUNT: "ghost", ADDRESS: "192.0.2.7"}
    assert logins.keys("x" * 101, "192.0.2.7") == {ADDRESS: "192.0.2.7"}
    assert logins.keys("ad\x00min", "127.0.0.1") == {}


def test_defaults_allow_an_address_more_than_an_account():
    policy = Policy()
    assert (policy.account.failures, policy.account.window, policy.account.lockout) == \
        (10, 900, 900)
    assert policy.address.failures == 50
    with pytest.raises(ValueError):
        Limit(failures=0, window=60, lockout=60)


def test_the_limit_locks_the_account_once_and_audits_it_once(db, initialised, caplog):
    assert _standing(db) == logins.Standing()
    caplog.set_level(logging.WARNING, logger="cyberhub.logins")
    assert _fail(db) == [] and _fail(db, now=START + SECOND) == []
    assert _standing(db).retry_after(START + SECOND) == 0
    assert _fail(db, now=START + 2 * SECOND) == [(ACCOUNT, "anna")]
    standing = _standing(db)
    assert standing.account_failures == 3
    assert standing.retry_after(START + 2 * SECOND) == 120
    assert standing.retry_after(START + 121 * SECOND + 1) == 1  # whole seconds, rounded up
    assert standing.retry_after(START + 122 * SECOND) == 0
    # A request that passed the check before the lock and fails after it counts, but the lock
    # is neither extended nor announced again.
    assert _fail(db, now=START + 3 * SECOND) == []
    assert _standing(db).locked_until == START + 122 * SECOND
    with db.session() as session:
        entries = audit.entries(session, subject="anna")
    assert [(e["actor"], e["action"]) for e in entries] == [("hub", "login.account-locked")]
    assert entries[0]["detail"] == {"failures": 3, "seconds": 120, "client": "192.0.2.7"}
    assert [r.getMessage() for r in caplog.records] == [
        "account anna locked for 120 s after 3 failed logins"]


def test_an_address_is_locked_by_failures_for_many_names(db, initialised):
    for n in range(4):
        assert _fail(db, {ACCOUNT: f"name{n}", ADDRESS: "192.0.2.7"}) == []
    assert _fail(db, {ACCOUNT: "name4", ADDRESS: "192.0.2.7"}) == [(ADDRESS, "192.0.2.7")]
    assert _standing(db, {ACCOUNT: "someone", ADDRESS: "192.0.2.7"}).retry_after(START) == 300
    assert _standing(db, {ACCOUNT: "someone", ADDRESS: "198.51.100.1"}).retry_after(START) == 0
    with db.session() as session:
        assert [e["action"] for e in audit.entries(session, subject="192.0.2.7")] == [
            "login.address-locked"]


def test_a_new_window_starts_the_count_again(db, initialised):
    _fail(db)
    _fail(db, now=START + SECOND)
    assert _fail(db, now=START + 60 * SECOND) == []  # the window of 60 s is over
    assert _rows(db)[(ACCOUNT, "anna")] == (1, START + 60 * SECOND, None)
    assert _standing(db).retry_after(START + 60 * SECOND) == 0


def test_the_lock_expires_and_success_forgets_the_account_but_not_the_address(db, initialised):
    for n in range(3):
        _fail(db, now=START + n * SECOND)
    assert _standing(db).retry_after(START + 121 * SECOND) == 1
    assert _standing(db).retry_after(START + 122 * SECOND) == 0
    with db.writing() as session:
        logins.forget_account(session, "anna")
    assert _standing(db) == logins.Standing()
    assert _rows(db) == {(ADDRESS, "192.0.2.7"): (3, START, None)}


def test_workers_on_one_database_share_the_count(db, initialised, settings):
    other = Database(settings.effective_database_url)  # another worker's engine
    try:
        _fail(db)
        _fail(other, now=START + SECOND)
        assert _fail(db, now=START + 2 * SECOND) == [(ACCOUNT, "anna")]
        assert _standing(other).retry_after(START + 2 * SECOND) == 120
    finally:
        other.dispose()


def test_failures_purge_rows_whose_window_and_lock_are_over(db, initialised):
    _fail(db, {ACCOUNT: "old"}, now=START)
    for n in range(3):
        _fail(db, {ACCOUNT: "locked"}, now=START + n * SECOND)
    _fail(db, {ACCOUNT: "recent"}, now=START + 30 * SECOND)
    _fail(db, {ACCOUNT: "now"}, now=START + 65 * SECOND)
    # "old": window over, no lock; "locked": window over, lock until START + 122 s.
    assert set(_rows(db)) == {(ACCOUNT, "locked"), (ACCOUNT, "recent"), (ACCOUNT, "now")}
    with db.writing() as session:
        assert logins.purge(session, now=START + 124 * SECOND, policy=POLICY) == 2
    assert set(_rows(db)) == {(ACCOUNT, "now")}


def test_the_purge_works_in_batches(db, initialised):
    for n in range(5):
        _fail(db, {ACCOUNT: f"name{n}"}, now=START)
    with db.writing() as session:
        assert logins.purge(session, now=START + 60 * SECOND, policy=POLICY, batch=3) == 3
    assert len(_rows(db)) == 2


def test_failures_at_once_are_all_counted_and_lock_once(db, initialised):
    from concurrent.futures import ThreadPoolExecutor

    policy = Policy(account=Limit(failures=4, window=60, lockout=60),
                    address=Limit(failures=100, window=60, lockout=60))
    with ThreadPoolExecutor(max_workers=6) as pool:
        locked = list(pool.map(lambda n: _fail(db, now=START + n, policy=policy), range(12)))
    assert sorted(pair for pairs in locked for pair in pairs) == [(ACCOUNT, "anna")]
    assert _rows(db)[(ACCOUNT, "anna")][0] == 12
    assert _rows(db)[(ADDRESS, "192.0.2.7")][0] == 12

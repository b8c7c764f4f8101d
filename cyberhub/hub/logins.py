"""Failed logins, counted in the database so that every worker and every host sees one count.

A wrong password costs the hub an Argon2 hash, so unlimited guesses are both a way to guess and
a cheap way to tie up the workers. Failures are counted per *account* (the username as given,
whether or not such an account exists, so that a lock says nothing about which names exist) and
per client *address*. The first failure opens a window; `Limit.failures` failures inside it lock
the key for `Limit.lockout` seconds. While a lock holds, every attempt is refused before any
password is checked, the right password too: telling it apart would cost the hash the lock is
there to save, and guessing would go on. The price is that anyone can keep an account locked
with a few wrong passwords per lockout - which is why a town's node account, whose password
the hub generated and nobody can guess, is counted only by address (`countable`). A
successful login forgets the account's failures; an address keeps its count, so one valid
account cannot launder guesses at others.

Loopback clients are not counted per address: on loopback the peer is the reverse proxy in
front of the hub (README, "TLS behind a reverse proxy"), whose address every client shares, and
counting it would let anyone lock every town out. Behind a proxy, the proxy's own limits apply.
X-Forwarded-For is never read here: any client can write it.

The functions take the session and the time; the web request context calls them for HTTP Basic
authentication, and a login form can use the same table and rules.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import and_, bindparam, delete, or_, select, tuple_
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.accounts import USERNAME
from cyberhub.hub.storage.inserts import insert_for
from cyberhub.hub.storage.models import Account, LoginFailure, Node

log = logging.getLogger("cyberhub.logins")

ACCOUNT, ADDRESS = "account", "address"
# Rows a failure removes, at most, once their window and lock are over: more than a failure
# adds (two), so the table stays small without a job of its own.
PURGE_BATCH = 100


@dataclass(frozen=True)
class Limit:
    failures: int  # this many failures within `window` seconds lock the key...
    window: int
    lockout: int  # ...for this many seconds

    def __post_init__(self) -> None:
        if min(self.failures, self.window, self.lockout) < 1:
            raise ValueError("failures, window and lockout must be at least 1")


@dataclass(frozen=True)
class Policy:
    # An agent with a stale password locks only its own account; a town's NAT shares an
    # address among several clients, so the address allows more.
    account: Limit = Limit(failures=10, window=15 * 60, lockout=15 * 60)
    address: Limit = Limit(failures=50, window=15 * 60, lockout=15 * 60)

    def limit(self, scope: str) -> Limit:
        return self.account if scope == ACCOUNT else self.address


@dataclass(frozen=True)
class Standing:
    """What the table says about one attempt's keys before its password is checked."""

    locked_until: int = 0  # µs: the latest lock set on any of the keys; 0 if none ever was
    account_failures: int = 0  # failures on record for the account, in whatever window

    def retry_after(self, now: int) -> int:
        """Whole seconds until every lock on the keys is lifted; 0 when none holds."""
        return max(0, math.ceil((self.locked_until - now) / 1_000_000))


def address_key(remote_addr: str | None) -> str | None:
    """The key an address is counted under, or None when it is not counted (loopback, a Unix
    socket). An IPv6 client is counted by its /64: one host usually holds the whole prefix."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def keys(username: str, remote_addr: str | None) -> dict[str, str]:
    """The keys one attempt counts against: {scope: key}. A username no account can have is
    refused without a password check, so it is not counted (nor stored)."""
    found = {}
    if USERNAME.match(username):
        found[ACCOUNT] = username
    address = address_key(remote_addr)
    if address is not None:
        found[ADDRESS] = address
    return found


# Built once: this runs before every password check.
_STANDING = select(LoginFailure.scope, LoginFailure.failures, LoginFailure.locked_until).where(
    or_(and_(LoginFailure.scope == ACCOUNT, LoginFailure.key == bindparam(ACCOUNT)),
        and_(LoginFailure.scope == ADDRESS, LoginFailure.key == bindparam(ADDRESS))))


def standing(session: Session, attempt_keys: Mapping[str, str]) -> Standing:
    """The locks and the account's failures on record for these keys (one indexed query)."""
    if not attempt_keys:
        return Standing()
    rows = session.connection().execute(
        _STANDING, {ACCOUNT: attempt_keys.get(ACCOUNT), ADDRESS: attempt_keys.get(ADDRESS)})
    locked_until = account_failures = 0
    for row in rows:
        locked_until = max(locked_until, row.locked_until or 0)
        if row.scope == ACCOUNT:
            account_failures = row.failures
    return Standing(locked_until, account_failures)


def countable(session: Session, attempt_keys: Mapping[str, str]) -> dict[str, str]:
    """The keys a failure counts against. A town's node account is not locked per account:
    its password is a secret the hub generated, which cannot be guessed, and a lock anyone
    can set would cut the town off from its advisories. Its address is still counted."""
    found = dict(attempt_keys)
    if ACCOUNT in found and session.scalar(
            select(Node.id).join(Account, Account.id == Node.account_id)
            .where(Account.username == found[ACCOUNT])) is not None:
        del found[ACCOUNT]
    return found


def record_failure(session: Session, attempt_keys: Mapping[str, str], *, now: int,
                   policy: Policy, client: str | None = None) -> list[tuple[str, str]]:
    """Count a failed attempt against each key, in the caller's write transaction; returns the
    (scope, key) pairs this failure locked, each audited and logged once. `client` is the
    address as seen (also when it is not counted), for the audit entry."""
    locked = []
    insert = insert_for(session.connection().dialect.name)
    # Account before address, always: two transactions lock rows in one order, so never wait
    # on each other in a circle.
    for scope in sorted(attempt_keys):
        key, limit = attempt_keys[scope], policy.limit(scope)
        session.execute(insert(LoginFailure).values(
            scope=scope, key=key, failures=0, window_start=now, locked_until=None,
        ).on_conflict_do_nothing(index_elements=["scope", "key"]))
        # The row lock (PostgreSQL; SQLite's write transaction holds the whole database)
        # makes the count exact when workers fail at once, and the lock event happen once.
        row = session.scalars(select(LoginFailure).where(
            LoginFailure.scope == scope, LoginFailure.key == key).with_for_update()).one()
        if row.window_start + limit.window * 1_000_000 <= now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        already_locked = (row.locked_until or 0) > now
        if row.failures >= limit.failures and not already_locked:
            row.locked_until = now + limit.lockout * 1_000_000
            locked.append((scope, key))
            audit.record(session, actor="hub", action=f"login.{scope}-locked", subject=key,
                         now=now, failures=row.failures, seconds=limit.lockout,
                         client=client)
            log.warning("%s %s locked for %d s after %d failed logins", scope, key,
                        limit.lockout, row.failures)
    session.flush()
    purge(session, now=now, policy=policy)
    return locked


def forget_account(session: Session, username: str) -> None:
    """A successful login: the account starts again from no failures."""
    session.execute(delete(LoginFailure).where(
        LoginFailure.scope == ACCOUNT, LoginFailure.key == username))


def purge(session: Session, *, now: int, policy: Policy, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` rows whose window and lock are both over; returns how many.
    Rows another transaction holds are skipped rather than waited for (PostgreSQL)."""
    longest = max(policy.account.window, policy.address.window) * 1_000_000
    stale = select(LoginFailure.scope, LoginFailure.key).where(
        LoginFailure.window_start <= now - longest,
        or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= now),
    ).limit(batch).with_for_update(skip_locked=True)
    result = session.execute(delete(LoginFailure).where(
        tuple_(LoginFailure.scope, LoginFailure.key).in_(stale)))
    return result.rowcount

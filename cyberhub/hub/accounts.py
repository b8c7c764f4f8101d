"""Accounts, passwords, API tokens' check and per-collection rights; the administrative acts
on accounts (each audited in the act's transaction, with the acting person or `cli`).

Passwords are stored as Argon2id hashes. Checking one costs tens of milliseconds by design, so a
worker remembers a successful check for a short while, keyed by an HMAC of the credentials under
a per-process random key: the cache never holds a password, and a changed password or a disabled
account is noticed on the next request because the stored hash is compared every time.

An API token (`cyberhub.hub.api_tokens`) is accepted in place of the password. It holds 256
random bits, so its SHA-256 is kept instead of a slow hash, and it is looked up in the database
on every request, never cached: a revoked token is refused from the next request on.

A wrong password, an unknown username and a disabled account cost the same Argon2 verification,
so the time of an answer does not tell which names exist (an unknown name is checked against a
dummy hash). A wrong token costs the same, being checked as a password too. Only correct
credentials can be answered faster, and they are no secret to the one who sent them. Failed
attempts are limited by `cyberhub.hub.logins`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cyberhub.hub import audit, second_factor
from cyberhub.hub.storage.models import (
    Account,
    ApiToken,
    Collection,
    ConsoleSession,
    Node,
    Permission,
)

# \Z, not $: "$" also matches before a final newline.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}\Z")
# Actors the hub itself writes into the audit log; no account may take these names.
RESERVED = ("cli", "hub")
# What a person may do with advisories, each role including the one before it.
ROLES = ("analyst", "coordinator", "admin")
MIN_PASSWORD_LENGTH = 12
# The hasher of every new password (Argon2id, RFC 9106's low-memory profile); functions that
# verify one take another, and look this one up when called, so a test run may swap it.
HASHER = PasswordHasher()
# API tokens: a prefix that secret scanners and people recognise, then 256 random bits.
TOKEN_PREFIX = "chub_"
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why (in English,
    for the command line), `code` names the reason (the console has a text for each) and
    `field` the form field it concerns."""

    def __init__(self, message: str, *, code: str, field: str = "username") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Principal:
    """Who is asking, with the rights they hold at this moment."""

    account_id: int
    username: str
    is_admin: bool
    rights: Mapping[str, tuple[bool, bool]] = field(default_factory=dict)
    node_id: int | None = None  # set when the account is a member town's
    token_id: int | None = None  # set when an API token was sent instead of the password
    token_last_used: int | None = None

    def can_read(self, collection_id: str) -> bool:
        return self.is_admin or self.rights.get(collection_id, (False, False))[0]

    def can_write(self, collection_id: str) -> bool:
        return self.is_admin or self.rights.get(collection_id, (False, False))[1]

    def sees(self, collection_id: str) -> bool:
        return self.can_read(collection_id) or self.can_write(collection_id)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=4)
def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash no password matches, made once per process with the hasher's own parameters:
    verifying against it costs what verifying against an account's hash costs. Call it at
    start-up, or the first unknown name a process sees costs two hashes."""
    return hasher.hash(secrets.token_urlsafe(32))


def _verified(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """Whether the password matches; with no hash (no such account) the dummy hash is
    verified instead, so that the answer takes as long as for a wrong password."""
    try:
        hasher.verify(dummy_hash(hasher) if password_hash is None else password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _collections_by_alias(session: Session, aliases: Iterable[str]) -> dict[str, str]:
    wanted = set(aliases)
    if not wanted:
        return {}
    found = dict(
        session.execute(
            select(Collection.alias, Collection.id).where(Collection.alias.in_(wanted))
        ).all()
    )
    missing = sorted(wanted - set(found))
    if missing:
        raise AccountError(f"no collection with alias {', '.join(missing)}",
                           code="no-collection", field="collection")
    return found


def _check_role(role: str | None) -> None:
    if role is not None and role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", code="bad-role",
                           field="role")


def create_account(
    session: Session,
    username: str,
    password: str,
    *,
    now: int,
    read: Iterable[str] = (),
    write: Iterable[str] = (),
    admin: bool = False,
    role: str | None = None,
    actor: str | None = None,
) -> Account:
    """Create an account with read/write rights on the collections named by alias. Audited
    when an `actor` is named; without one the account is part of a larger act that records
    itself (`cyberhub init`, a new town)."""
    if not USERNAME.match(username):
        raise AccountError(
            "username must be 1-100 letters, digits, '.', '_', '@' or '-', starting with a "
            "letter or digit", code="bad-username")
    if username.lower() in RESERVED:
        raise AccountError(f"the name {username!r} is reserved for the hub's own records",
                           code="reserved")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                           code="bad-password", field="password")
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise AccountError(f"account {username!r} already exists", code="exists")
    _check_role(role)
    read, write = list(read), list(write)
    ids = _collections_by_alias(session, read + write)
    account = Account(
        username=username, password_hash=hash_password(password), is_admin=admin,
        disabled=False, created=now, role=role,
    )
    session.add(account)
    session.flush()
    for alias in dict.fromkeys(read + write):
        session.add(Permission(
            account_id=account.id, collection_id=ids[alias],
            can_read=alias in read, can_write=alias in write,
        ))
    session.flush()
    if role is not None:
        _grant_person_reads(session, account)
    if actor is not None:
        audit.record(session, actor=actor, action="account.created", subject=username, now=now,
                     role=role, admin=admin, read=sorted(set(read)), write=sorted(set(write)))
    return account


# What every person with a role reads without being granted it: analysts work on the towns'
# reports, the campaigns found in them, the advisories they write and what the feeds bring
# (TAXII, exports and the console alike).
PERSON_READS = ("reports", "campaigns", "answers", "advisories", "indicators", "vulnerabilities")


def _grant_person_reads(session: Session, account: Account) -> None:
    present = dict(session.execute(select(Collection.alias, Collection.id).where(
        Collection.alias.in_(PERSON_READS))).all())
    for collection_id in present.values():
        permission = session.get(Permission, (account.id, collection_id))
        if permission is None:
            session.add(Permission(account_id=account.id, collection_id=collection_id,
                                   can_read=True, can_write=False))
        else:
            permission.can_read = True
    session.flush()


def managed(session: Session, username: str) -> Account:
    """A person's or a machine client's account by name, for an administrative act. A town's
    account is refused: it belongs to its node (`cyberhub nodes`, the Kommunen page)."""
    account = session.scalar(select(Account).where(Account.username == username)) \
        if USERNAME.match(username) else None
    if account is None:
        raise AccountError(f"no account {username[:100]!r}", code="no-account")
    if session.scalar(select(Node.id).where(Node.account_id == account.id)) is not None:
        raise AccountError(f"{username!r} is a town's account; manage it with "
                           "`cyberhub nodes`", code="town")
    return account


def _enabled_admins(session: Session) -> int:
    return session.scalar(select(func.count(Account.id)).where(
        Account.role == "admin", Account.disabled.is_(False)))


def _not_yourself_nor_last_admin(session: Session, account: Account, actor: str,
                                 act: str) -> None:
    """The console's admin cannot lock themself out, nor leave the hub without an admin."""
    if account.username == actor:
        raise AccountError(f"you cannot {act} your own account", code="yourself")
    if account.role == "admin" and not account.disabled and _enabled_admins(session) <= 1:
        raise AccountError(f"cannot {act} {account.username!r}: it is the last enabled admin",
                           code="last-admin")


def _end_sessions(session: Session, account: Account) -> None:
    """Sign the account out of the console everywhere (its credentials or factor changed)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account.id))


def set_role(session: Session, username: str, role: str | None, *, actor: str,
             now: int) -> None:
    account = managed(session, username)
    _check_role(role)
    if role == account.role:
        return
    if account.role == "admin":
        _not_yourself_nor_last_admin(session, account, actor, "change the role of")
    elif account.username == actor:
        raise AccountError("you cannot change the role of your own account", code="yourself")
    before, account.role = account.role, role
    session.flush()
    if role is not None:
        _grant_person_reads(session, account)
    audit.record(session, actor=actor, action="account.role-changed", subject=username,
                 now=now, before=before, after=role)


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str,
                 now: int) -> None:
    """Disable an account (no sign-in, no TAXII request, no token works) or enable it again."""
    account = managed(session, username)
    if account.disabled == disabled:
        return
    if disabled:
        _not_yourself_nor_last_admin(session, account, actor, "disable")
        _end_sessions(session, account)
    account.disabled = disabled
    session.flush()
    audit.record(session, actor=actor, subject=username, now=now,
                 action="account.disabled" if disabled else "account.enabled")


def delete_account(session: Session, username: str, *, actor: str, now: int) -> None:
    """Delete an account with its rights, tokens and sessions. What it wrote (advisories,
    notes) keeps it: such an account is refused, and can be disabled instead."""
    account = managed(session, username)
    _not_yourself_nor_last_admin(session, account, actor, "delete")
    try:
        with session.begin_nested():
            session.delete(account)
            session.flush()
    except IntegrityError:
        raise AccountError(f"{username!r} has written advisories or notes that name it; "
                           "disable it instead", code="in-use") from None
    audit.record(session, actor=actor, action="account.deleted", subject=username, now=now)


def reset_password(session: Session, username: str, *, actor: str, now: int) -> str:
    """Give the account a new generated password (returned once; only its hash is kept)."""
    account = managed(session, username)
    if account.username == actor:  # it would end the very session asking for it
        raise AccountError("you cannot reset your own password here", code="yourself")
    password = generate_password()
    account.password_hash = hash_password(password)
    _end_sessions(session, account)
    session.flush()
    audit.record(session, actor=actor, action="account.password-reset", subject=username,
                 now=now)
    return password


def reset_second_factor(session: Session, username: str, *, actor: str, now: int) -> None:
    """Forget the account's TOTP seed: the person sets up a new one at the next sign-in."""
    account = managed(session, username)
    if account.username == actor:
        raise AccountError("you cannot reset your own second factor here", code="yourself")
    _end_sessions(session, account)
    second_factor.reset(session, account, actor=actor, now=now)
    session.flush()


def check_password(session: Session, username: str, password: str, *,
                   hasher: PasswordHasher | None = None) -> Account:
    """The enabled account with this password (for commands run as a person); AccountError
    otherwise, with one message and one hash's work for every failure so names cannot be
    probed."""
    # A name no account can have is not looked up (PostgreSQL refuses a NUL in a query), but
    # costs the same hash as any other wrong name.
    account = session.scalar(select(Account).where(Account.username == username)) \
        if USERNAME.match(username) else None
    verified = _verified(hasher or HASHER, account.password_hash if account else None,
                         password)
    if account is None or account.disabled or not verified:
        raise AccountError(f"wrong password for {username[:100]!r}, or no such enabled "
                           "account", code="wrong-password", field="password")
    return account


def grant(
    session: Session, username: str, alias: str, *, read: bool, write: bool, actor: str,
    now: int,
) -> None:
    account = managed(session, username)
    collection_id = _collections_by_alias(session, [alias])[alias]
    permission = session.get(Permission, (account.id, collection_id))
    if permission is None:
        permission = Permission(account_id=account.id, collection_id=collection_id,
                                can_read=False, can_write=False)
        session.add(permission)
    permission.can_read = permission.can_read or read
    permission.can_write = permission.can_write or write
    session.flush()
    audit.record(session, actor=actor, action="account.granted", subject=username, now=now,
                 collection=alias, read=read, write=write)


def list_accounts(session: Session) -> list[dict[str, Any]]:
    """Every account with its rights, whether it is a town's, its second factor and the
    number of its API tokens (never a secret)."""
    rows = session.execute(select(Account).order_by(Account.username)).scalars().all()
    aliases = dict(session.execute(select(Collection.id, Collection.alias)).all())
    towns = set(session.scalars(select(Node.account_id)))
    tokens = dict(session.execute(select(ApiToken.account_id, func.count(ApiToken.id))
                                  .group_by(ApiToken.account_id)).all())
    rights: dict[int, dict[str, list[str]]] = {}
    for perm in session.execute(select(Permission)).scalars():
        entry = rights.setdefault(perm.account_id, {"read": [], "write": []})
        if perm.can_read:
            entry["read"].append(aliases[perm.collection_id])
        if perm.can_write:
            entry["write"].append(aliases[perm.collection_id])
    return [
        {
            "username": account.username,
            "admin": account.is_admin,
            "role": account.role,
            "disabled": account.disabled,
            "read": sorted(rights.get(account.id, {}).get("read", [])),
            "write": sorted(rights.get(account.id, {}).get("write", [])),
            "town": account.id in towns,
            "second_factor": account.totp_sealed is not None,
            "created": account.created,
            "tokens": tokens.get(account.id, 0),
        }
        for account in rows
    ]


class CredentialCache:
    """Remembers recent successful password checks (see the module docstring).

    Not an oracle: an entry exists only for a username and password that were verified, under
    a per-process key no client knows, so a hit can only answer a client who sent the right
    password, and every miss costs the same full verification.
    """

    def __init__(self, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _slot(self, username: str, password: str) -> bytes:
        message = username.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def get(self, username: str, password: str) -> str | None:
        slot = self._slot(username, password)
        with self._lock:
            entry = self._entries.get(slot)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, username: str, password: str, password_hash: str) -> None:
        slot = self._slot(username, password)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[slot] = (password_hash, time.monotonic() + self._ttl)


# Built once: constructing SQL expressions costs more than the indexed lookups themselves.
_ACCOUNT_BY_NAME = select(
    Account.id, Account.password_hash, Account.is_admin, Account.disabled,
    Node.id.label("node_id"),
).outerjoin(Node, Node.account_id == Account.id).where(
    Account.username == bindparam("username"))
_RIGHTS_OF_ACCOUNT = select(
    Permission.collection_id, Permission.can_read, Permission.can_write
).where(Permission.account_id == bindparam("account_id"))
_TOKEN_BY_HASH = select(ApiToken.id, ApiToken.account_id, ApiToken.last_used).where(
    ApiToken.token_hash == bindparam("token_hash"))


def authenticate(
    session: Session, username: str, password: str, cache: CredentialCache, *,
    hasher: PasswordHasher | None = None,
) -> Principal | None:
    """The principal for these credentials, or None if they are wrong or the account is off.

    Plain Core queries on the session's connection: this runs on every request. Every None
    after the username's syntax check has cost one Argon2 verification (module docstring).
    """
    if not USERNAME.match(username):
        return None  # not a name any account can have; keeps odd bytes away from the database
    hasher = hasher or HASHER
    connection = session.connection()
    account = connection.execute(_ACCOUNT_BY_NAME, {"username": username}).first()
    if account is None or account.disabled:
        # The cache is not asked: a hit would answer a disabled account faster than another.
        _verified(hasher, account.password_hash if account else None, password)
        return None
    token = None
    if password.startswith(TOKEN_PREFIX) and len(password) == TOKEN_LENGTH:
        # Looked up every time, never cached: a revoked token fails on the next request. A
        # token that is not this account's is then checked as a password, at a hash's cost.
        token = connection.execute(_TOKEN_BY_HASH,
                                   {"token_hash": token_digest(password)}).first()
        token = token if token is not None and token.account_id == account.id else None
    if token is None and cache.get(username, password) != account.password_hash:
        if not _verified(hasher, account.password_hash, password):
            return None
        cache.put(username, password, account.password_hash)
    rights = {
        row.collection_id: (row.can_read, row.can_write)
        for row in connection.execute(_RIGHTS_OF_ACCOUNT, {"account_id": account.id})
    }
    return Principal(account.id, username, account.is_admin, rights, account.node_id,
                     token.id if token else None, token.last_used if token else None)

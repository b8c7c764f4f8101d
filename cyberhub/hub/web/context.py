"""What a request handler reaches: the hub (built once, `cyberhub.hub.bootstrap`), the `next`
cursors, the request's database session and the authenticated principal."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from argon2 import PasswordHasher
from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub import accounts, api_tokens, logins, principals, roster
from cyberhub.hub.accounts import CredentialCache, Principal, authenticate
from cyberhub.hub.bootstrap import Hub
from cyberhub.hub.principals import PrincipalCache
from cyberhub.hub.web.cursors import Cursors
from cyberhub.hub.web.errors import TaxiiError, unauthorized

_HUB, _CURSORS, _CREDENTIALS = "cyberhub", "cyberhub.cursors", "cyberhub.credentials"
_LOGINS = "cyberhub.logins"
_SEEN = "cyberhub.last_seen"
_PRINCIPALS = "cyberhub.principals"


@dataclass(frozen=True)
class LoginGuard:
    """What `principal` limits failed logins with: the limits, the clock (µs) and the password
    hasher. `bind` installs the defaults; `guard_logins` replaces them (tests)."""

    policy: logins.Policy = field(default_factory=logins.Policy)
    clock: Callable[[], int] = timestamps.now_us
    hasher: PasswordHasher = field(default_factory=lambda: accounts.HASHER)


def bind(app: Flask, hub: Hub, *, cursors: Cursors, credentials: CredentialCache) -> None:
    app.extensions[_HUB] = hub
    app.extensions[_CURSORS] = cursors
    app.extensions[_CREDENTIALS] = credentials
    app.extensions[_SEEN] = roster.LastSeen(hub.db)
    app.extensions[_PRINCIPALS] = PrincipalCache()
    guard_logins(app, LoginGuard())
    app.teardown_appcontext(close_session)


def guard_logins(app: Flask, guard: LoginGuard) -> None:
    app.extensions[_LOGINS] = guard
    # Made now, once per process, so that no request for an unknown name pays for it.
    accounts.dummy_hash(guard.hasher)


def hub() -> Hub:
    return current_app.extensions[_HUB]


def cursors() -> Cursors:
    return current_app.extensions[_CURSORS]


def session() -> Session:
    """The request's read session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = hub().db.session()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        return None
    return username, password


def _locked(retry_after: int) -> TaxiiError:
    """The answer while a lock holds: no password was checked, and none will be until then."""
    return TaxiiError(
        429, "too many failed logins for this account or from this address; try again in "
        f"{retry_after} seconds", "too-many-failed-logins", title="Too many failed logins",
        headers={"Retry-After": str(retry_after)},
    )


def _authenticate(username: str, password: str, address: str | None) -> Principal:
    """The full check: login locks, then the account, its password or token and its rights."""
    guard: LoginGuard = current_app.extensions[_LOGINS]
    keys = logins.keys(username, address)
    standing = logins.standing(session(), keys)
    retry_after = standing.retry_after(guard.clock())
    if retry_after:
        raise _locked(retry_after)
    found = authenticate(session(), username, password, current_app.extensions[_CREDENTIALS],
                         hasher=guard.hasher)
    if found is None:
        if keys:
            with hub().db.writing() as writer:
                logins.record_failure(writer, logins.countable(writer, keys),
                                      now=guard.clock(), policy=guard.policy,
                                      client=address)
        raise unauthorized("wrong username or password, or the account is disabled")
    if standing.account_failures:
        with hub().db.writing() as writer:
            logins.forget_account(writer, username)
    return found


def principal() -> Principal:
    """The caller, authenticated with HTTP Basic; a 401 TAXII error otherwise, and a 429 one
    without checking the password while the account or the client's address is locked
    (`cyberhub.hub.logins`: the right password is refused too until the lock expires)."""
    if "principal" in g:
        return g.principal
    credentials = _basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        raise unauthorized()
    username, password = credentials
    # request.remote_addr is the TCP peer; behind a proxy, see logins' docstring.
    address = request.remote_addr
    client = logins.address_key(address)
    known: PrincipalCache = current_app.extensions[_PRINCIPALS]
    version = principals.current_version(session())
    found = known.get(version, username, password, client)
    if found is None:
        found = _authenticate(username, password, address)
        known.put(version, username, password, client, found)
    if found.node_id is not None:
        # For the console's "last seen"; at most one write a minute per town, never a failure.
        current_app.extensions[_SEEN].note(found.node_id, now=timestamps.now_us())
    now = timestamps.now_us()
    if api_tokens.use_due(found, now):  # when a token was used, at most once a minute
        api_tokens.note_use(hub().db, found, now=now)
        found = dataclasses.replace(found, token_last_used=now)
        known.put(version, username, password, client, found)
    g.principal = found
    return found

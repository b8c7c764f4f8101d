"""API tokens: what a machine client (a SIEM, OpenCTI, a script) sends instead of its account's
password on the TAXII API, one per client so that each can be revoked alone.

A token is `chub_` and 256 random bits, shown once when it is made; only its SHA-256 is kept
(a slow hash buys nothing against a guess of 256 bits). `cyberhub.hub.accounts.authenticate`
accepts it wherever the password is accepted, with the same rights. Making and revoking one is
audited; the token never is."""

from __future__ import annotations

import logging
import secrets
import unicodedata
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.accounts import TOKEN_PREFIX, AccountError, Principal, managed, token_digest
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import ApiToken

log = logging.getLogger(__name__)

NAME_LENGTH = 100
# How often a token's last use is written: once a minute at most, not on every request.
USE_RESOLUTION_US = 60_000_000


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_LENGTH or any(
            unicodedata.category(c).startswith("C") for c in name):
        raise AccountError(f"a token's name must be 1-{NAME_LENGTH} printable characters",
                           code="bad-token-name", field="name")
    return name


def issue(session: Session, username: str, name: str, *, actor: str,
          now: int) -> dict[str, Any]:
    """Make a token for the account; the answer holds the token itself, this once."""
    account = managed(session, username)
    name = _checked_name(name)
    taken = session.scalar(select(ApiToken.id).where(ApiToken.account_id == account.id,
                                                     ApiToken.name == name))
    if taken is not None:
        raise AccountError(f"{username!r} already has a token named {name!r}",
                           code="token-exists", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(account_id=account.id, name=name, token_hash=token_digest(token),
                   created=now, last_used=None)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="account.token-created", subject=username,
                 now=now, token=name, token_id=row.id)
    return {**_summary(row), "token": token}


def _summary(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created": row.created,
            "last_used": row.last_used}


def listing(session: Session, username: str) -> list[dict[str, Any]]:
    """The account's tokens by name, never a token or its hash."""
    account = managed(session, username)
    return [_summary(row) for row in session.scalars(
        select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.name))]


def revoke(session: Session, username: str, token_id: int, *, actor: str, now: int) -> None:
    """Delete the token: the next request that sends it is refused."""
    account = managed(session, username)
    row = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if row is None or row.account_id != account.id:
        raise AccountError(f"{username!r} has no token {token_id}", code="no-token",
                           field="token")
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="account.token-revoked", subject=username,
                 now=now, token=row.name, token_id=token_id)


def use_due(principal: Principal, now: int) -> bool:
    """Whether this request's token use should be written (see `record_use`)."""
    return principal.token_id is not None and (
        principal.token_last_used is None
        or now - principal.token_last_used >= USE_RESOLUTION_US)


def record_use(session: Session, token_id: int, *, now: int) -> None:
    """Note that the token was used. Conditional, so that two processes that both saw an old
    value write once."""
    session.execute(update(ApiToken).where(
        ApiToken.id == token_id,
        or_(ApiToken.last_used.is_(None), ApiToken.last_used <= now - USE_RESOLUTION_US),
    ).values(last_used=now))


def note_use(db: Database, principal: Principal, *, now: int) -> None:
    """For the request layer, after `authenticate`: write the token's last use when it is
    due, in a transaction of its own (at most once a minute per token; the value was read
    with the token, so most requests cost nothing). A failure is logged and forgotten: no
    request fails for it."""
    if not use_due(principal, now):
        return
    try:
        with db.writing() as writer:
            record_use(writer, principal.token_id, now=now)
    except SQLAlchemyError as exc:
        log.warning("could not note the use of API token %s: %s", principal.token_id,
                    type(exc).__name__)

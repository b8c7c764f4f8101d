"""Flask-side glue shared by the blueprints: the hub's collaborators, the request's database
session and the authenticated principal."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from sqlalchemy import text
from sqlalchemy.orm import Session

from . import nodes, statuses
from .accounts import CredentialCache, Principal, authenticate
from .config import Settings
from .db import Database
from .taxii.cursor import Cursors
from .taxii.errors import unauthorized

log = logging.getLogger("cyberhub")

@dataclass
class Hub:
    """Everything a request handler may need, built once in `create_app`."""

    settings: Settings
    db: Database
    cursors: Cursors
    credentials: CredentialCache
    _identity: str | None = None
    _jwks: dict | None = None
    _last_housekeeping: float = 0.0
    _stored_since_analyze: int = 0
    _correlator: Any = None

    def correlator(self) -> Any:
        """The correlation engine, built on first use (it loads the warning lists)."""
        if self._correlator is None:
            from . import keys
            from .correlation import warninglists
            from .correlation.service import Correlator, rules_from

            self._correlator = Correlator(
                lists=warninglists.load(self.settings.warninglists_dir),
                rules=rules_from(self.settings),
                key=keys.load_private_key(self.settings.home / keys.HUB_KEY_FILE),
                hub_identity=self.identity())
        return self._correlator

    def correlate(self, incidents: set[str]) -> None:
        """Find campaigns the new reports touch, right away, so an analyst reading the
        campaigns collection after the POST sees them. The reports are stored already: a
        failure here is logged, and the scheduled full pass finds what was missed."""
        try:
            self.correlator().detect(self.db, incidents)
        except Exception:
            log.exception("correlation after ingest failed; the next full pass will repeat it")

    def jwks(self) -> dict:
        """The hub's public signing keys as a JWK Set."""
        if self._jwks is None:
            from . import keys, signing

            private = keys.load_private_key(self.settings.home / keys.HUB_KEY_FILE)
            self._jwks = signing.jwks([signing.public_jwk(private)])
        return self._jwks

    def housekeeping(self, now_us: int, stored: int) -> None:
        """Forget expired statuses and replay records, at most once a minute per worker.

        On PostgreSQL, also refresh the planner's statistics after a bulk import: until
        autovacuum gets to it, a grown `objects` table is planned as if empty, and the lookup of
        existing versions at ingest slows from under a millisecond to tens of milliseconds.
        """
        self._stored_since_analyze += stored
        if time.monotonic() - self._last_housekeeping < 60:
            return
        self._last_housekeeping = time.monotonic()
        retention = self.settings.status_retention_hours * 3_600_000_000
        with self.db.writing() as db_session:
            statuses.purge(db_session, before=now_us - retention)
            nodes.purge_jtis(db_session, now=now_us)
        if self.db.dialect == "postgresql" and self._stored_since_analyze >= 10_000:
            self._stored_since_analyze = 0
            with self.db.engine.begin() as connection:
                connection.execute(text("ANALYZE objects"))

    def identity(self) -> str:
        """The hub's STIX identity id (fixed by `cyberhub init`, so read once)."""
        if self._identity is None:
            from .hub import hub_identity

            with self.db.session() as db_session:
                found = hub_identity(db_session)
            if found is None:
                raise RuntimeError("the hub is not initialised; run `cyberhub init`")
            self._identity = found["id"]
        return self._identity


def hub() -> Hub:
    return current_app.extensions["cyberhub"]


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


def principal() -> Principal:
    """The caller, authenticated with HTTP Basic; a 401 TAXII error otherwise."""
    if "principal" in g:
        return g.principal
    credentials = _basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        raise unauthorized()
    found = authenticate(session(), *credentials, hub().credentials)
    if found is None:
        raise unauthorized("wrong username or password, or the account is disabled")
    g.principal = found
    return found

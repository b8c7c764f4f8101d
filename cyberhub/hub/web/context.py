"""What a request handler reaches: the hub (built once, `cyberhub.hub.bootstrap`), the `next`
cursors, the request's database session and the authenticated principal."""

from __future__ import annotations

import base64
import binascii

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from cyberhub.hub.accounts import CredentialCache, Principal, authenticate
from cyberhub.hub.bootstrap import Hub
from cyberhub.hub.web.cursors import Cursors
from cyberhub.hub.web.errors import unauthorized

_HUB, _CURSORS, _CREDENTIALS = "cyberhub", "cyberhub.cursors", "cyberhub.credentials"


def bind(app: Flask, hub: Hub, *, cursors: Cursors, credentials: CredentialCache) -> None:
    app.extensions[_HUB] = hub
    app.extensions[_CURSORS] = cursors
    app.extensions[_CREDENTIALS] = credentials
    app.teardown_appcontext(close_session)


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


def principal() -> Principal:
    """The caller, authenticated with HTTP Basic; a 401 TAXII error otherwise."""
    if "principal" in g:
        return g.principal
    credentials = _basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        raise unauthorized()
    found = authenticate(session(), *credentials, current_app.extensions[_CREDENTIALS])
    if found is None:
        raise unauthorized("wrong username or password, or the account is disabled")
    g.principal = found
    return found

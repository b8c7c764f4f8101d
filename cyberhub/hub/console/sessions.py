"""Server-side sessions for the console, in the hub's database, so that they hold across
gunicorn workers and hosts and end for good on logout.

The cookie carries 32 random bytes; the table keeps their SHA-256, the account and the
session's small JSON. A session ends after `idle` seconds without a request, after `longest`
in all (settings `console_idle_minutes`, `console_session_hours`), and on logout (the row is
deleted). A new value is issued at login (`rotate`), so a value planted before login is worth
nothing after it. Only console paths get a session: the TAXII and node APIs authenticate every
request and never set a cookie.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from cyberhub.core import timestamps
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import ConsoleSession

COOKIE = "cyberhub_console"
PATH = "/console"
_SECOND = 1_000_000


class Session(CallbackDict, SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, value: str | None = None,
                 account_id: int | None = None, created: int | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, changed)
        self.value = value
        self.account_id = account_id
        self.created = created
        self.modified = False
        self.ended = False

    def rotate(self, account_id: int | None) -> None:
        """Start afresh for this account (login): new value, empty data, old row gone."""
        self.ended_value = self.value
        self.value = None
        self.account_id = account_id
        self.created = None
        self.clear()
        self.modified = True

    def end(self) -> None:
        self.ended = True
        self.modified = True


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class DatabaseSessions(SessionInterface):
    def __init__(self, db: Database, *, secure: bool, idle: int, longest: int) -> None:
        self.db = db
        self.secure = secure
        self.idle, self.longest = idle, longest  # seconds

    def _ours(self, request: Request) -> bool:
        return request.path == PATH or request.path.startswith(PATH + "/")

    def open_session(self, app: Flask, request: Request) -> Session:
        value = request.cookies.get(COOKIE)
        if not self._ours(request) or not value or len(value) > 100:
            return Session()
        now = timestamps.now_us()
        with self.db.session() as db_session:
            row = db_session.scalar(select(ConsoleSession).where(
                ConsoleSession.id_hash == _hash(value)))
        if row is None or now - row.last_seen > self.idle * _SECOND \
                or now - row.created > self.longest * _SECOND:
            session = Session()
            session.ended_value = value if row is not None else None
            return session
        session = Session(json.loads(row.data), value, row.account_id, row.created)
        session.touch = now - row.last_seen > 60 * _SECOND  # keep writes rare
        return session

    def save_session(self, app: Flask, session: Session, response: Response) -> None:
        if not isinstance(session, Session):
            return
        now = timestamps.now_us()
        old = getattr(session, "ended_value", None)
        if session.ended or old:
            with self.db.writing() as db_session:
                for value in filter(None, (old, session.value if session.ended else None)):
                    db_session.execute(delete(ConsoleSession).where(
                        ConsoleSession.id_hash == _hash(value)))
            if session.ended:
                response.delete_cookie(COOKIE, path=PATH)
                return
        if not session.modified and not getattr(session, "touch", False):
            return
        if session.value is None:
            if not session:
                return
            session.value = secrets.token_urlsafe(32)
            session.created = now
        with self.db.writing() as db_session:
            row = db_session.get(ConsoleSession, _hash(session.value))
            if row is None:
                row = ConsoleSession(id_hash=_hash(session.value), created=session.created,
                                     account_id=session.account_id, last_seen=now, data="{}")
                db_session.add(row)
            row.account_id = session.account_id
            row.last_seen = now
            row.data = json.dumps(dict(session))
        response.set_cookie(COOKIE, session.value, path=PATH, httponly=True, secure=self.secure,
                            samesite="Strict")
        response.vary.add("Cookie")


"""Named locks for work that must not run twice at once across processes and hosts.

On SQLite a write transaction already holds the whole database (`BEGIN IMMEDIATE`), so there is
nothing to add. On PostgreSQL two hub hosts write at the same time; where both would decide
on the same committed state - two campaigns for one attack, one push sent twice - the write
transaction first takes a transaction-level advisory lock, released at commit or rollback.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

_TAKE = text("SELECT pg_advisory_xact_lock(:key)")


def hold(session: Session, name: str) -> None:
    """Hold the lock `name` until the session's transaction ends (PostgreSQL only)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # A stable 32-bit key per name: every process computes the same one.
        connection.execute(_TAKE, {"key": zlib.crc32(f"cyberhub:{name}".encode())})

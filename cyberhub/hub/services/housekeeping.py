"""Forgetting what has expired, and keeping PostgreSQL's statistics fresh: a job of
`cyberhub scheduler`, never work done inside a client's request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, text

from cyberhub.hub import nodes
from cyberhub.hub.services import statuses
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import ConsoleSession

# Rows changed since the last ANALYZE of `objects` that make the planner's picture stale.
ANALYZE_AFTER_CHANGES = 10_000
_CHANGES = text("SELECT n_mod_since_analyze FROM pg_stat_user_tables "
                "WHERE relname = 'objects' AND schemaname = current_schema()")


@dataclass(frozen=True)
class Swept:
    statuses: int
    tokens: int
    analyzed: bool
    sessions: int = 0


def sweep(db: Database, *, now: int, status_retention_hours: int,
          console_idle_minutes: int = 30, analyze_after: int = ANALYZE_AFTER_CHANGES) -> Swept:
    """Forget status resources older than the retention, replay records of expired tokens and
    console sessions idle too long to be used again.

    On PostgreSQL, also refresh the planner's statistics after a bulk import: until autovacuum
    gets to it, a grown `objects` table is planned as if it were small, and the lookup of
    existing versions at ingest slows from under a millisecond to tens of milliseconds.
    """
    with db.writing() as session:
        purged = statuses.purge(session, before=now - status_retention_hours * 3_600_000_000)
        tokens = nodes.purge_jtis(session, now=now)
        ended = session.execute(delete(ConsoleSession).where(
            ConsoleSession.last_seen < now - console_idle_minutes * 60_000_000)).rowcount or 0
    analyzed = False
    if db.dialect == "postgresql":
        with db.engine.begin() as connection:
            changed = connection.scalar(_CHANGES) or 0
            if changed >= analyze_after:
                connection.execute(text("ANALYZE objects"))
                analyzed = True
    return Swept(purged, tokens, analyzed, ended)

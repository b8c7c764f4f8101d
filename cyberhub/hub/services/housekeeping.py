"""Forgetting what has expired, and keeping PostgreSQL's statistics fresh: a job of
`cyberhub scheduler`, never work done inside a client's request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from cyberhub.hub import nodes
from cyberhub.hub.services import statuses
from cyberhub.hub.storage.database import Database

# Rows changed since the last ANALYZE of `objects` that make the planner's picture stale.
ANALYZE_AFTER_CHANGES = 10_000
_CHANGES = text("SELECT n_mod_since_analyze FROM pg_stat_user_tables "
                "WHERE relname = 'objects' AND schemaname = current_schema()")


@dataclass(frozen=True)
class Swept:
    statuses: int
    tokens: int
    analyzed: bool


def sweep(db: Database, *, now: int, status_retention_hours: int,
          analyze_after: int = ANALYZE_AFTER_CHANGES) -> Swept:
    """Forget status resources older than the retention and replay records of expired tokens.

    On PostgreSQL, also refresh the planner's statistics after a bulk import: until autovacuum
    gets to it, a grown `objects` table is planned as if it were small, and the lookup of
    existing versions at ingest slows from under a millisecond to tens of milliseconds.
    """
    with db.writing() as session:
        purged = statuses.purge(session, before=now - status_retention_hours * 3_600_000_000)
        tokens = nodes.purge_jtis(session, now=now)
    analyzed = False
    if db.dialect == "postgresql":
        with db.engine.begin() as connection:
            changed = connection.scalar(_CHANGES) or 0
            if changed >= analyze_after:
                connection.execute(text("ANALYZE objects"))
                analyzed = True
    return Swept(purged, tokens, analyzed)

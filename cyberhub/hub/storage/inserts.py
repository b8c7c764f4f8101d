"""The INSERT that can say what to do ON CONFLICT, for the hub's two databases.

PostgreSQL and SQLite both have `INSERT ... ON CONFLICT`, but SQLAlchemy builds it from each
dialect's own `insert`; the hub's upserts take theirs from here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect: str) -> Any:
    """`insert` of the dialect's name ("postgresql", else SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert

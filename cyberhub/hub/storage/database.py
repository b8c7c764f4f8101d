"""Engine, sessions and migrations.

Reads and writes take different sessions: on SQLite a write transaction starts with
`BEGIN IMMEDIATE`, so two workers that write at once queue on the database lock instead of one
of them failing half-way with "database is locked" after it has already read.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from importlib import resources
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cyberhub.hub.storage.turns import BUSY_TIMEOUT_S, WriteTurns

log = logging.getLogger("cyberhub")
_WRITE = "cyberhub_write"
# FULL, not NORMAL (issue 12). In WAL mode NORMAL syncs the log only at checkpoints, so writes
# the hub had already acknowledged (a 202 with their status) could vanish in a power cut or an
# OS crash. FULL syncs the log at every commit: what the hub confirmed is on disk. It costs one
# fsync per write transaction (benchmarks/RESULTS.md, "SQLite synchronous=FULL").
SQLITE_SYNCHRONOUS = "FULL"


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        _configure_sqlite(engine)
    else:
        # No pre-ping: it costs a round trip per request; recycling handles server restarts.
        engine = create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=5)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """The engine and the two session factories, bound to a Flask app with `init_app`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        writer = self.engine.execution_options(**{_WRITE: True})
        self._turns = (WriteTurns(database, writer) if database and database != ":memory:"
                       and not database.startswith("file:") else None)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session for reading (and for small writes that may share the read snapshot)."""
        return self._reader()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed at the end, rolled back on any exception. On a
        SQLite file it may share its commit with other threads' (`turns`), each after the
        first in a savepoint of its own; it returns once its write is durable either way."""
        if self._turns is None:
            with _scope(self._writer()) as session:
                yield session
            return
        with self._turns.transaction() as (connection, first):
            # The first writer's session flushes into the transaction and, on failure, rolls
            # all of it back; the others' each commit or roll back a savepoint of their own.
            mode = "rollback_only" if first else "create_savepoint"
            with _scope(Session(connection, join_transaction_mode=mode,
                                expire_on_commit=False)) as session:
                yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = alembic_config(self.url)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _scope(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    migrations = resources.files("cyberhub.hub.storage") / "migrations"
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config

"""Engine, sessions and migrations.

Reads and writes take different sessions: on SQLite a write transaction starts with
`BEGIN IMMEDIATE`, so two workers that write at once queue on the database lock instead of one
of them failing half-way with "database is locked" after it has already read.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager, nullcontext
from importlib import resources
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("cyberhub")
_WRITE = "cyberhub_write"
# FULL, not NORMAL (issue 12). In WAL mode NORMAL syncs the log only at checkpoints, so writes
# the hub had already acknowledged (a 202 with their status) could vanish in a power cut or an
# OS crash. FULL syncs the log at every commit: what the hub confirmed is on disk. It costs one
# fsync per write transaction (benchmarks/RESULTS.md, "SQLite synchronous=FULL").
SQLITE_SYNCHRONOUS = "FULL"
# How long a SQLite writer waits for the database before it gives up, in seconds.
BUSY_TIMEOUT_S = 60


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


class WriteTurns:
    """On SQLite, write transactions take turns through a lock file beside the database.

    SQLite lets a writer that finds the database locked poll: it sleeps, 1 ms at first and up
    to 100 ms later, and looks again. Under load the lock was free most of the time a writer
    slept, so POSTs waited for nothing (a p99 of 0.2-1.4 s against a median of 10-90 ms) and
    fewer reports got through. A writer that waits here instead sleeps in the kernel (flock)
    and takes the lock the moment the last one lets it go, in this process or another. The
    threads of a process queue on a lock of their own first, with the busy timeout as its
    bound: a writer that waits longer gets the error SQLite would have given it.

    The file is opened read-only (flock needs no more), and one made by root (`sudo cyberhub
    ...` before the service first wrote) is given to the database file's owner. Where it still
    cannot be opened, writers wait as SQLite lets them, and the log says why once."""

    def __init__(self, database_path: str) -> None:
        self.database = os.path.realpath(database_path)
        self.path = f"{self.database}.write-lock"
        self._threads = threading.Lock()
        self._warned = False

    def _open(self) -> int | None:
        try:
            handle = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot open %s (%s): SQLite's own waiting is used instead",
                            self.path, exc.strerror)
            return None
        if os.geteuid() == 0:
            try:
                owner = os.stat(self.database)
                if os.fstat(handle).st_uid != owner.st_uid:
                    os.fchown(handle, owner.st_uid, owner.st_gid)
            except OSError:
                pass  # no database file yet: the next writer as root tries again
        return handle

    @contextmanager
    def turn(self) -> Iterator[None]:
        held = _HOLDING.__dict__.setdefault("paths", set())
        if self.path in held:
            # A write transaction inside another on the same database would wait for
            # itself; SQLite would have said so after its busy timeout, this says it now.
            raise OperationalError("BEGIN IMMEDIATE", None, Exception(
                "database is locked (a write transaction inside another on this thread)"))
        if not self._threads.acquire(timeout=BUSY_TIMEOUT_S):
            raise OperationalError("BEGIN IMMEDIATE", None,
                                   Exception("database is locked (waited for a write turn)"))
        try:
            handle = self._open()
            if handle is None:
                yield
                return
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                held.add(self.path)
                yield
            finally:
                held.discard(self.path)
                os.close(handle)  # closing lets the lock go
        finally:
            self._threads.release()


_HOLDING = threading.local()  # the lock files this thread holds a turn of


class Database:
    """The engine and the two session factories, bound to a Flask app with `init_app`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        self._turns = (WriteTurns(database) if database and database != ":memory:"
                       and not database.startswith("file:") else None)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session for reading (and for small writes that may share the read snapshot)."""
        return self._reader()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed at the end, rolled back on any exception."""
        with self._turns.turn() if self._turns is not None else nullcontext():
            session = self._writer()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = alembic_config(self.url)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    migrations = resources.files("cyberhub.hub.storage") / "migrations"
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config

"""The agent's durable state: one SQLite file in the agent's data directory.

A report is committed here (synchronous=FULL, so it survives a power cut) before anything is
sent, and it leaves the `queued` state only when the hub has confirmed every one of its
objects. The schema is versioned with SQLite's `user_version`; each step below runs once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

SCHEMA = [
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE reports (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,              -- the carrier's x-cyberhub-signature id
        incident TEXT NOT NULL,               -- the operator's key for the incident
        stage TEXT NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL,                 -- file, interactive, collector, sighting
        objects TEXT NOT NULL,                -- JSON list, unsigned
        state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'refused')),
        queued_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL,
        last_error TEXT,
        delivered_at REAL
    );
    CREATE INDEX reports_due ON reports (state, next_attempt);
    CREATE TABLE incidents (
        key TEXT PRIMARY KEY, incident_id TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
        stage TEXT NOT NULL, modified TEXT NOT NULL, digest TEXT NOT NULL
    );
    CREATE TABLE advisories (
        id TEXT NOT NULL, version TEXT NOT NULL, received_at REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('applied', 'withdrawn', 'superseded')),
        title TEXT NOT NULL, objects TEXT NOT NULL, acked_at REAL,
        PRIMARY KEY (id, version)
    );
    CREATE TABLE refusals (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, what TEXT NOT NULL,
        reason TEXT NOT NULL,
        advisory_id TEXT, version TEXT, acked_at REAL  -- the report it claimed to be, if any
    );
    CREATE TABLE observations (
        kind TEXT NOT NULL, value TEXT NOT NULL, first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL, count INTEGER NOT NULL, source TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    );
    CREATE TABLE sightings (
        indicator_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        reported_at REAL NOT NULL, PRIMARY KEY (indicator_id, kind, value)
    );
    CREATE TABLE log_positions (
        path TEXT PRIMARY KEY, inode INTEGER NOT NULL, offset INTEGER NOT NULL
    );
    """,
]


class StoreError(Exception):
    """The agent's database cannot be written (disk full, read-only, locked too long)."""


@dataclass(frozen=True)
class QueuedReport:
    seq: int
    id: str
    incident: str
    stage: str
    title: str
    source: str
    objects: list[dict[str, Any]]
    state: str
    queued_at: float
    attempts: int
    next_attempt: float
    last_error: str | None
    delivered_at: float | None


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


class Store:
    def __init__(self, path: Path) -> None:
        make_private_dir(path.parent)
        if not path.exists():
            # Created 0600 before SQLite opens it: it will hold the hub credentials.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.path = path
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=30,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the agent database {path}: {exc}") from None

    def close(self) -> None:
        self._conn.close()

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(SCHEMA[version:], start=version + 1):
            with self.write() as conn:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; taken at once so two agent processes never interleave."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the agent database is not writable: {exc}") from None
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"the agent database could not be written: {exc}") from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite has already rolled back by itself after some errors (a full disk, for one).
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._conn.execute(sql, params).fetchall()

    # --- settings (what the hub said at enrolment, positions, last contact) ---------------

    def get(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) "
                     "DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def set(self, key: str, value: Any) -> None:
        with self.write() as conn:
            self.put(conn, key, value)

    # --- the report queue -----------------------------------------------------------------

    def enqueue(self, conn: sqlite3.Connection, *, report_id: str, incident: str, stage: str,
                title: str, source: str, objects: list[dict[str, Any]],
                now: float | None = None) -> int:
        now = time.time() if now is None else now
        cursor = conn.execute(
            "INSERT INTO reports (id, incident, stage, title, source, objects, state, queued_at,"
            " next_attempt) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
            (report_id, incident, stage, title, source,
             json.dumps(objects, ensure_ascii=False), now, now))
        return int(cursor.lastrowid)

    def reports(self, *, states: tuple[str, ...] = ("queued", "refused", "delivered"),
                due_before: float | None = None, limit: int = 1000) -> list[QueuedReport]:
        marks = ",".join("?" * len(states))
        sql = f"SELECT * FROM reports WHERE state IN ({marks})"
        params: list[Any] = list(states)
        if due_before is not None:
            sql += " AND next_attempt <= ?"
            params.append(due_before)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        rows = self._conn.execute(sql, params).fetchall()
        return [QueuedReport(seq=r[0], id=r[1], incident=r[2], stage=r[3], title=r[4],
                             source=r[5], objects=json.loads(r[6]), state=r[7], queued_at=r[8],
                             attempts=r[9], next_attempt=r[10], last_error=r[11],
                             delivered_at=r[12]) for r in rows]

    def next_due(self) -> float | None:
        row = self._conn.execute(
            "SELECT min(next_attempt) FROM reports WHERE state = 'queued'").fetchone()
        return row[0]

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT state, count(*) FROM reports GROUP BY state")
        counts = {"queued": 0, "delivered": 0, "refused": 0}
        counts.update(dict(rows.fetchall()))
        return counts

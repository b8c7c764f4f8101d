"""The agent's durable state: one SQLite file in the agent's data directory.

A report is committed here (synchronous=FULL, so it survives a power cut) before anything is
sent, and it leaves the `queued` state only when the hub has confirmed every one of its
objects. The schema is versioned with SQLite's `user_version`; each step below runs once.

This module holds all of the agent's SQL: the other modules call the named methods of `Store`.
A method that takes `conn` writes inside a transaction its caller opened with `Store.write()`,
so that what belongs together (a report and its incident's new version, a sighting and its
report) is committed together; the others open their own transaction.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from cyberhub.agent.texts import Problem

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
    """
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,                  -- the hub's STIX note id
        incident_id TEXT NOT NULL,            -- the incident it answers (the note's object_refs)
        created TEXT NOT NULL,                -- when the hub wrote it (STIX timestamp)
        content TEXT NOT NULL,
        received_at REAL NOT NULL,
        read_at REAL                          -- when `cyberhub-agent answers` first showed it
    );
    """,
    """
    CREATE TABLE removals (                   -- reports the operator removed before sending
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, report_seq INTEGER NOT NULL,
        report_id TEXT NOT NULL, incident TEXT NOT NULL, stage TEXT NOT NULL,
        title TEXT NOT NULL
    );
    """,
]


class StoreError(Problem):
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


@dataclass(frozen=True)
class IncidentVersion:
    """The last reported version of one incident (the operator's key names it)."""
    incident_id: str
    created: str
    stage: str
    modified: str
    digest: str


@dataclass(frozen=True)
class StoredAdvisory:
    """One version of an advisory from the hub, as the agent received it."""
    id: str
    version: str
    state: str  # applied, withdrawn or superseded
    title: str
    received_at: float
    acked_at: float | None
    objects: list[dict[str, Any]]


# The newest version of each advisory, whatever its state.
_NEWEST = "version = (SELECT max(version) FROM advisories b WHERE b.id = a.id)"
_ADVISORY_COLUMNS = "id, version, state, title, received_at, acked_at, objects"


@dataclass(frozen=True)
class StoredAnswer:
    """An analyst's answer to one of this town's reports, as the hub signed it."""
    id: str
    incident_id: str
    created: str
    content: str
    received_at: float
    read_at: float | None


def _advisory(row: tuple) -> StoredAdvisory:
    return StoredAdvisory(*row[:6], objects=json.loads(row[6]))


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
            raise StoreError("agent.store.cannot_open", path=path, error=exc) from None

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
            raise StoreError("agent.store.not_writable", error=exc) from None
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError("agent.store.not_written", error=exc) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite has already rolled back by itself after some errors (a full disk, for one).
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Any read-only query, for tests and diagnosis; the agent uses the methods below."""
        return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple = ()) -> Any:
        """The first column of the first row (None if there is no row)."""
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

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
        return self._reports(sql, params)

    def _reports(self, sql: str, params: list[Any]) -> list[QueuedReport]:
        rows = self._conn.execute(sql, params).fetchall()
        return [QueuedReport(seq=r[0], id=r[1], incident=r[2], stage=r[3], title=r[4],
                             source=r[5], objects=json.loads(r[6]), state=r[7], queued_at=r[8],
                             attempts=r[9], next_attempt=r[10], last_error=r[11],
                             delivered_at=r[12]) for r in rows]

    def next_due(self) -> float | None:
        return self._one("SELECT min(next_attempt) FROM reports WHERE state = 'queued'")

    def oldest_queued(self) -> float | None:
        return self._one("SELECT min(queued_at) FROM reports WHERE state = 'queued'")

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT state, count(*) FROM reports GROUP BY state")
        counts = {"queued": 0, "delivered": 0, "refused": 0}
        counts.update(dict(rows.fetchall()))
        return counts

    def mark_delivered(self, conn: sqlite3.Connection, seq: int, *, at: float) -> None:
        conn.execute("UPDATE reports SET state = 'delivered', delivered_at = ?, "
                     "last_error = NULL WHERE seq = ?", (at, seq))

    def mark_refused(self, conn: sqlite3.Connection, seq: int, *, error: str) -> None:
        conn.execute("UPDATE reports SET state = 'refused', last_error = ? WHERE seq = ?",
                     (error, seq))

    def reschedule(self, conn: sqlite3.Connection, seq: int, *, next_attempt: float,
                   error: str) -> None:
        """One more failed attempt: try again at `next_attempt`."""
        conn.execute("UPDATE reports SET attempts = attempts + 1, next_attempt = ?, "
                     "last_error = ? WHERE seq = ?", (next_attempt, error, seq))

    @contextmanager
    def sending(self, *, wait: float | None = None) -> Iterator[None]:
        """Held while a process sends the queue, so the service and an operator's `report` or
        `send` never post one report at the same moment: each send signs a new carrier version
        stamped to the millisecond, and two of them in one millisecond would conflict at the
        hub. A lock on a file beside the database: the agent lives on one machine, and the
        kernel releases it when a process dies. With `wait`, a StoreError after that many
        seconds instead of waiting for a send that may take minutes against a slow hub."""
        fd = os.open(self.path.with_name(self.path.name + ".send-lock"),
                     os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if wait is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                self._lock_within(fd, wait)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @staticmethod
    def _lock_within(fd: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError("agent.store.sending_now") from None
                time.sleep(0.1)

    def report_state(self, seq: int) -> str | None:
        return self._one("SELECT state FROM reports WHERE seq = ?", (seq,))

    def report(self, seq: int) -> QueuedReport | None:
        found = self._reports("SELECT * FROM reports WHERE seq = ?", [seq])
        return found[0] if found else None

    def make_queue_due(self) -> int:
        """Every queued report becomes due now; returns how many there are."""
        with self.write() as conn:
            return conn.execute("UPDATE reports SET next_attempt = 0 WHERE state = 'queued'"
                                ).rowcount

    # --- incidents (the versions this node reported) ---------------------------------------

    def incident(self, key: str) -> IncidentVersion | None:
        row = self._conn.execute("SELECT incident_id, created, stage, modified, digest FROM "
                                 "incidents WHERE key = ?", (key,)).fetchone()
        return None if row is None else IncidentVersion(*row)

    def put_incident(self, conn: sqlite3.Connection, key: str,
                     version: IncidentVersion) -> None:
        """Record a new version; an incident keeps the id and creation time it started with."""
        conn.execute(
            "INSERT INTO incidents (key, incident_id, created, stage, modified, digest) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET stage = excluded.stage,"
            " modified = excluded.modified, digest = excluded.digest",
            (key, version.incident_id, version.created, version.stage, version.modified,
             version.digest))

    def remove_report(self, conn: sqlite3.Connection, report: QueuedReport, *,
                      at: float) -> None:
        """Take a report out of the queue, record that it was removed, and let its incident's
        bookkeeping fall back to the newest report left, so that the next report of it is
        judged against what is really queued or sent: no report left, no incident here; the
        removed one was the newest, the stage of the one before and no content to compare
        (the removed content was never reported, so reporting it again is no repetition).
        The newest version time stays: a later version only has to be later.
        A removed sighting was never reported either: it is forgotten with its report, so that
        the indicator and value are matched, and may be reported, again."""
        conn.execute("DELETE FROM reports WHERE seq = ?", (report.seq,))
        if report.stage == "sighting":
            # sightings.py queues one sighting with its one observable per report.
            indicators = [o.get("sighting_of_ref") for o in report.objects
                          if o.get("type") == "sighting"]
            values = [o.get("value") for o in report.objects if "value" in o]
            conn.executemany("DELETE FROM sightings WHERE indicator_id = ? AND value = ?",
                             [(i, v) for i in indicators for v in values])
        conn.execute("INSERT INTO removals (at, report_seq, report_id, incident, stage, title)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (at, report.seq, report.id, report.incident,
                                                    report.stage, report.title))
        left = conn.execute("SELECT seq, stage FROM reports WHERE incident = ? ORDER BY seq "
                            "DESC LIMIT 1", (report.incident,)).fetchone()
        if left is None:
            conn.execute("DELETE FROM incidents WHERE key = ?", (report.incident,))
        elif left[0] < report.seq:
            conn.execute("UPDATE incidents SET stage = ?, digest = '' WHERE key = ?",
                         (left[1], report.incident))

    def removals(self) -> list[tuple[float, int, str, str, str]]:
        """(when, report number, incident, stage, title) of each removed report, oldest
        first."""
        return self._conn.execute("SELECT at, report_seq, incident, stage, title FROM "
                                  "removals ORDER BY seq").fetchall()

    def incident_reports(self) -> list[tuple[str, str, str, str, float, float | None, str]]:
        """(incident key, incident created, stage, state, queued at, delivered at, objects as
        JSON) of every report of the incidents this node reported, oldest first: what the
        reporting clocks run on."""
        return self._conn.execute(
            "SELECT r.incident, i.created, r.stage, r.state, r.queued_at, r.delivered_at, "
            "r.objects FROM reports r JOIN incidents i ON i.key = r.incident ORDER BY r.seq"
        ).fetchall()

    # --- advisories from the hub, and content refused as unsigned or tampered -------------

    def add_advisory(self, conn: sqlite3.Connection, *, advisory_id: str, version: str,
                     received_at: float, state: str, title: str,
                     objects: list[dict[str, Any]]) -> bool:
        """Record a version unless it is here already (then False). A new version supersedes
        the older versions still applied."""
        cursor = conn.execute(
            "INSERT INTO advisories (id, version, received_at, state, title, objects) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (advisory_id, version, received_at, state, title,
             json.dumps(objects, ensure_ascii=False)))
        if not cursor.rowcount:
            return False
        conn.execute("UPDATE advisories SET state = 'superseded' WHERE id = ? AND version < ? "
                     "AND state = 'applied'", (advisory_id, version))
        return True

    def add_refusal(self, conn: sqlite3.Connection, *, at: float, what: str, reason: str,
                    advisory_id: str | None, version: str | None) -> None:
        conn.execute("INSERT INTO refusals (at, what, reason, advisory_id, version) "
                     "VALUES (?, ?, ?, ?, ?)", (at, what, reason, advisory_id, version))

    def advisory_title(self, advisory_id: str) -> str:
        """The title of the newest version ("" for an advisory not here)."""
        return self._one("SELECT title FROM advisories WHERE id = ? ORDER BY version DESC "
                         "LIMIT 1", (advisory_id,)) or ""

    def advisories_in_force(self) -> list[list[dict[str, Any]]]:
        """The object groups of the newest version of each advisory, if it is applied."""
        rows = self._conn.execute(
            f"SELECT a.objects FROM advisories a WHERE a.state = 'applied' AND a.{_NEWEST}")
        return [json.loads(row[0]) for row in rows.fetchall()]

    def indicators_in_force(self) -> list[dict[str, Any]]:
        return [o for group in self.advisories_in_force() for o in group
                if o.get("type") == "indicator"]

    def newest_advisories(self) -> list[StoredAdvisory]:
        """The newest version of each advisory, the last received first."""
        rows = self._conn.execute(f"SELECT {_ADVISORY_COLUMNS} FROM advisories a WHERE "
                                  f"{_NEWEST} ORDER BY received_at DESC")
        return [_advisory(row) for row in rows.fetchall()]

    def find_advisory(self, advisory_id: str) -> StoredAdvisory | None:
        """The newest version of the advisory with this id, or with an id containing it."""
        row = self._conn.execute(
            f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE id = ? OR id LIKE ? "
            "ORDER BY version DESC LIMIT 1", (advisory_id, f"%--{advisory_id}%")).fetchone()
        return None if row is None else _advisory(row)

    def advisory_counts(self) -> dict[str, int]:
        """State → how many advisories are in it (by their newest version)."""
        rows = self._conn.execute(f"SELECT state, count(DISTINCT id) FROM advisories a WHERE "
                                  f"{_NEWEST} GROUP BY state")
        return dict(rows.fetchall())

    def unacknowledged_advisories(self) -> list[tuple[str, str, str]]:
        """(id, version, state) of each version the hub has no receipt for, oldest first."""
        return self._conn.execute("SELECT id, version, state FROM advisories WHERE acked_at "
                                  "IS NULL ORDER BY received_at").fetchall()

    def acknowledge_advisory(self, advisory_id: str, version: str, *, at: float) -> None:
        with self.write() as conn:
            conn.execute("UPDATE advisories SET acked_at = ? WHERE id = ? AND version = ?",
                         (at, advisory_id, version))

    def unacknowledged_refusals(self) -> list[tuple[int, str, str, str]]:
        """(seq, advisory id, version, reason) of each refused advisory the hub was not told
        of yet."""
        return self._conn.execute("SELECT seq, advisory_id, version, reason FROM refusals "
                                  "WHERE advisory_id IS NOT NULL AND acked_at IS NULL"
                                  ).fetchall()

    def acknowledge_refusal(self, seq: int, *, at: float) -> None:
        with self.write() as conn:
            conn.execute("UPDATE refusals SET acked_at = ? WHERE seq = ?", (at, seq))

    def refusal_count(self) -> int:
        return self._one("SELECT count(*) FROM refusals")

    # --- answers from the hub's analysts to this town's reports ----------------------------

    def add_answer(self, conn: sqlite3.Connection, *, note: dict[str, Any],
                   received_at: float) -> bool:
        """Keep a verified note unless it is here already (then False)."""
        refs = [ref for ref in note.get("object_refs") or [] if isinstance(ref, str)]
        cursor = conn.execute(
            "INSERT INTO answers (id, incident_id, created, content, received_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (note["id"], refs[0] if refs else "", str(note.get("created") or ""),
             str(note.get("content") or ""), received_at))
        return bool(cursor.rowcount)

    def answers(self, *, unread_only: bool = False) -> list[StoredAnswer]:
        """The answers received, the newest first."""
        where = " WHERE read_at IS NULL" if unread_only else ""
        rows = self._conn.execute("SELECT id, incident_id, created, content, received_at, "
                                  f"read_at FROM answers{where} ORDER BY created DESC, "
                                  "received_at DESC")
        return [StoredAnswer(*row) for row in rows.fetchall()]

    def answer_counts(self) -> dict[str, int]:
        total, unread = self._conn.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) "
            "FROM answers").fetchone()
        return {"total": total, "unread": unread}

    def mark_answers_read(self, answer_ids: Iterable[str], *, at: float) -> None:
        with self.write() as conn:
            conn.executemany("UPDATE answers SET read_at = ? WHERE id = ? AND read_at IS NULL",
                             [(at, answer_id) for answer_id in answer_ids])

    def reported_incident(self, incident_id: str) -> tuple[str, str] | None:
        """(the operator's key, the newest report's title) of an incident this node reported;
        None if it was not reported from here."""
        return self._conn.execute(
            "SELECT i.key, r.title FROM incidents i JOIN reports r ON r.incident = i.key "
            "WHERE i.incident_id = ? ORDER BY r.seq DESC LIMIT 1", (incident_id,)).fetchone()

    # --- what the collectors observed, and the sightings reported from it ------------------

    def record_observations(self, seen: Iterable[tuple[str, str, str, str, int, str]]) -> None:
        """Add (kind, value, first seen, last seen, count, source) to what was observed."""
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO observations (kind, value, first_seen, last_seen, count, source) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO UPDATE SET "
                "first_seen = min(first_seen, excluded.first_seen), "
                "last_seen = max(last_seen, excluded.last_seen), "
                "count = count + excluded.count", seen)

    def recent_observations(self, limit: int) -> list[tuple[str, str, str, str, int]]:
        """(kind, value, first seen, last seen, count), the last seen first."""
        return self._conn.execute("SELECT kind, value, first_seen, last_seen, count FROM "
                                  "observations ORDER BY last_seen DESC LIMIT ?", (limit,)
                                  ).fetchall()

    def reported_sightings(self) -> set[tuple[str, str, str]]:
        """(indicator id, kind, value) of every sighting already queued."""
        rows = self._conn.execute("SELECT indicator_id, kind, value FROM sightings")
        return {tuple(row) for row in rows.fetchall()}

    def add_sighting(self, conn: sqlite3.Connection, *, indicator_id: str, kind: str,
                     value: str, at: float) -> None:
        conn.execute("INSERT OR IGNORE INTO sightings (indicator_id, kind, value, reported_at) "
                     "VALUES (?, ?, ?, ?)", (indicator_id, kind, value, at))

    # --- how far each log was read ----------------------------------------------------------

    def log_position(self, path: str) -> tuple[int, int] | None:
        """(inode, offset) after the last line read from the log at `path`."""
        return self._conn.execute("SELECT inode, offset FROM log_positions WHERE path = ?",
                                  (path,)).fetchone()

    def set_log_positions(self, positions: Iterable[tuple[str, int, int]]) -> None:
        """Store (path, inode, offset) for each log, in one transaction."""
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO log_positions (path, inode, offset) VALUES (?, ?, ?) "
                "ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, "
                "offset = excluded.offset", positions)

    # --- how far the systemd journal was read -----------------------------------------------

    def journal_cursor(self, source: str) -> str | None:
        """journalctl's cursor of the last entry read for `source` (None before the first)."""
        return self.get(f"journal cursor {source}")

    def set_journal_cursors(self, cursors: Iterable[tuple[str, str]]) -> None:
        """Store (source, cursor) for each journal source, in one transaction."""
        with self.write() as conn:
            for source, cursor in cursors:
                self.put(conn, f"journal cursor {source}", cursor)

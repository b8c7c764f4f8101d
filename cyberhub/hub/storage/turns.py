"""SQLite write transactions: whose turn it is, and one commit for the writers that queue.

SQLite has one writer at a time. Two things make that cheap here:

- Turns through a lock file. SQLite lets a writer that finds the database locked poll: it
  sleeps, 1 ms at first and up to 100 ms later, and looks again. Under load the lock was free
  most of the time a writer slept, so POSTs waited for nothing (a p99 of 0.2-1.4 s against a
  median of 10-90 ms) and fewer reports got through. A writer that waits on the lock file
  instead sleeps in the kernel (flock) and takes the lock the moment the last one lets it go,
  in this process or another.
- Group commit. With `synchronous=FULL` every commit waits for an fsync, a quarter of a signed
  POST's time in the lock (benchmarks/RESULTS.md, "Group commit"). The threads of a process
  that queue for a turn while one has it join its transaction, each in a savepoint of its own,
  and the last of them commits for all: one fsync makes several writes durable. Each writer
  still returns only once its write is on disk; a writer whose work fails rolls back its own
  savepoint and leaves the others' work alone; a failed commit fails every writer in it. The
  first writer of a transaction needs no savepoint (`WriteTurns.transaction`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

log = logging.getLogger("cyberhub")
# How long a SQLite writer waits for the database before it gives up, in seconds.
BUSY_TIMEOUT_S = 60
# At most this many writes share one commit, so the first of them does not wait for long.
GROUP_LIMIT = 8


class LockFile:
    """The lock file beside the database, held for the whole of a write transaction.

    It is opened read-only (flock needs no more), and one made by root (`sudo cyberhub ...`
    before the service first wrote) is given to the database file's owner. Where it still
    cannot be opened, writers wait as SQLite lets them, and the log says why once."""

    def __init__(self, database_path: str) -> None:
        self.database = os.path.realpath(database_path)
        self.path = f"{self.database}.write-lock"
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
    def held(self) -> Iterator[None]:
        handle = self._open()
        if handle is None:
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing lets the lock go


@dataclass
class _Group:
    """One open write transaction and the writers that share it."""
    connection: Connection
    release: ExitStack  # the lock file's turn, let go after the commit
    members: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class WriteTurns:
    """The write transactions of one SQLite database in this process (see the module's doc).

    Whoever holds the baton works in the open transaction; the threads waiting for it are
    counted, so the holder knows whether to hand the transaction on or to commit it."""

    def __init__(self, database_path: str, engine: Engine) -> None:
        self.lock_file = LockFile(database_path)
        self._engine = engine  # one whose connections begin with BEGIN IMMEDIATE
        self._baton = threading.Lock()
        self._state = threading.Lock()  # guards _waiting and the hand-over decision
        self._waiting = 0
        self._group: _Group | None = None

    @contextmanager
    def transaction(self) -> Iterator[tuple[Connection, bool]]:
        """The connection of the open write transaction, and whether this writer is its first;
        returns once the transaction is committed (durable) or has failed.

        The first writer needs no savepoint: no one else's work is in the transaction yet, so
        when its work fails the whole transaction is rolled back and the next writer begins
        another. Those after it work in savepoints of their own. (Two statements fewer for
        the writer that is alone, which is most writes on a quiet hub.)"""
        held = _HOLDING.__dict__.setdefault("paths", set())
        if self.lock_file.path in held:
            # A write transaction inside another on the same database would wait for
            # itself; SQLite would have said so after its busy timeout, this says it now.
            raise OperationalError("BEGIN IMMEDIATE", None, Exception(
                "database is locked (a write transaction inside another on this thread)"))
        self._take_baton()
        try:
            group = self._group or self._begin()
        except BaseException:
            self._baton.release()
            raise
        group.members += 1
        first = group.members == 1
        held.add(self.lock_file.path)
        try:
            yield group.connection, first
        except BaseException:
            held.discard(self.lock_file.path)
            if first:
                self._end(group, commit=False)
            else:
                self._leave(group)
            raise
        held.discard(self.lock_file.path)
        if self._leave(group) is not None:
            raise OperationalError("COMMIT", None, Exception(
                f"the write was not committed: {group.error}"))

    def _take_baton(self) -> None:
        with self._state:
            self._waiting += 1
        taken = self._baton.acquire(timeout=BUSY_TIMEOUT_S)
        with self._state:
            self._waiting -= 1
            # The holder may have handed the baton on, counting this thread, just as the wait
            # ran out: take it then, or the open transaction would have no one to commit it.
            taken = taken or self._baton.acquire(blocking=False)
        if not taken:
            raise OperationalError("BEGIN IMMEDIATE", None,
                                   Exception("database is locked (waited for a write turn)"))

    def _begin(self) -> _Group:
        release = ExitStack()
        release.enter_context(self.lock_file.held())  # waits while another process writes
        try:
            connection = self._engine.connect()
            try:
                connection.begin()
            except BaseException:
                connection.close()
                raise
        except BaseException:
            release.close()
            raise
        self._group = _Group(connection, release)
        return self._group

    def _leave(self, group: _Group) -> BaseException | None:
        """Hand the open transaction to a waiting thread, or commit it for everyone in it;
        either way wait for the commit. Returns the commit's error, if it failed."""
        with self._state:
            hand_on = self._waiting > 0 and group.members < GROUP_LIMIT
            if hand_on:
                self._baton.release()
        if hand_on:
            group.done.wait()
            return group.error
        return self._end(group, commit=True)

    def _end(self, group: _Group, *, commit: bool) -> BaseException | None:
        """Commit the transaction (or, when its only writer failed, roll it back), let the
        lock file and the baton go and wake the writers waiting for the commit."""
        try:
            if commit:
                group.connection.commit()
            else:
                group.connection.rollback()
        except BaseException as exc:  # the disk, most likely: no one's write is durable
            group.error = exc
            log.error("a write transaction could not be %s: %s",
                      "committed" if commit else "rolled back", exc)
            # SQLite keeps the transaction open after a failed COMMIT, and SQLAlchemy counts
            # it as ended: rolled back here, or the pool would hand it on half-done.
            group.connection.connection.dbapi_connection.rollback()
        finally:
            try:
                group.connection.close()
            finally:
                self._group = None
                group.release.close()
                group.done.set()
                self._baton.release()
        return group.error


_HOLDING = threading.local()  # the lock files this thread holds a turn of

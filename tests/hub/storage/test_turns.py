"""SQLite write turns: writers that queue while one writes share its commit, each durable when
it returns, each failing alone."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from cyberhub.hub.storage import turns
from cyberhub.hub.storage.models import HubSetting, Permission


@pytest.fixture
def sqlite_db(db, initialised):
    if db.dialect != "sqlite":
        pytest.skip("SQLite only: PostgreSQL commits each write on its own")
    return db


@pytest.fixture
def commits(sqlite_db):
    counted = []
    event.listen(sqlite_db.engine, "commit", lambda _connection: counted.append(1))
    return counted


def _stored(db, key: str) -> bool:
    with db.session() as session:
        return session.get(HubSetting, key) is not None


class _Writer(threading.Thread):
    """Writes one setting (or fails, when `body` raises) and records whether the write could
    be read from another connection at the moment `writing` returned."""

    def __init__(self, db, key: str, body=None) -> None:
        super().__init__()
        self.db, self.key, self.body = db, key, body
        self.error: BaseException | None = None
        self.durable_on_return: bool | None = None

    def run(self) -> None:
        try:
            with self.db.writing() as session:
                session.add(HubSetting(key=self.key, value="v"))
                session.flush()
                if self.body is not None:
                    self.body(session)
        except BaseException as exc:
            self.error = exc
        self.durable_on_return = _stored(self.db, self.key)


def _queue_behind(db, writers: list[_Writer]) -> None:
    """Start the writers while this thread holds the write turn, and let it go only once
    they all wait for it."""
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 30
    while db._turns._waiting < len(writers):
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.005)


def test_writers_that_queue_share_one_commit(sqlite_db, commits):
    writers = [_Writer(sqlite_db, f"queued-{n}") for n in range(3)]
    with sqlite_db.writing() as session:
        session.add(HubSetting(key="first", value="v"))
        _queue_behind(sqlite_db, writers)
    for writer in writers:
        writer.join(30)
    assert [w.error for w in writers] == [None, None, None]
    assert all(w.durable_on_return for w in writers)
    assert _stored(sqlite_db, "first")
    assert len(commits) == 1  # four writes, one commit: one fsync


def test_a_writer_alone_commits_at_once(sqlite_db, commits):
    for n in range(3):
        with sqlite_db.writing() as session:
            session.add(HubSetting(key=f"alone-{n}", value="v"))
        assert _stored(sqlite_db, f"alone-{n}")
    assert len(commits) == 3


def test_a_failing_writer_takes_back_only_its_own_write(sqlite_db, commits):
    def fail(_session):
        raise RuntimeError("refused")

    failing = _Writer(sqlite_db, "failing", body=fail)
    after = _Writer(sqlite_db, "after")
    with sqlite_db.writing() as session:
        session.add(HubSetting(key="first", value="v"))
        _queue_behind(sqlite_db, [failing])
        _queue_behind(sqlite_db, [after])  # queued behind the failing one
    for writer in (failing, after):
        writer.join(30)
    assert isinstance(failing.error, RuntimeError)
    assert after.error is None
    assert (_stored(sqlite_db, "first"), _stored(sqlite_db, "failing"),
            _stored(sqlite_db, "after")) == (True, False, True)
    assert len(commits) == 1


def test_when_the_first_writer_fails_the_queued_ones_begin_anew(sqlite_db, commits):
    """The first writer works without a savepoint: its failure rolls the transaction back
    whole, and the writers queued behind it share the next one."""
    queued = [_Writer(sqlite_db, f"queued-{n}") for n in range(2)]
    with pytest.raises(RuntimeError):
        with sqlite_db.writing() as session:
            session.add(HubSetting(key="first", value="v"))
            session.flush()
            _queue_behind(sqlite_db, queued)
            raise RuntimeError("refused")
    for writer in queued:
        writer.join(30)
    assert [w.error for w in queued] == [None, None]
    assert all(w.durable_on_return for w in queued)
    assert not _stored(sqlite_db, "first")
    assert len(commits) == 1


def test_a_failed_commit_fails_every_writer_in_it(sqlite_db):
    """A foreign key checked only at COMMIT makes the shared commit fail: neither write is
    stored, and both writers are told, not just the one that caused it."""
    def dangling_permission(session):
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.add(Permission(account_id=987654, collection_id="nowhere"))

    queued = _Writer(sqlite_db, "queued", body=dangling_permission)
    with pytest.raises(OperationalError, match="not committed"):
        with sqlite_db.writing() as session:
            session.add(HubSetting(key="first", value="v"))
            _queue_behind(sqlite_db, [queued])
    queued.join(30)
    assert isinstance(queued.error, OperationalError)
    assert not _stored(sqlite_db, "first") and not _stored(sqlite_db, "queued")
    with sqlite_db.writing() as session:  # and the next write goes through as usual
        session.add(HubSetting(key="next", value="v"))
    assert _stored(sqlite_db, "next")


def test_a_group_is_bounded(sqlite_db, commits):
    """Writers beyond the limit start the next transaction, so the first writer of a busy
    hub does not wait behind an endless line."""
    writers = [_Writer(sqlite_db, f"w{n}") for n in range(turns.GROUP_LIMIT + 2)]
    with sqlite_db.writing():
        _queue_behind(sqlite_db, writers)
    for writer in writers:
        writer.join(30)
    assert all(w.error is None and w.durable_on_return for w in writers)
    assert len(commits) == 2

"""Migrations own the schema; the models must describe exactly what they create."""

import os
import stat
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cyberhub.hub.storage.models import Base


def test_models_match_migrations(db):
    db.migrate()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrate_is_idempotent(db):
    db.migrate()
    db.migrate()


def test_write_transactions_roll_back_on_error(db, initialised):
    from cyberhub.hub.storage.models import HubSetting

    try:
        with db.writing() as session:
            session.add(HubSetting(key="probe", value="x"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as session:
        assert session.get(HubSetting, "probe") is None


def test_sqlite_commits_are_durable(tmp_path):
    """WAL with synchronous=FULL (2): every commit is synced, so what the hub acknowledged
    survives a power cut; NORMAL (1) could lose the last transactions (issue 12). Checked on
    both kinds of session, which open their own connections from the pool."""
    from sqlalchemy import text

    from cyberhub.hub.storage.database import Database

    db = Database(f"sqlite:///{tmp_path / 'durable.db'}")
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        with db.writing() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2
        with db.session() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2
    finally:
        db.dispose()


def test_sqlite_writers_take_turns_through_a_lock_file(db, tmp_path):
    """A write transaction holds the lock file beside the database (mode 0600) until it ends,
    so a writer in another process sleeps in the kernel instead of polling SQLite's lock."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite only: PostgreSQL writers wait on row locks")
    probe = ("import fcntl, os, sys\n"
             "handle = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "except BlockingIOError:\n    sys.exit(3)\n")
    lock_file = f"{os.path.realpath(db.engine.url.database)}.write-lock"

    def another_process_may_write() -> bool:
        done = subprocess.run([sys.executable, "-c", probe, lock_file], timeout=30)
        return done.returncode == 0

    with db.writing():
        assert stat.S_IMODE(os.stat(lock_file).st_mode) == 0o600
        assert not another_process_may_write()
    assert another_process_may_write()


def test_a_write_inside_another_on_the_same_thread_fails_at_once(db, initialised):
    """It would wait for itself: refused at once with SQLite's 'database is locked', nothing
    of either written."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    from sqlalchemy.exc import OperationalError

    from cyberhub.hub.storage.models import HubSetting

    with pytest.raises(OperationalError, match="database is locked"):
        with db.writing() as outer:
            outer.add(HubSetting(key="outer", value="x"))
            outer.flush()
            with db.writing():
                pass
    with db.session() as session:
        assert session.get(HubSetting, "outer") is None
    with db.writing() as session:  # and the next write takes its turn as usual
        session.add(HubSetting(key="after", value="y"))


def test_a_lock_file_that_cannot_be_opened_leaves_the_waiting_to_sqlite(settings, caplog):
    """Writes go on (SQLite's own busy handler orders them) and the log says why, once."""
    from cyberhub.hub.storage.database import Database
    from cyberhub.hub.storage.models import HubSetting

    if not settings.effective_database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    database = Database(settings.effective_database_url)
    try:
        os.makedirs(settings.home, exist_ok=True)
        os.mkdir(f"{os.path.realpath(database.engine.url.database)}.write-lock")  # unopenable
        database.migrate()
        for n in range(2):
            with database.writing() as session:
                session.add(HubSetting(key=f"k{n}", value="v"))
        with database.session() as session:
            assert session.get(HubSetting, "k1").value == "v"
        warnings = [r for r in caplog.records if "SQLite's own waiting" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        database.dispose()

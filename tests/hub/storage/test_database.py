"""Migrations own the schema; the models must describe exactly what they create."""

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

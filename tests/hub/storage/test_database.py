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

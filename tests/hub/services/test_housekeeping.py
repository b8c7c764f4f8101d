"""The housekeeping sweep `cyberhub scheduler` runs every minute."""

from __future__ import annotations

import json
import time

from conftest import indicator
from sqlalchemy import select, text

from cyberhub.core import stix, timestamps
from cyberhub.hub import nodes, setup
from cyberhub.hub.services import housekeeping, ingest
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import AcceptedToken, StatusRecord

HOUR = 3_600_000_000


def test_old_statuses_and_expired_tokens_are_forgotten_the_rest_kept(db, collection_ids):
    raw = stix.parse_envelope(json.dumps({"objects": [indicator(1)]}))[1]
    with db.writing() as session:
        old = ingest.add_envelope(session, collection_ids["scratch"], raw, account_id=1,
                                  now=lambda: 10 * HOUR)
        recent = ingest.add_envelope(session, collection_ids["scratch"], raw, account_id=1,
                                     now=lambda: 40 * HOUR)
        nodes.remember_jti(session, "spent", exp=0)
        nodes.remember_jti(session, "live", exp=100 * HOUR // 1_000_000)
    swept = housekeeping.sweep(db, now=50 * HOUR, status_retention_hours=24)
    assert (swept.statuses, swept.tokens) == (1, 1)
    with db.session() as session:
        assert set(session.scalars(select(StatusRecord.id))) == {recent.id} != {old.id}
        assert list(session.scalars(select(AcceptedToken.jti))) == ["live"]


def test_on_postgresql_a_grown_objects_table_is_analysed(postgres_url, tmp_path):
    settings = load_settings({"home": str(tmp_path), "database_url": postgres_url}, environ={})
    db = Database(postgres_url)
    try:
        setup.initialise(settings, db, now=timestamps.now_us())
        with db.engine.begin() as connection:
            # Autovacuum must not analyse the table first: this test is about the sweep.
            connection.execute(text("ALTER TABLE objects SET (autovacuum_enabled = false)"))
            collection = connection.execute(text(
                "SELECT id FROM collections WHERE alias = 'indicators'")).scalar_one()
        raw = stix.parse_envelope(json.dumps({"objects": [indicator(i) for i in range(50)]}))[1]
        with db.writing() as session:
            ingest.add_envelope(session, collection, raw, account_id=1)
        now = timestamps.now_us()
        assert not housekeeping.sweep(db, now=now, status_retention_hours=24,
                                      analyze_after=10_000).analyzed
        # The statistics system counts the new rows within a second or so.
        deadline = time.monotonic() + 15
        analyzed = False
        while not analyzed and time.monotonic() < deadline:
            analyzed = housekeeping.sweep(db, now=now, status_retention_hours=24,
                                          analyze_after=50).analyzed
            time.sleep(0.2)
        assert analyzed
        with db.engine.connect() as connection:
            assert connection.scalar(text(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'objects' AND schemaname = current_schema()"))
        # Analysed, the table has no changes to count until it grows again.
        assert not housekeeping.sweep(db, now=now, status_retention_hours=24,
                                      analyze_after=50).analyzed
    finally:
        db.dispose()

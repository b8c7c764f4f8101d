"""PostgreSQL-specific behaviour, run on every CI run (also the SQLite one)."""

import json
import multiprocessing

from conftest import indicator
from sqlalchemy import select

from cyberhub.core import stix, timestamps
from cyberhub.hub import setup
from cyberhub.hub.services import ingest
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import StoredObject


def _writer(url: str, collection_id: str, offset: int) -> None:
    db = Database(url)
    for batch in range(10):
        objects = [indicator(offset * 1000 + batch * 10 + i) for i in range(10)]
        raw = stix.parse_envelope(json.dumps({"objects": objects}))[1]
        with db.writing() as session:
            ingest.add_envelope(session, collection_id, raw, account_id=1)
    db.dispose()


def test_concurrent_processes_get_unique_increasing_date_added(postgres_url, tmp_path):
    settings = load_settings({"home": str(tmp_path), "database_url": postgres_url}, environ={})
    db = Database(postgres_url)
    assert db.dialect == "postgresql"
    setup.initialise(settings, db, now=timestamps.now_us())
    with db.session() as session:
        from cyberhub.hub.collections import find
        collection_id = find(session, "reports").id
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(postgres_url, collection_id, n))
               for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with db.session() as session:
        rows = session.execute(
            select(StoredObject.date_added, StoredObject.object_id)
            .where(StoredObject.collection_id == collection_id,
                   StoredObject.type == "indicator")
            .order_by(StoredObject.date_added)).all()
    db.dispose()
    assert len(rows) == 300 and len({r.date_added for r in rows}) == 300
    # Envelopes never interleave: each one's ten stamps are consecutive rows.
    envelopes = [int(r.object_id[-12:], 16) // 10 for r in rows]
    assert all(len(set(envelopes[i:i + 10])) == 1 for i in range(0, 300, 10))

"""Storing envelopes: date_added order, duplicates, conflicts, version flags, status records."""

import json
import threading

from conftest import indicator
from sqlalchemy import select

from cyberhub.core import stix
from cyberhub.hub.services import ingest
from cyberhub.hub.storage.models import StatusRecord, StoredObject


def _raw(objects):
    return stix.parse_envelope(json.dumps({"objects": objects}))[1]


def _add(db, collection_id, objects, now=None):
    kwargs = {"now": (lambda: now)} if now is not None else {}
    with db.writing() as session:
        return ingest.add_envelope(session, collection_id, _raw(objects), account_id=1, **kwargs)


def _rows(db, collection_id):
    with db.session() as session:
        return session.execute(
            select(StoredObject).where(StoredObject.collection_id == collection_id)
            .order_by(StoredObject.date_added)
        ).scalars().all()


def test_date_added_is_unique_and_increasing_even_with_a_frozen_clock(db, collection_ids):
    cid = collection_ids["scratch"]
    _add(db, cid, [indicator(i) for i in range(5)], now=1_000_000)
    _add(db, cid, [indicator(i) for i in range(5, 8)], now=1_000_000)  # clock did not move
    stamps = [row.date_added for row in _rows(db, cid)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 8
    assert stamps[0] == 1_000_000 and stamps[-1] == 1_000_007


def test_clock_going_backwards_does_not_reorder(db, collection_ids):
    cid = collection_ids["scratch"]
    _add(db, cid, [indicator(1)], now=5_000_000)
    _add(db, cid, [indicator(2)], now=4_000_000)
    assert [row.date_added for row in _rows(db, cid)] == [5_000_000, 5_000_001]


def test_stored_text_is_exactly_what_was_sent(db, collection_ids):
    cid = collection_ids["scratch"]
    text = json.dumps(indicator(1), indent=2, ensure_ascii=False).replace("indicator 1", "Zähler")
    body = '{"objects": [' + text + ']}'
    with db.writing() as session:
        ingest.add_envelope(session, cid, stix.parse_envelope(body)[1], account_id=1)
    assert _rows(db, cid)[0].body == text


def test_exact_duplicates_are_successes_and_stored_once(db, collection_ids):
    cid = collection_ids["scratch"]
    _add(db, cid, [indicator(1)])
    report = _add(db, cid, [indicator(1), indicator(1)])
    assert len(report.successes) == 2 and not report.failures
    assert len(_rows(db, cid)) == 1


def test_same_version_with_other_content_is_a_failure(db, collection_ids):
    cid = collection_ids["scratch"]
    _add(db, cid, [indicator(1)])
    report = _add(db, cid, [indicator(1, name="changed")])
    assert report.failures and "already stored" in report.failures[0]["message"]
    assert json.loads(_rows(db, cid)[0].body)["name"] == "indicator 1"


def test_first_and_last_flags_follow_versions_not_arrival(db, collection_ids):
    cid = collection_ids["scratch"]
    _add(db, cid, [indicator(1, "2026-03-01T00:00:00.000Z")])
    _add(db, cid, [indicator(1, "2026-05-01T00:00:00.000Z"),
                   indicator(1, "2026-02-01T00:00:00.000Z")])
    flags = {row.version: (row.is_first, row.is_last) for row in _rows(db, cid)}
    assert flags == {
        "2026-03-01T00:00:00.000Z": (False, False),
        "2026-05-01T00:00:00.000Z": (False, True),
        "2026-02-01T00:00:00.000Z": (True, False),
    }


def test_unversioned_objects_dedupe_by_content_and_version_by_date_added(db, collection_ids):
    cid = collection_ids["scratch"]
    ip = {"type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-5000-8000-000000000001",
          "value": "203.0.113.1"}
    _add(db, cid, [ip], now=7_000_000)
    again = _add(db, cid, [dict(ip)], now=8_000_000)
    assert again.successes[0]["version"] == "1970-01-01T00:00:07.000000Z"
    _add(db, cid, [{**ip, "resolves_to_refs": ["mac-addr--00000000-0000-5000-8000-000000000002"]}],
         now=9_000_000)
    rows = _rows(db, cid)
    assert [(r.version, r.is_last) for r in rows] == [
        ("1970-01-01T00:00:07.000000Z", False), ("1970-01-01T00:00:09.000000Z", True)]


def test_invalid_objects_are_failures_and_not_stored(db, collection_ids):
    cid = collection_ids["scratch"]
    report = _add(db, cid, [indicator(1), {"type": "indicator", "id": "nope"}])
    assert [f["id"] for f in report.failures] == ["nope"]
    assert len(_rows(db, cid)) == 1


def test_status_record_counts_match(db, collection_ids):
    cid = collection_ids["scratch"]
    report = _add(db, cid, [indicator(1), indicator(2), {"type": "x"}])
    with db.session() as session:
        record = session.get(StatusRecord, report.id)
    assert (record.total_count, record.success_count, record.failure_count) == (3, 2, 1)
    assert len(json.loads(record.details)["successes"]) == 2


def test_concurrent_writers_get_distinct_ordered_stamps(db, collection_ids):
    cid = collection_ids["scratch"]
    errors = []

    def writer(offset):
        try:
            for batch in range(5):
                base = offset * 1000 + batch * 10
                _add(db, cid, [indicator(base + i) for i in range(10)])
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = _rows(db, cid)
    assert len(rows) == 200
    assert len({row.date_added for row in rows}) == 200
    # Each envelope's objects are contiguous: stamps were handed out under the collection lock.
    by_envelope = {}
    for position, row in enumerate(rows):
        by_envelope.setdefault(int(row.object_id[-12:], 16) // 10, []).append(position)
    assert all(p == list(range(p[0], p[0] + 10)) for p in by_envelope.values())

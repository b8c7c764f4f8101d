"""The observable index: one row per (key, incident), written in the ingest transaction.

A signed group from a town is one report. Its incident is the `incident` object it carries (a
later stage carries the same one); a report without one (a sighting sent back by an agent) is
its own incident, named after its first object. Keys from warning lists are kept, marked with
the list's name, so an explanation can say why an address linked nothing; they never link.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cyberhub.core import signing, timestamps, tlp
from cyberhub.hub.correlation.index_keys import object_keys
from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.storage.models import KeyStat, Observation

SKIP_TYPES = frozenset({"identity", "marking-definition", "relationship", "extension-definition",
                        signing.SIGNATURE_TYPE, "observed-data"})
_TIMES = {"observed-data": "first_observed", "sighting": "first_seen"}


@dataclass(frozen=True)
class Row:
    key: str
    kind: str
    node_id: int
    incident_id: str
    object_id: str
    seen: int
    tlp: str | None
    listed: str | None


def key_text(kind: str, value: str) -> str:
    text_ = f"{kind}:{value}"
    if len(text_) <= 400:
        return text_
    return f"{kind}:sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def _seen(objects: list[dict[str, Any]], fallback: int) -> int:
    """When the town saw it: the earliest observation (observed-data, sighting) the report
    gives, else when the incident was created. Not an indicator's valid_from: a town may pass
    on an indicator that has been valid for years."""
    times = []
    for obj in objects:
        name = _TIMES.get(obj.get("type"))
        parsed = timestamps.parse_stix(obj.get(name)) if name else None
        if parsed is not None:
            times.append(int(parsed[0].timestamp() * 1_000_000))
    return min(times) if times else fallback


def _tlp(objects: list[dict[str, Any]], held: set[str]) -> str | None:
    return tlp.audience_level([ref for obj in objects for ref in tlp.marking_refs(obj)], held)


def rows_for_report(objects: list[dict[str, Any]], *, node_id: int, lists: Warninglists,
                    now: int, held: set[str] = frozenset()) -> list[Row]:
    """The index rows of one town report (a signed group). `held`: the marking-definitions
    the hub holds among those the report names; any other non-TLP marking counts as RED."""
    content = [o for o in objects if o.get("type") not in SKIP_TYPES]
    if not content:
        return []
    incident = next((o for o in content if o.get("type") == "incident"), None)
    # Without an incident (a sighting sent back by an agent) the report is its own incident,
    # named by its first SDO or SRO: SCO ids are derived from their values and so are shared
    # by every town that saw the same address.
    named = incident or next((o for o in content if "created" in o), content[0])
    incident_id = named["id"]
    created = timestamps.parse_stix(named.get("created"))
    seen = _seen(objects, int(created[0].timestamp() * 1_000_000) if created else now)
    marking = _tlp([incident] if incident else content, held)
    found: dict[str, Row] = {}
    for obj in objects:
        if obj.get("type") in ("identity", "marking-definition", signing.SIGNATURE_TYPE):
            continue
        for kind, value in object_keys(obj):
            key = key_text(kind, value)
            if key not in found:
                found[key] = Row(key, kind, node_id, incident_id, obj["id"], seen, marking,
                                 lists.listed(kind, value))
    return list(found.values())


_STATEMENTS: dict[str, tuple[Any, Any]] = {}


def _statements(dialect: str) -> tuple[Any, Any]:
    """The two inserts of `add_rows`, built once per dialect so SQLAlchemy compiles them once:
    they run on every town report."""
    if dialect not in _STATEMENTS:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        rows = insert(Observation).on_conflict_do_nothing(
            index_elements=["key", "incident_id"]).returning(Observation.key,
                                                             Observation.incident_id)
        stat = insert(KeyStat)
        stat = stat.on_conflict_do_update(index_elements=["key"], set_={
            "postings": KeyStat.postings + stat.excluded.postings})
        _STATEMENTS[dialect] = (rows, stat)
    return _STATEMENTS[dialect]


def add_rows(session: Session, rows: Iterable[Row]) -> list[Row]:
    """Insert rows not there yet (same key, same incident); count the new ones per key."""
    rows = list(rows)
    if not rows:
        return []
    connection = session.connection()
    insert_rows, count_keys = _statements(connection.dialect.name)
    added = {(key, incident) for key, incident in connection.execute(
        insert_rows, [row.__dict__ for row in rows])}
    if not added:
        return []
    counts = Counter(key for key, _ in added)
    connection.execute(count_keys, [{"key": key, "postings": n}
                                    for key, n in sorted(counts.items())])
    return [row for row in rows if (row.key, row.incident_id) in added]


ROW_COLUMNS = (Observation.key, Observation.kind, Observation.node_id, Observation.incident_id,
        Observation.object_id, Observation.seen, Observation.tlp, Observation.listed)


def _rows_where(session: Session, column: Any, values: Iterable[str]) -> list[Row]:
    values = list(values)
    found: list[Row] = []
    for start in range(0, len(values), 500):
        result = session.execute(select(*ROW_COLUMNS).where(column.in_(values[start:start + 500])))
        found += [Row(*row) for row in result]
    return found


def keys_of(session: Session, incident_ids: Iterable[str]) -> list[Row]:
    """Every row of these incidents."""
    return _rows_where(session, Observation.incident_id, incident_ids)


def postings_of(session: Session, keys: Iterable[str]) -> list[Row]:
    """Every row with these keys."""
    return _rows_where(session, Observation.key, keys)


def postings_counts(session: Session, keys: Iterable[str]) -> dict[str, int]:
    keys = list(keys)
    counts: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        counts.update(session.execute(select(KeyStat.key, KeyStat.postings).where(
            KeyStat.key.in_(keys[start:start + 500]))).all())
    return counts


def relist(session: Session, lists: Warninglists) -> int:
    """Re-apply the warning lists to every stored key (after a list changed)."""
    changed = 0
    rows = session.execute(select(Observation.key, Observation.kind, Observation.listed)
                           .distinct()).all()
    for key, kind, listed in rows:
        now_listed = lists.listed(kind, key.split(":", 1)[1])
        if now_listed != listed:
            session.execute(update(Observation).where(Observation.key == key)
                            .values(listed=now_listed))
            changed += 1
    return changed


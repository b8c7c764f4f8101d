"""The observable index: one row per (key, incident), written in the ingest transaction.

A signed group from a town is one report. Its incident is the `incident` object it carries (a
later stage carries the same one); a report without one (a sighting sent back by an agent) is
its own incident, named after its first object. Keys from warning lists are kept, marked with
the list's name, so an explanation can say why an address linked nothing; they never link.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from cyberhub.core import signing, timestamps, tlp
from cyberhub.hub.correlation.index_keys import object_keys
from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.storage.inserts import insert_for
from cyberhub.hub.storage.models import HubSetting, KeyStat, Observation

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


@dataclass(frozen=True)
class Draft:
    """A town report's index rows before its TLP is decided: everything but the lookup of
    the marking-definitions the hub holds, so that ingest can make it before it takes the
    write lock (`refs`: the markings that decide the report's TLP)."""
    rows: list[Row]
    refs: list[str]

    def finish(self, held: set[str] = frozenset()) -> list[Row]:
        level = tlp.audience_level(self.refs, held)
        return [row if row.tlp == level else dataclasses.replace(row, tlp=level)
                for row in self.rows]


def draft(objects: list[dict[str, Any]], *, node_id: int, lists: Warninglists,
          now: int) -> Draft:
    """The index rows of one town report (a signed group), their TLP still open."""
    content = [o for o in objects if o.get("type") not in SKIP_TYPES]
    if not content:
        return Draft([], [])
    incident = next((o for o in content if o.get("type") == "incident"), None)
    # Without an incident (a sighting sent back by an agent) the report is its own incident,
    # named by its first SDO or SRO: SCO ids are derived from their values and so are shared
    # by every town that saw the same address.
    named = incident or next((o for o in content if "created" in o), content[0])
    incident_id = named["id"]
    created = timestamps.parse_stix(named.get("created"))
    seen = _seen(objects, int(created[0].timestamp() * 1_000_000) if created else now)
    refs = [ref for obj in ([incident] if incident else content)
            for ref in tlp.marking_refs(obj)]
    found: dict[str, Row] = {}
    for obj in objects:
        if obj.get("type") in ("identity", "marking-definition", signing.SIGNATURE_TYPE):
            continue
        for kind, value in object_keys(obj):
            key = key_text(kind, value)
            if key not in found:
                found[key] = Row(key, kind, node_id, incident_id, obj["id"], seen, None,
                                 lists.listed(kind, value))
    return Draft(list(found.values()), refs)


_STATEMENTS: dict[str, tuple[Any, Any]] = {}


def _statements(dialect: str) -> tuple[Any, Any]:
    """The two inserts of `add_rows`, built once per dialect so SQLAlchemy compiles them once:
    they run on every town report."""
    if dialect not in _STATEMENTS:
        insert = insert_for(dialect)
        rows = insert(Observation).on_conflict_do_nothing(
            index_elements=["key", "incident_id"]).returning(Observation.key,
                                                             Observation.incident_id)
        stat = insert(KeyStat)
        stat = stat.on_conflict_do_update(index_elements=["key"], set_={
            "postings": KeyStat.postings + stat.excluded.postings}).returning(
            KeyStat.key, KeyStat.postings)
        _STATEMENTS[dialect] = (rows, stat)
    return _STATEMENTS[dialect]


@dataclass
class Added:
    """What `add_rows` wrote: the new rows, and each of their keys' postings count after them.
    The count comes back from the same upsert that raised it, so of two reports adding one
    key at once the later one sees both (the key's row is locked until the first commits)."""
    rows: list[Row]
    counts: dict[str, int]


def add_rows(session: Session, rows: Iterable[Row]) -> Added:
    """Insert rows not there yet (same key, same incident); count the new ones per key."""
    rows = list(rows)
    if not rows:
        return Added([], {})
    connection = session.connection()
    insert_rows, count_keys = _statements(connection.dialect.name)
    added = {(key, incident) for key, incident in connection.execute(
        insert_rows, [row.__dict__ for row in rows])}
    if not added:
        return Added([], {})
    counts = Counter(key for key, _ in added)
    totals = dict(connection.execute(count_keys, [{"key": key, "postings": n}
                                                  for key, n in sorted(counts.items())]).all())
    return Added([row for row in rows if (row.key, row.incident_id) in added], totals)


ROW_COLUMNS = (Observation.key, Observation.kind, Observation.node_id, Observation.incident_id,
        Observation.object_id, Observation.seen, Observation.tlp, Observation.listed)

# The reads of the correlation path, built once and run as Core on the session's connection:
# they run several times per linked report, and building an ORM statement each time cost more
# than the database's answer.
_CHUNK = 500
_ROWS_OF_INCIDENTS = select(*ROW_COLUMNS).where(
    Observation.incident_id.in_(bindparam("values", expanding=True)))
_ROWS_OF_KEYS = select(*ROW_COLUMNS).where(Observation.key.in_(bindparam("values", expanding=True)))
_COUNTS = select(KeyStat.key, KeyStat.postings).where(
    KeyStat.key.in_(bindparam("values", expanding=True)))
_PER_INCIDENT = select(Observation.incident_id, func.count()).where(
    Observation.incident_id.in_(bindparam("values", expanding=True))).group_by(
    Observation.incident_id)


def _chunks(session: Session, statement: Any, values: Iterable[str]) -> Iterator[Any]:
    values = sorted(set(values))
    connection = session.connection()
    for start in range(0, len(values), _CHUNK):
        yield from connection.execute(statement, {"values": values[start:start + _CHUNK]})


def keys_of(session: Session, incident_ids: Iterable[str]) -> list[Row]:
    """Every row of these incidents."""
    return [Row(*row) for row in _chunks(session, _ROWS_OF_INCIDENTS, incident_ids)]


def postings_of(session: Session, keys: Iterable[str]) -> list[Row]:
    """Every row with these keys."""
    return [Row(*row) for row in _chunks(session, _ROWS_OF_KEYS, keys)]


def postings_counts(session: Session, keys: Iterable[str]) -> dict[str, int]:
    return dict(_chunks(session, _COUNTS, keys))  # type: ignore[arg-type]


def rows_per_incident(session: Session, incident_ids: Iterable[str]) -> dict[str, int]:
    """How many rows each of these incidents has."""
    return dict(_chunks(session, _PER_INCIDENT, incident_ids))  # type: ignore[arg-type]


# How often `relist` changed stored rows: the one change to the index that adds no row and
# moves no count, so the reads of a detection run (`engine.Reads`) compare it too.
_RELISTED_KEY = "correlation.relisted"
_RELISTED = select(HubSetting.value).where(HubSetting.key == _RELISTED_KEY)


def relisted(session: Session) -> int:
    return int(session.connection().execute(_RELISTED).scalar() or 0)


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
    if changed:
        session.merge(HubSetting(key=_RELISTED_KEY, value=str(relisted(session) + 1)))
    return changed


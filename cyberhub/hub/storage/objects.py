"""The object repository: the one place that writes, pages, finds and deletes stored STIX
objects. Ingest (town reports, TAXII POSTs) and publishing (everything the hub signs) both
write through `write`; every TAXII read pages through `page`.

Writes: every stored object gets a `date_added` that is unique and strictly increasing within
its collection. The collection row is locked for the transaction (FOR UPDATE on PostgreSQL,
the database write lock on SQLite), so stamps are handed out in commit order: a reader that
has seen stamp T has also seen everything stamped before T, and resuming with `added_after`
can neither skip nor repeat an object.

Reads: keyset pages over (collection, date_added), served from the stored JSON text; nothing is
parsed on the read path. A town reading an addressed collection gets the visibility condition
of `visibility.py` in every page's query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from cyberhub.core import stix, timestamps
from cyberhub.hub.storage.models import Collection, StoredObject
from cyberhub.hub.storage.visibility import visible_to_node

_CHUNK = 500


# --- Writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An object that passed every check and may be written, with what the writer needs."""

    obj: dict[str, Any]
    text: str
    object_id: str
    version: stix.Version | None
    digest: str

    @classmethod
    def of(cls, raw: stix.RawObject) -> Candidate:
        return cls(raw.value, raw.text, raw.value["id"], stix.object_version(raw.value),
                   stix.digest(raw.value))


@dataclass(frozen=True)
class Outcome:
    """What `write` did with one candidate: "stored", "duplicate" (an identical copy is
    there already) or "conflict" (another object with this id and version is there)."""

    candidate: Candidate
    version: str
    state: str


# The write statements are built once: building SQL expressions costs more than running them.
_EXISTING = select(StoredObject.object_id, StoredObject.version_key, StoredObject.digest).where(
    StoredObject.collection_id == bindparam("collection_id"),
    StoredObject.object_id.in_(bindparam("ids", expanding=True)),
)
_LOCK_COLLECTION = select(Collection.last_date_added).where(
    Collection.id == bindparam("collection_id")).with_for_update()
_ADVANCE_COLLECTION = update(Collection).where(
    Collection.id == bindparam("collection_id")).values(last_date_added=bindparam("last"))


def existing_versions(
    session: Session, collection_id: str, object_ids: set[str]
) -> dict[str, dict[str, str]]:
    """For each id already stored in the collection: version_key → digest."""
    found: dict[str, dict[str, str]] = {}
    ids = sorted(object_ids)
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(_EXISTING, {"collection_id": collection_id,
                                              "ids": ids[start:start + _CHUNK]})
        for object_id, version_key, digest in rows:
            found.setdefault(object_id, {})[version_key] = digest
    return found


def lock_collection(session: Session, collection_id: str) -> int:
    """Take the collection's write lock for the transaction; returns its last date_added.
    A caller that decides on what is stored takes it first, so nothing changes under it."""
    last = session.connection().scalar(_LOCK_COLLECTION, {"collection_id": collection_id})
    if last is None:
        raise LookupError(f"collection {collection_id} does not exist")
    return last


def creators(session: Session, collection_id: str, object_ids: set[str]) -> dict[str, str | None]:
    """Who created each stored object: its first version's created_by_ref (an identity without
    one created itself); None when the object names no creator."""
    found: dict[str, str | None] = {}
    ids = sorted(object_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.connection().execute(
            select(StoredObject.object_id, StoredObject.body).where(
                StoredObject.collection_id == collection_id, StoredObject.is_first,
                StoredObject.object_id.in_(ids[start:start + _CHUNK])))
        for object_id, body in rows:
            found[object_id] = creator_of(json.loads(body))
    return found


def creator_of(obj: dict[str, Any]) -> str | None:
    creator = obj.get("created_by_ref")
    if creator is None and obj.get("type") == "identity":
        return obj.get("id")
    return creator if isinstance(creator, str) else None


def held_markings(session: Session, marking_ids: set[str]) -> set[str]:
    """The marking-definitions among `marking_ids` that some collection of the hub holds."""
    if not marking_ids:
        return set()
    return set(session.connection().scalars(
        select(StoredObject.object_id).where(
            # Naming the collections lets the (collection, type) index serve the lookup.
            StoredObject.collection_id.in_(select(Collection.id)),
            StoredObject.type == "marking-definition",
            StoredObject.object_id.in_(sorted(marking_ids))).distinct()))


@dataclass(frozen=True)
class Locked:
    """What a caller that took the collection's lock has read under it already: the last
    `date_added` (`lock_collection`) and the stored versions of (at least) the candidates'
    ids (`existing_versions`). `write` then does not read them again."""
    last_added: int
    existing: dict[str, dict[str, str]]


def write(session: Session, collection_id: str, candidates: list[Candidate], *, now: int,
          locked: Locked | None = None) -> list[Outcome]:
    """Store the candidates that are new, in the caller's write transaction; one outcome per
    candidate, in order. Duplicates and conflicts are not written."""
    connection = session.connection()
    if locked is None:
        last = lock_collection(session, collection_id)
        existing = existing_versions(session, collection_id, {c.object_id for c in candidates})
    else:
        last = locked.last_added
        existing = {object_id: dict(versions) for object_id, versions in
                    locked.existing.items()}
    previously_stored = set(existing)
    outcomes: list[Outcome] = []
    rows: list[dict[str, Any]] = []
    stamp = max(now, last + 1)
    for candidate in candidates:
        versions = existing.setdefault(candidate.object_id, {})
        if candidate.version is None:
            # Unversioned objects (SCOs): an identical copy is a duplicate; anything else is a
            # new version named by its date_added, the value "consistent to the server".
            if candidate.digest in versions.values():
                outcomes.append(Outcome(candidate, _unversioned_label(versions, candidate),
                                        "duplicate"))
                continue
            version_text = timestamps.format_us(stamp)
            version_key = timestamps.us_to_key(stamp)
        else:
            version_text, version_key = candidate.version.text, candidate.version.key
            stored_digest = versions.get(version_key)
            if stored_digest is not None:
                state = "duplicate" if stored_digest == candidate.digest else "conflict"
                outcomes.append(Outcome(candidate, version_text, state))
                continue
        versions[version_key] = candidate.digest
        rows.append({
            "collection_id": collection_id,
            "object_id": candidate.object_id,
            "type": candidate.obj["type"],
            "version": version_text,
            "version_key": version_key,
            "spec_version": candidate.obj.get("spec_version", "2.1"),
            "date_added": stamp,
            "digest": candidate.digest,
            "body": candidate.text,
        })
        outcomes.append(Outcome(candidate, version_text, "stored"))
        stamp += 1
    if rows:
        _set_flags(rows, existing)
        connection.execute(insert(StoredObject), rows)
        _clear_old_flags(session, collection_id, rows, previously_stored, existing)
        connection.execute(_ADVANCE_COLLECTION,
                           {"collection_id": collection_id, "last": rows[-1]["date_added"]})
    return outcomes


def _unversioned_label(versions: dict[str, str], candidate: Candidate) -> str:
    for key, digest in versions.items():
        if digest == candidate.digest:
            return timestamps.format_us(timestamps.key_to_us(key))
    return ""


def _set_flags(rows: list[dict[str, Any]], existing: dict[str, dict[str, str]]) -> None:
    for row in rows:
        keys = existing[row["object_id"]]
        row["is_first"] = row["version_key"] == min(keys)
        row["is_last"] = row["version_key"] == max(keys)


def _clear_old_flags(
    session: Session,
    collection_id: str,
    rows: list[dict[str, Any]],
    previously_stored: set[str],
    existing: dict[str, dict[str, str]],
) -> None:
    """Older rows of objects that just got a new first or last version lose that flag."""
    touched = {row["object_id"] for row in rows} & previously_stored
    for object_id in sorted(touched):
        keys = existing[object_id]
        first, last = min(keys), max(keys)
        # One statement for both flags: a flagged row keeps a flag only if it is still
        # that version (the new rows were inserted with theirs set right).
        session.connection().execute(update(StoredObject).where(
            StoredObject.collection_id == collection_id, StoredObject.object_id == object_id,
            or_(StoredObject.is_first, StoredObject.is_last),
        ).values(is_first=StoredObject.version_key == first,
                 is_last=StoredObject.version_key == last))


# --- Reading and deleting -----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """TAXII filters (section 3.4) in the form the queries use."""

    added_after: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    # "first", "last" and/or version keys; ("all",) for every version.
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    # A node reading an addressed collection: only what is addressed to this node.
    node_id: int | None = None


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    more: bool

    @property
    def first_added(self) -> int | None:
        return self.rows[0].date_added if self.rows else None

    @property
    def last_added(self) -> int | None:
        return self.rows[-1].date_added if self.rows else None


def _conditions(filters: Filters, lower: bool) -> list[Any]:
    """The WHERE clause for filters of this shape, with bound parameters for the values."""
    where: list[Any] = [StoredObject.collection_id == bindparam("collection_id")]
    if lower:
        where.append(StoredObject.date_added > bindparam("lower"))
    if filters.ids:
        where.append(StoredObject.object_id.in_(bindparam("ids", expanding=True)))
    if filters.types:
        where.append(StoredObject.type.in_(bindparam("types", expanding=True)))
    if filters.spec_versions:
        where.append(StoredObject.spec_version.in_(bindparam("spec_versions", expanding=True)))
    if "all" not in filters.versions:
        choices: list[Any] = []
        if "last" in filters.versions:
            choices.append(StoredObject.is_last)
        if "first" in filters.versions:
            choices.append(StoredObject.is_first)
        if _version_keys(filters):
            choices.append(StoredObject.version_key.in_(bindparam("keys", expanding=True)))
        where.append(or_(*choices))
    if filters.node_id is not None:
        where.append(visible_to_node(StoredObject.object_id))
    return where


def _version_keys(filters: Filters) -> list[str]:
    return [v for v in filters.versions if v not in ("first", "last", "all")]


def _parameters(collection_id: str, filters: Filters, lower: int | None) -> dict[str, Any]:
    return {"collection_id": collection_id, "lower": lower, "ids": list(filters.ids),
            "types": list(filters.types), "spec_versions": list(filters.spec_versions),
            "keys": _version_keys(filters), "node_id": filters.node_id}


def _shape(filters: Filters, lower: int | None) -> tuple:
    return (lower is not None, bool(filters.ids), bool(filters.types),
            bool(filters.spec_versions), "all" in filters.versions, "last" in filters.versions,
            "first" in filters.versions, bool(_version_keys(filters)),
            filters.node_id is not None)


@lru_cache(maxsize=512)
def _page_statement(shape: tuple, columns: tuple) -> Any:
    # Building SQL expressions costs more than running the indexed query, so each shape of
    # filters is built once per process and then only executed with new parameters.
    lower, ids, types, specs, every, last, first, keys, addressed = shape
    filters = Filters(
        ids=("x",) if ids else (), types=("x",) if types else (),
        spec_versions=("x",) if specs else (), node_id=0 if addressed else None,
        versions=("all",) if every else tuple(
            v for v, on in (("last", last), ("first", first), ("0", keys)) if on),
    )
    return (
        select(*columns)
        .where(*_conditions(filters, lower))
        .order_by(StoredObject.date_added)
        .limit(bindparam("limit"))
    )


def page(
    session: Session,
    collection_id: str,
    filters: Filters,
    *,
    after: int | None,
    limit: int,
    columns: Sequence[Any] | None = None,
) -> Page:
    """Up to `limit` matching rows after the cursor, oldest first, and whether more follow."""
    lower = max(filter(None, (filters.added_after, after)), default=None)
    statement = _page_statement(_shape(filters, lower), tuple(columns or OBJECT_COLUMNS))
    parameters = _parameters(collection_id, filters, lower)
    parameters["limit"] = limit + 1
    # Core execution on the session's connection: no ORM layer on the hot read path.
    rows = session.connection().execute(statement, parameters).all()
    return Page(rows[:limit], len(rows) > limit)


OBJECT_COLUMNS = (StoredObject.date_added, StoredObject.body)
MANIFEST_COLUMNS = (
    StoredObject.date_added, StoredObject.object_id, StoredObject.version,
)
VERSION_COLUMNS = (StoredObject.date_added, StoredObject.version)


def object_exists(session: Session, collection_id: str, object_id: str,
                  node_id: int | None = None) -> bool:
    """Whether the object is there (for a node on an addressed collection: addressed to it)."""
    where = [StoredObject.collection_id == collection_id, StoredObject.object_id == object_id]
    if node_id is not None:
        where.append(visible_to_node(StoredObject.object_id))
    return bool(session.connection().scalar(select(exists().where(*where)),
                                            {"node_id": node_id}))


def delete_object(
    session: Session, collection_id: str, object_id: str, filters: Filters
) -> int:
    """Delete the matching versions of one object; returns how many were removed.

    The versions left behind get their first/last flags recomputed.
    """
    filters = Filters(ids=(object_id,), versions=filters.versions,
                      spec_versions=filters.spec_versions)
    doomed = select(StoredObject.pk).where(*_conditions(filters, lower=False))
    removed = session.execute(
        delete(StoredObject).where(StoredObject.pk.in_(doomed.scalar_subquery()))
        .execution_options(synchronize_session=False),
        _parameters(collection_id, filters, None),
    ).rowcount
    remaining = session.execute(
        select(StoredObject.pk, StoredObject.version_key)
        .where(StoredObject.collection_id == collection_id, StoredObject.object_id == object_id)
        .order_by(StoredObject.version_key)
    ).all()
    if remaining:
        first_pk, last_pk = remaining[0].pk, remaining[-1].pk
        for pk, _ in remaining:
            session.execute(update(StoredObject).where(StoredObject.pk == pk).values(
                is_first=pk == first_pk, is_last=pk == last_pk
            ))
    return removed or 0

"""Reading and deleting stored objects: keyset pages over (collection, date_added).

Pages are served from the stored JSON text; nothing is parsed on the read path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from .advisories.audience import visible_to_node
from .models import StoredObject


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

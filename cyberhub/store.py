"""Reading and deleting stored objects: keyset pages over (collection, date_added).

Pages are served from the stored JSON text; nothing is parsed on the read path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

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


def _conditions(collection_id: str, filters: Filters, after: int | None) -> list[Any]:
    where: list[Any] = [StoredObject.collection_id == collection_id]
    lower = max(filter(None, (filters.added_after, after)), default=None)
    if lower is not None:
        where.append(StoredObject.date_added > lower)
    if filters.ids:
        where.append(StoredObject.object_id.in_(filters.ids))
    if filters.types:
        where.append(StoredObject.type.in_(filters.types))
    if filters.spec_versions:
        where.append(StoredObject.spec_version.in_(filters.spec_versions))
    if "all" not in filters.versions:
        choices: list[Any] = []
        if "last" in filters.versions:
            choices.append(StoredObject.is_last)
        if "first" in filters.versions:
            choices.append(StoredObject.is_first)
        keys = [v for v in filters.versions if v not in ("first", "last")]
        if keys:
            choices.append(StoredObject.version_key.in_(keys))
        where.append(or_(*choices))
    return where


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
    statement = (
        select(*(columns or OBJECT_COLUMNS))
        .where(*_conditions(collection_id, filters, after))
        .order_by(StoredObject.date_added)
        .limit(limit + 1)
    )
    rows = session.execute(statement).all()
    return Page(rows[:limit], len(rows) > limit)


OBJECT_COLUMNS = (StoredObject.date_added, StoredObject.body)
MANIFEST_COLUMNS = (
    StoredObject.date_added, StoredObject.object_id, StoredObject.version,
)
VERSION_COLUMNS = (StoredObject.date_added, StoredObject.version)


def object_exists(session: Session, collection_id: str, object_id: str) -> bool:
    return bool(session.scalar(select(exists().where(
        StoredObject.collection_id == collection_id, StoredObject.object_id == object_id
    ))))


def delete_object(
    session: Session, collection_id: str, object_id: str, filters: Filters
) -> int:
    """Delete the matching versions of one object; returns how many were removed.

    The versions left behind get their first/last flags recomputed.
    """
    filters = Filters(ids=(object_id,), versions=filters.versions,
                      spec_versions=filters.spec_versions)
    doomed = select(StoredObject.pk).where(*_conditions(collection_id, filters, None))
    removed = session.execute(
        delete(StoredObject).where(StoredObject.pk.in_(doomed.scalar_subquery()))
        .execution_options(synchronize_session=False)
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

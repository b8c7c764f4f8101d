"""Collections: creating, changing and deleting them (each audited when a person or the
command line does it), finding them, and describing them to one principal."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.accounts import Principal
from cyberhub.hub.storage.models import Collection, StoredObject

ALIAS = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
# The hub's own working collections, created by `cyberhub init`.
# (alias, title, description, signed, addressed)
DEFAULT_COLLECTIONS = (
    ("reports", "Incident reports", "Signed STIX incident reports published by member towns.",
     True, False),
    ("campaigns", "Campaigns", "Attack campaigns spanning several towns, found by the hub.",
     False, False),
    ("advisories", "Advisories", "Advisories and playbooks the hub sends back to the towns.",
     False, True),
    ("indicators", "Indicators", "Indicators from external threat feeds and analysts.", False,
     False),
    ("vulnerabilities", "Vulnerabilities", "Vulnerabilities and advisories from the CERTs' "
     "feeds (CSAF 2.0, CISA KEV).", False, False),
    ("answers", "Answers", "Analysts' answers to a town about its report; each town reads only "
     "the answers to its own reports.", False, True),
)


class CollectionError(ValueError):
    """A collection request that cannot be carried out; the message says why."""


def _check_title(title: str) -> None:
    if not title.strip() or len(title) > 200:
        raise CollectionError("title must be 1-200 characters")


def add_collection(
    session: Session, alias: str, title: str, description: str = "", *, now: int,
    signed: bool = False, addressed: bool = False, actor: str | None = None,
) -> Collection:
    """A new collection; audited when an `actor` is named (`cyberhub init` makes the default
    ones as part of setting up the hub)."""
    if not ALIAS.match(alias):
        raise CollectionError(
            "alias must be 1-100 lowercase letters, digits or '-', starting with a letter or digit"
        )
    _check_title(title)
    if session.scalar(select(Collection.id).where(Collection.alias == alias)) is not None:
        raise CollectionError(f"a collection with alias {alias!r} already exists")
    collection = Collection(
        id=str(uuid.uuid4()), alias=alias, title=title, description=description,
        created=now, last_date_added=0, signed=signed, addressed=addressed,
    )
    session.add(collection)
    session.flush()
    if actor is not None:
        audit.record(session, actor=actor, action="collection.created", subject=alias, now=now,
                     id=collection.id, title=title, signed=signed, addressed=addressed)
    return collection


def _by_alias(session: Session, alias: str) -> Collection:
    found = session.scalar(select(Collection).where(Collection.alias == alias)) \
        if ALIAS.match(alias) else None
    if found is None:
        raise CollectionError(f"no collection with alias {alias[:100]!r}")
    return found


def change_collection(session: Session, alias: str, *, title: str | None = None,
                      description: str | None = None, actor: str, now: int) -> Collection:
    """Change what a collection is called or says it holds (not its id, alias or rules)."""
    collection = _by_alias(session, alias)
    changed: dict[str, str] = {}
    if title is not None and title != collection.title:
        _check_title(title)
        changed["title"] = collection.title = title
    if description is not None and description != collection.description:
        if len(description) > 2000:
            raise CollectionError("description must be at most 2000 characters")
        changed["description"] = collection.description = description
    if changed:
        session.flush()
        audit.record(session, actor=actor, action="collection.changed", subject=alias,
                     now=now, **changed)
    return collection


def delete_collection(session: Session, alias: str, *, actor: str, now: int) -> int:
    """Delete a collection with every object in it and every right on it; returns how many
    objects went. The hub's own collections cannot be deleted: it works in them."""
    collection = _by_alias(session, alias)
    if alias in {default[0] for default in DEFAULT_COLLECTIONS}:
        raise CollectionError(f"{alias!r} is one of the hub's own collections and stays")
    held = session.scalar(select(func.count(StoredObject.pk)).where(
        StoredObject.collection_id == collection.id))
    session.execute(delete(StoredObject).where(StoredObject.collection_id == collection.id))
    session.delete(collection)
    session.flush()
    audit.record(session, actor=actor, action="collection.deleted", subject=alias, now=now,
                 id=collection.id, objects=held)
    return held


def list_collections(session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.created, Collection.id)))


_FIND = select(*Collection.__table__.columns).where(
    or_(Collection.id == bindparam("key"), Collection.alias == bindparam("key"))
)
# What `find` returns: a read-only row with the Collection model's attributes.
CollectionRow = Any


def find(session: Session, id_or_alias: str) -> CollectionRow | None:
    """A collection by its id or its alias (TAXII allows either in URLs), as a read-only row
    with the model's attributes. A plain Core query: this runs on every TAXII request."""
    return session.connection().execute(_FIND, {"key": id_or_alias}).first()


def resource(collection: CollectionRow, principal: Principal) -> dict[str, Any]:
    """The TAXII collection resource as this principal may see it (TAXII 2.1 section 5.2)."""
    body: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "alias": collection.alias,
        "can_read": principal.can_read(collection.id),
        "can_write": principal.can_write(collection.id),
        "media_types": [STIX_MEDIA_TYPE],
    }
    if collection.description:
        body["description"] = collection.description
    return body


def summary(collection: Collection) -> dict[str, Any]:
    """What the command line shows of a collection."""
    return {"alias": collection.alias, "id": collection.id, "title": collection.title,
            "description": collection.description, "signed": collection.signed,
            "addressed": collection.addressed}

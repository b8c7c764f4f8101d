"""Which indicator objects an export holds: exactly those a TAXII read hands the same principal.

The rights are the TAXII rights: reading a collection needs `can_read` on it (an account that
only writes there is refused, one that has no right on it does not learn that it exists), and a
town reading an addressed collection gets the visibility condition of
`cyberhub.hub.storage.visibility` in every page's query, through the repository's own `page`.
On top of that, TLP:RED stays with the analysts (DESIGN.md, "Sharing rules"): an export for an
account without a role (a machine client, a town) leaves out what is marked RED, or marked with
something the hub cannot resolve, which counts as RED. The command line run without `--as` is
the operator of the hub, who reads the database anyway.

Three sources: a collection (the latest version of each indicator in it), a campaign (the
shared evidence its explanation names, as indicators the export makes; the campaign's STIX
description shows the same values to whoever reads the campaigns collection), and an advisory
(its published indicator objects, as the towns it reaches read them).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps, tlp
from cyberhub.hub import collections
from cyberhub.hub.accounts import Principal
from cyberhub.hub.advisories import lifecycle
from cyberhub.hub.correlation import values
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import Account, AdvisoryObject, CampaignRecord

CAMPAIGNS, ADVISORIES = "campaigns", lifecycle.COLLECTION
_PAGE = 1000
_CHUNK = 500
_NAMESPACE = uuid.UUID("0d7d3c52-8c1e-4f7a-b5d2-3c9a4e61f0b8")
# Evidence kinds of the correlation index that are values (the others are neighbourhoods,
# techniques or families: nothing to block).
_EVIDENCE = {"ipv4": "ipv4", "ipv6": "ipv6", "domain": "domain", "url": "url",
             "email": "email"}
_EVIDENCE_HASHES = {"SHA-256": "sha256", "SHA-1": "sha1", "MD5": "md5"}


class ExportError(Exception):
    """An export that cannot be made for this reader; `status` is the HTTP status it means."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Reader:
    """Who the export is for: a principal with its TAXII rights, or the operator (None)."""

    principal: Principal | None
    analyst: bool

    def can_read(self, collection_id: str) -> bool:
        return self.principal is None or self.principal.can_read(collection_id)

    def sees(self, collection_id: str) -> bool:
        return self.principal is None or self.principal.sees(collection_id)

    def audience(self, collection: Any) -> int | None:
        """The node whose view to apply: a town reading an addressed collection (as TAXII)."""
        if self.principal is None or not collection.addressed:
            return None
        return self.principal.node_id


OPERATOR = Reader(None, True)


def reader(session: Session, principal: Principal) -> Reader:
    """The reader for an authenticated principal: an analyst is a person with a role."""
    role = session.scalar(select(Account.role).where(Account.id == principal.account_id))
    return Reader(principal, role is not None and principal.node_id is None)


@dataclass(frozen=True)
class Selection:
    """What an export is of: a title for people, a stable key, and the indicators."""

    kind: str
    name: str
    key: str
    indicators: list[dict[str, Any]]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name}"


def _readable(session: Session, who: Reader, alias: str) -> Any:
    # By alias or id, as TAXII URLs name it; a name no collection can have is not looked up.
    plausible = len(alias) <= 300 and "\x00" not in alias
    found = collections.find(session, alias) if plausible else None
    if found is None or not who.sees(found.id):
        raise ExportError(404, "collection-not-found",
                          f"no collection {alias[:100]!r}, or it is not readable by this account")
    if not who.can_read(found.id):
        raise ExportError(403, "read-forbidden",
                          f"this account may not read the collection {alias!r}")
    return found


def _pages(session: Session, collection: Any, filters: store.Filters) -> Iterable[dict]:
    after = None
    while True:
        page = store.page(session, collection.id, filters, after=after, limit=_PAGE)
        for row in page.rows:
            yield json.loads(row.body)
        if not page.more:
            return
        after = page.last_added


def _without_red(session: Session, who: Reader, objects: list[dict]) -> list[dict]:
    if who.analyst:
        return objects
    refs = {ref for obj in objects for ref in tlp.marking_refs(obj)}
    held = store.held_markings(session, {ref for ref in refs if tlp.known_level(ref) is None})
    return [obj for obj in objects
            if tlp.audience_level(tlp.marking_refs(obj), held) != "red"]


def collection(session: Session, who: Reader, alias: str) -> Selection:
    """The latest version of every indicator in the collection that this reader may read."""
    found = _readable(session, who, alias)
    filters = store.Filters(types=("indicator",), node_id=who.audience(found))
    indicators = _without_red(session, who, list(_pages(session, found, filters)))
    return Selection("collection", found.alias, f"collection:{found.id}", indicators)


def advisory(session: Session, who: Reader, advisory_id: str) -> Selection:
    """The published indicators of an advisory, as this reader's TAXII read returns them."""
    target = _readable(session, who, ADVISORIES)
    node = who.audience(target)
    try:
        found = lifecycle.get(session, advisory_id)
    except lifecycle.AdvisoryError:
        found = None
    # A town learns nothing of an advisory that is not addressed to it, not even its id.
    if found is None or not store.object_exists(session, target.id, found.id, node):
        raise ExportError(404, "advisory-not-found", f"no published advisory {advisory_id[:100]!r}")
    ids = sorted(session.scalars(select(AdvisoryObject.object_id).where(
        AdvisoryObject.advisory_id == found.id)))
    indicators: list[dict] = []
    for start in range(0, len(ids), _CHUNK):
        filters = store.Filters(ids=tuple(ids[start:start + _CHUNK]), types=("indicator",),
                                node_id=node)
        indicators += _pages(session, target, filters)
    return Selection("advisory", found.id, f"advisory:{found.id}",
                     _without_red(session, who, indicators))


def campaign(session: Session, who: Reader, campaign_id: str) -> Selection:
    """The values a campaign's shared evidence names, as indicators (revoked when the campaign
    is no longer active or an analyst dismissed it)."""
    target = _readable(session, who, CAMPAIGNS)
    record = session.get(CampaignRecord, campaign_id[:100])
    if record is None or not store.object_exists(session, target.id, record.id,
                                                 who.audience(target)):
        raise ExportError(404, "campaign-not-found", f"no campaign {campaign_id[:100]!r}")
    explained = json.loads(record.explanation)
    standing = record.state == "active" and record.verdict != "dismissed"
    indicators = [made for item in explained.get("evidence", [])
                  if (made := _evidence_indicator(record, item, standing)) is not None]
    return Selection("campaign", record.id, f"campaign:{record.id}", indicators)


def _derived(*parts: str) -> str:
    digest = uuid.uuid5(_NAMESPACE, "|".join(parts)).bytes
    return f"indicator--{uuid.UUID(bytes=digest, version=4)}"


def _evidence_value(key: str) -> tuple[str, str] | None:
    kind, _, rest = key.partition(":")
    if kind == "hash":
        algorithm, _, digest = rest.partition(":")
        kind, rest = _EVIDENCE_HASHES.get(algorithm, ""), digest
    else:
        kind = _EVIDENCE.get(kind, "")
    if not kind:
        return None
    try:
        return kind, values.canonical(kind, rest)
    except ValueError:
        return None


def _evidence_indicator(record: CampaignRecord, item: dict[str, Any], standing: bool
                        ) -> dict[str, Any] | None:
    found = _evidence_value(str(item.get("key", "")))
    if found is None:
        return None
    kind, value = found
    first = timestamps.stix_time(record.first_seen)
    name = f"{kind} {value}: shared evidence of {item.get('towns', '?')} towns"
    cited = [str(text) for text in item.get("feeds") or []]
    if cited:
        name += " (" + "; ".join(cited) + ")"
    indicator: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1",
        "id": _derived(record.id, item["key"]),
        "created": first, "modified": record.version or first, "name": name[:250],
        "indicator_types": ["malicious-activity"], "pattern": values.pattern(kind, value),
        "pattern_type": "stix", "pattern_version": "2.1", "valid_from": first,
        "labels": ["campaign-evidence"],
        "external_references": [{"source_name": f"cyberhub {record.id}",
                                 "description": "shared evidence of a campaign across towns"}],
    }
    if not standing:
        indicator["revoked"] = True
    return indicator

"""The STIX objects feed entries become, all made by one identity per feed.

Ids are derived from the feed's name and the entry's value, so a value keeps its object
across runs and a changed entry is a new version of it. What the feed said becomes the
indicator's name, labels, `valid_from` and an external reference to the entry at the source;
the feed's TLP marks every object. An entry that left the feed is the same object with
`valid_until` now (an indicator) or `revoked` (what has no validity period, and whatever the
feed itself withdrew).
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from cyberhub.core import timestamps
from cyberhub.hub.correlation import values
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import shown_url
from cyberhub.hub.feeds.entries import Entry

_NAMESPACE = uuid.UUID("5b0f7f0e-3a52-4c3e-9d6b-2f1e8c4a9d21")
COLLECTIONS = {"indicator": "indicators", "vulnerability": "vulnerabilities",
               "report": "vulnerabilities"}


def _derived(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(_NAMESPACE, '|'.join(parts)).bytes, version=4)}"


def identity_id(feed: Feed) -> str:
    return _identity_id(feed.name)


@lru_cache(maxsize=256)
def _identity_id(name: str) -> str:
    return _derived("identity", "feed", name)


def object_id(feed: Feed, entry: Entry) -> str:
    return _derived(entry.stix_type, feed.name, entry.kind, entry.value)


def identity(feed: Feed, *, created: str) -> dict[str, Any]:
    """The source as a STIX identity: who made the feed's objects (the hub signs them)."""
    return {"type": "identity", "spec_version": "2.1", "id": identity_id(feed),
            "created": created, "modified": created, "name": feed.title,
            "identity_class": "organization",
            "description": feed.description or f"External feed {feed.name} ({feed.url})",
            "object_marking_refs": [feed.marking]}


def build(feed: Feed, entry: Entry, *, created_us: int, modified_us: int,
          expired: bool = False, known_id: str | None = None) -> dict[str, Any]:
    """The object for `entry`, first made at `created_us`, this version at `modified_us`
    (`known_id`: its id, when the caller derived it already)."""
    created = timestamps.stix_time(created_us)
    modified = timestamps.stix_time(max(modified_us, created_us))
    # The entry's own page at the source, else the list it stands in.
    reference: dict[str, Any] = {"source_name": feed.title,
                                 "url": entry.reference or shown_url(feed.url)}
    if entry.external_id:
        reference["external_id"] = entry.external_id
    obj: dict[str, Any] = {
        "type": entry.stix_type, "spec_version": "2.1",
        "id": known_id or object_id(feed, entry),
        "created": created, "modified": modified, "created_by_ref": identity_id(feed),
        "name": entry.name, "object_marking_refs": [feed.marking],
    }
    if entry.description:
        obj["description"] = entry.description
    if entry.labels:
        obj["labels"] = list(entry.labels)
    if entry.stix_type == "indicator":
        valid_from = entry.first_seen if entry.first_seen is not None else created_us
        valid_from = min(valid_from, modified_us)
        obj.update(pattern=values.pattern(entry.kind, entry.value), pattern_type="stix",
                   pattern_version="2.1", valid_from=timestamps.stix_time(valid_from),
                   indicator_types=["malicious-activity"])
        if expired or entry.gone:
            # valid_until must lie after valid_from (STIX 2.1, 4.7).
            obj["valid_until"] = timestamps.stix_time(max(modified_us, valid_from + 1000))
    elif expired:
        obj["revoked"] = True
    extra = dict(entry.extra)
    obj["external_references"] = [reference] + list(extra.pop("references", []))
    obj.update(extra)
    if entry.revoked:
        obj["revoked"] = True
    return obj


def expired_version(stored: dict[str, Any], *, now_us: int) -> dict[str, Any]:
    """The next version of a stored feed object whose entry left the feed."""
    obj = dict(stored)
    created_us = timestamps.to_us(obj["created"]) or now_us
    previous = timestamps.to_us(obj.get("modified", "")) or created_us
    modified_us = max(now_us, previous + 1000)
    obj["modified"] = timestamps.stix_time(modified_us)
    if obj["type"] == "indicator":
        valid_from = timestamps.to_us(obj["valid_from"]) or created_us
        obj["valid_until"] = timestamps.stix_time(max(modified_us, valid_from + 1000))
    else:
        obj["revoked"] = True
    return obj

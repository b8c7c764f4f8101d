"""Context from the feeds: which external sources list a key the towns reported.

The feed sync (`cyberhub.hub.feeds`) keeps each entry under the same key the correlation
index uses, so one indexed lookup says that the address a single town saw is "Emotet C2 laut
Feodo Tracker", or that the CVE in a campaign is in CISA's catalogue of exploited
vulnerabilities. Context never links reports by itself and never changes a score; it is read
when a report, a campaign or an advisory draft is shown, so it is as current as the feeds.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.hub.correlation import index
from cyberhub.hub.storage.models import Collection, FeedEntry, FeedState, StoredObject

_CHUNK = 500


def feed_hits(session: Session, keys: Iterable[str], *, include_expired: bool = False
              ) -> dict[str, list[dict[str, Any]]]:
    """For each key that a feed lists: the feeds and entries, in force first."""
    wanted = sorted(set(keys))
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = (select(FeedEntry.key, FeedEntry.feed, FeedState.title, FeedEntry.name,
                        FeedEntry.object_id, FeedEntry.collection, FeedEntry.grp,
                        FeedEntry.state, FeedEntry.last_seen)
                 .join(FeedState, FeedState.name == FeedEntry.feed)
                 .where(FeedEntry.key.in_(wanted[start:start + _CHUNK])))
        if not include_expired:
            query = query.where(FeedEntry.state == "active")
        for row in session.execute(query):
            found.setdefault(row.key, []).append({
                "feed": row.feed, "source": row.title or row.feed, "name": row.name,
                "object_id": row.object_id, "collection": row.collection,
                "group": row.grp, "state": row.state, "last_seen": row.last_seen})
    for hits in found.values():
        hits.sort(key=lambda hit: (hit["state"] != "active", hit["source"], hit["name"]))
    return found


def cite(hit: dict[str, Any]) -> str:
    """One hit as a reader reads it: the entry's name, and the source unless the name
    already says it ("Emotet C2 51.75.72.240:443 laut Feodo Tracker")."""
    name, source = hit["name"], hit["source"]
    short = source.split()[-1] if source else ""
    return name if short and short in name else f"{name} ({source})"


def annotate(session: Session, explained: dict[str, Any]) -> dict[str, Any]:
    """A campaign explanation with each evidence and ignored key's feed hits (`feeds`),
    looked up now."""
    items = explained.get("evidence", []) + explained.get("ignored", [])
    hits = feed_hits(session, (item["key"] for item in items))
    for item in items:
        item["feeds"] = [cite(hit) for hit in hits.get(item["key"], [])]
    return explained


def for_incidents(session: Session, incident_ids: Iterable[str]) -> list[dict[str, Any]]:
    """What the feeds list among the keys of these incidents (a town's report, or every
    report of a campaign): kind, value and the citations, by kind and value."""
    rows = {row.key: row for row in index.keys_of(session, incident_ids)}
    hits = feed_hits(session, rows)
    return [{"kind": rows[key].kind, "key": key, "value": key.split(":", 1)[1],
             "feeds": [cite(hit) for hit in found], "hits": found}
            for key, found in sorted(hits.items())]


def cve_sources(session: Session, incident_ids: Iterable[str]) -> list[dict[str, str]]:
    """What the feeds say about the CVEs of these incidents, as references an advisory can
    cite: the catalogue of exploited vulnerabilities that lists one, a CERT's advisory that
    covers one (CSAF), each with its page. By CVE, then source."""
    found = []
    hits = [(row["value"], hit) for row in for_incidents(session, incident_ids)
            if row["kind"] == "cve" for hit in row["hits"]]
    advisories = feed_hits(session, {f"advisory:{hit['group']}" for _, hit in hits
                                     if hit["group"]})
    for cve, hit in hits:
        advisory = next(iter(advisories.get(f"advisory:{hit['group']}", [])), None)
        cited = advisory or hit
        found.append({"cve": cve, "source": hit["source"],
                      "external_id": hit["group"] if advisory else cve,
                      "name": cited["name"],
                      "url": _page(session, cited["collection"], cited["object_id"])})
    return sorted(found, key=lambda item: (item["cve"], item["source"], item["external_id"]))


def _page(session: Session, alias: str, object_id: str) -> str | None:
    """The first URL among the stored object's external references."""
    body = session.scalar(select(StoredObject.body).join(Collection).where(
        Collection.alias == alias, StoredObject.object_id == object_id, StoredObject.is_last))
    for reference in (json.loads(body).get("external_references") or []) if body else []:
        if isinstance(reference, dict) and str(reference.get("url", "")).startswith(
                ("https://", "http://")):
            return reference["url"]
    return None

"""Campaigns: the components that qualified, kept as records and published as hub-signed STIX.

A campaign is published in the `campaigns` collection as a STIX `campaign` (first_seen,
last_seen, an explanation in its description) with `related-to` relationships to the incidents
and `indicates` relationships from the indicators that carry its evidence. Towns appear there
only as pseudonyms ("Town B in Sachsen"); analysts see names with `cyberhub campaigns show`.
A campaign gets a new version when its members or evidence change. When two campaigns connect,
the one found first survives; the other gets a revoked version that names the survivor.
"""

from __future__ import annotations

import json
import string
import uuid
from dataclasses import asdict
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub import collections
from cyberhub.hub.correlation import context, verdicts
from cyberhub.hub.correlation.detect import Component, Rules
from cyberhub.hub.services import publishing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage import objects as repository
from cyberhub.hub.storage.models import CampaignRecord, Node, StoredObject

COLLECTION = "campaigns"
_NAMESPACE = uuid.UUID("6b3f0e1c-53a4-4d2b-9a61-1f0f3c6a9e27")


def campaign_id(anchor: str) -> str:
    return f"campaign--{uuid.UUID(bytes=uuid.uuid5(_NAMESPACE, anchor).bytes, version=4)}"


def _derived(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(_NAMESPACE, '|'.join(parts)).bytes, version=4)}"


def _pseudonyms(session: Session, component: Component
                ) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Towns in order of their first report in the campaign: Town A, Town B, ...; and the
    pseudonym of each known node's id."""
    nodes = {n.id: n for n in session.scalars(select(Node).where(
        Node.id.in_(list(component.towns))))}
    # A town known through a downstream hub (`cyberhub.hub.federation`) says which.
    relays = {n.relayed_by for n in nodes.values() if n.relayed_by is not None}
    hubs = dict(session.execute(select(Node.id, Node.slug).where(
        Node.id.in_(relays))).all()) if relays else {}
    ordered = sorted(component.towns.items(), key=lambda item: (min(item[1]), item[0]))
    towns, pseudonyms = [], {}
    for position, (node_id, times) in enumerate(ordered):
        letters = string.ascii_uppercase
        label = letters[position % 26] + (str(position // 26) if position >= 26 else "")
        node = nodes.get(node_id)
        towns.append({"pseudonym": f"Town {label}", "land": node.land if node else "",
                      "node": node.slug if node else str(node_id),
                      "name": node.name if node else "", "first_seen": min(times),
                      "reports": len(times),
                      **({"via": hubs.get(node.relayed_by, "")}
                         if node is not None and node.relayed_by is not None else {})})
        if node is not None:
            pseudonyms[node_id] = towns[-1]["pseudonym"]
    return towns, pseudonyms


def explanation(session: Session, component: Component, rules: Rules) -> dict[str, Any]:
    towns, pseudonyms = _pseudonyms(session, component)
    timeline = sorted({(seen, pseudonyms.get(node, "?"), incident)
                       for incident, node, seen in component.timeline})
    return context.annotate(session, {
        "score": component.score, "threshold": rules.threshold,
        "towns_in_window": component.peak_towns, "min_towns": rules.min_towns,
        "window_days": rules.window_us // 86_400_000_000,
        "towns": towns,
        "lands": sorted({town["land"] for town in towns if town["land"]}),
        "evidence": [asdict(e) for e in component.evidence],
        "ignored": [asdict(e) for e in component.ignored],
        "timeline": [{"seen": timestamps.format_us(seen), "town": town, "incident": incident}
                     for seen, town, incident in timeline],
    })


def describe(explained: dict[str, Any]) -> str:
    """The explanation as text for the STIX description: pseudonyms only."""
    towns = ", ".join(f"{t['pseudonym']} ({t['land']})" for t in explained["towns"])
    lands = explained.get("lands") or sorted({t["land"] for t in explained["towns"]})
    lines = [f"{len(explained['towns'])} towns in {len(lands)} Länder "
             f"({', '.join(lands)}): {towns}.",
             f"Evidence score {explained['score']} (threshold {explained['threshold']}); "
             f"{explained['towns_in_window']} towns within {explained['window_days']} days."]
    lines.append("Shared evidence:")
    for item in explained["evidence"][:20]:
        cited = "".join(f"; {text}" for text in item.get("feeds", []))
        lines.append(f"- {item['kind']} {item['key'].split(':', 1)[1]}: {item['towns']} towns, "
                     f"score {item['score']}{cited}")
    for item in explained["ignored"][:10]:
        lines.append(f"- ignored {item['kind']} {item['key'].split(':', 1)[1]}: {item['note']}")
    lines.append("Timeline:")
    for event in explained["timeline"][:50]:
        lines.append(f"- {event['seen'][:16].replace('T', ' ')} {event['town']}")
    return "\n".join(lines)


def _title(component: Component) -> str:
    top = component.evidence[0] if component.evidence else None
    what = f"{top.kind} {top.key.split(':', 1)[1]}" if top else "shared evidence"
    return f"Campaign across {len(component.towns)} towns: {what}"[:250]


def _indicator_ids(component: Component) -> list[str]:
    return sorted({indicator for evidence in component.evidence
                   for indicator in component.indicators.get(evidence.key, ())})


def _stix(record: CampaignRecord, component: Component, explained: dict[str, Any],
          indicators: list[str], created: str, modified: str) -> list[dict[str, Any]]:
    campaign = {
        "type": "campaign", "spec_version": "2.1", "id": record.id, "created": created,
        "modified": modified, "name": _title(component), "description": describe(explained),
        "first_seen": timestamps.stix_time(component.first_seen),
        "last_seen": timestamps.stix_time(component.last_seen),
    }
    objects = [campaign]
    for incident in sorted(component.incidents):
        objects.append({
            "type": "relationship", "spec_version": "2.1",
            "id": _derived("relationship", record.id, "related-to", incident),
            "created": created, "modified": created, "relationship_type": "related-to",
            "source_ref": record.id, "target_ref": incident})
    for indicator in indicators:
        objects.append({
            "type": "relationship", "spec_version": "2.1",
            "id": _derived("relationship", record.id, "indicates", indicator),
            "created": created, "modified": created, "relationship_type": "indicates",
            "source_ref": indicator, "target_ref": record.id})
    return objects


class ActiveCampaigns:
    """The active campaigns' members and keys, each read again only when it changed.

    Every report that may link asks which campaigns it may touch; decoding every campaign's
    explanation for each report cost more than the rest of the incremental run on a busy hub,
    and when every report grows some campaign (a wave), the copy was stale every time. Any
    change to a campaign moves the newest `updated` or the number of active ones, so that pair
    says when the copy is stale, whichever worker made the change; then each campaign's own
    `updated` says which ones to read again. The dict returned is a new one after any change,
    the same one otherwise.
    """

    def __init__(self) -> None:
        self._stamp: tuple[Any, ...] | None = None
        self._data: dict[str, tuple[set[str], set[str]]] = {}
        self._read: dict[str, int] = {}  # campaign id -> the `updated` its entry was read at

    def get(self, session: Session) -> dict[str, tuple[set[str], set[str]]]:
        stamp = tuple(session.execute(select(func.max(CampaignRecord.updated), func.count())
                                      .where(CampaignRecord.state == "active")).one())
        if stamp == self._stamp:
            return self._data
        current = dict(session.execute(select(CampaignRecord.id, CampaignRecord.updated)
                                       .where(CampaignRecord.state == "active")).all())
        stale = [cid for cid, updated in current.items() if self._read.get(cid) != updated]
        found = {cid: self._data[cid] for cid in current if cid not in stale}
        for start in range(0, len(stale), 500):
            for cid, incidents, explanation in session.execute(
                    select(CampaignRecord.id, CampaignRecord.incidents,
                           CampaignRecord.explanation)
                    .where(CampaignRecord.id.in_(stale[start:start + 500]))):
                explained = json.loads(explanation)
                keys = {e["key"] for e in explained["evidence"] + explained["ignored"]}
                found[cid] = (set(json.loads(incidents)), keys)
        self._stamp, self._data, self._read = stamp, found, current
        return self._data


class Publisher:
    """Keeps campaign records and their STIX in step; the hub's key signs what it writes."""

    def __init__(self, *, signer: Signer, rules: Rules, now: Any = timestamps.now_us,
                 cache: ActiveCampaigns | None = None) -> None:
        self.signer, self.rules, self.now = signer, rules, now
        self.cache = cache or ActiveCampaigns()

    def active(self, session: Session) -> dict[str, tuple[set[str], set[str]]]:
        """Active campaign id → its member incidents and the keys of its evidence."""
        return self.cache.get(session)

    def apply(self, session: Session, components: list[Component],
              examined: Iterable[str] = ()) -> list[str]:
        """Record and publish what changed; campaigns in `examined` that no qualifying
        component continues are dissolved. Returns the ids of campaigns written."""
        written: list[str] = []
        continued: set[str] = set()
        for component in sorted(components, key=lambda c: (c.first_seen, c.anchor)):
            if component.is_campaign:
                kept, changed = self._campaign(session, component)
                continued.add(kept)
                written += changed
        for record in session.scalars(select(CampaignRecord).where(
                CampaignRecord.id.in_(sorted(set(examined) - continued)),
                CampaignRecord.state == "active")):
            written.append(self._dissolve(session, record))
        return written

    def _existing(self, session: Session, component: Component) -> list[CampaignRecord]:
        """The active campaigns sharing an incident with the component, oldest first."""
        ids = [cid for cid, (members, _) in self.active(session).items()
               if members & component.incidents]
        records = session.scalars(select(CampaignRecord).where(
            CampaignRecord.id.in_(ids))).all() if ids else []
        return sorted(records, key=lambda r: (r.first_seen, r.id))

    def _dissolve(self, session: Session, record: CampaignRecord) -> str:
        """The evidence no longer holds (a key became too common to link): withdraw it."""
        now = self.now()
        record.state, record.updated = "dissolved", now
        record.version = timestamps.later_than(record.version, now)
        collection = collections.find(session, COLLECTION)
        created = _created(session, collection.id, record, now)
        publishing.publish(session, collection.id, [{
            "type": "campaign", "spec_version": "2.1", "id": record.id, "created": created,
            "modified": record.version, "name": "Withdrawn campaign", "revoked": True,
            "description": "The shared evidence no longer meets the campaign rules (for "
                           "example, a key turned out to be seen by too many towns).",
        }], signer=self.signer, now_us=now)
        return record.id

    def _campaign(self, session: Session, component: Component) -> tuple[str, list[str]]:
        existing = self._existing(session, component)
        now = self.now()
        explained = explanation(session, component, self.rules)
        members = json.dumps(sorted(component.incidents))
        collection = collections.find(session, COLLECTION)
        written = []
        if existing:
            record = existing[0]
            unchanged = (record.incidents == members and record.score == component.score)
            if unchanged and len(existing) == 1:
                return record.id, []
            keys = {e.key for e in component.evidence}
            if len(existing) == 1 and verdicts.still_dismissed(record, keys):
                return record.id, []  # an analyst judged this evidence a false alarm
            if record.verdict == "dismissed":
                verdicts.raise_again(session, record, keys, now=now)
        else:
            # A campaign that was withdrawn and holds again is a new campaign: STIX revocation
            # is for ever, so it gets a new id (the anchor plus how often it came back).
            earlier = session.scalar(select(func.count()).select_from(CampaignRecord).where(
                CampaignRecord.anchor == component.anchor))
            name = component.anchor if not earlier else f"{component.anchor}#{earlier}"
            record = CampaignRecord(id=campaign_id(name), anchor=component.anchor, version="",
                                    state="active", updated=now)
            session.add(record)
        created = _created(session, collection.id, record, now)
        modified = timestamps.later_than(record.version, now)
        record.version, record.first_seen, record.last_seen = modified, component.first_seen, \
            component.last_seen
        record.score, record.towns, record.incidents = component.score, len(component.towns), \
            members
        record.explanation, record.updated = json.dumps(explained), now
        objects = _unpublished(session, collection.id, _stix(
            record, component, explained, _indicator_ids(component), created, modified))
        for absorbed in existing[1:]:
            objects += self._absorb(session, collection.id, absorbed, record, now)
            written.append(absorbed.id)
        publishing.publish(session, collection.id, objects, signer=self.signer, now_us=now)
        written.insert(0, record.id)
        return record.id, written

    def _absorb(self, session: Session, collection_id: str, absorbed: CampaignRecord,
                survivor: CampaignRecord, now: int) -> list[dict[str, Any]]:
        absorbed.state, absorbed.merged_into, absorbed.updated = "merged", survivor.id, now
        modified = timestamps.later_than(absorbed.version, now)
        absorbed.version = modified
        created = _created(session, collection_id, absorbed, now)
        return [{
            "type": "campaign", "spec_version": "2.1", "id": absorbed.id, "created": created,
            "modified": modified, "name": f"Merged into {survivor.id}", "revoked": True,
            "description": f"This campaign connected with {survivor.id} and continues there.",
        }, {
            "type": "relationship", "spec_version": "2.1",
            "id": _derived("relationship", survivor.id, "derived-from", absorbed.id),
            "created": modified, "modified": modified, "relationship_type": "derived-from",
            "source_ref": survivor.id, "target_ref": absorbed.id,
        }]


def _unpublished(session: Session, collection_id: str, objects: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """The campaign's new version and the relationships not published yet. A relationship's
    id and version follow from the campaign and its target, so one that is stored is stored
    as it is; signing and checking every member's relationship again for each report that
    grows a wave made a campaign of n incidents cost O(n) per report."""
    stored = repository.existing_versions(
        session, collection_id, {o["id"] for o in objects if o["type"] == "relationship"})
    return [o for o in objects if o["id"] not in stored]


def _created(session: Session, collection_id: str, record: CampaignRecord, now: int) -> str:
    """The campaign's `created`: when it was first published. (Naming the collection lets
    the look-up use the objects' unique index instead of reading the whole table.)"""
    if record.version:
        found = session.scalar(select(StoredObject.body).where(
            StoredObject.collection_id == collection_id, StoredObject.object_id == record.id,
            StoredObject.is_first.is_(True)))
        if found:
            return json.loads(found)["created"]
    return timestamps.stix_time(now)

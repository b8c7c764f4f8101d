"""Who an advisory reaches (DESIGN.md, sharing rules), decided when a town reads.

- CLEAR and GREEN: every member town, also towns that join later.
- AMBER: the towns in the campaign, the towns whose own reports carry one of its indicators
  ("sighted" them), and towns an analyst added by name; recorded as recipients at publication.
- AMBER+STRICT and RED: no town, ever.

The read side, the SQL condition every page of a town's read carries, is storage's
(`cyberhub.hub.storage.visibility`): this module decides whom to record as recipients.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.hub.advisories import content
from cyberhub.hub.advisories.document import Document
from cyberhub.hub.correlation import index, index_keys
from cyberhub.hub.storage.models import CampaignRecord, Node, Observation
from cyberhub.hub.storage.visibility import EVERY_TOWN, LISTED_TOWNS


def _indicator_keys(document: Document) -> set[str]:
    """The index keys of the indicators, read from their patterns as the index reads a town's
    indicators; only each pattern's own value (its first key), not the /24 or the registrable
    domain around it."""
    found: set[str] = set()
    for item in document.indicators:
        for kind, value in index_keys.pattern_keys(content.pattern(item))[:1]:
            found.add(index.key_text(kind, value))
    return found


def campaign_towns(session: Session, campaign_id: str | None) -> set[int]:
    if campaign_id is None:
        return set()
    record = session.get(CampaignRecord, campaign_id)
    if record is None:
        return set()
    incidents = json.loads(record.incidents)
    return set(session.scalars(select(Observation.node_id).where(
        Observation.incident_id.in_(incidents)).distinct()))


def sighting_towns(session: Session, document: Document) -> set[int]:
    wanted = sorted(_indicator_keys(document))
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(Observation.node_id).where(
            Observation.key.in_(wanted[start:start + 500])).distinct()))
    return found


def recipients(session: Session, document: Document) -> dict[int, str]:
    """node id → why it is addressed, for the enabled member towns this document reaches."""
    enabled = dict(session.execute(select(Node.id, Node.slug).where(
        Node.disabled.is_(False))).all())
    if document.tlp in EVERY_TOWN:
        return {node_id: "all" for node_id in enabled}
    if document.tlp not in LISTED_TOWNS:
        return {}
    by_slug = {slug: node_id for node_id, slug in enabled.items()}
    chosen: dict[int, str] = {}
    for node_id in sighting_towns(session, document):
        chosen[node_id] = "sighting"
    for node_id in campaign_towns(session, document.campaign):
        chosen[node_id] = "campaign"
    for slug in document.towns:
        if slug in by_slug:
            chosen.setdefault(by_slug[slug], "named")
    # A town known through a downstream hub is reached through that hub: the hub reads the
    # advisory and addresses its own towns (`cyberhub.hub.federation.downward`).
    hubs = dict(session.execute(select(Node.id, Node.relayed_by).where(
        Node.id.in_(list(chosen)), Node.relayed_by.is_not(None))).all()) if chosen else {}
    for relayed_by in set(hubs.values()):
        chosen.setdefault(relayed_by, "relay")
    return {node_id: why for node_id, why in chosen.items() if node_id in enabled}


def unknown_towns(session: Session, document: Document) -> list[str]:
    known = set(session.scalars(select(Node.slug).where(Node.slug.in_(document.towns))))
    return [slug for slug in document.towns if slug not in known]

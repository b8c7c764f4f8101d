"""Who an advisory reaches (DESIGN.md, sharing rules), decided when a town reads.

- CLEAR and GREEN: every member town, also towns that join later.
- AMBER: the towns in the campaign, the towns whose own reports carry one of its indicators
  ("sighted" them), and towns an analyst added by name; recorded as recipients at publication.
- AMBER+STRICT and RED: no town, ever.

`visible_to_node` is the SQL condition the TAXII read path adds for a node account on an
addressed collection, on every page including `next` ones: an object is visible when it belongs
to a published advisory whose current TLP lets this node see it. A changed TLP or a withdrawn
recipient therefore takes effect on the next read, with nothing to recompute.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from ..correlation import index, keys
from ..models import Advisory, AdvisoryObject, AdvisoryRecipient, CampaignRecord, Node, Observation
from . import content
from .document import Document

EVERY_TOWN = ("clear", "green")
LISTED_TOWNS = ("amber",)


def visible_to_node(object_id_column: Any) -> Any:
    """True for objects of a published advisory addressed to the node in `:node_id`."""
    listed = exists().where(AdvisoryRecipient.advisory_id == Advisory.id,
                            AdvisoryRecipient.node_id == bindparam("node_id"))
    return exists(
        select(AdvisoryObject.object_id)
        .join(Advisory, Advisory.id == AdvisoryObject.advisory_id)
        .where(AdvisoryObject.object_id == object_id_column,
               or_(Advisory.published_tlp.in_(EVERY_TOWN),
                   and_(Advisory.published_tlp.in_(LISTED_TOWNS), listed))))


def _indicator_keys(document: Document) -> set[str]:
    """The index keys of the indicators, read from their patterns as the index reads a town's
    indicators; only each pattern's own value (its first key), not the /24 or the registrable
    domain around it."""
    found: set[str] = set()
    for item in document.indicators:
        for kind, value in keys.pattern_keys(content.pattern(item))[:1]:
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
    return {node_id: why for node_id, why in chosen.items() if node_id in enabled}


def unknown_towns(session: Session, document: Document) -> list[str]:
    known = set(session.scalars(select(Node.slug).where(Node.slug.in_(document.towns))))
    return [slug for slug in document.towns if slug not in known]

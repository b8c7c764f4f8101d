"""The Lagebild: what needs an analyst's eyes now. The console's overview page shows it; the
queries are set-based, so the page costs the same with ten towns or a thousand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.advisories import lifecycle
from cyberhub.hub.correlation import report
from cyberhub.hub.storage.models import (
    Advisory,
    AdvisoryReceipt,
    AdvisoryRecipient,
    CampaignRecord,
    Node,
)

SHOWN = 10  # rows per list; the counts say how many there are in all


def overview(session: Session) -> dict[str, Any]:
    campaigns = report.summaries(session)
    for campaign in campaigns:  # the page writes times as its reader does
        campaign["last_seen_us"] = timestamps.to_us(campaign["last_seen"])
    drafts = session.scalars(select(Advisory).where(Advisory.state == "draft")
                             .order_by(Advisory.updated.desc()))
    waiting = [{**lifecycle.summary(session, advisory), "updated_us": advisory.updated}
               for advisory in drafts]
    # Addressed towns whose agent has not acknowledged the version it was sent.
    missing = (
        select(Advisory.id, Advisory.title, Advisory.published_at, Node.slug, Node.name,
               Node.land)
        .join(AdvisoryRecipient, AdvisoryRecipient.advisory_id == Advisory.id)
        .join(Node, Node.id == AdvisoryRecipient.node_id)
        .outerjoin(AdvisoryReceipt, and_(AdvisoryReceipt.node_id == Node.id,
                                         AdvisoryReceipt.object_id == Advisory.id,
                                         AdvisoryReceipt.version == Advisory.published_version))
        .where(Advisory.state == "published", AdvisoryReceipt.node_id.is_(None))
        .order_by(Advisory.published_at, Node.slug))
    unacknowledged = [row._asdict() for row in session.execute(missing.limit(SHOWN))]
    unacknowledged_count = session.scalar(select(func.count()).select_from(missing.subquery()))
    towns = session.scalar(select(func.count()).select_from(Node).where(
        Node.disabled.is_(False)))
    return {
        "campaigns": campaigns[:SHOWN], "campaign_count": len(campaigns),
        "largest_campaign": session.scalar(select(func.max(CampaignRecord.towns)).where(
            CampaignRecord.state == "active")) or 0,
        "waiting": waiting[:SHOWN], "waiting_count": len(waiting),
        "unacknowledged": unacknowledged, "unacknowledged_count": unacknowledged_count,
        "towns": towns,
    }

"""The Lagebild: what needs an analyst's eyes now. The console's overview page shows it; the
queries are set-based, so the page costs the same with ten towns or a thousand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from cyberhub.core import deadlines, timestamps
from cyberhub.hub.advisories import lifecycle
from cyberhub.hub.correlation import report
from cyberhub.hub.feeds import registry, schedule
from cyberhub.hub.storage.models import (
    Advisory,
    AdvisoryReceipt,
    AdvisoryRecipient,
    Node,
    TownReport,
)

SHOWN = 10  # rows per list; the counts say how many there are in all
HOUR_US = 3_600_000_000
WINDOWS = {"24h": 24 * HOUR_US, "7d": 7 * 24 * HOUR_US, "30d": 30 * 24 * HOUR_US}
# An agent polls every few minutes; a day without a request means it stopped.
SILENT_AFTER_US = 24 * HOUR_US
# The NIS2 rhythm the agent's stages carry (one definition, core/deadlines.py): the
# notification 72 hours after becoming aware, which the hub counts from the first report, the
# final report one month after the notification.
NOTIFICATION_DUE_US = deadlines.NOTIFICATION_WITHIN // timedelta(microseconds=1)
FINAL_DUE_US = deadlines.FINAL_WITHIN // timedelta(microseconds=1)
# A feed is overdue when it had no success for this many intervals (one late run is backoff or
# jitter, three are a feed that stopped) while its run has been due for a whole interval (so
# a feed just switched on again, or asked for now, is given its time).
FEED_OVERDUE_INTERVALS = 3


def without_receipt(query: Select) -> Select:
    """`query` (over advisories) narrowed to the addressed, enabled towns whose agent has not
    acknowledged the published version: the rule the Lagebild and the e-mail notifications
    share. A disabled town cannot acknowledge, so it is not waited for."""
    return (query.join(AdvisoryRecipient, AdvisoryRecipient.advisory_id == Advisory.id)
            .join(Node, Node.id == AdvisoryRecipient.node_id)
            .outerjoin(AdvisoryReceipt, and_(AdvisoryReceipt.node_id == Node.id,
                                             AdvisoryReceipt.object_id == Advisory.id,
                                             AdvisoryReceipt.version ==
                                             Advisory.published_version))
            .where(Advisory.state == "published", AdvisoryReceipt.node_id.is_(None),
                   Node.disabled.is_(False)))


def reported(session: Session, window: str, *, now: int) -> dict[str, Any]:
    """New town incidents in the window, by Land and by incident type. Both counts are read
    from the index `(first_reported, land, types)` alone, never from the table."""
    since = now - WINDOWS[window]
    by_land = dict(session.execute(
        select(TownReport.land, func.count()).where(TownReport.first_reported >= since)
        .group_by(TownReport.land)).all())
    by_type: dict[str, int] = {}
    for types, count in session.execute(
            select(TownReport.types, func.count()).where(TownReport.first_reported >= since)
            .group_by(TownReport.types)):
        for kind in (types.split(",") if types else ["-"]):
            by_type[kind] = by_type.get(kind, 0) + count
    return {"window": window, "total": sum(by_land.values()),
            "by_land": sorted(by_land.items(), key=lambda item: (-item[1], item[0])),
            "by_type": sorted(by_type.items(), key=lambda item: (-item[1], item[0]))}


def silent_agents(session: Session, *, now: int) -> tuple[list[dict[str, Any]], int]:
    """Enabled towns whose agent made no request for a day (or never did), longest silent
    first, and how many there are."""
    silent = (select(Node.slug, Node.name, Node.land, Node.last_seen)
              .where(Node.disabled.is_(False),
                     or_(Node.last_seen.is_(None), Node.last_seen < now - SILENT_AFTER_US))
              .order_by(Node.last_seen.is_not(None), Node.last_seen, Node.slug))
    rows = [row._asdict() for row in session.execute(silent.limit(SHOWN))]
    return rows, session.scalar(select(func.count()).select_from(silent.subquery()))


def reporting_clocks(session: Session, *, now: int) -> tuple[list[dict[str, Any]], int]:
    """Incidents whose next report is overdue: an early warning without the notification
    after 72 hours, or no final report a month after the notification (or after the early
    warning, when the notification never came).

    The two cases are asked apart, each a range of one index (`(stage, first_reported)`,
    `(stage, last_reported)`): as one `OR` the database walks every report instead."""
    cases = (and_(TownReport.stage == "early-warning",
                  TownReport.first_reported < now - NOTIFICATION_DUE_US),
             and_(TownReport.stage == "notification",
                  TownReport.last_reported < now - FINAL_DUE_US))
    count = sum(session.scalar(select(func.count()).select_from(TownReport).where(case)) or 0
                for case in cases)
    found = []
    for case in cases:  # the first SHOWN of each, merged: the first SHOWN of both
        found += session.execute(
            select(TownReport.pk, TownReport.incident_id, TownReport.name, TownReport.stage,
                   TownReport.first_reported, TownReport.last_reported,
                   Node.name.label("town"), Node.land)
            .join(Node, Node.id == TownReport.node_id).where(case)
            .order_by(TownReport.first_reported, TownReport.pk).limit(SHOWN)).all()
    found.sort(key=lambda row: (row.first_reported, row.pk))
    rows = []
    for row in found[:SHOWN]:
        item = row._asdict()
        del item["pk"]
        waiting_since = item["first_reported"] if item["stage"] == "early-warning" \
            else item["last_reported"]
        item["missing"] = "notification" if item["stage"] == "early-warning" else "final"
        item["due"] = waiting_since + (NOTIFICATION_DUE_US if item["missing"] == "notification"
                                       else FINAL_DUE_US)
        rows.append(item)
    return rows, count


def feeds(session: Session, directory: Path, *, now: int) -> dict[str, Any]:
    """The switched-on feeds that fail (with the first line of their last error) or are
    overdue, how many feeds are on, and the feed files that cannot be read. One query over
    the small `feeds` table and one reading of the feed files (under a millisecond for the
    shipped ones)."""
    problems: list[str] = []
    on = [item for item in registry.known(session, directory, problems) if item.enabled]
    troubled = []
    for item in on:
        health = item.health()
        interval = item.feed.every_seconds * schedule.SECOND_US
        stale = health["last_success"] is None or \
            health["last_success"] < now - FEED_OVERDUE_INTERVALS * interval
        waiting = health["next_due"] is not None and health["next_due"] < now - interval
        overdue = stale and waiting and not schedule.running(item.state, now=now)
        if health["failures"] or overdue:
            error = (health["last_error"] or "").strip().splitlines()
            troubled.append({**health, "overdue": overdue,
                             "error": error[0] if health["failures"] and error else None})
    return {"on": len(on), "troubled": troubled, "problems": problems}


def overview(session: Session, *, window: str = "24h", now: int | None = None,
             feeds_dir: Path | None = None) -> dict[str, Any]:
    campaigns, _ = report.page(session, "open", limit=SHOWN)  # not the dismissed ones
    for campaign in campaigns:  # the page writes times as its reader does
        campaign["last_seen_us"] = timestamps.to_us(campaign["last_seen"])
    drafts = session.scalars(select(Advisory).where(Advisory.state == "draft")
                             .order_by(Advisory.updated.desc()))
    waiting = [{**lifecycle.summary(session, advisory), "updated_us": advisory.updated}
               for advisory in drafts]
    # Addressed towns whose agent has not acknowledged the version it was sent.
    missing = without_receipt(select(Advisory.id, Advisory.title, Advisory.published_at,
                                     Node.slug, Node.name, Node.land)
                              ).order_by(Advisory.published_at, Node.slug)
    unacknowledged = [row._asdict() for row in session.execute(missing.limit(SHOWN))]
    unacknowledged_count = session.scalar(select(func.count()).select_from(missing.subquery()))
    towns = session.scalar(select(func.count()).select_from(Node).where(
        Node.disabled.is_(False)))
    now = timestamps.now_us() if now is None else now
    silent, silent_count = silent_agents(session, now=now)
    clocks, clock_count = reporting_clocks(session, now=now)
    return {
        "reported": reported(session, window, now=now),
        "silent": silent, "silent_count": silent_count,
        "clocks": clocks, "clock_count": clock_count,
        "campaigns": campaigns, "campaign_count": report.count(session, "open"),
        "largest_campaign": report.largest(session, "open"),
        "waiting": waiting[:SHOWN], "waiting_count": len(waiting),
        "unacknowledged": unacknowledged, "unacknowledged_count": unacknowledged_count,
        "towns": towns,
        "feeds": feeds(session, feeds_dir, now=now) if feeds_dir is not None else None,
    }

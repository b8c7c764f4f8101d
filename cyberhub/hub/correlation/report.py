"""Campaigns for analysts: the list, and one campaign explained (with town names: this is the
analysts' view; the STIX objects other readers get carry pseudonyms only)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.correlation import context
from cyberhub.hub.storage.models import CampaignRecord, Node, Observation

VIEWS = ("open", "confirmed", "dismissed", "all")  # the console's list filters
PAGE = 50


def _summary(record: CampaignRecord) -> dict[str, Any]:
    explained = json.loads(record.explanation)
    top = explained["evidence"][0] if explained["evidence"] else None
    return {
        "id": record.id, "state": record.state, "merged_into": record.merged_into,
        "version": record.version, "towns": record.towns, "score": record.score,
        "first_seen": timestamps.format_us(record.first_seen),
        "last_seen": timestamps.format_us(record.last_seen),
        "top_evidence": f"{top['kind']} {top['key'].split(':', 1)[1]}" if top else "",
        "lands": sorted({town["land"] for town in explained["towns"] if town["land"]}),
        "verdict": record.verdict, "verdict_by": record.verdict_by,
        "verdict_at": timestamps.format_us(record.verdict_at) if record.verdict_at else None,
        "verdict_note": record.verdict_note,
    }


def _in_view(query: Any, view: str) -> Any:
    if view == "all":
        return query
    query = query.where(CampaignRecord.state == "active")
    if view == "open":
        return query.where(or_(CampaignRecord.verdict.is_(None),
                               CampaignRecord.verdict != "dismissed"))
    return query.where(CampaignRecord.verdict == view)


def summaries(session: Session, include_inactive: bool = False) -> list[dict[str, Any]]:
    query = select(CampaignRecord).order_by(CampaignRecord.last_seen.desc(), CampaignRecord.id)
    if not include_inactive:
        query = query.where(CampaignRecord.state == "active")
    return [_summary(record) for record in session.scalars(query)]


def page(session: Session, view: str = "open", *, after: tuple[int, str] | None = None,
         limit: int = PAGE) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    """One page of campaigns, newest activity first, and the position after it (or None).
    `open` is what still needs eyes: active and not dismissed."""
    query = _in_view(select(CampaignRecord), view).order_by(
        CampaignRecord.last_seen.desc(), CampaignRecord.id)
    if after is not None:
        query = query.where(or_(CampaignRecord.last_seen < after[0],
                                and_(CampaignRecord.last_seen == after[0],
                                     CampaignRecord.id > after[1])))
    records = list(session.scalars(query.limit(limit + 1)))
    following = None
    if len(records) > limit:
        records = records[:limit]
        following = (records[-1].last_seen, records[-1].id)
    return [_summary(record) for record in records], following


def count(session: Session, view: str = "open") -> int:
    return session.scalar(_in_view(select(func.count()).select_from(CampaignRecord), view))


def largest(session: Session, view: str = "open") -> int:
    """The most towns any campaign in the view spans."""
    return session.scalar(_in_view(select(func.max(CampaignRecord.towns)), view)) or 0


def detail(session: Session, campaign_id: str) -> dict[str, Any] | None:
    record = session.get(CampaignRecord, campaign_id)
    if record is None:
        return None
    # The feeds' context as it is now, not as it was when the campaign was last written.
    return {**_summary(record),
            "explanation": context.annotate(session, json.loads(record.explanation)),
            "incidents": json.loads(record.incidents)}


def shared(session: Session, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Which town (by slug) holds which piece of counted evidence: the edges of the graph."""
    keys = [item["key"] for item in data["explanation"]["evidence"]]
    if not keys or not data["incidents"]:
        return []
    rows = session.execute(select(Node.slug, Observation.key).join(
        Node, Node.id == Observation.node_id).where(
        Observation.incident_id.in_(data["incidents"]), Observation.key.in_(keys)).distinct())
    return sorted((slug, key) for slug, key in rows)


def render(data: dict[str, Any]) -> str:
    explained = data["explanation"]
    verdict = (f", {data['verdict']} by {data['verdict_by']}: {data['verdict_note'] or '-'}"
               if data["verdict"] else "")
    lines = [f"{data['id']} ({data['state']}"
             + (f", merged into {data['merged_into']}" if data["merged_into"] else "")
             + verdict + ")",
             f"{data['towns']} towns, {explained['towns_in_window']} of them within "
             f"{explained['window_days']} days (needed: {explained['min_towns']}); evidence "
             f"score {explained['score']} (needed: {explained['threshold']})",
             f"Länder: {', '.join(explained.get('lands') or [])}",
             "", "Towns (pseudonym as other readers see it):"]
    for town in explained["towns"]:
        via = f", through {town['via']}" if town.get("via") else ""
        lines.append(f"  {town['pseudonym']:<8} {town['name']} ({town['node']}, {town['land']}"
                     f"{via}), {town['reports']} report(s), first "
                     f"{timestamps.format_us(town['first_seen'])[:16]}")
    lines += ["", "Shared evidence (kind, value, towns sharing it, incidents with it, score):"]
    for item in explained["evidence"]:
        lines.append(f"  {item['kind']:<10} {item['key'].split(':', 1)[1]:<50} "
                     f"{item['towns']:>3} {item['postings']:>5} {item['score']:>7}")
        lines += [f"{'':13}listed: {text}" for text in item.get("feeds", [])]
    if explained["ignored"]:
        lines += ["", "Shared but not counted:"]
        for item in explained["ignored"]:
            lines.append(f"  {item['kind']:<10} {item['key'].split(':', 1)[1]}: {item['note']}")
            lines += [f"{'':13}listed: {text}" for text in item.get("feeds", [])]
    lines += ["", "Timeline:"]
    for event in explained["timeline"]:
        lines.append(f"  {event['seen'][:16].replace('T', ' ')}  {event['town']:<8} "
                     f"{event['incident']}")
    return "\n".join(lines)

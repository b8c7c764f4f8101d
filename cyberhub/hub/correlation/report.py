"""Campaigns for analysts: the list, and one campaign explained (with town names: this is the
analysts' view; the STIX objects other readers get carry pseudonyms only)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.storage.models import CampaignRecord


def _summary(record: CampaignRecord) -> dict[str, Any]:
    explained = json.loads(record.explanation)
    top = explained["evidence"][0] if explained["evidence"] else None
    return {
        "id": record.id, "state": record.state, "merged_into": record.merged_into,
        "version": record.version, "towns": record.towns, "score": record.score,
        "first_seen": timestamps.format_us(record.first_seen),
        "last_seen": timestamps.format_us(record.last_seen),
        "top_evidence": f"{top['kind']} {top['key'].split(':', 1)[1]}" if top else "",
    }


def summaries(session: Session, include_inactive: bool = False) -> list[dict[str, Any]]:
    query = select(CampaignRecord).order_by(CampaignRecord.last_seen.desc(), CampaignRecord.id)
    if not include_inactive:
        query = query.where(CampaignRecord.state == "active")
    return [_summary(record) for record in session.scalars(query)]


def detail(session: Session, campaign_id: str) -> dict[str, Any] | None:
    record = session.get(CampaignRecord, campaign_id)
    if record is None:
        return None
    return {**_summary(record), "explanation": json.loads(record.explanation),
            "incidents": json.loads(record.incidents)}


def render(data: dict[str, Any]) -> str:
    explained = data["explanation"]
    lines = [f"{data['id']} ({data['state']}"
             + (f", merged into {data['merged_into']}" if data["merged_into"] else "") + ")",
             f"{data['towns']} towns, {explained['towns_in_window']} of them within "
             f"{explained['window_days']} days (needed: {explained['min_towns']}); evidence "
             f"score {explained['score']} (needed: {explained['threshold']})",
             "", "Towns (pseudonym as other readers see it):"]
    for town in explained["towns"]:
        lines.append(f"  {town['pseudonym']:<8} {town['name']} ({town['node']}, {town['land']}),"
                     f" {town['reports']} report(s), first "
                     f"{timestamps.format_us(town['first_seen'])[:16]}")
    lines += ["", "Shared evidence (kind, value, towns sharing it, incidents with it, score):"]
    for item in explained["evidence"]:
        lines.append(f"  {item['kind']:<10} {item['key'].split(':', 1)[1]:<50} "
                     f"{item['towns']:>3} {item['postings']:>5} {item['score']:>7}")
    if explained["ignored"]:
        lines += ["", "Shared but not counted:"]
        for item in explained["ignored"]:
            lines.append(f"  {item['kind']:<10} {item['key'].split(':', 1)[1]}: {item['note']}")
    lines += ["", "Timeline:"]
    for event in explained["timeline"]:
        lines.append(f"  {event['seen'][:16].replace('T', ' ')}  {event['town']:<8} "
                     f"{event['incident']}")
    return "\n".join(lines)

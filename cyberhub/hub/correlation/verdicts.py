"""An analyst's verdict on a campaign: confirmed, or dismissed as a false alarm.

A dismissed campaign drafts no advisory and leaves the Lagebild. It keeps the evidence keys it
was dismissed on: while the engine finds nothing beyond them (more towns with the same harmless
domain, say) the campaign stays dismissed and nobody is told again; evidence it did not have
raises it again, and the verdict is cleared with a record of why. The console and
`cyberhub campaigns confirm|dismiss` both come here.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.storage.models import Account, CampaignRecord

VERDICTS = ("confirmed", "dismissed")
NOTE_LIMIT = 2000


class VerdictError(ValueError):
    """A verdict refused; `field` names what was wrong (campaign, verdict, note, role)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def judge(session: Session, actor: Account, campaign_id: str, verdict: str, note: str, *,
          now: int) -> dict[str, Any]:
    """Record `actor`'s verdict in the caller's transaction (audited with it)."""
    if actor.role is None:
        raise VerdictError("role", "only analysts, coordinators and admins judge campaigns")
    record = session.get(CampaignRecord, campaign_id, with_for_update=True)
    if record is None:
        raise VerdictError("campaign", f"no campaign {campaign_id!r}")
    if record.state != "active":
        raise VerdictError("campaign", f"campaign {campaign_id} is {record.state}")
    if verdict not in VERDICTS:
        raise VerdictError("verdict", f"a verdict is one of {', '.join(VERDICTS)}")
    note = (note or "").strip()
    if "\x00" in note or len(note) > NOTE_LIMIT:
        raise VerdictError("note", f"a note has at most {NOTE_LIMIT} characters of text")
    if verdict == "dismissed" and not note:
        raise VerdictError("note", "say why the campaign is dismissed")
    keys = sorted(item["key"] for item in json.loads(record.explanation)["evidence"])
    record.verdict, record.verdict_by, record.verdict_at = verdict, actor.username, now
    record.verdict_note = note or None
    record.verdict_keys = json.dumps(keys) if verdict == "dismissed" else None
    audit.record(session, actor=actor.username, action=f"campaign.{verdict}",
                 subject=campaign_id, now=now, note=note, evidence=len(keys))
    return {"id": campaign_id, "verdict": verdict, "by": actor.username, "note": note}


def still_dismissed(record: CampaignRecord, evidence_keys: set[str]) -> bool:
    """True while a dismissed campaign's evidence brings nothing it was not dismissed on."""
    if record.verdict != "dismissed" or record.verdict_keys is None:
        return False
    return evidence_keys <= set(json.loads(record.verdict_keys))


def raise_again(session: Session, record: CampaignRecord, evidence_keys: set[str], *,
                now: int) -> None:
    """New evidence on a dismissed campaign: the verdict no longer covers it."""
    new = sorted(evidence_keys - set(json.loads(record.verdict_keys or "[]")))
    audit.record(session, actor="hub", action="campaign.raised-again", subject=record.id,
                 now=now, dismissed_by=record.verdict_by, new_evidence=new[:20])
    record.verdict = record.verdict_by = record.verdict_at = None
    record.verdict_note = record.verdict_keys = None

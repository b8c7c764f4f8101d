"""The audit log: who did what to what, and when. Entries are only ever added; the CLI and,
later, the console read them back."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.storage.models import AuditEntry


def record(session: Session, *, actor: str, action: str, subject: str, now: int,
           **detail: Any) -> None:
    """Add an entry in the caller's transaction: the step and its record commit together."""
    session.add(AuditEntry(at=now, actor=actor, action=action, subject=subject,
                           detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))
    session.flush()


def entries(session: Session, subject: str | None = None, limit: int = 1000
            ) -> list[dict[str, Any]]:
    """The newest `limit` entries (for one subject if given), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    rows = list(session.scalars(query))[::-1]
    return [{"at": timestamps.format_us(row.at), "actor": row.actor, "action": row.action,
             "subject": row.subject, "detail": json.loads(row.detail)} for row in rows]

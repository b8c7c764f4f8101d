"""Status resources of earlier POSTs (TAXII 2.1 section 4.3)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .accounts import Principal
from .ingest import status_resource
from .models import StatusRecord


def get_status(session: Session, status_id: str, principal: Principal) -> dict[str, Any] | None:
    """The status resource, if it exists and belongs to this principal (admins see all)."""
    record = session.get(StatusRecord, status_id)
    if record is None:
        return None
    if record.account_id != principal.account_id and not principal.is_admin:
        return None
    details = json.loads(record.details)
    return status_resource(
        record.id, record.status, record.request_timestamp,
        details.get("successes", []), details.get("failures", []),
    )


def purge(session: Session, *, before: int) -> int:
    """Forget statuses requested before `before` (microseconds); returns how many."""
    result = session.execute(delete(StatusRecord).where(StatusRecord.request_timestamp < before))
    return result.rowcount or 0

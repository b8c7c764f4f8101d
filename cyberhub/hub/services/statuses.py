"""Status resources of POSTs (TAXII 2.1 section 4.3): built from what ingest decided, kept in
the database so any worker can answer for them, and purged after `status_retention_hours`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from cyberhub.core import signing, timestamps
from cyberhub.hub.accounts import Principal
from cyberhub.hub.storage.models import StatusRecord
from cyberhub.hub.storage.objects import Outcome

_CONFLICT = ("version-conflict: a different object with this id and version is already stored; "
             "a changed object needs a new 'modified'")


@dataclass
class StatusReport:
    """The outcome of one POST, shaped like the TAXII status resource."""

    id: str
    request_timestamp: int
    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    # Incidents whose index entries this POST added: what correlation looks at next.
    incidents: set[str] = field(default_factory=set)

    @classmethod
    def new(cls, now: int) -> StatusReport:
        return cls(str(uuid.uuid4()), now)

    @property
    def total_count(self) -> int:
        return len(self.successes) + len(self.failures)

    def add(self, outcomes: Iterable[Outcome]) -> None:
        """Count what the repository did: stored and duplicates succeed, conflicts fail."""
        for outcome in outcomes:
            obj = outcome.candidate.obj
            if outcome.state == "stored":
                self.successes.append(detail(obj, outcome.version))
            elif outcome.state == "duplicate":
                self.successes.append(detail(obj, outcome.version,
                                             "duplicate of a stored object"))
            else:
                self.failures.append(detail(obj, outcome.version, _CONFLICT))

    def resource(self) -> dict[str, Any]:
        return status_resource(
            self.id, "complete", self.request_timestamp, self.successes, self.failures
        )


def detail(obj: Any, version: str, message: str | None = None) -> dict[str, str]:
    """One status detail (section 4.3.1): the object's id, its version and why."""
    object_id = obj.get("id") if isinstance(obj, dict) else None
    found = {"id": object_id if isinstance(object_id, str) else "", "version": version}
    if message:
        found["message"] = message
    return found


def declared_version(obj: Any) -> str:
    """The version an object claims (its `modified`, else `created`), checked or not."""
    return signing.object_version(obj) if isinstance(obj, dict) else ""


def status_resource(
    status_id: str, status: str, request_timestamp: int,
    successes: list[dict[str, str]], failures: list[dict[str, str]],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": status_id,
        "status": status,
        "request_timestamp": timestamps.format_us(request_timestamp),
        "total_count": len(successes) + len(failures),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
    }
    # TAXII lists are omitted rather than empty (section 2).
    if successes:
        body["successes"] = successes
    if failures:
        body["failures"] = failures
    return body


def save(session: Session, report: StatusReport, *, collection_id: str, account_id: int
         ) -> None:
    session.connection().execute(insert(StatusRecord), [{
        "id": report.id,
        "account_id": account_id,
        "collection_id": collection_id,
        "request_timestamp": report.request_timestamp,
        "status": "complete",
        "total_count": report.total_count,
        "success_count": len(report.successes),
        "failure_count": len(report.failures),
        "pending_count": 0,
        "details": json.dumps({"successes": report.successes, "failures": report.failures}),
    }])


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

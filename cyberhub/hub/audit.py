"""The audit log: who did what to what, and when. Entries are only ever added; the console's
Protokoll page and `cyberhub audit` read them back through `page`, with the same filters."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.storage.models import AuditEntry

PAGE = 50
# A day is a day in Germany, as the console shows the entries' times.
ZONE = ZoneInfo("Europe/Berlin")
_ACTION = re.compile(r"^[a-z0-9][a-z0-9.-]{0,39}\Z")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\Z")
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\Z")
# Why a filter value is refused, for the command line (the console has its own texts).
REASONS = {
    "bad-text": "must be at most 100 printable characters",
    "bad-action": "must be lowercase letters, digits, '.' or '-' (a prefix such as advisory.)",
    "bad-date": "must be a date as YYYY-MM-DD or DD.MM.YYYY",
    "before-since": "must not be before the start date",
}


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


@dataclass(frozen=True)
class Filters:
    actor: str | None = None  # exactly this actor
    action: str | None = None  # actions beginning with this ("advisory.", "console.login")
    subject: str | None = None  # subjects containing this text, in any case
    since: int | None = None  # µs, from (inclusive)
    until: int | None = None  # µs, before (exclusive)


def _day(value: str) -> date:
    iso, german = _ISO_DAY.match(value), _GERMAN_DAY.match(value)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif german:
        day, month, year = (int(part) for part in german.groups())
    else:
        raise ValueError(value)
    if not 1970 <= year <= 9998:  # before the log existed, or past what a date can hold
        raise ValueError(value)
    return date(year, month, day)


def _start_us(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=ZONE).timestamp() * 1_000_000)


def _text(value: str) -> bool:
    return len(value) <= 100 and not any(unicodedata.category(c).startswith("C")
                                         for c in value)


def parse(values: Mapping[str, str | None]) -> tuple[Filters, dict[str, str]]:
    """Filters from what a person typed (form fields or options: actor, action, subject,
    since, until; empty means no filter); the refused fields with the reason's code."""
    given = {name: (values.get(name) or "").strip()
             for name in ("actor", "action", "subject", "since", "until")}
    errors: dict[str, str] = {}
    for name in ("actor", "subject"):
        if not _text(given[name]):
            errors[name] = "bad-text"
    if given["action"] and not _ACTION.match(given["action"]):
        errors["action"] = "bad-action"
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = _day(given[name]) if given[name] else None
        except ValueError:
            errors[name], days[name] = "bad-date", None
    if days["since"] and days["until"] and days["until"] < days["since"]:
        errors["until"] = "before-since"
    if errors:
        return Filters(), errors
    return Filters(
        actor=given["actor"] or None, action=given["action"] or None,
        subject=given["subject"] or None,
        since=_start_us(days["since"]) if days["since"] else None,
        # The whole last day: up to the start of the next one (23 or 25 hours on a DST day).
        until=_start_us(days["until"] + timedelta(days=1)) if days["until"] else None,
    ), {}


def page(session: Session, filters: Filters, *, after: int | None = None,
         limit: int = PAGE) -> tuple[list[dict[str, Any]], int | None]:
    """One page of entries, newest first, and the entry id to pass as `after` for the next
    page (None on the last). Keyset paging on the id, the order entries were written in."""
    query = select(AuditEntry)
    if filters.actor is not None:
        query = query.where(AuditEntry.actor == filters.actor)
    if filters.action is not None:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.subject is not None:
        query = query.where(AuditEntry.subject.icontains(filters.subject, autoescape=True))
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    if after is not None:
        query = query.where(AuditEntry.id < after)
    rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    shown = [{"id": row.id, "at": row.at, "actor": row.actor, "action": row.action,
              "subject": row.subject, "detail": json.loads(row.detail)}
             for row in rows[:limit]]
    return shown, (rows[limit - 1].id if len(rows) > limit else None)


def readable(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An entry's detail as "key: value" pairs: text as it is, anything else as JSON."""
    return [(key, value if isinstance(value, str) else
             json.dumps(value, ensure_ascii=False, sort_keys=True))
            for key, value in sorted(detail.items())]

"""The analysts' inbox of town reports: one row per incident, kept current at ingest, with
what the console filters on (town, Land, stage, TLP, incident type, time, triage state, free
text) and what analysts add (triage state, assignee, internal notes).

The STIX objects stay the record (`objects`); this is an index over them, written in the same
transaction as the report, so the inbox never shows a report the hub does not hold. Paging is
by keyset (newest report first, then the row's key): a page costs the same at row 100,000 as
at row 1."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps, tlp
from cyberhub.core.stix import INCIDENT_CORE, STAGE_LABEL, STAGES
from cyberhub.hub import audit
from cyberhub.hub.storage.inserts import insert_for
from cyberhub.hub.storage.models import Account, Node, ReportNote, StoredObject, TownReport

TRIAGE = ("new", "in-progress", "done")
SEARCH_CHARS = 4000
PAGE = 50


class InboxError(ValueError):
    """A request the inbox refuses; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _incident(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((o for o in objects if o.get("type") == "incident"), None)


def _stage(incident: dict[str, Any]) -> str | None:
    for label in incident.get("labels") or []:
        if isinstance(label, str) and label.startswith(STAGE_LABEL):
            stage = label[len(STAGE_LABEL):]
            return stage if stage in STAGES else None
    return None


def _values(objects: list[dict[str, Any]]) -> list[str]:
    """Observable values worth finding by: addresses, names, URLs, hashes, e-mail fields."""
    found = []
    for obj in objects:
        value = obj.get("value")
        if isinstance(value, str):
            found.append(value)
        hashes = obj.get("hashes")
        if isinstance(hashes, dict):
            found += [h for h in hashes.values() if isinstance(h, str)]
        for key in ("subject", "name", "pattern"):
            if obj.get("type") != "incident" and isinstance(obj.get(key), str):
                found.append(obj[key])
    return found


@dataclass(frozen=True)
class Entry:
    """A town report's inbox row as far as the report alone decides it: made before the write
    transaction, so that the lock is held only for `store` (`refs`: the incident's markings,
    which decide its TLP with the marking-definitions the hub holds)."""
    incident_id: str
    name: str
    stage: str | None
    types: str
    search: str
    refs: list[str]


def prepare(objects: list[dict[str, Any]]) -> Entry | None:
    """The inbox entry of one town report (a signed group); None when it holds no incident."""
    incident = _incident(objects)
    if incident is None:
        return None
    core = (incident.get("extensions") or {}).get(INCIDENT_CORE) or {}
    types = [t for t in core.get("incident_types") or [] if isinstance(t, str)]
    text = " ".join([str(incident.get("name") or ""), str(incident.get("description") or ""),
                     *_values(objects)]).lower()[:SEARCH_CHARS]
    return Entry(incident["id"], str(incident.get("name") or "")[:300], _stage(incident),
                 ",".join(types)[:300], text, tlp.marking_refs(incident))


_TOWN = select(Node.id, Node.land).where(Node.identity_id == bindparam("identity"))


def town(session: Session, issuer: str) -> tuple[int, str] | None:
    """The node id and Land of the town that signed a report; None when no town did."""
    found = session.connection().execute(_TOWN, {"identity": issuer}).first()
    return (found.id, found.land) if found is not None else None


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """Insert the row, or bring an existing one up to the new version (built once per
    dialect: it runs for every town report). The first reporter and the triage stay."""
    if dialect not in _UPSERTS:
        insert = insert_for(dialect)(TownReport)
        new = insert.excluded
        _UPSERTS[dialect] = insert.on_conflict_do_update(index_elements=["incident_id"], set_={
            "land": new.land, "name": new.name, "stage": new.stage, "types": new.types,
            "tlp": new.tlp, "last_reported": new.last_reported, "search": new.search,
            "versions": TownReport.versions + 1})
    return _UPSERTS[dialect]


def store(session: Session, entry: Entry, *, node: tuple[int, str], now: int,
          held: Iterable[str] = ()) -> str:
    """Write a prepared entry in the caller's transaction; returns the incident id."""
    connection = session.connection()
    connection.execute(_upsert(connection.dialect.name), {
        "incident_id": entry.incident_id, "node_id": node[0], "land": node[1],
        "name": entry.name, "stage": entry.stage, "types": entry.types,
        "tlp": tlp.audience_level(entry.refs, set(held)), "first_reported": now,
        "last_reported": now, "versions": 1, "triage": "new", "search": entry.search})
    return entry.incident_id


@dataclass(frozen=True)
class Filters:
    town: str | None = None  # node slug
    land: str | None = None
    stage: str | None = None
    tlp: str | None = None
    incident_type: str | None = None
    since: int | None = None  # µs, on the last report
    until: int | None = None
    triage: str | None = None
    text: str | None = None


def _conditions(filters: Filters) -> list[Any]:
    found = []
    if filters.town:
        found.append(Node.slug == filters.town)
    if filters.land:
        found.append(TownReport.land == filters.land)
    if filters.stage:
        found.append(TownReport.stage == filters.stage)
    if filters.tlp:
        found.append(TownReport.tlp == filters.tlp)
    if filters.incident_type:
        # Stored comma-separated: match a whole entry, not a part of one.
        wrapped = "," + TownReport.types + ","
        found.append(wrapped.contains(f",{filters.incident_type},", autoescape=True))
    if filters.since is not None:
        found.append(TownReport.last_reported >= filters.since)
    if filters.until is not None:
        found.append(TownReport.last_reported < filters.until)
    if filters.triage:
        found.append(TownReport.triage == filters.triage)
    if filters.text:
        found.append(TownReport.search.contains(filters.text.lower(), autoescape=True))
    return found


def page(session: Session, filters: Filters, *, after: tuple[int, int] | None = None,
         limit: int = PAGE) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:
    """One page of reports, newest first; the position to pass for the next page, if any."""
    query = (select(TownReport, Node.slug, Node.name, Account.username)
             .join(Node, Node.id == TownReport.node_id)
             .outerjoin(Account, Account.id == TownReport.assignee_id)
             .where(*_conditions(filters)))
    if after is not None:
        query = query.where(or_(TownReport.last_reported < after[0],
                                and_(TownReport.last_reported == after[0],
                                     TownReport.pk < after[1])))
    rows = session.execute(query.order_by(TownReport.last_reported.desc(),
                                          TownReport.pk.desc()).limit(limit + 1)).all()
    shown = [_summary(row, slug, name, assignee) for row, slug, name, assignee in rows[:limit]]
    more = rows[limit][0] if len(rows) > limit else None
    last = rows[limit - 1][0] if more is not None else None
    return shown, ((last.last_reported, last.pk) if last is not None else None)


def _summary(row: TownReport, slug: str, town: str, assignee: str | None) -> dict[str, Any]:
    return {"incident": row.incident_id, "town": slug, "town_name": town, "land": row.land,
            "name": row.name, "stage": row.stage, "types": [t for t in row.types.split(",")
                                                            if t],
            "tlp": row.tlp, "first_reported": row.first_reported,
            "last_reported": row.last_reported, "versions": row.versions,
            "triage": row.triage, "assignee": assignee}


def get(session: Session, incident_id: str) -> dict[str, Any] | None:
    found = session.execute(
        select(TownReport, Node.slug, Node.name, Account.username)
        .join(Node, Node.id == TownReport.node_id)
        .outerjoin(Account, Account.id == TownReport.assignee_id)
        .where(TownReport.incident_id == incident_id)).first()
    if found is None:
        return None
    summary = _summary(*found)
    notes = session.execute(
        select(ReportNote.at, ReportNote.text, Account.username)
        .join(Account, Account.id == ReportNote.author_id)
        .where(ReportNote.incident_id == incident_id).order_by(ReportNote.id)).all()
    summary["notes"] = [{"at": at, "text": text, "author": author}
                        for at, text, author in notes]
    return summary


def triage(session: Session, actor: Account, incident_id: str, *, state: str,
           assignee: str | None, now: int) -> None:
    """Set the triage state and who works on it (an analyst, coordinator or admin)."""
    row = session.scalar(select(TownReport).where(TownReport.incident_id == incident_id))
    if row is None:
        raise InboxError("incident", "no such report")
    if state not in TRIAGE:
        raise InboxError("state", "unknown triage state")
    assignee_id = None
    if assignee:
        person = session.scalar(select(Account).where(
            Account.username == assignee, Account.role.is_not(None),
            Account.disabled.is_(False)))
        if person is None:
            raise InboxError("assignee", "no such person")
        assignee_id = person.id
    before = (row.triage, row.assignee_id)
    row.triage, row.assignee_id = state, assignee_id
    if before != (state, assignee_id):
        audit.record(session, actor=actor.username, action="report.triage",
                     subject=incident_id[:100], now=now, state=state, assignee=assignee)


MAX_NOTE = 4000


def add_note(session: Session, actor: Account, incident_id: str, text: str, *,
             now: int) -> None:
    """An internal note: for analysts only, never sent to the town."""
    text = (text or "").strip()
    if not text:
        raise InboxError("note", "empty")
    if len(text) > MAX_NOTE or "\x00" in text:
        raise InboxError("note", "too long")
    if session.scalar(select(TownReport.pk).where(
            TownReport.incident_id == incident_id)) is None:
        raise InboxError("incident", "no such report")
    session.add(ReportNote(incident_id=incident_id, author_id=actor.id, at=now, text=text))
    audit.record(session, actor=actor.username, action="report.note", subject=incident_id[:100],
                 now=now)


def towns(session: Session) -> list[tuple[str, str]]:
    """The towns the filter form offers, as (slug, name), by name."""
    return [(slug, name) for slug, name in session.execute(
        select(Node.slug, Node.name).order_by(Node.name))]


def people(session: Session) -> list[str]:
    """Who a report can be assigned to: enabled accounts with a role."""
    return list(session.scalars(select(Account.username).where(
        Account.role.is_not(None), Account.disabled.is_(False)).order_by(Account.username)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TownReport)) or 0


def versions(session: Session, collection_id: str, incident_id: str) -> list[dict[str, Any]]:
    """Every stored version (reporting stage) of the incident, oldest first."""
    rows = session.execute(select(StoredObject.version, StoredObject.date_added,
                                  StoredObject.body)
                           .where(StoredObject.collection_id == collection_id,
                                  StoredObject.object_id == incident_id)
                           .order_by(StoredObject.version_key)).all()
    return [{"version": version, "added": added, "object": json.loads(body),
             "stage": _stage(json.loads(body))} for version, added, body in rows]


def stamp(value: str | None) -> int | None:
    """A date from the filter form (YYYY-MM-DD) as µs at midnight UTC; None if empty."""
    if not value:
        return None
    parsed = timestamps.parse_stix(f"{value}T00:00:00Z")
    if parsed is None:
        raise InboxError("date", "not a date")
    return int(parsed[0].timestamp() * 1_000_000)

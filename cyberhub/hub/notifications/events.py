"""What is new since the last run: each event with its key, as set-based queries that leave
out every key already mailed, skipped, or claimed by a run still within its time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, literal, or_, select, update
from sqlalchemy.orm import Session

from cyberhub.hub import situation
from cyberhub.hub.storage.models import (
    Advisory,
    CampaignRecord,
    Node,
    Notification,
)


def _text(value: str) -> Any:
    return literal(value, String)


def _unsent(key: Any, now: int) -> Any:
    """No row for the key that is sent, skipped, or claimed by a run still within its time."""
    return ~select(Notification.key).where(
        Notification.key == key,
        or_(Notification.state != "pending", Notification.claimed_until > now)).exists()


def campaigns(session: Session, now: int) -> list[Any]:
    """New active campaigns (rows: key, CampaignRecord); one an analyst already dismissed is
    not news."""
    key = _text("campaign:") + CampaignRecord.id
    return list(session.execute(
        select(key.label("key"), CampaignRecord)
        .where(CampaignRecord.state == "active",
               or_(CampaignRecord.verdict.is_(None), CampaignRecord.verdict != "dismissed"),
               _unsent(key, now))
        .order_by(CampaignRecord.first_seen, CampaignRecord.id)))


def waiting(session: Session, now: int) -> list[Any]:
    """Drafts (rows: key, Advisory): a revision no second analyst has approved yet, as the
    Lagebild counts them; each new revision is an event of its own."""
    key = _text("advisory-waiting:") + Advisory.id + _text(":") + cast(Advisory.revision,
                                                                         String)
    return list(session.execute(
        select(key.label("key"), Advisory).where(Advisory.state == "draft", _unsent(key, now))
        .order_by(Advisory.updated, Advisory.id)))


def unacknowledged(session: Session, now: int, hours: int) -> list[Any]:
    """Addressed towns whose agent has not acknowledged the published version `hours` after
    it was published (rows: key, Advisory, land): the Lagebild's rule with the time added."""
    key = (_text("unacknowledged:") + Advisory.id + _text(":") + Advisory.published_version
           + _text(":") + cast(Node.id, String))
    return list(session.execute(
        situation.without_receipt(select(key.label("key"), Advisory, Node.land))
        .where(Advisory.published_at <= now - hours * 3600 * 1_000_000, _unsent(key, now))
        .order_by(Advisory.published_at, Advisory.id, Node.id)))


def mark(session: Session, keys: list[str], *, state: str, now: int,
         claimed_until: int | None = None) -> None:
    """Insert the keys' rows, or take over pending ones whose claim ran out. A second
    scheduler waits on the caller's lock; were it not held, the primary key would still
    refuse the second insert (and that run would roll back and try again)."""
    existing = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys))))
    for key in keys:
        if key not in existing:
            session.add(Notification(key=key, state=state, created=now,
                                     claimed_until=claimed_until, attempts=0))
    if existing:
        session.execute(update(Notification).where(Notification.key.in_(existing))
                        .values(state=state, claimed_until=claimed_until))

"""The member towns as the console shows them: who they are, their keys, their enrolment,
their last report and when their agent was last seen (`LastSeen`, written on the TAXII and
node APIs' authenticated requests). The acts on towns are in `cyberhub.hub.nodes`."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cyberhub.hub import inbox
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import EnrollmentToken, Node, NodeKey, TownReport

log = logging.getLogger(__name__)

RECENT_REPORTS = 10
SEEN_EVERY = 60_000_000  # µs: how stale `nodes.last_seen` may be


class LastSeen:
    """Notes when a town's agent was last seen (an authenticated request), for the console.

    Reads are the hot path, so a request normally costs a dictionary look-up: this process
    remembers what it last knew of each node. Only when that is a minute old does it read the
    stored value, and only when that is a minute old too does it write, with a conditional
    UPDATE, so that two processes seeing the same agent write once. Both run in sessions of
    their own, never the request's, and a failure is logged and forgotten: a request never
    fails for it."""

    def __init__(self, db: Database, every: int = SEEN_EVERY) -> None:
        self.db = db
        self.every = every
        self._known: dict[int, int] = {}  # node id -> last_seen as this process knows it

    def note(self, node_id: int, *, now: int) -> None:
        if now - self._known.get(node_id, now - self.every) < self.every:
            return
        try:
            with self.db.session() as reader:
                stored = reader.execute(_LAST_SEEN, {"node_id": node_id}).scalar()
            if stored is None or now - stored >= self.every:
                with self.db.writing() as writer:
                    writer.execute(update(Node).where(
                        Node.id == node_id,
                        or_(Node.last_seen.is_(None), Node.last_seen <= now - self.every),
                    ).values(last_seen=now))
                stored = now
            self._known[node_id] = stored
        except SQLAlchemyError as exc:
            log.warning("could not note that node %s was seen: %s", node_id,
                        type(exc).__name__)


_LAST_SEEN = select(Node.last_seen).where(Node.id == bindparam("node_id"))


def towns(session: Session) -> list[dict[str, Any]]:
    """Every town, by name: its last report, its agent's last request, its active keys."""
    # One probe of (node_id, last_reported) per town, not an aggregate over every report.
    reported = (select(func.max(TownReport.last_reported))
                .where(TownReport.node_id == Node.id).correlate(Node).scalar_subquery())
    active = (select(NodeKey.node_id, func.count().label("live"))
              .where(NodeKey.revoked_at.is_(None)).group_by(NodeKey.node_id).subquery())
    rows = session.execute(
        select(Node, reported, active.c.live)
        .outerjoin(active, active.c.node_id == Node.id)
        .order_by(func.lower(Node.name), Node.slug)).all()
    return [{"slug": node.slug, "name": node.name, "land": node.land,
             "last_report": last_report, "last_seen": node.last_seen,
             "active_keys": keys or 0, "disabled": node.disabled,
             "share_name": node.share_name}
            for node, last_report, keys in rows]


def town(session: Session, slug: str) -> dict[str, Any] | None:
    """One town with its keys (oldest first), its enrolment and its latest reports."""
    node = session.scalar(select(Node).where(Node.slug == slug))
    if node is None:
        return None
    keys = [{"kid": key.kid, "created": key.created, "revoked": key.revoked_at}
            for key in session.scalars(select(NodeKey).where(NodeKey.node_id == node.id)
                                       .order_by(NodeKey.created, NodeKey.kid))]
    tokens = list(session.scalars(select(EnrollmentToken)
                                  .where(EnrollmentToken.node_id == node.id)))
    open_token = next((t for t in tokens if t.used_at is None), None)
    used = [t.used_at for t in tokens if t.used_at is not None]
    reports, _ = inbox.page(session, inbox.Filters(town=slug), limit=RECENT_REPORTS)
    callback = urlsplit(node.callback_url) if node.callback_url else None
    return {"slug": node.slug, "name": node.name, "land": node.land,
            "identity": node.identity_id, "created": node.created,
            "disabled": node.disabled, "share_name": node.share_name,
            "last_seen": node.last_seen,
            # Only where pushes go: a callback's path may carry the town's shared secret.
            "callback": f"{callback.scheme}://{callback.netloc}" if callback else None,
            "signing_keys": keys,
            "token_expires": open_token.expires if open_token else None,
            "enrolled": max(used) if used else None,
            "reports": reports}

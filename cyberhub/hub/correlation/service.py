"""The correlation engine as the hub uses it: index inside the ingest transaction, detect right
after it, and the full pass the scheduler (or `cyberhub campaigns rescan`) runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.correlation import engine, index
from cyberhub.hub.correlation.campaigns import ActiveCampaigns, Publisher
from cyberhub.hub.correlation.detect import DAY_US, Rules
from cyberhub.hub.correlation.rounds import Rounds
from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.services import markings
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage import locks
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Node

# Two hosts must not both turn one attack into a campaign: detection writes under this lock.
CORRELATION_LOCK = "correlation"
log = logging.getLogger("cyberhub.correlation")


def rules_from(settings: Any) -> Rules:
    return Rules(min_towns=settings.campaign_min_towns,
                 window_us=settings.campaign_window_days * DAY_US,
                 threshold=settings.campaign_threshold,
                 max_postings=settings.correlation_max_postings)


@dataclass
class Correlator:
    lists: Warninglists
    rules: Rules
    signer: Signer
    _nodes: dict[str, int] = field(default_factory=dict)
    _active: ActiveCampaigns = field(default_factory=ActiveCampaigns)
    _rounds: Rounds = field(default_factory=Rounds)
    _hot: bool = False  # the last run's look without the lock went stale (`_detect`)

    def node_id(self, session: Session, identity: str) -> int | None:
        if identity not in self._nodes:
            found = session.scalar(select(Node.id).where(Node.identity_id == identity))
            if found is None:
                return None
            self._nodes[identity] = found
        return self._nodes[identity]

    def draft(self, session: Session, issuer: str, objects: list[dict[str, Any]],
              now: int) -> index.Draft | None:
        """A town report's index rows, to make before the write transaction (reads the
        signer's node only); None for the hub's own writes, which are not town evidence."""
        node_id = self.node_id(session, issuer)
        if node_id is None:
            return None
        return index.draft(objects, node_id=node_id, lists=self.lists, now=now)

    def add(self, session: Session, drafts: Iterable[index.Draft]) -> set[str]:
        """Write drafted rows in the caller's write transaction, with their TLP decided by
        the markings the hub holds now; returns the incidents that gained keys and may change
        a campaign (`engine.may_link`): the ones to `detect` once it is committed."""
        rows = []
        for drafted in drafts:
            rows += drafted.finish(markings.held(session, drafted.refs))
        return engine.may_link(session, index.add_rows(session, rows), self.rules)

    def index(self, session: Session, reports: Iterable[tuple[str, list[dict[str, Any]]]],
              now: int) -> set[str]:
        """Index town reports (signer identity, objects) in the caller's write transaction:
        `draft` and `add` at once."""
        drafts = [self.draft(session, issuer, objects, now) for issuer, objects in reports]
        return self.add(session, [d for d in drafts if d is not None])

    def detect(self, db: Database, incidents: Iterable[str]) -> list[str]:
        """Campaigns touched by these incidents, recorded and published; returns the ids of
        those written by the run that covered them, which callers at the same time share
        (`rounds`)."""
        incidents = set(incidents)
        if not incidents:
            return []
        return self._rounds.join(incidents, lambda together: self._detect(db, together))

    def _detect(self, db: Database, incidents: set[str]) -> list[str]:
        publisher = self._publisher()
        found, campaigns = None, None
        if not self._hot:
            # Look without the write lock first, which the next POST may be waiting for.
            with db.session() as session:
                campaigns = publisher.active(session)
                found, affected = engine.incremental(session, incidents, self.rules, campaigns)
            if not _needs_writing(found, affected):
                return []
        with db.writing() as session:
            locks.hold(session, CORRELATION_LOCK)
            # What was found stands if nothing it was read from has changed since (no campaign
            # written, no index count moved); otherwise look again, on what is committed now.
            # While a wave grows a campaign with every report, another worker has nearly
            # always changed it by the time the first look is done: after a look that went
            # stale, the next run looks under the lock at once, until one finds nothing to
            # write (the lock-free look would have been enough).
            stale = found is None or publisher.active(session) is not campaigns \
                or not found.reads.still_current(session)  # type: ignore[union-attr]
            if stale:
                found, affected = engine.incremental(session, incidents, self.rules,
                                                     publisher.active(session))
            self._hot = stale and _needs_writing(found, affected)
            return publisher.apply(session, found.components, affected)

    def full_pass(self, db: Database) -> tuple[int, list[str]]:
        with db.writing() as session:
            locks.hold(session, CORRELATION_LOCK)
            publisher = self._publisher()
            found = engine.full_pass(session, self.rules)
            written = publisher.apply(session, found.components,
                                      set(publisher.active(session)))
        log.info("full correlation pass: %d index rows, %d campaigns written", found.examined,
                 len(written))
        return found.examined, written

    def _publisher(self) -> Publisher:
        return Publisher(signer=self.signer, rules=self.rules, now=timestamps.now_us,
                         cache=self._active)


def _needs_writing(found: engine.Found, affected: set[str]) -> bool:
    """Whether a look found something to record: a campaign, or one to examine again."""
    return bool(affected) or any(c.is_campaign for c in found.components)

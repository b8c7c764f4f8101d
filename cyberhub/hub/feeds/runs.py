"""What every feed run shares, whatever it writes: its result (the counts `feeds sync --json`
prints and the health line keeps), its HTTP client, and how it ends in the feed's state - the
cursor saved only after success, the next run after the interval or the backoff."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.feeds import schedule
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import Client
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.feeds.source import Source
from cyberhub.hub.storage.database import Database


@dataclass
class Result:
    feed: str
    fetched: int = 0
    added: int = 0
    updated: int = 0
    expired: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    unchanged: bool = False
    failed: bool = False
    # The correlation engine's warning lists changed: the process should reload them now.
    lists_changed: bool = False

    def counts(self) -> dict[str, Any]:
        """What `feeds sync --json` prints and feed health keeps."""
        return {"feed": self.feed, "fetched": self.fetched, "added": self.added,
                "updated": self.updated, "expired": self.expired, "skipped": self.skipped,
                "errors": self.errors}


def client_for(feed: Feed, *, verify: bool | str = True) -> Client:
    """The feed's HTTP client, with the upstream password read from the environment now."""
    auth = None
    if feed.taxii and feed.taxii.username:
        auth = (feed.taxii.username, os.environ.get(feed.taxii.password_env or "", ""))
    return Client(max_bytes=feed.max_bytes, timeout=feed.timeout, auth=auth, verify=verify)


def succeeded(session: Session, feed: Feed, source: Source, result: Result, *, now: int
              ) -> None:
    """The run's end in the feed's state, in the run's last write transaction: the cursor
    (only now: a failed run reads again from where the last good one ended), health, and
    when it is due next."""
    state = state_of(session, feed.name)
    state.cursor = json.dumps(source.cursor)
    state.last_success = now
    state.last_counts = json.dumps(result.counts())
    state.last_error = result.errors[0] if result.errors else None
    schedule.release(session, feed, now=timestamps.now_us(), succeeded=True)


def failed(db: Database, feed: Feed, source: Source, result: Result, error: Exception
           ) -> None:
    """A run the source broke off: the reason first in the result and the health line, and
    the next try after the backoff; the cursor stays as the last good run left it."""
    result.failed = True
    result.fetched, result.skipped = source.fetched, source.skipped
    result.errors = [str(error)] + list(source.problems)
    with db.writing() as session:
        state = state_of(session, feed.name)
        state.last_counts = json.dumps(result.counts())
        state.last_error = str(error)
        schedule.release(session, feed, now=timestamps.now_us(), succeeded=False)

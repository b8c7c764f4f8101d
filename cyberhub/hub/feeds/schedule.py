"""When a feed runs: due times with jitter, backoff after failures, and a claim that makes
each run happen once however many scheduler processes share the database.

A run is claimed by one conditional UPDATE of the feed's row (due, and not held by a live
run): the database decides which process wins, on SQLite and PostgreSQL alike, and no lock is
held while the feed downloads. The claim is a lease: a process that dies mid-run gives the
feed back when the lease ends. All times are passed in (`now`), so tests control the clock.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.feeds.definitions import Feed, FeedError
from cyberhub.hub.feeds.registry import Known, find, state_of
from cyberhub.hub.storage.models import FeedState

SECOND_US = 1_000_000
LEASE_US = 3600 * SECOND_US          # a run that takes longer than this is presumed dead
BACKOFF_START_US = 60 * SECOND_US    # after the first failure; doubled after each further one
JITTER = 0.1                         # up to a tenth of the interval, so feeds spread out


class Busy(Exception):
    """Another process holds the feed's run; the message says until when."""


class Off(FeedError):
    """The feed is switched off: the scheduler does not run it."""


def claim(session: Session, feed: Feed, *, now: int, force: bool = False) -> bool:
    """Take the feed's run if it is due (or `force`: now, by hand) and nobody holds it.
    True when this process won it; the caller commits at once."""
    state_of(session, feed.name)
    free = or_(FeedState.running_until.is_(None), FeedState.running_until < now)
    due = or_(FeedState.next_due.is_(None), FeedState.next_due <= now)
    taken = session.execute(
        update(FeedState)
        .where(FeedState.name == feed.name, and_(free, due) if not force else free)
        .values(running_until=now + LEASE_US, last_attempt=now)
        .execution_options(synchronize_session=False))
    return taken.rowcount == 1


def release(session: Session, feed: Feed, *, now: int, succeeded: bool,
            draw: Callable[[], float] = random.random) -> int:
    """End the run: the next one is due after the interval (plus jitter), or after a backoff
    that doubles with each failure in a row and never exceeds the interval. Returns when."""
    state = state_of(session, feed.name)
    interval = feed.every_seconds * SECOND_US
    if succeeded:
        state.failures = 0
        wait = interval
    else:
        state.failures = (state.failures or 0) + 1
        wait = min(interval, BACKOFF_START_US * 2 ** min(state.failures - 1, 20))
    state.next_due = now + wait + int(draw() * JITTER * wait)
    state.running_until = None
    return state.next_due


def due(states: dict[str, FeedState], feeds: list[Feed], *, now: int) -> list[Feed]:
    """The enabled feeds (as passed) whose run is due and not held by anyone."""
    ready = []
    for feed in feeds:
        state = states.get(feed.name)
        if state is None:
            ready.append(feed)
            continue
        if not running(state, now=now) and (state.next_due is None or state.next_due <= now):
            ready.append(feed)
    return ready


def running(state: FeedState | None, *, now: int) -> bool:
    """Whether a live run holds the feed (a lease that has not ended)."""
    return state is not None and state.running_until is not None and \
        state.running_until >= now


def due_now(session: Session, directory: Path, name: str, *, actor: str, now: int) -> Known:
    """Make the feed due now, so that the scheduler runs it on its next look: whoever asks
    (the console) never waits for the download. Refused for a feed that is off (the scheduler
    would not run it) or one whose run is under way (its end sets the next due time)."""
    item = find(session, directory, name)
    if not item.enabled:
        raise Off(f"feed {name} is off; switch it on first")
    state = state_of(session, name)
    if running(state, now=now):
        raise Busy(f"feed {name} is being synced right now")
    state.next_due = now
    audit.record(session, actor=actor, action="feed.due-now", subject=f"feed:{name}", now=now)
    item.state = state
    return item

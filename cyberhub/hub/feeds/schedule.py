"""When a feed runs: due times with jitter, backoff after failures, and a claim that makes
each run happen once however many scheduler processes share the database.

A run is claimed by one conditional UPDATE of the feed's row (due, and not held by a live
run): the database decides which process wins, on SQLite and PostgreSQL alike, and no lock is
held while the feed downloads. The claim is a lease: a process that dies mid-run gives the
feed back when the lease ends. All times are passed in (`now`), so tests control the clock.
"""

from __future__ import annotations

import random
from typing import Callable

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.storage.models import FeedState

SECOND_US = 1_000_000
LEASE_US = 3600 * SECOND_US          # a run that takes longer than this is presumed dead
BACKOFF_START_US = 60 * SECOND_US    # after the first failure; doubled after each further one
JITTER = 0.1                         # up to a tenth of the interval, so feeds spread out


class Busy(Exception):
    """Another process holds the feed's run; the message says until when."""


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
        held = state.running_until is not None and state.running_until >= now
        if not held and (state.next_due is None or state.next_due <= now):
            ready.append(feed)
    return ready

"""The feeds a hub knows: the shipped files in its feeds directory and those an operator
added (kept in the database, so every hub process of one database sees them), each switched
on or off in the database, with its state and health beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.feeds.definitions import Feed, FeedError, load_directory, load_file, parse
from cyberhub.hub.feeds.download import shown_url
from cyberhub.hub.storage.inserts import insert_for
from cyberhub.hub.storage.models import Account, FeedEntry, FeedState

# Who may switch a feed or ask for its run at the console: coordinators and admins; analysts
# watch the feeds (DESIGN.md). The command line is the operator's and asks for no role.
MANAGERS = ("coordinator", "admin")


@dataclass
class Known:
    feed: Feed
    origin: str  # "file" (shipped in the feeds directory) or "added"
    state: FeedState | None

    @property
    def enabled(self) -> bool:
        if self.state is not None and self.state.enabled is not None:
            return self.state.enabled
        return self.feed.enabled

    def health(self) -> dict[str, Any]:
        state = self.state
        return {
            "feed": self.feed.name, "title": self.feed.title, "format": self.feed.format,
            "origin": self.origin, "enabled": self.enabled, "every": self.feed.every,
            "tlp": self.feed.tlp.upper(),
            "last_attempt": state.last_attempt if state else None,
            "last_success": state.last_success if state else None,
            "next_due": state.next_due if state else None,
            "failures": state.failures if state else 0,
            "last_counts": json.loads(state.last_counts) if state and state.last_counts
            else None,
            "last_error": state.last_error if state else None,
        }


def known(session: Session, directory: Path, problems: list[str] | None = None
          ) -> list[Known]:
    """Every feed, by name. A broken shipped file is a FeedError naming it, or, with
    `problems`, named there and left out."""
    states = {state.name: state for state in session.scalars(select(FeedState))}
    found = {feed.name: Known(feed, "file", states.get(feed.name))
             for feed in load_directory(directory, problems)}
    for state in states.values():
        if state.definition and state.name not in found:
            feed = parse(json.loads(state.definition), source=f"feed {state.name}")
            found[state.name] = Known(feed, "added", state)
    return [found[name] for name in sorted(found)]


def find(session: Session, directory: Path, name: str) -> Known:
    for item in known(session, directory):
        if item.feed.name == name:
            return item
    raise FeedError(f"no feed named {name!r}; `cyberhub feeds list` shows them")


def state_of(session: Session, name: str) -> FeedState:
    """The feed's state row, made on first use. Two schedulers that start together both make
    it: the one whose insert comes second inserts nothing and reads the other's row."""
    state = session.get(FeedState, name)
    if state is None:
        connection = session.connection()
        insert = insert_for(connection.dialect.name)
        connection.execute(insert(FeedState).values(name=name, cursor="{}", failures=0)
                           .on_conflict_do_nothing(index_elements=["name"]))
        state = session.get(FeedState, name)
    return state


def add(session: Session, directory: Path, path: Path, *, actor: str, now: int) -> Feed:
    """A feed of one's own from a file, kept in the database (switched on or off as the
    file says). Its name may not be one the feeds directory or another added feed uses."""
    feed = load_file(path)
    if any(item.feed.name == feed.name for item in known(session, directory)):
        raise FeedError(f"a feed named {feed.name!r} exists already")
    state = state_of(session, feed.name)
    state.definition = json.dumps(feed.model_dump(mode="json", exclude_none=True))
    audit.record(session, actor=actor, action="feed.add", subject=f"feed:{feed.name}", now=now,
                 format=feed.format, url=shown_url(feed.url), enabled=feed.enabled)
    return feed


def set_enabled(session: Session, directory: Path, name: str, enabled: bool, *, actor: str,
                now: int) -> Known:
    item = find(session, directory, name)
    state = state_of(session, name)
    state.enabled = enabled
    if enabled:
        state.next_due = now  # due at once; the scheduler picks it up on its next look
    audit.record(session, actor=actor, action="feed.enable" if enabled else "feed.disable",
                 subject=f"feed:{name}", now=now)
    item.state = state
    return item


def may_manage(account: Account) -> bool:
    return bool(account.is_admin or account.role in MANAGERS)


def entry_counts(session: Session, name: str) -> dict[str, int]:
    """How many of the feed's entries are active and how many expired (read from the index
    on feed and state alone)."""
    counted = dict(session.execute(
        select(FeedEntry.state, func.count()).where(FeedEntry.feed == name)
        .group_by(FeedEntry.state)).all())
    return {"active": counted.get("active", 0), "expired": counted.get("expired", 0)}

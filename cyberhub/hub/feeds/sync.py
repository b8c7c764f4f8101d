"""One run of one feed: read it, write what is new or changed as hub-signed STIX, expire
what left it, and keep its state and health.

Entries are written in chunks, each its own short transaction, so a large feed never holds
the database's write lock for long and the memory a run needs does not grow with the feed.
A chunk takes only the entries whose content changed: an unchanged entry is only marked as
seen. After the whole feed was read: for a feed that is a full list each time, what was not
seen in this run left it; for any feed, what was not seen for `expire_after` days expired.
Either gets a new version, valid until now. A run that read nothing usable from a list that
had entries expires nothing (a broken download is not a feed emptied).
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cyberhub.core import stix, timestamps, tlp
from cyberhub.hub import collections
from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.feeds import objects, warninglist_sync
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import Client, DownloadError
from cyberhub.hub.feeds.entries import Entry
from cyberhub.hub.feeds.formats import reader
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.feeds.runs import Result, client_for, failed, succeeded
from cyberhub.hub.feeds.source import FormatError, Source
from cyberhub.hub.services.publishing import Signer, publish
from cyberhub.hub.storage import objects as repository
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import FeedEntry, StoredObject

CHUNK = 1000
DAY_US = 86_400_000_000


def run(db: Database, feed: Feed, *, signer: Signer, lists: Warninglists, now: int,
        client: Client | None = None, progress: Callable[[Result], None] | None = None
        ) -> Result:
    """Run the feed once (the caller has claimed the run). Never raises for what the feed
    sent: a failure is in the result and in the feed's health. A warning-list feed feeds the
    correlation engine, not a collection: `warninglist_sync` runs it."""
    if feed.format == "warninglists":
        return warninglist_sync.run(db, feed, now=now, client=client)
    result = Result(feed.name)
    with db.writing() as session:
        state = state_of(session, feed.name)
        state.title = feed.title
        cursor = json.loads(state.cursor or "{}")
        targets = _collections(session)
        _introduce(session, feed, targets, signer=signer, now=now)
    source = Source(feed, client or client_for(feed), lists, now, cursor=cursor,
                    snapshot=feed.full_list)
    try:
        for chunk in _chunks(reader(feed.format)(source), CHUNK):
            with db.writing() as session:
                _write(session, feed, chunk, result, targets, signer=signer, now=now)
            result.fetched, result.skipped = source.fetched, source.skipped
            if progress:
                progress(result)
        result.fetched, result.skipped = source.fetched, source.skipped
        result.errors = list(source.problems)
        with db.writing() as session:
            _after_reading(session, feed, source, result, targets, signer=signer, now=now)
            succeeded(session, feed, source, result, now=now)
    except (DownloadError, FormatError) as exc:
        failed(db, feed, source, result, exc)
    return result


def _chunks(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    iterator = iter(entries)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _collections(session: Session) -> dict[str, str]:
    """Collection alias → id for the collections feeds write into."""
    found = {}
    for alias in set(objects.COLLECTIONS.values()):
        row = collections.find(session, alias)
        if row is None:
            raise RuntimeError(f"the hub has no {alias!r} collection; run `cyberhub init`")
        found[alias] = row.id
    return found


def _introduce(session: Session, feed: Feed, targets: dict[str, str], *, signer: Signer,
               now: int) -> None:
    """The feed's identity and TLP marking, in each collection it writes to, once."""
    made = [objects.identity(feed, created=timestamps.stix_time(now)),
            tlp.marking_definition(feed.tlp)]
    for collection_id in targets.values():
        missing = [obj for obj in made
                   if not repository.object_exists(session, collection_id, obj["id"])]
        if missing:
            publish(session, collection_id, missing, signer=signer, now_us=now)


def _write(session: Session, feed: Feed, chunk: list[Entry], result: Result,
           targets: dict[str, str], *, signer: Signer, now: int) -> None:
    by_id: dict[str, Entry] = {}
    for entry in chunk:
        by_id.setdefault(objects.object_id(feed, entry), entry)
    existing = {row.object_id: row for row in session.execute(
        select(FeedEntry.object_id, FeedEntry.digest, FeedEntry.created, FeedEntry.modified,
               FeedEntry.last_seen, FeedEntry.state)
        .where(FeedEntry.feed == feed.name, FeedEntry.object_id.in_(list(by_id))))}
    made: dict[str, list[dict[str, Any]]] = {}
    inserts, updates, seen = [], [], []
    for object_id, entry in by_id.items():
        digest = stix.digest(entry.content())
        row = existing.get(object_id)
        if row is not None and row.last_seen == now:
            continue  # listed twice in this run: the first one counts
        collection = objects.COLLECTIONS[entry.stix_type]
        if row is None:
            obj = objects.build(feed, entry, created_us=now, modified_us=now,
                                known_id=object_id)
            inserts.append({"feed": feed.name, "object_id": object_id,
                            "collection": collection, "key": entry.key,
                            "name": entry.name[:300], "grp": entry.group, "digest": digest,
                            "created": now, "modified": now, "last_seen": now,
                            "state": "active"})
            result.added += 1
        elif row.digest != digest or row.state != "active":
            modified = max(now, row.modified + 1000)
            obj = objects.build(feed, entry, created_us=row.created, modified_us=modified,
                                known_id=object_id)
            updates.append({"feed": feed.name, "object_id": object_id, "digest": digest,
                            "name": entry.name[:300], "grp": entry.group,
                            "modified": modified, "last_seen": now, "state": "active"})
            result.updated += 1
        else:
            seen.append({"feed": feed.name, "object_id": object_id, "last_seen": now})
            continue
        made.setdefault(collection, []).append(obj)
    for collection, objs in made.items():
        publish(session, targets[collection], objs, signer=signer, now_us=now)
    if inserts:
        session.execute(FeedEntry.__table__.insert(), inserts)
    for rows in (updates, seen):
        if rows:
            session.execute(update(FeedEntry), rows)


def _after_reading(session: Session, feed: Feed, source: Source, result: Result,
                   targets: dict[str, str], *, signer: Signer, now: int) -> None:
    active = (FeedEntry.feed == feed.name, FeedEntry.state == "active")
    state = state_of(session, feed.name)
    if source.unchanged:
        result.unchanged = True
        if not source.recent_only:
            state.confirmed = now  # all in force seen now: one row, not one per entry
    elif source.touched:
        for groups in _chunks(sorted(source.touched), 500):
            session.execute(update(FeedEntry).where(*active, FeedEntry.grp.in_(groups))
                            .values(last_seen=now)
                            .execution_options(synchronize_session=False))
    cutoffs = [now - feed.expire_after * DAY_US]
    if state.confirmed is not None and state.confirmed >= cutoffs[0]:
        cutoffs = []  # the source confirmed everything in force since the age cutoff
    if source.snapshot and not source.unchanged:
        usable = result.added + result.updated + _seen_now(session, feed, now)
        if usable == 0 or source.skipped > usable:
            had = session.scalar(select(func.count()).select_from(FeedEntry).where(*active))
            if had:
                result.errors.insert(0, f"{usable} usable and {source.skipped} refused "
                                        "entries: not taken as the full list, nothing "
                                        "expired")
                cutoffs = []
        else:
            cutoffs.append(now)  # a full list: whatever it did not name has left it
    if cutoffs:
        result.expired = _expire(session, feed, max(cutoffs), targets, signer=signer,
                                 now=now)
    for groups in _chunks(sorted(source.replaced - source.touched), 500):
        result.expired += _expire(session, feed, now, targets, signer=signer, now=now,
                                  groups=groups)


def _seen_now(session: Session, feed: Feed, now: int) -> int:
    return session.scalar(select(func.count()).select_from(FeedEntry).where(
        FeedEntry.feed == feed.name, FeedEntry.last_seen == now)) or 0


def _expire(session: Session, feed: Feed, cutoff: int, targets: dict[str, str], *,
            signer: Signer, now: int, groups: list[str] | None = None) -> int:
    """New versions, valid until now, of the active entries last seen before `cutoff` (of
    the `groups` only, if given)."""
    expired = 0
    where = [FeedEntry.feed == feed.name, FeedEntry.state == "active",
             FeedEntry.last_seen < cutoff]
    if groups is not None:
        where.append(FeedEntry.grp.in_(groups))
    while True:
        rows = session.execute(
            select(FeedEntry.object_id, FeedEntry.collection, FeedEntry.modified)
            .where(*where).order_by(FeedEntry.object_id).limit(CHUNK)).all()
        if not rows:
            return expired
        for collection, group in itertools.groupby(sorted(rows, key=lambda r: r.collection),
                                                   key=lambda r: r.collection):
            group = list(group)
            modified = {row.object_id: row.modified for row in group}
            bodies = session.execute(
                select(StoredObject.object_id, StoredObject.body)
                .where(StoredObject.collection_id == targets[collection], StoredObject.is_last,
                       StoredObject.object_id.in_(list(modified)))).all()
            made = []
            for object_id, body in bodies:
                later = max(now, modified[object_id] + 1000)
                made.append(objects.expired_version(json.loads(body), now_us=later))
            if made:
                publish(session, targets[collection], made, signer=signer, now_us=now)
            session.execute(update(FeedEntry), [
                {"feed": feed.name, "object_id": object_id, "state": "expired",
                 "modified": max(now, modified[object_id] + 1000)} for object_id in modified])
            expired += len(modified)

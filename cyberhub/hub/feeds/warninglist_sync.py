"""One run of a warning-list feed: the lists it names, read by `formats.warninglists`, stored
in the `warninglists` table (no STIX objects), with the same state, health line and backoff
as every other feed's run (`sync`). The correlation engine of every hub process reloads the
lists when they changed (`correlation.warninglists`); the scheduler re-marks the index.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import Client, DownloadError
from cyberhub.hub.feeds.formats.warninglists import Converted, read_lists
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.feeds.runs import Result, client_for, failed, succeeded
from cyberhub.hub.feeds.source import FormatError, Source
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import WarninglistRecord


def run(db: Database, feed: Feed, *, now: int, client: Client | None = None) -> Result:
    """Run the warning-list feed once (the caller has claimed the run), as `sync.run` runs
    other feeds: its state, health line and backoff are the same; what it read is stored in
    one transaction, so a failed run leaves the lists as they were."""
    result = Result(feed.name)
    with db.writing() as session:
        state = state_of(session, feed.name)
        state.title = feed.title
        cursor = json.loads(state.cursor or "{}")
    source = Source(feed, client or client_for(feed), Warninglists(), now, cursor=cursor)
    try:
        converted = list(read_lists(source))
        result.fetched, result.skipped = source.fetched, source.skipped
        result.errors = list(source.problems)
        with db.writing() as session:
            _store(session, feed, converted, source.touched, result, now=now)
            succeeded(session, feed, source, result, now=now)
    except (DownloadError, FormatError) as exc:
        failed(db, feed, source, result, exc)
    result.unchanged = not (result.added or result.updated or result.expired or result.failed)
    result.lists_changed = not result.unchanged and not result.failed
    return result


def _store(session: Session, feed: Feed, converted: list[Converted], kept: set[str],
           result: Result, *, now: int) -> None:
    """Lists new or changed are written, unchanged ones left alone (the correlation engine
    reloads only on a change), and those no longer included or gone upstream removed."""
    stored = {r.ident: r for r in session.scalars(
        select(WarninglistRecord).where(WarninglistRecord.feed == feed.name))}
    for item in converted:
        record = stored.get(item.ident)
        if record is not None and record.digest == item.digest:
            continue
        if record is None:
            record = WarninglistRecord(feed=feed.name, ident=item.ident)
            session.add(record)
            result.added += 1
        else:
            result.updated += 1
        record.name, record.description = item.name, item.description[:2000]
        record.version, record.type, record.kind = item.version, item.type, item.kind
        record.entries, record.count = json.dumps(item.entries), len(item.entries)
        record.digest, record.updated = item.digest, now
    keep = {item.ident for item in converted} | kept
    gone = [ident for ident in stored if ident not in keep]
    if gone:
        session.execute(delete(WarninglistRecord).where(
            WarninglistRecord.feed == feed.name, WarninglistRecord.ident.in_(gone)))
        result.expired += len(gone)

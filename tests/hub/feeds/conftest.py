"""Helpers for the feed sync tests: feed definitions pointing at the local HTTP server that
pytest-httpserver starts (a real server on a loopback port, never a mock), and readers of
what a run stored. The `run_feed` fixture is in `tests/hub/conftest.py`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from werkzeug import Request, Response

from cyberhub.hub.feeds import definitions
from cyberhub.hub.storage.models import Collection, FeedEntry, StoredObject

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED = Path(__file__).resolve().parents[3] / "feeds"
DAY_US = 86_400_000_000


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def shipped(name: str, url: str, **changes: Any) -> definitions.Feed:
    """A shipped feed file's definition, pointed at the test server."""
    feed = definitions.load_file(SHIPPED / f"{name}.toml")
    return feed.model_copy(update={"url": url, **changes})


def serve_conditional(httpserver, path: str, body: bytes, *, etag: str | None = None,
                      last_modified: datetime | None = None) -> str:
    """Serve `body` at `path` as a web server does: with validators, answering a
    conditional GET that matches them with 304 (werkzeug's own logic)."""

    def handler(request: Request) -> Response:
        response = Response(body, mimetype="text/plain")
        if etag:
            response.set_etag(etag)
        if last_modified:
            response.last_modified = last_modified
        return response.make_conditional(request)

    httpserver.expect_request(path).respond_with_handler(handler)
    return httpserver.url_for(path)


def make_feed(**values: Any) -> definitions.Feed:
    base = {"name": "test-feed", "title": "Test feed", "format": "text",
            "url": "http://127.0.0.1/"}
    return definitions.parse({**base, **values}, source="test")



def stored(db, alias: str, *, latest: bool = True) -> list[dict[str, Any]]:
    """The objects of a collection (only each object's latest version, unless asked)."""
    with db.session() as session:
        query = (select(StoredObject.body).join(Collection)
                 .where(Collection.alias == alias).order_by(StoredObject.date_added))
        if latest:
            query = query.where(StoredObject.is_last)
        return [json.loads(body) for body in session.scalars(query)]


def indicators(db) -> dict[str, dict[str, Any]]:
    """The feed indicators by pattern, latest versions."""
    return {o["pattern"]: o for o in stored(db, "indicators") if o["type"] == "indicator"}


def entries(db, feed: str) -> dict[str, str]:
    with db.session() as session:
        return dict(session.execute(select(FeedEntry.key, FeedEntry.state)
                                    .where(FeedEntry.feed == feed)).all())

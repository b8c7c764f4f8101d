"""The MISP warning-list feed: lists from the installed package or from a misp-warninglists
tree served by a real local HTTP server, converted safely, stored in the database (no STIX),
with the feed's health line; unchanged runs store nothing, bad lists and entries are counted
and named, a failed run leaves the lists as they were."""

from __future__ import annotations

import json

from sqlalchemy import select

from cyberhub.core import timestamps
from cyberhub.hub.feeds import schedule, warninglist_sync
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.storage.models import FeedEntry, WarninglistRecord
from hub.feeds.conftest import make_feed, serve_conditional, shipped, stored

# Lists as misp-warninglists publishes them (lists/<name>/list.json).
CDN = {"description": "Known ranges of a content delivery network", "list": [
    "185.199.108.0/22", "2606:50c0::/32", "151.101.0.0/16", "not-a-network", "0.0.0.0/0"],
    "matching_attributes": ["ip-src", "ip-dst", "domain|ip"], "name": "List of known CDN ranges",
    "type": "cidr", "version": 20251201}
LOGIN = {"description": "Login endpoints", "list": [
    ".msauth.net", "login.microsoftonline.com", "co.uk", "azurewebsites.net", "bad name"],
    "matching_attributes": ["domain", "hostname", "domain|ip", "url"],
    "name": "List of known login hosts", "type": "string", "version": 3}
PHONES = {"description": "Phone numbers", "list": ["^\\+49"], "matching_attributes": [
    "phone-number"], "name": "Unattributed phone number.", "type": "regex", "version": 1}


def _mirror(httpserver, lists: dict[str, dict]) -> str:
    for ident, data in lists.items():
        serve_conditional(httpserver, f"/mirror/lists/{ident}/list.json",
                          json.dumps(data).encode(), etag=f'{ident}-{data["version"]}')
    return httpserver.url_for("/mirror")


def _feed(url: str, include: tuple[str, ...], **options):
    return make_feed(name="test-lists", format="warninglists", url=url, every="1d",
                     warninglists={"include": include, "from_package": False, **options})


def _run(hub, feed, now=None):
    now = now or timestamps.now_us()
    with hub.db.writing() as session:
        assert schedule.claim(session, feed, now=now, force=True)
    return warninglist_sync.run(hub.db, feed, now=now)


def _records(db, feed="test-lists") -> dict[str, WarninglistRecord]:
    with db.session() as session:
        rows = session.scalars(select(WarninglistRecord).where(WarninglistRecord.feed == feed))
        return {r.ident: (r.name, r.type, r.kind, json.loads(r.entries)) for r in rows}


def test_the_shipped_feed_loads_the_installed_package(hub, db):
    feed = shipped("misp-warninglists", "https://lists.example/")
    assert feed.enabled and feed.warninglists.from_package
    result = _run(hub, feed)
    assert not result.failed and result.added == len(feed.warninglists.include)
    lists = _records(db, "misp-warninglists")
    name, kind, _, entries = lists["microsoft-office365"]
    assert (name, kind) == ("List of known Office 365 URLs", "hostname")
    assert "login.microsoftonline.com" in entries
    assert "sharepoint.com" not in entries               # kept linking (keep_linking)
    assert "azurewebsites.net" not in lists["microsoft"][3]  # a public suffix: never taken
    assert lists["empty-hashes"][1:3] == ("value", "hash")
    assert "SHA-256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in \
        lists["empty-hashes"][3]
    assert lists["cloudflare"][1] == "cidr"
    # Health like any feed's, and nothing in the STIX collections.
    with db.session() as session:
        state = state_of(session, "misp-warninglists")
        assert state.last_success and json.loads(state.last_counts)["added"] == result.added
        assert "kept linking" in state.last_error or "public suffix" in state.last_error
        assert session.scalar(select(FeedEntry.object_id).where(
            FeedEntry.feed == "misp-warninglists")) is None
    assert not [o for o in stored(db, "indicators") if "misp" in json.dumps(o).lower()]
    again = _run(hub, feed)
    assert (again.added, again.updated, again.expired, again.unchanged) == (0, 0, 0, True)


def test_a_mirror_is_read_conditionally_and_converted_safely(hub, db, httpserver):
    url = _mirror(httpserver, {"cdn": CDN, "login-hosts": LOGIN, "phone_numbers": PHONES})
    feed = _feed(url, ("cdn", "login-hosts", "phone_numbers"))
    result = _run(hub, feed)
    assert (result.fetched, result.added, result.failed) == (3, 2, False)
    lists = _records(db)
    assert lists["cdn"] == ("List of known CDN ranges", "cidr", None,
                            ["151.101.0.0/16", "185.199.108.0/22", "2606:50c0::/32"])
    assert lists["login-hosts"][3] == ["login.microsoftonline.com", "msauth.net"]
    problems = "\n".join(result.errors)
    assert "cdn entry 4: 'not-a-network' is not an address or network" in problems
    assert "cdn entry 5: 0.0.0.0/0 is too wide" in problems
    assert "login-hosts entry 3: co.uk is a public suffix" in problems
    assert "login-hosts entry 4: azurewebsites.net is a public suffix" in problems
    assert "phone_numbers: a regex list for phone-number is not used" in problems
    assert result.skipped == 6  # five entries and one list
    # The second run gets 304s: nothing read, nothing written.
    again = _run(hub, feed)
    assert (again.fetched, again.added, again.updated, again.expired) == (0, 0, 0, 0)
    assert _records(db) == lists


def test_an_update_a_removal_and_a_broken_list(hub, db, httpserver):
    url = _mirror(httpserver, {"cdn": CDN, "login-hosts": LOGIN})
    _run(hub, _feed(url, ("cdn", "login-hosts")))
    httpserver.clear()
    smaller = {**CDN, "version": 20251202, "list": ["151.101.0.0/16"]}
    serve_conditional(httpserver, "/mirror/lists/cdn/list.json", json.dumps(smaller).encode())
    httpserver.expect_request("/mirror/lists/login-hosts/list.json").respond_with_data(
        b'{"name": "List of known login hosts", "list": [')
    result = _run(hub, _feed(url, ("cdn", "login-hosts")))
    assert (result.updated, result.expired) == (1, 0)
    assert "login-hosts: not a MISP warning list" in result.errors[0]
    lists = _records(db)
    assert lists["cdn"][3] == ["151.101.0.0/16"]
    assert lists["login-hosts"][3] == ["login.microsoftonline.com", "msauth.net"]  # kept
    # A list no longer included is removed.
    removed = _run(hub, _feed(url, ("cdn",)))
    assert removed.expired == 1 and set(_records(db)) == {"cdn"}


def test_a_failed_download_leaves_the_lists_and_says_why(hub, db, httpserver):
    url = _mirror(httpserver, {"cdn": CDN})
    _run(hub, _feed(url, ("cdn",)))
    before = _records(db)
    failed = _run(hub, _feed(url, ("cdn", "missing-list")))
    assert failed.failed and "missing-list/list.json: HTTP 500" in failed.errors[0]
    assert _records(db) == before
    with db.session() as session:
        state = state_of(session, "test-lists")
        assert state.failures == 1 and "HTTP 500" in state.last_error


def test_invalid_utf8_and_oversize_lists_are_refused(hub, db, httpserver):
    httpserver.expect_request("/mirror/lists/latin/list.json").respond_with_data(
        b'{"name": "Stra\xdfe", "type": "cidr", "list": [], "version": 1, "description": ""}')
    big = {**CDN, "list": [f"151.101.{n // 256}.{n % 256}" for n in range(4000)]}
    httpserver.expect_request("/mirror/lists/big/list.json").respond_with_data(
        json.dumps(big).encode())
    feed = _feed(httpserver.url_for("/mirror"), ("latin",))
    result = _run(hub, feed)
    assert "latin: not UTF-8" in result.errors
    capped = make_feed(name="test-lists", format="warninglists",
                       url=httpserver.url_for("/mirror"), max_bytes=20_000,
                       warninglists={"include": ("big",), "from_package": False})
    refused = _run(hub, capped)
    assert refused.failed and "limit of 20000" in refused.errors[0]
    assert _records(db) == {}

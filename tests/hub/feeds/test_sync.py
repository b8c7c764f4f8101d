"""One run of a feed: idempotent, incremental, expiring what left, and careful with a
download that is not the list it should be."""

from __future__ import annotations

import json

from sqlalchemy import select
from werkzeug import Response

from cyberhub.core import signing, timestamps
from cyberhub.hub.storage.models import FeedState
from hub.feeds.conftest import (
    DAY_US,
    entries,
    fixture_bytes,
    indicators,
    make_feed,
    serve_conditional,
    stored,
)

LIST = b"# test list\n51.75.72.240\n45.33.54.28\nevil-login.phish.example\n"


def _serve(httpserver, body: bytes, **headers: str) -> str:
    httpserver.expect_request("/list.txt").respond_with_data(body, headers=headers)
    return httpserver.url_for("/list.txt")


def _health(db, name: str) -> FeedState:
    with db.session() as session:
        return session.scalar(select(FeedState).where(FeedState.name == name))


def test_a_plain_list_becomes_hub_signed_indicators_with_the_feed_as_creator(
        hub, run_feed, httpserver):
    feed = make_feed(url=_serve(httpserver, fixture_bytes("blocklist.txt")), tlp="GREEN")

    result = run_feed(feed)

    assert (result.fetched, result.added, result.skipped) == (7, 4, 3)
    assert sorted(indicators(hub.db)) == [
        "[domain-name:value = 'evil-login.phish.example']",
        "[ipv4-addr:value = '91.92.240.11']", "[ipv4-addr:value = '91.92.241.0/24']",
        "[url:value = 'https://evil-login.phish.example/owa/auth.php']"]
    problems = "\n".join(result.errors)
    assert "line 3: 203.0.113.7 is not a public address (documentation)" in problems
    assert "line 9" in problems and "line 10: not UTF-8" in problems
    objects = stored(hub.db, "indicators")
    creator = next(o for o in objects if o["type"] == "identity")
    assert creator["name"] == "Test feed"
    assert all(o["created_by_ref"] == creator["id"] for o in objects
               if o["type"] == "indicator")
    # Every indicator is covered by a hub signature in the same collection.
    covered = {ref for o in objects if o["type"] == signing.SIGNATURE_TYPE
               for ref in o["object_refs"]}
    assert {o["id"] for o in objects if o["type"] == "indicator"} <= covered
    assert json.loads(_health(hub.db, "test-feed").last_counts)["added"] == 4


def test_an_unchanged_feed_stores_nothing_new_with_validators_or_without(
        hub, run_feed, httpserver):
    feed = make_feed(url=serve_conditional(httpserver, "/tagged.txt", LIST, etag="v1"))
    run_feed(feed)
    before = len(stored(hub.db, "indicators", latest=False))

    again = run_feed(feed)  # the server answers the conditional GET with 304

    assert again.unchanged and (again.added, again.updated, again.expired) == (0, 0, 0)
    assert httpserver.log[-1][0].headers["If-None-Match"] == '"v1"'
    assert httpserver.log[-1][1].status_code == 304
    # A server without validators that sends the same bytes: unchanged too.
    plain = make_feed(name="plain", url=_serve(httpserver, LIST))
    run_feed(plain)
    assert run_feed(plain).unchanged
    assert len(stored(hub.db, "indicators", latest=False)) > before
    assert run_feed(feed).added == 0


def test_a_changed_entry_is_a_new_version_and_one_that_left_expires(hub, run_feed, httpserver):
    feed = make_feed(url=_serve(httpserver, LIST))
    first = timestamps.now_us()
    run_feed(feed, now=first)
    httpserver.clear()
    _serve(httpserver, b"51.75.72.240\nevil-login.phish.example\n185.117.90.11\n")

    result = run_feed(feed, now=first + 3_600_000_000)

    assert (result.added, result.updated, result.expired) == (1, 0, 1)
    found = indicators(hub.db)
    gone = found["[ipv4-addr:value = '45.33.54.28']"]
    assert gone["valid_until"] == timestamps.stix_time(first + 3_600_000_000)
    assert gone["modified"] > gone["created"]
    assert "valid_until" not in found["[ipv4-addr:value = '51.75.72.240']"]
    assert entries(hub.db, "test-feed")["ipv4:45.33.54.28"] == "expired"
    # Back on the list: a new version, valid again.
    httpserver.clear()
    _serve(httpserver, LIST)
    back = run_feed(feed, now=first + 7_200_000_000)
    assert back.updated == 1
    assert "valid_until" not in indicators(hub.db)["[ipv4-addr:value = '45.33.54.28']"]


def test_entries_not_seen_for_expire_after_days_expire_in_an_incremental_feed(
        hub, run_feed, httpserver):
    feed = make_feed(url=_serve(httpserver, LIST), full_list=False, expire_after=2)
    start = timestamps.now_us() - 5 * DAY_US
    run_feed(feed, now=start)
    httpserver.clear()
    _serve(httpserver, b"51.75.72.240\n")

    assert run_feed(feed, now=start + DAY_US).expired == 0  # not a full list: nothing left
    httpserver.clear()
    _serve(httpserver, b"51.75.72.240\n185.117.90.11\n")
    result = run_feed(feed, now=start + 3 * DAY_US + 1)

    assert result.expired == 2
    assert entries(hub.db, "test-feed") == {"ipv4:51.75.72.240": "active",
                                             "ipv4:185.117.90.11": "active",
                                             "ipv4:45.33.54.28": "expired",
                                             "domain:evil-login.phish.example": "expired"}


def test_a_download_with_nothing_usable_expires_nothing(hub, run_feed, httpserver):
    feed = make_feed(url=_serve(httpserver, LIST))
    run_feed(feed)
    httpserver.clear()
    _serve(httpserver, b"<html><body>Wartungsarbeiten</body></html>\n")

    result = run_feed(feed, now=timestamps.now_us() + 1_000_000)

    assert result.expired == 0
    assert "nothing expired" in result.errors[0]
    assert set(entries(hub.db, "test-feed").values()) == {"active"}


def test_a_failing_source_is_a_line_in_health_and_changes_nothing(hub, run_feed, httpserver):
    feed = make_feed(url=_serve(httpserver, LIST))
    run_feed(feed)
    before = stored(hub.db, "indicators", latest=False)
    httpserver.clear()
    httpserver.expect_request("/list.txt").respond_with_data("busy", status=503)

    result = run_feed(feed, now=timestamps.now_us() + 1_000_000)

    assert result.failed and result.errors[0].endswith("/list.txt: HTTP 503")
    state = _health(hub.db, "test-feed")
    assert state.last_error == result.errors[0] and state.failures == 1
    assert stored(hub.db, "indicators", latest=False) == before


def test_a_feed_over_its_size_cap_is_stopped_while_it_streams(hub, run_feed, httpserver):
    line = b"51.75.72.240\n"

    def endless(_request):
        return Response((line for _ in range(100_000)), mimetype="text/plain")

    httpserver.expect_request("/huge.txt").respond_with_handler(endless)
    feed = make_feed(url=httpserver.url_for("/huge.txt"), max_bytes=64 * 1024)

    result = run_feed(feed)

    assert result.failed and "more than the limit of 65536 bytes" in result.errors[0]
    assert entries(hub.db, "test-feed") == {}


def test_no_redirect_to_another_scheme_and_no_secret_in_the_error(hub, run_feed, httpserver):
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "ftp://files.example/list.txt"})
    url = httpserver.url_for("/moved").replace("http://", "http://user:geheim@") + "?key=x"
    feed = make_feed(url=url)

    result = run_feed(feed)

    assert result.failed and "redirect to another scheme refused" in result.errors[0]
    assert "geheim" not in result.errors[0] and "key=x" not in result.errors[0]


def test_an_unchanged_full_list_keeps_its_entries_but_an_unchanged_recent_list_does_not(
        hub, run_feed, httpserver):
    start = timestamps.now_us() - 10 * DAY_US
    full = make_feed(name="full", url=serve_conditional(httpserver, "/full.txt", LIST,
                                                        etag="f"), expire_after=2)
    recent = make_feed(name="recent", url=serve_conditional(httpserver, "/recent.txt", LIST,
                                                            etag="r"),
                       expire_after=2, full_list=False)
    for feed in (full, recent):
        run_feed(feed, now=start)
        assert run_feed(feed, now=start + DAY_US).unchanged  # 304: one row, no entry rewritten

    later = start + 5 * DAY_US
    assert run_feed(full, now=later).expired == 0       # the whole list said "still so"
    assert run_feed(recent, now=later).expired == 3     # only the last days' window did
    assert set(entries(hub.db, "full").values()) == {"active"}

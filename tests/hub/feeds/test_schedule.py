"""When feeds run: claims that one process wins, intervals with jitter, backoff after
failures - all with the test's clock."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from cyberhub.core import timestamps
from cyberhub.hub import jobs
from cyberhub.hub.feeds import registry, schedule
from cyberhub.hub.storage.models import FeedState
from hub.feeds.conftest import indicators, make_feed, serve_conditional

MINUTE = 60_000_000
HOUR = 60 * MINUTE


def _with_feeds(hub, directory):
    return dataclasses.replace(hub, settings=hub.settings.model_copy(
        update={"feeds_dir": directory}))


def _state(db, name: str) -> FeedState:
    with db.session() as session:
        return session.scalar(select(FeedState).where(FeedState.name == name))


def test_one_claim_wins_until_the_run_ends_or_its_lease_runs_out(db, initialised):
    feed = make_feed(every="1h")
    now = timestamps.now_us()
    with db.writing() as session:
        assert schedule.claim(session, feed, now=now)
    with db.writing() as session:
        assert not schedule.claim(session, feed, now=now + MINUTE)  # another process
        assert not schedule.claim(session, feed, now=now + MINUTE, force=True)
    with db.writing() as session:  # the first process died: its lease ends
        assert schedule.claim(session, feed, now=now + schedule.LEASE_US + 1)


def test_two_processes_making_a_feed_s_state_row_at_once_both_get_it(db, initialised):
    """Both schedulers of two hosts start with no state row for a feed: the second insert
    waits for the first to commit and then makes nothing (on PostgreSQL it used to fail with
    a duplicate key)."""
    first_made, results = threading.Event(), []

    def first():
        with db.writing() as session:
            registry.state_of(session, "fresh-feed")
            first_made.set()
            time.sleep(0.3)  # the second one's insert waits for this commit

    def second():
        assert first_made.wait(10)
        with db.writing() as session:
            results.append(registry.state_of(session, "fresh-feed").name)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == ["fresh-feed"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedState).where(
            FeedState.name == "fresh-feed")) == 1


def test_the_next_run_is_an_interval_later_with_jitter_and_backs_off_after_failures(
        db, initialised):
    feed = make_feed(every="6h")
    now = timestamps.now_us()
    with db.writing() as session:
        schedule.claim(session, feed, now=now)
        due = schedule.release(session, feed, now=now, succeeded=True, draw=lambda: 0.5)
    assert due == now + 6 * HOUR + int(0.05 * 6 * HOUR)
    waits = []
    for _ in range(4):
        with db.writing() as session:
            schedule.claim(session, feed, now=now, force=True)
            waits.append(schedule.release(session, feed, now=now, succeeded=False,
                                          draw=lambda: 0.0) - now)
    assert waits == [MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]
    assert _state(db, "test-feed").failures == 4
    with db.writing() as session:
        for _ in range(20):
            schedule.claim(session, feed, now=now, force=True)
            wait = schedule.release(session, feed, now=now, succeeded=False, draw=lambda: 0.0)
    assert wait - now == 6 * HOUR  # never longer than the interval


def test_the_scheduler_round_runs_each_due_feed_once_across_two_processes(
        hub, httpserver, tmp_path):
    directory = tmp_path / "feeds"
    directory.mkdir()
    url = serve_conditional(httpserver, "/list.txt", b"51.75.72.240\n")
    (directory / "on.toml").write_text(
        f'name = "on"\ntitle = "On"\nformat = "text"\nurl = "{url}"\nenabled = true\n')
    (directory / "off.toml").write_text(
        f'name = "off"\ntitle = "Off"\nformat = "text"\nurl = "{url}"\n')
    (directory / "broken.toml").write_text('name = "Broken!"\n')
    hub = _with_feeds(hub, directory)
    now = timestamps.now_us()

    with ThreadPoolExecutor(2) as pool:
        first = jobs.feed_round(hub, pool, now=now)
        second = jobs.feed_round(hub, pool, now=now)  # a second scheduler, same moment
    assert (first, second) == (["on"], [])
    assert "[ipv4-addr:value = '51.75.72.240']" in indicators(hub.db)
    state = _state(hub.db, "on")
    assert state.running_until is None and state.next_due > now + 5 * HOUR
    with ThreadPoolExecutor(1) as pool:  # not due again before its interval
        assert jobs.feed_round(hub, pool, now=now + HOUR) == []
        assert jobs.feed_round(hub, pool, now=state.next_due) == ["on"]


def test_a_failing_feed_does_not_stop_the_others(hub, httpserver, tmp_path):
    directory = tmp_path / "feeds"
    directory.mkdir()
    good = serve_conditional(httpserver, "/good.txt", b"51.75.72.240\n")
    httpserver.expect_request("/bad.txt").respond_with_data("kaputt", status=500)
    for name, url in (("bad", httpserver.url_for("/bad.txt")), ("good", good)):
        (directory / f"{name}.toml").write_text(
            f'name = "{name}"\ntitle = "{name}"\nformat = "text"\nurl = "{url}"\n'
            'enabled = true\n')
    hub = _with_feeds(hub, directory)

    with ThreadPoolExecutor(2) as pool:
        assert jobs.feed_round(hub, pool) == ["bad", "good"]

    assert _state(hub.db, "bad").last_error.endswith("HTTP 500")
    assert _state(hub.db, "good").last_error is None
    assert _state(hub.db, "good").last_success is not None
    with hub.db.session() as session:
        healths = {k.feed.name: k.health() for k in registry.known(session, directory)}
    assert healths["bad"]["failures"] == 1 and healths["good"]["failures"] == 0

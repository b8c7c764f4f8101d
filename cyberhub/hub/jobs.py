"""`cyberhub scheduler`: the hub's timed work, as its own process beside the web workers.

The jobs: the full correlation pass, which catches anything an incremental run after a POST
missed (a worker killed mid-way, a changed warning list) and gives the same campaigns the
incremental runs give; the advisory pushes that are due (first tries and retries); the
housekeeping sweep (expired statuses and replay records, PostgreSQL statistics); and, when the
`mail_*` settings turn it on, the e-mail to the analysts about what is new
(`cyberhub.hub.notifications`); the forwarding of town reports to upstream hubs
(`cyberhub.hub.federation.forwarding`); and the external feeds that are switched on, each on its own
interval (`cyberhub.hub.feeds.schedule`), run in a small pool of their own so that a slow or
hanging feed holds one worker and nothing else. Each job has its own thread, so a long pass
never delays a push and a slow mail server delays nothing else; a job never overlaps itself.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from concurrent.futures import ThreadPoolExecutor as Pool
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from cyberhub.core import timestamps
from cyberhub.core.scheduling import wait_until_stopped
from cyberhub.hub.advisories import delivery
from cyberhub.hub.bootstrap import Hub
from cyberhub.hub.correlation import index
from cyberhub.hub.feeds import registry, runs, schedule, sync
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.notifications import service as notifications
from cyberhub.hub.services import housekeeping

log = logging.getLogger("cyberhub.scheduler")
SWEEP_SECONDS = 60
NOTIFY_SECONDS = 60
FEEDS_SECONDS = 30  # how often the scheduler looks for feeds that are due


def _logged(job: Callable[[], object], what: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # logged with its trace; the next run tries again
            log.exception("%s failed", what)

    return run


def full_pass(hub: Hub) -> object:
    relist(hub)
    return hub.correlator.full_pass(hub.db)


def relist(hub: Hub) -> int:
    """Re-mark the index when the warning lists changed (a warning-list feed run, an
    operator's entry), so that the full pass links again what a removed entry held back and
    no longer what a new one covers."""
    lists = hub.correlator.lists
    lists.refresh()
    if not lists.index_stale():
        return 0
    with hub.db.writing() as session:
        changed = index.relist(session, lists)
    lists.index_marked()
    if changed:
        log.info("warning lists changed: %d index keys re-marked", changed)
    return changed


def push(hub: Hub) -> object:
    return delivery.push_due(hub.db, signer=hub.signer, now=timestamps.now_us(),
                             allowed_networks=hub.push_allowed_networks)


def sweep(hub: Hub) -> object:
    swept = housekeeping.sweep(hub.db, now=timestamps.now_us(),
                               status_retention_hours=hub.settings.status_retention_hours,
                               console_idle_minutes=hub.settings.console_idle_minutes)
    if swept.statuses or swept.tokens or swept.analyzed:
        log.info("housekeeping: %d statuses and %d replay records forgotten%s",
                 swept.statuses, swept.tokens, "; objects analysed" if swept.analyzed else "")
    return swept


def notify(hub: Hub) -> object:
    result = notifications.run(hub.db, hub.settings, now=timestamps.now_us())
    if result.sent:
        log.info("notifications: %d event(s) mailed", len(result.sent))
    return result


def forward(hub: Hub) -> list[str]:
    """Forward to every upstream hub that is due; returns the peers forwarded to."""
    done = []
    for name in hub.forwarder.upstreams(due_only=True):
        result = hub.forwarder.run(name)
        if result.forwards or result.errors:
            log.info("forwarded to %s: %d groups in %d forwards (%d original, %d "
                     "pseudonymised, %d held back, %d refused)%s", name, result.groups,
                     result.forwards, result.original, result.pseudonymised, result.held_back,
                     result.refused, f"; {result.errors[0]}" if result.errors else "")
        done.append(name)
    return done


def run_feed(hub: Hub, feed: Feed, *, now: int | None = None,
             progress: Callable[[runs.Result], None] | None = None) -> runs.Result:
    """One claimed run of one feed (the scheduler's, or `cyberhub feeds sync`'s); its
    outcome goes to the feed's health and the log."""
    ca_file = hub.settings.feeds_ca_file
    client = runs.client_for(feed, verify=str(ca_file) if ca_file else True)
    now = now if now is not None else timestamps.now_us()
    result = sync.run(hub.db, feed, signer=hub.signer, lists=hub.correlator.lists, now=now,
                      client=client, progress=progress)
    if result.lists_changed:
        hub.correlator.lists.refresh()  # this process at once; the index on the full pass
    if result.failed:
        log.warning("feed %s failed: %s", feed.name, result.errors[0])
    else:
        log.info("feed %s: %d added, %d updated, %d expired, %d skipped", feed.name,
                 result.added, result.updated, result.expired, result.skipped)
    return result


def feed_round(hub: Hub, pool: Executor, *, now: int | None = None) -> list[str]:
    """Start every switched-on feed that is due and that this process wins the claim of;
    returns their names. The runs go to `pool`, never into the caller's thread."""
    now = now if now is not None else timestamps.now_us()
    problems: list[str] = []
    with hub.db.session() as session:
        on = [item for item in registry.known(session, hub.settings.feeds_dir, problems)
              if item.enabled]
        states = {item.feed.name: item.state for item in on if item.state is not None}
    for problem in problems:
        log.error("feed file left out: %s", problem)
    started = []
    for feed in schedule.due(states, [item.feed for item in on], now=now):
        with hub.db.writing() as session:
            if not schedule.claim(session, feed, now=now):
                continue  # another scheduler process won it
        pool.submit(_logged(lambda feed=feed: run_feed(hub, feed), f"feed {feed.name}"))
        started.append(feed.name)
    return started


def run(hub: Hub, *, minutes: int, push_seconds: int = 10,
        sweep_seconds: int = SWEEP_SECONDS, notify_seconds: int = NOTIFY_SECONDS) -> None:
    scheduler = BackgroundScheduler(timezone=timezone.utc,
                                    executors={"default": ThreadPoolExecutor(1),
                                               "push": ThreadPoolExecutor(1),
                                               "sweep": ThreadPoolExecutor(1),
                                               "mail": ThreadPoolExecutor(1),
                                               "feeds": ThreadPoolExecutor(1),
                                               "forward": ThreadPoolExecutor(1)},
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": None})
    now = datetime.now(timezone.utc)
    scheduler.add_job(_logged(lambda: full_pass(hub), "the full correlation pass"),
                      IntervalTrigger(minutes=minutes), id="correlation", next_run_time=now)
    scheduler.add_job(_logged(lambda: push(hub), "advisory push round"),
                      IntervalTrigger(seconds=push_seconds), id="push", executor="push",
                      next_run_time=now)
    scheduler.add_job(_logged(lambda: sweep(hub), "housekeeping"),
                      IntervalTrigger(seconds=sweep_seconds), id="sweep", executor="sweep",
                      next_run_time=now)
    feed_pool = Pool(hub.settings.feeds_workers, thread_name_prefix="feed")
    scheduler.add_job(_logged(lambda: feed_round(hub, feed_pool), "the feed round"),
                      IntervalTrigger(seconds=FEEDS_SECONDS), id="feeds", executor="feeds",
                      next_run_time=now)
    scheduler.add_job(_logged(lambda: forward(hub), "forwarding to upstream hubs"),
                      IntervalTrigger(seconds=hub.settings.forward_seconds), id="forward",
                      executor="forward", next_run_time=now)
    if hub.settings.mail_enabled:
        scheduler.add_job(_logged(lambda: notify(hub), "e-mail notifications"),
                          IntervalTrigger(seconds=notify_seconds), id="mail", executor="mail",
                          next_run_time=now)
        log.info("e-mail notifications to %d address(es) through %s:%d",
                 len(hub.settings.mail_to), hub.settings.mail_host,
                 hub.settings.effective_mail_port)
    wait_until_stopped(scheduler, "scheduler running: full correlation pass every %d minutes",
                       minutes)

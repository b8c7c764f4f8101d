"""`cyberhub scheduler`: the hub's timed work, as its own process beside the web workers.

Three jobs: the full correlation pass, which catches anything an incremental run after a POST
missed (a worker killed mid-way, a changed warning list) and gives the same campaigns the
incremental runs give; the advisory pushes that are due (first tries and retries); and the
housekeeping sweep (expired statuses and replay records, PostgreSQL statistics). Each job has
its own thread, so a long pass never delays a push; a job never overlaps itself.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from cyberhub.core import timestamps
from cyberhub.core.scheduling import wait_until_stopped
from cyberhub.hub.advisories import delivery
from cyberhub.hub.bootstrap import Hub
from cyberhub.hub.services import housekeeping

log = logging.getLogger("cyberhub.scheduler")
SWEEP_SECONDS = 60


def _logged(job: Callable[[], object], what: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # logged with its trace; the next run tries again
            log.exception("%s failed", what)

    return run


def full_pass(hub: Hub) -> object:
    return hub.correlator.full_pass(hub.db)


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


def run(hub: Hub, *, minutes: int, push_seconds: int = 10,
        sweep_seconds: int = SWEEP_SECONDS) -> None:
    scheduler = BackgroundScheduler(timezone=timezone.utc,
                                    executors={"default": ThreadPoolExecutor(1),
                                               "push": ThreadPoolExecutor(1),
                                               "sweep": ThreadPoolExecutor(1)},
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
    wait_until_stopped(scheduler, "scheduler running: full correlation pass every %d minutes",
                       minutes)

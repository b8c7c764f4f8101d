"""`cyberhub scheduler`: the hub's timed work, as its own process beside the web workers.

For now one job: the full correlation pass, which catches anything an incremental run after a
POST missed (a worker killed mid-way, a changed warning list) and gives the same campaigns the
incremental runs give. One thread: a pass never overlaps the next.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("cyberhub.scheduler")


def run(full_pass: Callable[[], object], *, minutes: int) -> None:
    scheduler = BlockingScheduler(timezone=timezone.utc,
                                  executors={"default": ThreadPoolExecutor(1)},
                                  job_defaults={"coalesce": True, "max_instances": 1,
                                                "misfire_grace_time": None})

    def correlate() -> None:
        try:
            full_pass()
        except Exception:  # logged with its trace; the next run tries again
            log.exception("the full correlation pass failed")

    scheduler.add_job(correlate, IntervalTrigger(minutes=minutes), id="correlation",
                      next_run_time=datetime.now(timezone.utc))

    def stop(signum: int, frame: object) -> None:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        else:  # asked to stop before the scheduler started: nothing runs yet, just leave
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler running: full correlation pass every %d minutes", minutes)
    scheduler.start()

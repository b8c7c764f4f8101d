"""`cyberhub scheduler`: the hub's timed work, as its own process beside the web workers.

For now one job: the full correlation pass, which catches anything an incremental run after a
POST missed (a worker killed mid-way, a changed warning list) and gives the same campaigns the
incremental runs give. One thread: a pass never overlaps the next.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("cyberhub.scheduler")


def run(full_pass: Callable[[], object], *, minutes: int) -> None:
    scheduler = BackgroundScheduler(timezone=timezone.utc,
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

    wait_until_stopped(scheduler, "scheduler running: full correlation pass every %d minutes",
                       minutes)


def wait_until_stopped(scheduler: BackgroundScheduler, message: str, *args: object) -> None:
    """Run the scheduler's jobs until SIGTERM or SIGINT, then let the running job finish.

    The signal handler only sets an event: stopping the scheduler from inside the handler can
    deadlock, when the signal lands while the main thread holds the executor's lock.
    """
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    scheduler.start()
    log.info(message, *args)
    while not stopping.wait(1):
        pass
    log.info("stopping: letting the running job finish")
    scheduler.shutdown(wait=True)

"""`cyberhub scheduler`: the hub's timed work, as its own process beside the web workers.

Two jobs: the full correlation pass, which catches anything an incremental run after a POST
missed (a worker killed mid-way, a changed warning list) and gives the same campaigns the
incremental runs give; and the advisory pushes that are due (first tries and retries). Each
job has its own thread, so a long pass never delays a push; a job never overlaps itself.
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


def run(full_pass: Callable[[], object], *, minutes: int,
        push: Callable[[], object] | None = None, push_seconds: int = 10) -> None:
    scheduler = BackgroundScheduler(timezone=timezone.utc,
                                    executors={"default": ThreadPoolExecutor(1),
                                               "push": ThreadPoolExecutor(1)},
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": None})

    def correlate() -> None:
        try:
            full_pass()
        except Exception:  # logged with its trace; the next run tries again
            log.exception("the full correlation pass failed")

    scheduler.add_job(correlate, IntervalTrigger(minutes=minutes), id="correlation",
                      next_run_time=datetime.now(timezone.utc))
    if push is not None:
        def deliver() -> None:
            try:
                push()
            except Exception:
                log.exception("advisory push round failed")

        scheduler.add_job(deliver, IntervalTrigger(seconds=push_seconds), id="push",
                          executor="push", next_run_time=datetime.now(timezone.utc))

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

"""Running an APScheduler until the process is told to stop, for the hub's `scheduler` and the
agent's daemon alike."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("cyberhub.scheduler")


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

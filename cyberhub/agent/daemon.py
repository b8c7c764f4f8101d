"""`cyberhub-agent run`: the daemon. Three jobs on an APScheduler schedule: send the queue, poll
for advisories, read the logs. Each job survives anything the world throws at it (the hub away,
the disk full) by saying so in the log and trying again on its next turn. SIGTERM lets the job
that is running finish, then stops: systemd's `stop` never cuts a send in half.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from cyberhub.agent import collecting, polling, sender, sightings
from cyberhub.agent.context import Agent, NotEnrolled
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.node_key import KeyFileError
from cyberhub.agent.push import Listener
from cyberhub.agent.store import StoreError
from cyberhub.core.scheduling import wait_until_stopped

log = logging.getLogger("cyberhub.agent")


def _guarded(name: str, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except HubError as exc:
            log.warning("%s: the hub could not be reached or refused: %s", name, exc)
        except (StoreError, KeyFileError, NotEnrolled) as exc:
            log.error("%s failed: %s", name, exc)
        except Exception:  # a bug must not stop the other jobs; it is logged with its trace
            log.exception("%s failed unexpectedly", name)
    return run


def _send(agent: Agent) -> None:
    result = sender.send_due(agent)
    if result.delivered or result.refused:
        log.info("sent: %d delivered, %d refused, %d waiting", len(result.delivered),
                 len(result.refused), agent.store.counts()["queued"])


def _poll(agent: Agent, after: Callable[[], None] = lambda: None) -> None:
    try:
        result = polling.poll(agent)
    finally:
        after()
    if result.applied:  # new indicators: has this town already seen them?
        sightings.check(agent)
    if result.applied or result.withdrawn or result.refused:
        log.info("advisories: %d applied, %d withdrawn, %d refused", len(result.applied),
                 len(result.withdrawn), len(result.refused))


def run(agent: Agent) -> None:
    agent.require_enrolled()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "job ran" every second is noise
    agent.key()  # fail now, not on the first send, if the key is missing
    # One worker thread: the jobs share one SQLite connection and one HTTP session, and a job
    # waiting for its turn costs nothing that matters at these intervals.
    scheduler = BackgroundScheduler(
        timezone=timezone.utc, executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    now = datetime.now(timezone.utc)
    settings = agent.settings
    scheduler.add_job(_guarded("sending", lambda: _send(agent)),
                      IntervalTrigger(seconds=settings.send_interval), id="send",
                      next_run_time=now)
    # The push listener reads the hub's keys from a copy the poll job refreshes: the agent's
    # database connection belongs to the job thread.
    hub_keys = {"current": agent.hub_keys()}

    def refresh_keys() -> None:
        hub_keys["current"] = agent.hub_keys()

    scheduler.add_job(_guarded("advisory poll", lambda: _poll(agent, refresh_keys)),
                      IntervalTrigger(seconds=settings.poll_interval), id="poll",
                      next_run_time=now)
    if settings.collectors:
        scheduler.add_job(_guarded("log collection", lambda: collecting.collect(agent)),
                          IntervalTrigger(seconds=settings.collect_interval), id="collect",
                          next_run_time=now)
    scheduler.add_listener(lambda event: log.debug("job %s still running; skipped a turn",
                                                   event.job_id), EVENT_JOB_MAX_INSTANCES)

    listener = _listen(agent, scheduler, lambda: hub_keys["current"])
    try:
        wait_until_stopped(
            scheduler, "agent %s running: hub %s, sending every %d s, advisories every %d s, "
            "%d log(s) every %d s", agent.store.get("slug"), agent.store.get("hub_url"),
            settings.send_interval, settings.poll_interval, len(settings.collectors),
            settings.collect_interval)
    finally:
        if listener is not None:
            listener.stop()
            _register(agent, None)
    log.info("agent stopped")


def _register(agent: Agent, url: str | None) -> bool:
    try:
        agent.client().register_callback(url)
        return True
    except HubError as exc:
        log.warning("could not %s the push callback at the hub: %s",
                    "register" if url else "remove", exc)
        return False


def _listen(agent: Agent, scheduler: BackgroundScheduler,
            keys: Callable[[], dict]) -> Listener | None:
    """Start the push listener if configured, and tell the hub where it is. Without it, or
    if the hub cannot be told, the agent still polls on schedule."""
    settings = agent.settings
    if not settings.listen:
        return None

    def wake() -> None:
        scheduler.modify_job("poll", next_run_time=datetime.now(timezone.utc))

    try:
        listener = Listener(settings.listen, audience=agent.identity_id, keys=keys, wake=wake)
    except OSError as exc:
        log.error("cannot listen for push notices on %s: %s; polling only", settings.listen,
                  exc)
        return None
    listener.start()
    if _register(agent, settings.push_url):
        log.info("listening for push notices on %s (hub pushes to %s)", settings.listen,
                 settings.push_url)
    return listener

"""`cyberhub-agent run`: the daemon. Jobs on an APScheduler schedule: send the queue, poll
for advisories, read the logs, warn of overdue reports (once a day per incident). Each job
survives anything the world throws at it (the hub away, the disk full) by saying so in the log
and trying again on its next turn. SIGTERM lets the job that is running finish, then stops:
systemd's `stop` never cuts a send in half.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from cyberhub.agent import clocks, collecting, polling, sender, sightings
from cyberhub.agent.context import Agent, NotEnrolled
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.node_key import KeyFileError
from cyberhub.agent.push import Listener
from cyberhub.agent.store import StoreError
from cyberhub.agent.texts import say, stix_moment
from cyberhub.core.scheduling import wait_until_stopped

log = logging.getLogger("cyberhub.agent")


def _guarded(name: str, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except HubError as exc:
            log.warning("%s", say("agent.daemon.hub_failed_log", job=say(name), error=exc))
        except (StoreError, KeyFileError, NotEnrolled) as exc:
            log.error("%s", say("agent.daemon.job_failed_log", job=say(name), error=exc))
        except Exception:  # a bug must not stop the other jobs; it is logged with its trace
            log.exception("%s", say("agent.daemon.job_crashed_log", job=say(name)))
    return run


def _send(agent: Agent) -> None:
    result = sender.send_due(agent)
    if result.delivered or result.refused:
        log.info("%s", say("agent.daemon.sent_log", delivered=len(result.delivered),
                           refused=len(result.refused), waiting=agent.store.counts()["queued"]))


def poll_once(agent: Agent, after: Callable[[], None] = lambda: None) -> polling.PollResult:
    """One poll for advisories and answers, and the sightings check it may call for: the
    service's job, and `cyberhub-agent advisories fetch`."""
    try:
        result = polling.poll(agent)
    finally:
        after()
    if result.applied:  # new indicators: has this town already seen them?
        sightings.check(agent)
    if result.applied or result.withdrawn or result.refused:
        log.info("%s", say("agent.daemon.advisories_log", applied=len(result.applied),
                           withdrawn=len(result.withdrawn), refused=len(result.refused)))
    return result


def warn_overdue(agent: Agent, *, now: datetime | None = None) -> list[str]:
    """Log a warning for each incident whose next report is overdue, once per incident and
    day (the UTC date), remembered across restarts.
    Returns the incident keys warned about now."""
    now = now or datetime.now(timezone.utc)
    today = now.date().isoformat()
    warned = agent.store.get("clock_warnings") or {}
    late = [clock for clock in clocks.open_clocks(agent.store, now=now) if clock.overdue]
    fresh = [clock for clock in late if warned.get(clock.incident) != today]
    for clock in fresh:
        log.warning("%s", say("agent.daemon.overdue_log", incident=clock.incident,
                              stage=say(f"agent.stage.{clock.stage}"),
                              due=stix_moment(clock.due)))
    # Only the late ones are remembered: an incident reported in time drops out.
    remembered = {clock.incident: today if clock in fresh else warned[clock.incident]
                  for clock in late}
    if remembered != warned:
        agent.store.set("clock_warnings", remembered)
    return [clock.incident for clock in fresh]


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
    scheduler.add_job(_guarded("agent.daemon.job_send", lambda: _send(agent)),
                      IntervalTrigger(seconds=settings.send_interval), id="send",
                      next_run_time=now)
    # The push listener reads the hub's keys from a copy the poll job refreshes: the agent's
    # database connection belongs to the job thread.
    hub_keys = {"current": agent.hub_keys()}

    def refresh_keys() -> None:
        hub_keys["current"] = agent.hub_keys()

    scheduler.add_job(_guarded("agent.daemon.job_poll",
                               lambda: poll_once(agent, refresh_keys)),
                      IntervalTrigger(seconds=settings.poll_interval), id="poll",
                      next_run_time=now)
    if settings.collectors:
        scheduler.add_job(_guarded("agent.daemon.job_collect",
                                   lambda: collecting.collect(agent)),
                          IntervalTrigger(seconds=settings.collect_interval), id="collect",
                          next_run_time=now)
    # Every hour: a warning comes at most once a day, but soon after the clock ran out.
    scheduler.add_job(_guarded("agent.daemon.job_clocks", lambda: warn_overdue(agent)),
                      IntervalTrigger(hours=1), id="clocks", next_run_time=now)
    scheduler.add_listener(lambda event: log.debug("job %s still running; skipped a turn",
                                                   event.job_id), EVENT_JOB_MAX_INSTANCES)

    listener = _listen(agent, scheduler, lambda: hub_keys["current"])
    try:
        wait_until_stopped(scheduler, "%s", say(
            "agent.daemon.running_log", node=agent.store.get("slug"),
            hub=agent.store.get("hub_url"), send=settings.send_interval,
            poll=settings.poll_interval, logs=len(settings.collectors),
            collect=settings.collect_interval))
    finally:
        if listener is not None:
            listener.stop()
            _register(agent, None)
    log.info("%s", say("agent.daemon.stopped_log"))


def _register(agent: Agent, url: str | None) -> bool:
    try:
        agent.client().register_callback(url)
        return True
    except HubError as exc:
        log.warning("%s", say("agent.daemon.callback_registered_failed_log" if url else
                              "agent.daemon.callback_removed_failed_log", error=exc))
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
        log.error("%s", say("agent.daemon.cannot_listen_log", listen=settings.listen,
                            error=exc.strerror or exc))
        return None
    listener.start()
    if _register(agent, settings.push_url):
        log.info("%s", say("agent.daemon.listening_log", listen=settings.listen,
                           url=settings.push_url))
    return listener

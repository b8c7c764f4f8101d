"""The reporting clocks: the NIS2 rule (core.deadlines) at fixed times, the agent's open
incidents in its store, and the service's warning once per incident and day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from cyberhub.agent import clocks, daemon, reporting
from cyberhub.agent.description import load
from cyberhub.core import deadlines

from .conftest import EXAMPLE

AWARE = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
KEY = "2026-11-phishing-buergerbuero"
DETECTED = datetime(2026, 11, 20, 6, 15, tzinfo=UTC)  # the example's 07:15 in Berlin


def test_the_nis2_rhythm():
    assert deadlines.next_due({}, AWARE) == deadlines.Due("early-warning",
                                                           AWARE + timedelta(hours=24))
    warned = {"early-warning": AWARE + timedelta(hours=3)}
    assert deadlines.next_due(warned, AWARE) == deadlines.Due(
        "notification", AWARE + timedelta(hours=72))
    notified = {**warned, "notification": AWARE + timedelta(hours=50)}
    assert deadlines.next_due(notified, AWARE) == deadlines.Due(
        "final", AWARE + timedelta(hours=50) + timedelta(days=30))
    # Straight to the notification: the final report is next; after it, nothing is due.
    assert deadlines.next_due({"notification": AWARE}, AWARE).stage == "final"
    assert deadlines.next_due({**notified, "final": AWARE + timedelta(days=20)}, AWARE) is None


def _queue(agent, stage: str = "early-warning", title: str = "") -> int:
    description = load(EXAMPLE)
    description.stage = stage
    description.title += title
    return reporting.queue_report(agent, description, source="file")["seq"]


def _deliver(agent, seq: int, at: datetime) -> None:
    with agent.store.write() as conn:
        agent.store.mark_delivered(conn, seq, at=at.timestamp())


def test_an_open_incident_runs_from_detection_to_its_final_report(local_agent):
    store = local_agent.store
    first = _queue(local_agent)
    # Queued, not at the hub: the early warning is due a day after the detection.
    clock, = clocks.open_clocks(store, now=DETECTED + timedelta(hours=23))
    assert (clock.incident, clock.stage, clock.due, clock.overdue, clock.queued) == (
        KEY, "early-warning", DETECTED + timedelta(hours=24), False, True)
    assert clocks.open_clocks(store, now=DETECTED + timedelta(hours=25))[0].overdue

    _deliver(local_agent, first, DETECTED + timedelta(hours=20))
    clock, = clocks.open_clocks(store, now=DETECTED + timedelta(hours=71))
    assert (clock.stage, clock.due, clock.overdue, clock.queued) == (
        "notification", DETECTED + timedelta(hours=72), False, False)
    assert clocks.open_clocks(store, now=DETECTED + timedelta(hours=73))[0].overdue

    notified_at = DETECTED + timedelta(hours=60)
    _deliver(local_agent, _queue(local_agent, "notification"), notified_at)
    _queue(local_agent, "update", " (neu)")  # an update changes no clock
    clock, = clocks.open_clocks(store, now=notified_at + timedelta(days=29))
    assert (clock.stage, clock.due, clock.overdue) == (
        "final", notified_at + timedelta(days=30), False)

    _deliver(local_agent, _queue(local_agent, "final"), notified_at + timedelta(days=10))
    assert clocks.open_clocks(store, now=notified_at + timedelta(days=40)) == []


def test_the_service_warns_once_a_day_per_overdue_incident(local_agent, caplog):
    _queue(local_agent)
    late = DETECTED + timedelta(days=2)
    with caplog.at_level(logging.WARNING, logger="cyberhub.agent"):
        assert daemon.warn_overdue(local_agent, now=late) == [KEY]
        assert daemon.warn_overdue(local_agent, now=late + timedelta(hours=3)) == []
        assert daemon.warn_overdue(local_agent, now=late + timedelta(days=1)) == [KEY]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0] == (f"Meldefrist überschritten: Für Vorfall {KEY} war die Frühwarnung "
                           "bis 21.11.2026, 07:15 Uhr fällig")

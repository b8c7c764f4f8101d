"""The reporting clocks of this town's open incidents: which report is due next, by when, and
whether it is late (`cyberhub-agent status`; the service warns in its log once a day).

The rule is the NIS2 rhythm in `cyberhub.core.deadlines`, the one the hub's Lagebild uses. A
stage counts as reported when the hub confirmed its report; a report still in the queue is
shown as waiting, since the hub has not got it. The town became aware of an incident at its
detection time (the first `first_observed` of its reports) or, if it named none, when it first
queued a report of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cyberhub.agent.store import Store
from cyberhub.core import deadlines, timestamps


@dataclass(frozen=True)
class Clock:
    incident: str      # the operator's key
    stage: str         # the stage whose report is due
    due: datetime
    overdue: bool
    queued: bool       # a report of that stage waits in the queue


def _detected(objects: list[dict[str, Any]]) -> datetime | None:
    found = [parsed[0] for o in objects if o.get("type") == "observed-data"
             if (parsed := timestamps.parse_stix(o.get("first_observed")))]
    return min(found) if found else None


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def open_clocks(store: Store, *, now: datetime) -> list[Clock]:
    """The clock of each incident whose final report the hub has not confirmed, the one due
    first first."""
    incidents: dict[str, dict[str, Any]] = {}
    for key, created, stage, state, queued_at, delivered_at, objects in store.incident_reports():
        entry = incidents.setdefault(key, {"aware": [], "reported": {}, "queued": set()})
        first = timestamps.parse_stix(created)
        entry["aware"] += [first[0]] if first else []
        entry["aware"] += [_at(queued_at)]
        detected = _detected(json.loads(objects))
        entry["aware"] += [detected] if detected else []
        if state == "delivered" and delivered_at is not None:
            entry["reported"].setdefault(stage, _at(delivered_at))
        elif state == "queued":
            entry["queued"].add(stage)
    clocks = []
    for key, entry in incidents.items():
        due = deadlines.next_due(entry["reported"], min(entry["aware"]))
        if due is not None:
            clocks.append(Clock(incident=key, stage=due.stage, due=due.due,
                                overdue=due.due < now, queued=due.stage in entry["queued"]))
    return sorted(clocks, key=lambda clock: (clock.due, clock.incident))

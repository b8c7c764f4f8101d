"""The reporting clocks of an incident, the NIS2 rhythm (Art. 23(4)) the agent's stages follow:
an early warning within 24 hours of becoming aware of the incident, the notification within
72 hours of it, the final report one month after the notification. One definition for the
town's agent (which tells its administrator what is due) and the hub's Lagebild (which shows
the analysts what is overdue).

"Becoming aware" is the detection time where it is known, else the first report: the hub, which
sees only reports, counts from the first one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

EARLY_WARNING_WITHIN = timedelta(hours=24)  # after becoming aware
NOTIFICATION_WITHIN = timedelta(hours=72)   # after becoming aware
FINAL_WITHIN = timedelta(days=30)           # after the notification ("one month")
# The stages the clocks run on; an `update` between them changes no clock.
EARLY_WARNING, NOTIFICATION, FINAL = "early-warning", "notification", "final"


@dataclass(frozen=True)
class Due:
    stage: str     # the stage whose report is due next
    due: datetime  # when it is due at the latest


def next_due(reported: Mapping[str, datetime], aware: datetime) -> Due | None:
    """The report due next, given when each stage was reported (`reported`: stage → time) and
    when the town became aware of the incident; None once the final report is in."""
    if FINAL in reported:
        return None
    if NOTIFICATION in reported:
        return Due(FINAL, reported[NOTIFICATION] + FINAL_WITHIN)
    if EARLY_WARNING in reported:
        return Due(NOTIFICATION, aware + NOTIFICATION_WITHIN)
    return Due(EARLY_WARNING, aware + EARLY_WARNING_WITHIN)

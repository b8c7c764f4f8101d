"""A notification run, as the scheduler calls it every minute, and the test mail of
`cyberhub notifications test`. How each event is mailed once: see the package."""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import update

from cyberhub.hub.notifications import events, mails, smtp
from cyberhub.hub.notifications.smtp import NotificationError
from cyberhub.hub.settings import Settings
from cyberhub.hub.storage import locks
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import HubSetting, Notification

log = logging.getLogger("cyberhub.notifications")
LOCK = "notifications"
SINCE = "notifications_since"  # hub setting: when mail first ran (µs)
MAX_MAILS = 20  # per run; the rest go a minute later
CLAIM_SECONDS = 60 + 2 * smtp.TIMEOUT_SECONDS * MAX_MAILS  # longer than a run may take


@dataclass
class RunResult:
    sent: list[str] = field(default_factory=list)  # event keys
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # recorded without mail on the first run


def run(db: Database, settings: Settings, *, now: int,
        environ: Mapping[str, str] | None = None) -> RunResult:
    """Mail every event not mailed yet, each once; nothing when mail is off."""
    result = RunResult()
    if not settings.mail_enabled:
        return result
    with db.writing() as session:
        locks.hold(session, LOCK)
        due = mails.due(session, settings, now)
        if session.get(HubSetting, SINCE) is None:
            keys = [key for mail in due for key in mail.keys]
            session.add(HubSetting(key=SINCE, value=str(now)))
            events.mark(session, keys, state="skipped", now=now)
            result.skipped = len(keys)
            log.info("e-mail notifications on; %d earlier events recorded without mail",
                     len(keys))
            return result
        due = due[:MAX_MAILS]
        events.mark(session, [key for mail in due for key in mail.keys], state="pending",
                    now=now, claimed_until=now + int(CLAIM_SECONDS * 1_000_000))
    outcomes = smtp.deliver(settings, due, now=now,
                            environ=os.environ if environ is None else environ)
    errors: Counter[str] = Counter()
    for mail, error in zip(due, outcomes):
        values: dict[str, Any]
        if error is None:
            values = {"state": "sent", "sent_at": now, "claimed_until": None,
                      "last_error": None}
            result.sent += mail.keys
        else:  # free for the next run: the server may be back in a minute
            values = {"claimed_until": now, "last_error": error}
            result.failed += mail.keys
            errors[error] += 1
        with db.writing() as session:
            session.execute(update(Notification).where(
                Notification.key.in_(mail.keys), Notification.state == "pending")
                .values(attempts=Notification.attempts + 1, **values))
    for error, count in errors.items():  # one line per cause, not one per mail
        log.warning("%d notification mail(s) not sent, tried again next minute: %s", count,
                    error)
    return result


def send_test(settings: Settings, *, now: int, environ: Mapping[str, str] | None = None
              ) -> None:
    """One test mail to `mail_to`; NotificationError with the reason if it was not taken."""
    if not settings.mail_enabled:
        raise NotificationError("e-mail notifications are off: set mail_host, mail_from and "
                                "mail_to in the hub's config")
    error = smtp.deliver(settings, [mails.test(settings)], now=now,
                         environ=os.environ if environ is None else environ)[0]
    if error is not None:
        raise NotificationError(error)

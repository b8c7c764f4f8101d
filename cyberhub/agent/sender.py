"""Sending the queue: sign at send time, post, and mark delivered only on the hub's word.

A report leaves the `queued` state only when the hub's status is `complete` and every one of its
objects is among the successes. Anything else (the hub down, slow, answering 5xx; this process
killed between the POST and the commit) leaves it queued, and it is sent again later with
exponential backoff and jitter. Sending again is safe: the hub answers an object it already
holds with "duplicate", a success, so a report is never lost and never stored twice.
The carrier (the x-cyberhub-signature object) keeps one id per report and takes the send time
as its version, so a resend updates it rather than leaving a second signature behind.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import PERMANENT_CODES, HubError
from cyberhub.agent.store import QueuedReport, StoreError
from cyberhub.agent.texts import say
from cyberhub.core import signing
from cyberhub.core.timestamps import stix_time

log = logging.getLogger("cyberhub.agent")
# One report per envelope: every report carries the town's identity and its TLP marking, and
# the signing specification wants the signatures in one envelope to cover disjoint objects.
BATCH = 1


@dataclass
class SendResult:
    delivered: list[str]
    refused: list[str]
    retrying: list[str]
    error: str = ""


def backoff(attempts: int, *, initial: float, ceiling: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` failures: doubling, capped, with full jitter so that
    towns whose hub came back do not all send in the same second."""
    return rng.uniform(0.5, 1.0) * min(ceiling, initial * 2 ** max(0, attempts - 1))


def _sign(agent: Agent, report: QueuedReport, now: float) -> list[dict[str, Any]]:
    token = signing.sign_manifest(agent.key(), issuer=agent.identity_id,
                                  audience=agent.hub_identity, objects=report.objects,
                                  issued_at=int(now), ttl=600)
    stamp = stix_time(datetime.fromtimestamp(now, timezone.utc))
    carrier = signing.signature_object(token, issuer=agent.identity_id,
                                       object_ids=[o["id"] for o in report.objects],
                                       created=stamp)
    carrier["id"] = report.id
    return report.objects + [carrier]


def _permanent(message: str) -> bool:
    return message.split(":", 1)[0].strip() in PERMANENT_CODES


def send_due(agent: Agent, *, now: float | None = None, rng: random.Random | None = None,
             limit: int = 1000) -> SendResult:
    """Send every queued report that is due. Never raises for hub trouble: it reschedules."""
    agent.require_enrolled()
    with agent.store.sending():
        return _send_due(agent, time.time() if now is None else now, rng or random.Random(),
                         limit)


def _send_due(agent: Agent, now: float, rng: random.Random, limit: int) -> SendResult:
    # Read under the lock: what another process has just delivered is no longer due.
    due = agent.store.reports(states=("queued",), due_before=now, limit=limit)
    result = SendResult([], [], [])
    for start in range(0, len(due), BATCH):
        batch = due[start:start + BATCH]
        try:
            collection = agent.client().collection(agent.store.get("api_root"), "reports")
            envelope = {"objects": [o for r in batch for o in _sign(agent, r, time.time())]}
            delivery = agent.client().send(collection, json.dumps(envelope, ensure_ascii=False))
        except HubError as exc:
            # The hub is unwell: the rest of the queue would fare no better this round.
            waiting = due[start:]
            _reschedule(agent, waiting, str(exc), now, rng)
            result.retrying += [r.id for r in waiting]
            result.error = str(exc)
            log.warning("%s", say("agent.sender.not_sent_log", count=len(waiting), error=exc))
            break
        agent.store.set("last_contact", time.time())
        _settle(agent, batch, delivery, now, rng, result)
    return result


def _settle(agent: Agent, batch: list[QueuedReport], delivery: Any, now: float,
            rng: random.Random, result: SendResult) -> None:
    succeeded = {object_id for object_id, _ in delivery.successes}
    with agent.store.write() as conn:
        for report in batch:
            ids = [o["id"] for o in report.objects]
            problems = [f"{i}: {delivery.failures[i]}" for i in ids if i in delivery.failures]
            if delivery.status == "complete" and all(i in succeeded for i in ids):
                agent.store.mark_delivered(conn, report.seq, at=time.time())
                result.delivered.append(report.id)
                log.info("%s", say("agent.sender.delivered_log", seq=report.seq,
                                   title=report.title, stage=report.stage))
            elif problems and all(_permanent(p.split(": ", 1)[1]) for p in problems):
                agent.store.mark_refused(conn, report.seq, error=problems[0][:1000])
                result.refused.append(report.id)
                log.error("%s", say("agent.sender.refused_log", seq=report.seq,
                                    title=report.title, problem=problems[0]))
            else:
                reason = problems[0] if problems else say("agent.sender.status",
                                                          status=delivery.status)
                wait = backoff(report.attempts + 1, initial=agent.settings.retry_initial,
                               ceiling=agent.settings.retry_max, rng=rng)
                agent.store.reschedule(conn, report.seq, next_attempt=now + wait,
                                       error=reason[:1000])
                result.retrying.append(report.id)
                log.warning("%s", say("agent.sender.unconfirmed_log", seq=report.seq,
                                       reason=reason, seconds=round(wait)))


def _reschedule(agent: Agent, batch: list[QueuedReport], reason: str, now: float,
                rng: random.Random) -> None:
    with agent.store.write() as conn:
        for report in batch:
            wait = backoff(report.attempts + 1, initial=agent.settings.retry_initial,
                           ceiling=agent.settings.retry_max, rng=rng)
            agent.store.reschedule(conn, report.seq, next_attempt=now + wait,
                                   error=reason[:1000])


def retry_now(agent: Agent) -> int:
    """Make every queued report due at once (the operator said `send`)."""
    return agent.store.make_queue_due()


def remove(agent: Agent, seq: int, *, now: float | None = None,
           wait: float = 10) -> QueuedReport:
    """Take queued report `seq` out of the queue before it is sent; returns what was removed.
    Only a queued report: a delivered one is with the hub, a refused one is the record of
    what the hub said. Under the send lock, so that no report is removed while it is on its
    way (a send that takes longer than `wait` seconds makes this a StoreError)."""
    with agent.store.sending(wait=wait):
        report = agent.store.report(seq)
        if report is None:
            raise StoreError("agent.sender.no_such_report", seq=seq)
        if report.state != "queued":
            raise StoreError(f"agent.sender.not_removable_{report.state}", seq=seq)
        with agent.store.write() as conn:
            agent.store.remove_report(conn, report, at=time.time() if now is None else now)
    log.warning("%s", say("agent.sender.removed_log", seq=seq, incident=report.incident,
                          stage=report.stage, title=report.title))
    return report

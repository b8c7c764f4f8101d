"""Advisories from the hub: fetched, verified against the hub's keys, applied, acknowledged.

Nothing is applied unless a signature by the hub's own key covers it, byte for byte (by JCS
hash; see `hub_signatures`). Unsigned or tampered content is logged and recorded as refused,
never applied, and the hub is told (`acknowledgements`). The `added_after` position is stored
only after what came before it was handled, so a crash means fetching again, never skipping.
What is in force then becomes the blocklists (`blocklist_updates`).

The same poll fetches the analysts' answers to this town's reports from the `answers`
collection: STIX notes, kept only when the hub's key signed them, like advisories. They are
read, not applied, so nothing is acknowledged; content that fails the check is logged and not
kept. A hub without that collection (one not upgraded yet) has no answers; that is no error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from cyberhub.agent.acknowledgements import send_receipts
from cyberhub.agent.blocklist_updates import refresh_blocklists
from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import HubClient, HubError
from cyberhub.agent.hub_signatures import Refusal, claimed, verified_groups
from cyberhub.agent.texts import say
from cyberhub.core import signing

log = logging.getLogger("cyberhub.agent")
COLLECTION = "advisories"
ANSWERS = "answers"


@dataclass
class PollResult:
    applied: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    blocklist_changes: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # ids of the answers received


def _unsigned() -> Refusal:
    # Stored and sent to the hub as the stable "unsigned: ..."; said to a person in German.
    return Refusal("unsigned", "no valid hub signature covers this object")


def _refused_reports(objects: list[dict[str, Any]], signature_id: str) -> list[dict[str, Any]]:
    """The report objects a refused signature claimed to cover (to tell the hub)."""
    for obj in objects:
        if obj.get("id") == signature_id:
            refs = obj.get("object_refs") or []
            return [o for o in objects if o.get("type") == "report" and o.get("id") in refs]
    return []


def poll(agent: Agent) -> PollResult:
    """Fetch what was added since the stored position and act on it."""
    client = agent.client()
    collection = client.collection(agent.store.get("api_root"), COLLECTION)
    position = agent.store.get("advisories_position")
    records = client.manifest_since(collection, position)
    agent.store.set("last_contact", time.time())
    result = PollResult()
    if records:
        objects, new = _fetch(client, collection, records)
        groups, refusals, covered = verified_groups(agent, objects, new)
        # Objects that a refused signature claimed are refused with it, not again as unsigned.
        refused_claims = {pair for what, _ in refusals for o in objects if o.get("id") == what
                          for pair in claimed(o)}
        for record in records:
            pair = (record["id"], record["version"])
            if pair in covered or pair in refused_claims or record["id"].startswith(
                    signing.SIGNATURE_TYPE):
                continue
            refusals.append((record["id"], _unsigned()))
        result = record_outcome(agent, groups, refusals, objects, records)
    result.blocklist_changes = refresh_blocklists(agent)
    send_receipts(agent)
    try:
        result.answers = poll_answers(agent)
    except HubError as exc:  # the advisories are handled; the answers come with the next poll
        log.warning("%s", say("agent.polling.answers_failed_log", error=exc))
    return result


def _fetch(client: HubClient, collection: Any, records: list[dict[str, Any]]
           ) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """Every version of the objects the manifest records name, and the (id, version) pairs
    that are new."""
    objects = client.objects(collection, sorted({r["id"] for r in records}))
    new = {(r["id"], r["version"]) for r in records}
    # A new signature may cover objects the hub already held (an unchanged indicator, a TLP
    # marking is stored once): fetch whatever the new signatures cover.
    covered_ids = {object_id for o in objects
                   if (o.get("id"), signing.object_version(o)) in new
                   for object_id, _ in claimed(o)}
    missing = covered_ids - {o.get("id") for o in objects}
    if missing:
        objects += client.objects(collection, sorted(missing))
    return objects, new


def poll_answers(agent: Agent) -> list[str]:
    """Fetch the answers added since the stored position; returns the ids of those kept."""
    client = agent.client()
    try:
        collection = client.collection(agent.store.get("api_root"), ANSWERS)
    except HubError as exc:
        log.debug("%s", say("agent.polling.no_answers_log", error=exc))
        return []
    records = client.manifest_since(collection, agent.store.get("answers_position"))
    if not records:
        return []
    objects, new = _fetch(client, collection, records)
    groups, refusals, covered = verified_groups(agent, objects, new)
    for record in records:
        pair = (record["id"], record["version"])
        if pair not in covered and not record["id"].startswith(signing.SIGNATURE_TYPE):
            refusals.append((record["id"], _unsigned()))
    received: list[str] = []
    now = time.time()
    with agent.store.write() as conn:
        for members in groups:
            for note in (o for o in members if o.get("type") == "note"):
                if agent.store.add_answer(conn, note=note, received_at=now):
                    received.append(note["id"])
        agent.store.put(conn, "answers_position", max(r["date_added"] for r in records))
    for what, why in refusals:
        log.error("%s", say("agent.polling.answer_refused_log", what=what, why=why))
    for answer_id in received:
        log.info("%s", say("agent.polling.answer_log", answer=answer_id))
    return received


def record_outcome(agent: Agent, groups: list[list[dict[str, Any]]],
                   refusals: list[tuple[str, str]], objects: list[dict[str, Any]],
                   records: list[dict[str, Any]]) -> PollResult:
    """Store the verified advisories and the refusals, and move the position past `records`,
    in one transaction."""
    result = PollResult()
    now = time.time()
    store = agent.store
    with store.write() as conn:
        for members in groups:
            for report in (o for o in members if o.get("type") == "report"):
                state = "withdrawn" if report.get("revoked") else "applied"
                if store.add_advisory(conn, advisory_id=report["id"],
                                      version=signing.object_version(report), received_at=now,
                                      state=state, title=report.get("name", ""),
                                      objects=members):
                    (result.withdrawn if state == "withdrawn" else result.applied).append(
                        report["id"])
        for what, why in refusals:
            log.error("%s", say("agent.polling.advisory_refused_log", what=what, why=why))
            reports = _refused_reports(objects, what) or [
                o for o in objects if o.get("id") == what and o.get("type") == "report"]
            for report in reports or [{}]:
                store.add_refusal(conn, at=now, what=what, reason=why,
                                  advisory_id=report.get("id"),
                                  version=signing.object_version(report) if report else None)
            result.refused.append(what)
        store.put(conn, "advisories_position", max(r["date_added"] for r in records))
    for advisory_id in result.applied:
        log.info("%s", say("agent.polling.applied_log", advisory=advisory_id,
                           title=store.advisory_title(advisory_id)))
    for advisory_id in result.withdrawn:
        log.info("%s", say("agent.polling.withdrawn_log", advisory=advisory_id))
    return result

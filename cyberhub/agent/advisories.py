"""Advisories from the hub: fetched, verified against the hub's keys, applied, acknowledged.

Nothing is applied unless a signature by the hub's own key covers it, byte for byte (by JCS
hash). Unsigned or tampered content is logged and recorded as refused, never applied, and the
hub is told. The `added_after` position is stored only after what came before it was handled,
so a crash means fetching again, never skipping.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cyberhub.agent import blocklists
from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import HubError
from cyberhub.core import signing, tlp
from cyberhub.core.timestamps import stix_time

log = logging.getLogger("cyberhub.agent")
COLLECTION = "advisories"


@dataclass
class PollResult:
    applied: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    blocklist_changes: list[str] = field(default_factory=list)


def _version(obj: dict[str, Any]) -> str:
    return signing.object_version(obj)


def _verify(agent: Agent, signature: dict[str, Any], members: list[dict[str, Any]]
            ) -> signing.Verified:
    def lookup(kid: str) -> signing.RegisteredKey | None:
        return agent.hub_keys().get(kid)

    try:
        return signing.verify_published(signature.get("jws"), members, keys=lookup,
                                        signer_ref=signature.get("created_by_ref"))
    except signing.Rejected as exc:
        if exc.code != "key-unknown":
            raise
    # The hub may have rotated its key since enrolment: fetch its JWKS once and try again.
    agent.store.set("hub_jwks", agent.client().jwks())
    return signing.verify_published(signature.get("jws"), members, keys=lookup,
                                    signer_ref=signature.get("created_by_ref"))


def _groups(agent: Agent, objects: list[dict[str, Any]], new: set[tuple[str, str]]
            ) -> tuple[list[list[dict[str, Any]]], list[tuple[str, str]], set[tuple[str, str]]]:
    """Verified groups, refusals (what, why), and the (id, version) pairs they cover."""
    index = {(o.get("id"), _version(o)): o for o in objects}
    groups, refusals, covered = [], [], set()
    for signature in objects:
        if signature.get("type") != signing.SIGNATURE_TYPE:
            continue
        if (signature.get("id"), _version(signature)) not in new:
            continue
        try:
            entries = signing.covered_versions(signature.get("jws"))
            members = [index[entry] for entry in entries if entry in index]
            verified = _verify(agent, signature, members)
            if verified.issuer != agent.hub_identity:
                raise signing.Rejected("identity-mismatch", "signed by someone other than the "
                                       "hub")
        except signing.Rejected as exc:
            refusals.append((signature.get("id", "?"), f"{exc.code}: {exc.message}"))
            continue
        except HubError as exc:
            refusals.append((signature.get("id", "?"), f"key-unknown: {exc}"))
            continue
        groups.append(members)
        covered.update(entries)
    return groups, refusals, covered


def _claimed(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """What a signature object says it covers; nothing if it is not one or does not parse."""
    if obj.get("type") != signing.SIGNATURE_TYPE:
        return []
    try:
        return signing.covered_versions(obj.get("jws"))
    except signing.Rejected:
        return []


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
        objects = client.objects(collection, sorted({r["id"] for r in records}))
        new = {(r["id"], r["version"]) for r in records}
        # A new version of an advisory may cover objects the hub already held (an unchanged
        # indicator is stored once): fetch whatever the new signatures cover.
        covered_ids = {object_id for o in objects if (o.get("id"), _version(o)) in new
                       for object_id, _ in _claimed(o)}
        missing = covered_ids - {o.get("id") for o in objects}
        if missing:
            objects += client.objects(collection, sorted(missing))
        groups, refusals, covered = _groups(agent, objects, new)
        # Objects that a refused signature claimed are refused with it, not again as unsigned.
        claimed = {pair for what, _ in refusals for o in objects if o.get("id") == what
                   for pair in _claimed(o)}
        for record in records:
            pair = (record["id"], record["version"])
            if pair in covered or pair in claimed or record["id"].startswith(
                    signing.SIGNATURE_TYPE):
                continue
            refusals.append((record["id"], "unsigned: no valid hub signature covers this "
                                           "object"))
        result = _store(agent, groups, refusals, objects, records)
    result.blocklist_changes = refresh_blocklists(agent)
    send_receipts(agent)
    return result


def _store(agent: Agent, groups: list[list[dict[str, Any]]], refusals: list[tuple[str, str]],
           objects: list[dict[str, Any]], records: list[dict[str, Any]]) -> PollResult:
    result = PollResult()
    now = time.time()
    with agent.store.write() as conn:
        for members in groups:
            for report in (o for o in members if o.get("type") == "report"):
                state = "withdrawn" if report.get("revoked") else "applied"
                cursor = conn.execute(
                    "INSERT INTO advisories (id, version, received_at, state, title, objects) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (report["id"], _version(report), now, state, report.get("name", ""),
                     json.dumps(members, ensure_ascii=False)))
                if cursor.rowcount:
                    conn.execute("UPDATE advisories SET state = 'superseded' WHERE id = ? AND "
                                 "version < ? AND state = 'applied'",
                                 (report["id"], _version(report)))
                    (result.withdrawn if state == "withdrawn" else result.applied).append(
                        report["id"])
        for what, why in refusals:
            log.error("refused advisory content %s: %s", what, why)
            claimed = _refused_reports(objects, what) or [
                o for o in objects if o.get("id") == what and o.get("type") == "report"]
            for report in claimed or [{}]:
                conn.execute("INSERT INTO refusals (at, what, reason, advisory_id, version) "
                             "VALUES (?, ?, ?, ?, ?)", (now, what, why, report.get("id"),
                                                        _version(report) if report else None))
            result.refused.append(what)
        agent.store.put(conn, "advisories_position",
                        max(r["date_added"] for r in records))
    for advisory_id in result.applied:
        log.info("advisory %s applied: %s", advisory_id, title_of(agent, advisory_id))
    for advisory_id in result.withdrawn:
        log.info("advisory %s withdrawn by the hub", advisory_id)
    return result


def title_of(agent: Agent, advisory_id: str) -> str:
    rows = agent.store.read("SELECT title FROM advisories WHERE id = ? ORDER BY version DESC "
                            "LIMIT 1", (advisory_id,))
    return rows[0][0] if rows else ""


def active_groups(agent: Agent) -> list[list[dict[str, Any]]]:
    """The object groups of the newest version of each advisory still in force."""
    rows = agent.store.read(
        "SELECT a.objects FROM advisories a WHERE a.state = 'applied' AND a.version = "
        "(SELECT max(version) FROM advisories b WHERE b.id = a.id)")
    return [json.loads(row[0]) for row in rows]


def active_indicators(agent: Agent) -> list[dict[str, Any]]:
    return [o for group in active_groups(agent) for o in group if o.get("type") == "indicator"]


def refresh_blocklists(agent: Agent) -> list[str]:
    """Rewrite the blocklists from the advisories in force; run the apply command on change."""
    now = stix_time(datetime.now(timezone.utc))
    blocklist = blocklists.build(active_indicators(agent), now=now)
    count = len(active_groups(agent))
    header = (f"written by cyberhub-agent from {count} advisor{'y' if count == 1 else 'ies'}"
              f" ({len(blocklist)} entries); do not edit, changes are overwritten")
    changed = blocklists.write(agent.settings.blocklists,
                               blocklists.render(blocklist, header=header))
    if changed:
        log.info("blocklists updated in %s: %d addresses or networks, %d domains, %d URLs",
                 agent.settings.blocklists, len(blocklist.networks), len(blocklist.domains),
                 len(blocklist.urls))
        _run_apply_command(agent)
    return changed


def _run_apply_command(agent: Agent) -> None:
    command = agent.settings.apply_command.strip()
    if not command:
        return
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("the apply command %r failed to run: %s", command, exc)
        return
    if done.returncode != 0:
        log.error("the apply command %r exited with %d: %s", command, done.returncode,
                  (done.stderr or done.stdout).strip()[:300])
    else:
        log.info("the apply command %r loaded the new blocklists", command)


def send_receipts(agent: Agent) -> None:
    """Tell the hub what was done with each advisory version; kept until the hub has it."""
    pending = agent.store.read(
        "SELECT id, version, state FROM advisories WHERE acked_at IS NULL ORDER BY received_at")
    refused = agent.store.read("SELECT seq, advisory_id, version, reason FROM refusals WHERE "
                               "advisory_id IS NOT NULL AND acked_at IS NULL")
    client = agent.client()
    try:
        for advisory_id, version, state in pending:
            client.acknowledge(advisory_id, version,
                               "withdrawn" if state == "withdrawn" else "applied")
            with agent.store.write() as conn:
                conn.execute("UPDATE advisories SET acked_at = ? WHERE id = ? AND version = ?",
                             (time.time(), advisory_id, version))
        for seq, advisory_id, version, reason in refused:
            client.acknowledge(advisory_id, version, "refused", reason)
            with agent.store.write() as conn:
                conn.execute("UPDATE refusals SET acked_at = ? WHERE seq = ?",
                             (time.time(), seq))
    except HubError as exc:
        log.warning("could not acknowledge advisories yet: %s", exc)


# --- reading advisories for the operator -------------------------------------------------

def _report(group: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in group if o.get("type") == "report")


def severity(report: dict[str, Any]) -> str:
    for label in report.get("labels", []):
        if label.startswith("severity:"):
            return label.split(":", 1)[1]
    return ""


def summaries(agent: Agent) -> list[dict[str, Any]]:
    rows = agent.store.read(
        "SELECT id, version, state, title, received_at, acked_at, objects FROM advisories a "
        "WHERE version = (SELECT max(version) FROM advisories b WHERE b.id = a.id) "
        "ORDER BY received_at DESC")
    result = []
    for advisory_id, version, state, title, received, acked, objects in rows:
        report = _report(json.loads(objects))
        result.append({
            "id": advisory_id, "version": version, "state": state, "title": title,
            "severity": severity(report), "tlp": _tlp_of(report),
            "received": stix_time(datetime.fromtimestamp(received, timezone.utc)),
            "acknowledged": acked is not None})
    return result


def _tlp_of(obj: dict[str, Any]) -> str:
    for ref in obj.get("object_marking_refs", []):
        if ref in tlp.LEVEL_OF:
            return tlp.LEVEL_OF[ref]
    return ""


def detail(agent: Agent, advisory_id: str) -> dict[str, Any] | None:
    rows = agent.store.read(
        "SELECT version, state, objects FROM advisories WHERE id = ? OR id LIKE ? "
        "ORDER BY version DESC LIMIT 1", (advisory_id, f"%--{advisory_id}%"))
    if not rows:
        return None
    version, state, objects = rows[0]
    group = json.loads(objects)
    report = _report(group)
    indicators = [o for o in group if o.get("type") == "indicator"]
    blocked = blocklists.build(indicators, now=stix_time(datetime.now(timezone.utc)))
    return {
        "id": report["id"], "version": version, "state": state, "title": report.get("name"),
        "severity": severity(report), "tlp": _tlp_of(report),
        "description": report.get("description", ""),
        "published": report.get("published"),
        "indicators": [{"name": i.get("name", ""), "pattern": i.get("pattern")}
                       for i in indicators],
        "blocked": [blocklists.address(n) for n in sorted(blocked.networks, key=_net_key)]
        + sorted(blocked.domains)
        + sorted(blocked.urls),
        "playbook": playbook_steps(group),
    }


def _net_key(network: Any) -> tuple[int, Any]:
    return (network.version, network)


def playbook_steps(group: list[dict[str, Any]]) -> list[str]:
    """The response steps, in order: from a CACAO playbook carried in the advisory (an OCA
    x-oca-playbook object with playbook_bin), else from the courses of action's text."""
    steps: list[str] = []
    for obj in group:
        if obj.get("type") == "x-oca-playbook" and obj.get("playbook_bin"):
            steps += _cacao_steps(obj["playbook_bin"])
    if steps:
        return steps
    for obj in group:
        if obj.get("type") == "course-of-action":
            text = obj.get("description") or obj.get("name", "")
            steps += [line.strip() for line in text.splitlines() if line.strip()]
    return steps


def _cacao_steps(encoded: str) -> list[str]:
    try:
        playbook = json.loads(base64.b64decode(encoded, validate=True))
        workflow = playbook["workflow"]
        step_id = playbook["workflow_start"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return []
    steps, seen = [], set()
    while isinstance(step_id, str) and step_id in workflow and step_id not in seen:
        seen.add(step_id)
        step = workflow[step_id]
        if step.get("type") not in ("start", "end"):
            text = step.get("name", "")
            if step.get("description"):
                text = f"{text}: {step['description']}" if text else step["description"]
            if text:
                steps.append(text)
        step_id = step.get("on_completion") or step.get("on_success")
    return steps

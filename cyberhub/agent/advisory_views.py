"""What `cyberhub-agent advisories list`, `show` and `fetch` print about the advisories
received: plain data for `--json`, and the same formatted for people in their language
(catalog table `agent.advisories`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cyberhub.agent import blocklists
from cyberhub.agent.context import Agent
from cyberhub.agent.playbook_steps import playbook_steps
from cyberhub.agent.store import Store
from cyberhub.agent.texts import moment, say
from cyberhub.core import messages, tlp
from cyberhub.core.timestamps import parse_stix, stix_time


def _report(group: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in group if o.get("type") == "report")


def severity(report: dict[str, Any]) -> str:
    for label in report.get("labels", []):
        if label.startswith("severity:"):
            return label.split(":", 1)[1]
    return ""


def _tlp_of(obj: dict[str, Any]) -> str:
    for ref in obj.get("object_marking_refs", []):
        if ref in tlp.LEVEL_OF:
            return tlp.LEVEL_OF[ref]
    return ""


def summaries(agent: Agent) -> list[dict[str, Any]]:
    """One line of data for each advisory (its newest version), the last received first."""
    result = []
    for advisory in agent.store.newest_advisories():
        report = _report(advisory.objects)
        result.append({
            "id": advisory.id, "version": advisory.version, "state": advisory.state,
            "title": advisory.title, "severity": severity(report), "tlp": _tlp_of(report),
            "received": stix_time(datetime.fromtimestamp(advisory.received_at, timezone.utc)),
            "acknowledged": advisory.acked_at is not None})
    return result


def detail(agent: Agent, advisory_id: str) -> dict[str, Any] | None:
    """One advisory (by its id or part of it): what it blocks and what to do."""
    advisory = agent.store.find_advisory(advisory_id)
    if advisory is None:
        return None
    group = advisory.objects
    report = _report(group)
    indicators = [o for o in group if o.get("type") == "indicator"]
    blocked = blocklists.build(indicators, now=stix_time(datetime.now(timezone.utc)))
    return {
        "id": report["id"], "version": advisory.version, "state": advisory.state,
        "title": report.get("name"), "severity": severity(report), "tlp": _tlp_of(report),
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


def _state(state: str, language: str) -> str:
    return messages.label("agent.advisory_state", state, language)


def _severity(value: str, language: str) -> str:
    return messages.label("severity", value, language)


def render_list(rows: list[dict[str, Any]], language: str) -> str:
    if not rows:
        return say("agent.advisories.none", language)
    lines = []
    for row in rows:
        received = _moment(row["received"], language)
        severity = f" [{_severity(row['severity'], language)}]" if row["severity"] else ""
        lines.append(f"{row['id']}  {_state(row['state'], language):<12} {received}{severity}"
                     f"  {row['title']}")
    return "\n".join(lines)


def _moment(stamp: str, language: str) -> str:
    parsed = parse_stix(stamp)
    return stamp if parsed is None else moment(parsed[0].timestamp(), language)


def render_detail(d: dict[str, Any], language: str) -> str:
    facts = [say("agent.advisories.version", language, version=d["version"]),
             _state(d["state"], language), f"TLP:{(d['tlp'] or 'none').upper()}"]
    if d["severity"]:
        facts.append(say("agent.advisories.severity", language,
                         severity=_severity(d["severity"], language)))
    lines = [d["title"] or "", f"{d['id']} ({', '.join(facts)})"]
    if d["description"]:
        lines += ["", d["description"]]
    if d["blocked"]:
        lines += ["", say("agent.advisories.blocked", language)]
        lines += [f"  {value}" for value in d["blocked"]]
    if d["playbook"]:
        lines += ["", say("agent.advisories.steps", language)]
        lines += [f"  {number}. {step}" for number, step in enumerate(d["playbook"], 1)]
    return "\n".join(lines)


def render_fetched(d: dict[str, Any], store: Store, language: str) -> str:
    """What `advisories fetch` got from the hub: each advisory applied or withdrawn with its
    title, the refused content, the answers."""
    lines = [say("agent.advisories.fetched_applied", language, advisory=advisory,
                 title=store.advisory_title(advisory)) for advisory in d["applied"]]
    lines += [say("agent.advisories.fetched_withdrawn", language, advisory=advisory,
                  title=store.advisory_title(advisory)) for advisory in d["withdrawn"]]
    lines += [say("agent.advisories.fetched_refused", language, what=what)
              for what in d["refused"]]
    if d["answers"]:
        lines.append(say("agent.advisories.fetched_answers", language, count=d["answers"]))
    return "\n".join(lines) or say("agent.advisories.fetched_nothing", language)

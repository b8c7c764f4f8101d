"""What `cyberhub-agent advisories list` and `advisories show` print about the advisories
received: plain data for `--json`, which the commands also format for people."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cyberhub.agent import blocklists
from cyberhub.agent.context import Agent
from cyberhub.agent.playbook_steps import playbook_steps
from cyberhub.core import tlp
from cyberhub.core.timestamps import stix_time


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

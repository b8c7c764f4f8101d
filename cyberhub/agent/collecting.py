"""One pass over the configured logs: new lines (or journal entries) → findings → a draft
report, or a queued one.

A draft is written to the drafts directory for the operator to read and send with
`cyberhub-agent report FILE`. Only when the strongest finding reaches `auto_send_score` (and
that setting is not 0) is the report queued without asking. The read position of each log is
stored after its findings were handled (for the journal: the cursor of its last entry read), so
a crash reads the lines again rather than losing them.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from cyberhub.agent import collectors, reporting, sightings
from cyberhub.agent.collectors import drafts
from cyberhub.agent.collectors.common import CollectorError, Finding, Observation, window_of
from cyberhub.agent.context import Agent
from cyberhub.agent.description import parse
from cyberhub.agent.node_settings import Collector
from cyberhub.agent.texts import say

log = logging.getLogger("cyberhub.agent")


@dataclass
class CollectResult:
    findings: list[Finding] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    draft: Path | None = None
    queued: int | None = None
    errors: list[str] = field(default_factory=list)
    sightings: list[int] = field(default_factory=list)


def _write_draft(directory: Path, name: str, content: dict) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    temporary = path.with_suffix(".yaml.part")
    text = "".join(f"# {line}\n" for line in say("agent.collecting.draft_header",
                                                 path=path).splitlines())
    text += yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def _from_file(agent: Agent, source: Collector, now: datetime,
               positions: list[tuple[str, int, int]]) -> tuple[list[Finding], list[Observation]]:
    stored = agent.store.log_position(str(source.path))
    inode, offset = stored if stored else (None, 0)
    lines, inode, offset = collectors.read_new_lines(source.path, inode, offset)
    found = collectors.collect(source.kind, source.name or source.path.name, lines,
                               thresholds=agent.settings.thresholds, now=now)
    positions.append((str(source.path), inode, offset))
    return found


def _from_journal(agent: Agent, source: Collector, now: datetime,
                  cursors: list[tuple[str, str]]) -> tuple[list[Finding], list[Observation]]:
    log.debug("%s", say("agent.collecting.journal_log", kind=source.kind, why=say(
        "agent.collecting.journal_chosen") if source.source == "journal" else say(
        "agent.collecting.journal_no_file", path=source.path)))
    key = f"{source.kind} {source.journal or 'system'}"
    # The first time, only the window: older attacks are over, and the journal may hold years.
    since = now - window_of(agent.settings.thresholds)
    batch = collectors.read_journal(source, cursor=agent.store.journal_cursor(key), since=since)
    found = collectors.collect_journal(source.kind, source.name or "journal", batch.records,
                                       thresholds=agent.settings.thresholds)
    if batch.cursor:
        cursors.append((key, batch.cursor))
    return found


def collect(agent: Agent, *, now: datetime | None = None, send: bool = False) -> CollectResult:
    """Read what is new in every configured log and act on what it shows."""
    now = now or datetime.now(timezone.utc)
    result = CollectResult()
    positions: list[tuple[str, int, int]] = []
    cursors: list[tuple[str, str]] = []
    observations: list[Observation] = []
    for source in agent.settings.collectors:
        try:
            if collectors.reads_journal(source):
                found, seen = _from_journal(agent, source, now, cursors)
            else:
                found, seen = _from_file(agent, source, now, positions)
        except CollectorError as exc:
            result.errors.append(str(exc))
            log.error("%s", exc)
            continue
        result.findings += found
        observations += seen
    if observations:
        sightings.record(agent, observations)
    if result.findings:
        result.explanations = drafts.explain(result.findings)
        content = drafts.draft(result.findings, tlp=agent.settings.default_tlp, now=now,
                               hostname=socket.gethostname())
        threshold = agent.settings.auto_send_score
        automatic = threshold > 0 and content.get("score", 0) >= threshold
        if send or automatic:
            queued = reporting.queue_report(agent, parse(content), source="collector", now=now)
            result.queued = queued["seq"]
            log.info("%s", say("agent.collecting.queued_log", count=len(result.findings),
                               seq=queued["seq"], score=content.get("score")))
        else:
            result.draft = _write_draft(agent.settings.drafts, content["incident"], content)
            log.warning("%s", say("agent.collecting.draft_log", count=len(result.findings),
                                  draft=result.draft))
        for line in result.explanations:
            log.info("%s", line)
    agent.store.set_log_positions(positions)
    agent.store.set_journal_cursors(cursors)
    if observations:
        result.sightings = sightings.check(agent, now=now)
    return result

"""What `cyberhub-agent answers` and `status` say about the analysts' answers to this town's
reports: plain data for `--json`, and the texts for people (catalog table `agent.answers`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cyberhub.agent.context import Agent
from cyberhub.agent.texts import say, stix_moment
from cyberhub.core import timestamps


def _moment(stamp: str, language: str) -> str:
    """A STIX time as the reader writes it, in German time."""
    parsed = timestamps.parse_stix(stamp)
    return stamp if parsed is None else stix_moment(parsed[0], language)


def _printable(line: str) -> str:
    """A line of text as a terminal shows it: no control sequences, whatever the text holds."""
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in line)


def listing(agent: Agent, *, unread_only: bool = False) -> list[dict[str, Any]]:
    """One entry per answer, the newest first: when, about which report, the text."""
    rows = []
    for answer in agent.store.answers(unread_only=unread_only):
        reported = agent.store.reported_incident(answer.incident_id)
        rows.append({
            "id": answer.id, "incident": answer.incident_id,
            "report": reported[0] if reported else None,
            "title": reported[1] if reported else None,
            "created": answer.created, "text": answer.content,
            "received": timestamps.stix_time(
                datetime.fromtimestamp(answer.received_at, timezone.utc)),
            "unread": answer.read_at is None})
    return rows


def render(rows: list[dict[str, Any]], language: str, *, unread_only: bool = False) -> str:
    """The answers as the command prints them."""
    if not rows:
        return say("agent.answers.none_unread" if unread_only else "agent.answers.none",
                   language)
    blocks = []
    for row in rows:
        report = (say("agent.answers.report", language, incident=row["report"],
                      title=row["title"])
                  if row["report"] else row["incident"])
        heading = say("agent.answers.heading", language, when=_moment(row["created"], language),
                      report=report,
                      new=say("agent.answers.new", language) if row["unread"] else "")
        text = "\n".join(f"  {_printable(line)}" for line in row["text"].splitlines())
        blocks.append(f"{heading}\n{text}")
    return "\n\n".join(blocks)


def status_line(counts: dict[str, int], language: str) -> str:
    """The line `cyberhub-agent status` prints about answers."""
    return (f"{say('agent.answers.status_label', language):<12} "
            + say("agent.answers.status", language, **counts))

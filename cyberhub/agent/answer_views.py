"""What `cyberhub-agent answers` and `status` say about the analysts' answers to this town's
reports: plain data for `--json`, and the German texts for people.

The agent's other texts are still English; the answers' texts are German and all kept in
`TEXTS` here, so that translating the agent finds them in one place."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cyberhub.agent.context import Agent
from cyberhub.core import timestamps

TEXTS = {
    "command_short": "Die Antworten der Leitstelle auf Ihre Meldungen.",
    "command": "Die Antworten der Leitstelle auf Ihre Meldungen, die neuesten zuerst. "
               "Angezeigte Antworten gelten danach als gelesen.",
    "unread_option": "Nur die noch nicht gelesenen Antworten zeigen.",
    "none": "Noch keine Antwort der Leitstelle.",
    "none_unread": "Keine ungelesene Antwort.",
    "heading": "{when}  Antwort zu Ihrer Meldung {report}{new}",
    "report": "„{key}“ ({title})",
    "unknown_report": "{incident}",
    "new": "  [neu]",
    "status_label": "Antworten",
    "status": "{unread} ungelesen, {total} insgesamt; `cyberhub-agent answers` zeigt sie",
}
_ZONE = "Europe/Berlin"


def _moment(stamp: str) -> str:
    """A STIX time as a German reader writes it, in German time (UTC if the machine has no
    time zone data)."""
    parsed = timestamps.parse_stix(stamp)
    if parsed is None:
        return stamp
    try:
        return parsed[0].astimezone(ZoneInfo(_ZONE)).strftime("%d.%m.%Y, %H:%M Uhr")
    except ZoneInfoNotFoundError:
        return parsed[0].astimezone(timezone.utc).strftime("%d.%m.%Y, %H:%M UTC")


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


def render(rows: list[dict[str, Any]], *, unread_only: bool = False) -> str:
    """The answers as the command prints them."""
    if not rows:
        return TEXTS["none_unread" if unread_only else "none"]
    blocks = []
    for row in rows:
        report = (TEXTS["report"].format(key=row["report"], title=row["title"])
                  if row["report"] else TEXTS["unknown_report"].format(incident=row["incident"]))
        heading = TEXTS["heading"].format(when=_moment(row["created"]), report=report,
                                          new=TEXTS["new"] if row["unread"] else "")
        text = "\n".join(f"  {_printable(line)}" for line in row["text"].splitlines())
        blocks.append(f"{heading}\n{text}")
    return "\n\n".join(blocks)


def status_line(counts: dict[str, int]) -> str:
    """The line `cyberhub-agent status` prints about answers."""
    return f"{TEXTS['status_label']:<12} " + TEXTS["status"].format(**counts)

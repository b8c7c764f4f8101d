"""The analysts' answers on the agent: fetched from the hub's `answers` collection with the
advisories' poll, kept only when the hub's key signed them, shown in German by
`cyberhub-agent answers`, counted as unread by `status`; another town never receives them.

In process for what the command shows; end to end (a real hub process, real agents) for
what travels."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cyberhub.agent.cli import main
from cyberhub.core import timestamps

from .conftest import EXAMPLE, PERSON_PASSWORD, wait_for

INCIDENT_KEY = "2026-11-phishing-buergerbuero"


@pytest.fixture
def run(local_agent):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(local_agent.settings.home),
                            "LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None,
                            "CYBERHUB_LANGUAGE": None})

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def _note(incident_id: str, content: str, created: str) -> dict:
    return {"type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
            "created": created, "modified": created, "content": content,
            "object_refs": [incident_id]}


def _keep(agent, note: dict) -> bool:
    with agent.store.write() as conn:
        return agent.store.add_answer(conn, note=note, received_at=time.time())


def test_answers_are_shown_in_german_then_count_as_read(run, local_agent):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    incident = local_agent.store.incident(INCIDENT_KEY).incident_id
    first = _note(incident, "Bitte Passwörter zurücksetzen.\nDanke.", "2026-12-05T09:30:00.000Z")
    assert _keep(local_agent, first) and not _keep(local_agent, first)  # kept once
    _keep(local_agent, _note("incident--00000000-0000-4000-8000-000000000000",
                             "Farbe \x1b[31mrot", "2026-12-04T08:00:00.000Z"))
    status = json.loads(run("status", "--json").output)
    assert status["answers"] == {"total": 2, "unread": 2}
    assert "Antworten    2 ungelesen, 2 insgesamt" in run("status").output

    shown = run("answers").output
    assert shown.index("05.12.2026, 10:30 Uhr") < shown.index("04.12.2026, 09:00 Uhr")
    assert (f"Antwort zu Ihrer Meldung „{INCIDENT_KEY}“ (Phishing-Welle gegen das Bürgerbüro)"
            "  [neu]") in shown
    assert "  Bitte Passwörter zurücksetzen.\n  Danke." in shown
    # A report not made from here is named by its id; no control sequence reaches the screen.
    assert "Meldung incident--00000000-0000-4000-8000-000000000000" in shown
    assert "\x1b" not in shown and "Farbe \ufffd[31mrot" in shown

    assert json.loads(run("status", "--json").output)["answers"]["unread"] == 0
    assert "[neu]" not in run("answers").output
    assert run("answers", "--unread").output.strip() == "Keine ungelesene Antwort."
    listed = json.loads(run("answers", "--json").output)
    assert [(a["report"], a["unread"]) for a in listed] == [(INCIDENT_KEY, False), (None, False)]


def test_no_answers_yet(run):
    assert run("answers").output.strip() == "Noch keine Antwort der Leitstelle."
    assert "Antworten" not in run("status").output


def _last_contact(agent) -> float:
    with sqlite3.connect(agent.home / "agent.db") as conn:
        row = conn.execute("SELECT value FROM settings WHERE key = 'last_contact'").fetchone()
    return json.loads(row[0]) if row else 0.0


def _polled_twice_since(agent, moment: float) -> None:
    """Wait until a poll started after `moment` has finished (the next one has started)."""
    started = wait_for(lambda: _last_contact(agent) > moment and _last_contact(agent),
                       what="a poll")
    wait_for(lambda: _last_contact(agent) > started, what="the following poll")


def _incident_of(hub_process, agent) -> str:
    identity = agent.json("status")["identity"]
    return next(o["id"] for o in hub_process.objects("reports", type="incident")
                if o["created_by_ref"] == identity)


def test_an_answer_reaches_its_town_only_and_a_tampered_one_is_refused(
        hub_process, make_agent, db):
    aue, brilon = make_agent("aue", poll_interval=1), make_agent("brilon", poll_interval=1)
    for agent in (aue, brilon):
        assert agent.json("report", str(EXAMPLE))["state"] == "delivered"
    hub_process.cli("accounts", "add", "anna", "--role", "analyst", "--password-stdin",
                    input=PERSON_PASSWORD + "\n")
    incident = _incident_of(hub_process, aue)
    forged = hub_process.cli("reports", "answer", incident, "--text", "Originaltext",
                             as_person="anna")
    assert forged["town"] == "aue"
    # Someone with access to the hub's database (or the wire) changes what the note says.
    with db.engine.begin() as connection:
        changed = connection.execute(text(
            "UPDATE objects SET body = replace(body, 'Originaltext', 'Gefälscht') "
            "WHERE type = 'note'")).rowcount
    assert changed == 1
    sent = hub_process.cli("reports", "answer", incident, "--text",
                           "Bitte setzen Sie die Passwörter zurück.", as_person="anna")
    answered = time.time()

    for agent in (aue, brilon):
        agent.start()
    wait_for(lambda: agent_unread(aue) >= 1, what="the answer at Aue")
    _polled_twice_since(aue, answered)
    _polled_twice_since(brilon, answered)
    listed = aue.json("answers")
    assert [(a["id"], a["report"], a["text"]) for a in listed] == [
        (sent["id"], INCIDENT_KEY, "Bitte setzen Sie die Passwörter zurück.")]
    assert "Antwort-Inhalt" in aue.daemon_log() and "hash-mismatch" in aue.daemon_log()
    assert brilon.json("answers") == []
    assert "Antwort-Inhalt" not in brilon.daemon_log()
    history = hub_process.cli("reports", "answers", incident)
    assert [a["author"] for a in history] == ["anna", "anna"]


def agent_unread(agent) -> int:
    return agent.json("status")["answers"]["unread"]


def test_an_agent_of_a_hub_without_answers_polls_advisories_as_before(
        hub_process, make_agent, db):
    """A hub that has not run `cyberhub init` since answers came: no collection, no error."""
    agent = make_agent("coburg", poll_interval=1)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM collections WHERE alias = 'answers'"))
    moment = timestamps.now_us() / 1_000_000
    agent.start()
    _polled_twice_since(agent, moment)
    assert not [line for line in agent.daemon_log().splitlines()
                if " WARNING " in line or " ERROR " in line]
    assert agent.json("status")["answers"] == {"total": 0, "unread": 0}

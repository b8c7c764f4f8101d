"""The `cyberhub-agent` command in process: interactive reporting, queue and status output,
removing a queued report, the reporting clocks in `status`, and one-line errors for every
mistake, in German (the language of these tests; `test_messages` has the English)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
import yaml
from click.testing import CliRunner

from cyberhub.agent import reporting, sender
from cyberhub.agent.cli import main
from cyberhub.agent.description import load

from .conftest import EXAMPLE

GERMAN = {"LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "CYBERHUB_LANGUAGE": None}


@pytest.fixture
def run(local_agent):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(local_agent.settings.home), **GERMAN})

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_interactive_report_asks_saves_and_queues(run, local_agent):
    answers = "\n".join([
        "Verdächtige Mails mit Rechnungen",  # what happened
        "1",                                 # phishing
        "2026-11-20 07:15",                  # when
        "y",                                 # certainly an attack
        "high",
        "203.0.113.9, 2001:db8::9",          # addresses
        "rechnung.example, https://rechnung.example/x",
        "",                                  # hashes
        "buchhaltung@rechnung.example",
        "Drei Kolleginnen haben die Mail bekommen.",
        "green",
    ]) + "\n"
    result = run("report", "--interactive", "--no-send", input=answers)
    assert result.exit_code == 0, result.output
    assert "Meldung zu Vorfall" in result.output and "TLP:GREEN" in result.output
    saved = next((local_agent.settings.home / "reports").glob("*.yaml"))
    data = yaml.safe_load(saved.read_text())
    assert data["types"] == ["dissemination-phishing-emails"]
    assert data["observables"] == {"ipv4": ["203.0.113.9"], "ipv6": ["2001:db8::9"],
                                   "domains": ["rechnung.example"],
                                   "urls": ["https://rechnung.example/x"],
                                   "email_addresses": ["buchhaltung@rechnung.example"]}
    queued = json.loads(run("queue", "--json").output)
    assert [(q["state"], q["source"], q["stage"]) for q in queued] == [
        ("queued", "interactive", "early-warning")]
    # The saved answers are an ordinary description: the next stage is that file edited.
    saved.write_text(saved.read_text().replace("stage: early-warning", "stage: notification"))
    assert run("report", "--no-send", str(saved)).exit_code == 0
    assert len(json.loads(run("queue", "--json").output)) == 2


def test_status_shows_queue_key_and_contact(run, local_agent):
    done = run("report", "--no-send", str(EXAMPLE))
    assert done.exit_code == 0
    assert done.output.startswith("Meldung zu Vorfall 2026-11-phishing-buergerbuero "
                                  "(Frühwarnung, TLP:AMBER, ")
    status = json.loads(run("status", "--json").output)
    assert status["node"] == "lokal" and status["queue"]["queued"] == 1
    assert status["key_id"] == local_agent.kid()
    human = run("status").output
    assert "Meldungen    1 wartend (die älteste seit " in human and local_agent.kid() in human
    assert "letzter Kontakt noch nie" in human
    listed = run("queue").output
    assert "   1  wartet        2026-11-phishing-buergerbuero (Frühwarnung): " in listed


@pytest.mark.parametrize("args, message", [
    (("report",), "Fehler: Bitte eine Beschreibungsdatei DATEI oder --interactive angeben"),
    (("report", "nowhere.yaml"), "Fehler: nowhere.yaml: "),
    (("advisories", "show", "report--nothing"),
     "Fehler: Keine Sicherheitswarnung 'report--nothing'"),
    (("enroll", "--hub", "http://127.0.0.1:9", "--token", "x"),
     "Fehler: Dieser Agent ist bereits als 'lokal' bei http://127.0.0.1:9/ angemeldet"),
    (("collect",), "Fehler: Es sind keine Sammler eingerichtet"),
    (("queue", "remove", "7", "--yes"), "Fehler: Es gibt keine Meldung 7"),
])
def test_mistakes_are_one_line_errors(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_send_with_the_hub_unreachable_keeps_the_report(run):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    result = run("send")
    assert result.exit_code == 1
    assert result.output.startswith("Fehler: Nichts gesendet: Der Hub ist nicht erreichbar; "
                                    "1 Meldung(en) bleiben in der Warteschlange")
    assert json.loads(run("queue", "--json").output)[0]["attempts"] == 1
    assert "letztes Problem: Der Hub ist nicht erreichbar" in run("queue").output


def test_enrolling_against_plain_http_elsewhere_is_refused(tmp_path):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(tmp_path / "fresh"), **GERMAN})
    result = runner.invoke(main, ["enroll", "--hub", "http://hub.example.org", "--token", "t"])
    assert result.exit_code == 1
    assert "plain http" in result.output and result.output.startswith("Fehler: ")
    assert not (tmp_path / "fresh" / "node_key.pem").exists()


def test_bad_settings_are_named(tmp_path):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(tmp_path), "CYBERHUB_AGENT_POLL": "5",
                            **GERMAN})
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1
    assert result.output == ("Fehler: Unbekannte Einstellung in der Umgebung: "
                             "CYBERHUB_AGENT_POLL\n")


def test_a_yaml_bomb_is_a_one_line_error_and_queues_nothing(run, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    levels = "".join(f"{n}: &{n} [{', '.join(['*' + p] * 8)}]\n"
                     for p, n in zip("abcdefgh", "bcdefghi"))
    bomb.write_text("incident: x\ntitle: x\na: &a [lol, lol, lol, lol, lol, lol, lol, lol]\n"
                    + levels)
    result = run("report", "--no-send", str(bomb))
    assert result.exit_code == 1
    assert result.output.startswith(f"Fehler: {bomb}: ")
    assert len(result.output.strip().splitlines()) == 1
    assert json.loads(run("queue", "--json").output) == []


# --- removing a queued report ---------------------------------------------------------------

def _stage(path, stage: str, target):
    target.write_text(path.read_text(encoding="utf-8").replace(
        "stage: early-warning", f"stage: {stage}"), encoding="utf-8")
    return target


def test_remove_asks_then_removes_and_the_incident_falls_back(run, local_agent, tmp_path):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    second = _stage(EXAMPLE, "notification", tmp_path / "stage2.yaml")
    assert run("report", "--no-send", str(second)).exit_code == 0
    key = "2026-11-phishing-buergerbuero"
    assert local_agent.store.incident(key).stage == "notification"

    answered_no = run("queue", "remove", "2", input="n\n")
    assert answered_no.exit_code == 1
    assert "Meldung 2 (2026-11-phishing-buergerbuero, Meldung: " in answered_no.output
    assert "Fehler: Nichts entfernt; Meldung 2 bleibt in der Warteschlange" in answered_no.output
    assert len(json.loads(run("queue", "--json").output)) == 2

    done = run("queue", "remove", "2", input="ja\n")
    assert done.exit_code == 0, done.output
    assert "Meldung 2 (Vorfall 2026-11-phishing-buergerbuero, Meldung) aus der Warteschlange " \
        "entfernt" in done.output
    assert [q["seq"] for q in json.loads(run("queue", "--json").output)] == [1]
    # The incident is back at its early warning, and the removed content is no repetition.
    assert local_agent.store.incident(key).stage == "early-warning"
    assert run("report", "--no-send", str(second)).exit_code == 0
    (at, seq, incident, stage, title), = local_agent.store.removals()
    assert (seq, incident, stage) == (2, key, "notification") and at <= time.time()


def test_removing_the_only_report_forgets_the_incident(run, local_agent):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    removed = json.loads(run("queue", "remove", "1", "--yes", "--json").output)
    assert removed["removed"] == 1 and removed["stage"] == "early-warning"
    assert local_agent.store.incident("2026-11-phishing-buergerbuero") is None
    again = json.loads(run("report", "--no-send", "--json", str(EXAMPLE)).output)
    assert again["new_version"] is False and again["seq"] == 2


def test_the_same_report_twice_is_a_german_one_line_error(run, local_agent):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    again = run("report", "--no-send", str(EXAMPLE))
    assert again.exit_code == 1
    assert again.output == ("Fehler: Vorfall '2026-11-phishing-buergerbuero' wurde schon mit "
                            "genau diesem Inhalt gemeldet (Frühwarnung); für eine neue Version "
                            "die Meldestufe oder den Inhalt ändern\n")
    assert local_agent.store.counts()["queued"] == 1


def test_delivered_refused_and_sending_reports_stay(run, local_agent):
    for _ in range(3):
        description = load(EXAMPLE)
        description.title += f" {_}"
        reporting.queue_report(local_agent, description, source="file")
    with local_agent.store.write() as conn:
        local_agent.store.mark_delivered(conn, 1, at=time.time())
        local_agent.store.mark_refused(conn, 2, error="invalid-stix: kaputt")
    delivered = run("queue", "remove", "1", "--yes")
    assert delivered.exit_code == 1 and "ist schon beim Hub" in delivered.output
    refused = run("queue", "remove", "2", "--yes")
    assert refused.exit_code == 1 and "hat der Hub abgelehnt" in refused.output
    # While another process sends the queue, nothing is taken out from under it.
    with local_agent.store.sending():
        with pytest.raises(Exception, match="wird gerade gesendet"):
            sender.remove(local_agent, 3, wait=0.2)
    assert local_agent.store.report_state(3) == "queued"
    assert local_agent.store.removals() == []


# --- the reporting clocks in `status` ------------------------------------------------------

def test_status_shows_the_deadlines_and_marks_overdue(run, local_agent):
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    clock, = json.loads(run("status", "--json").output)["reporting_clocks"]
    # The example was detected on 20.11.2026 at 07:15 (Berlin): the early warning is due a day
    # later, and it is still in the queue.
    overdue = datetime.now(timezone.utc) > datetime(2026, 11, 21, 6, 15, tzinfo=timezone.utc)
    assert clock == {"incident": "2026-11-phishing-buergerbuero", "stage": "early-warning",
                     "due": "2026-11-21T06:15:00+00:00", "overdue": overdue, "queued": True}
    said = ("Frühwarnung ÜBERFÄLLIG seit 21.11.2026, 07:15 Uhr" if overdue
            else "Frühwarnung fällig bis 21.11.2026, 07:15 Uhr")
    assert (f"Fristen      2026-11-phishing-buergerbuero: {said} (liegt in der Warteschlange)"
            in run("status").output)


# --- fetching advisories now -----------------------------------------------------------------

def test_advisories_fetch_polls_now_and_says_what_it_did(hub_process, make_agent, tmp_path):
    from .test_end_to_end import ATTACKER, _advisory

    agent = make_agent("eisenach")
    agent.env.update({"LANG": "C.UTF-8", "LC_ALL": "", "CYBERHUB_LANGUAGE": ""})
    assert agent.run("advisories", "fetch").stdout == "Nichts Neues vom Hub.\n"
    advisory_id = hub_process.publish_advisory(_advisory(ATTACKER), tmp_path)
    done = agent.run("advisories", "fetch")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"umgesetzt:      {advisory_id}  Warnung: Passwort-Angriffe auf "
                           "Kommunen\n")
    assert ATTACKER in (agent.home / "blocklists" / "ip-blocklist.txt").read_text()
    assert agent.json("advisories", "fetch")["applied"] == []

"""The `cyberhub-agent` command in process: interactive reporting, queue and status output,
and one-line errors for every mistake."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from cyberhub.agent.cli import main

from .conftest import EXAMPLE


@pytest.fixture
def run(local_agent):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(local_agent.settings.home)})

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
    assert "queued a report of incident" in result.output and "TLP:GREEN" in result.output
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
    assert run("report", "--no-send", str(EXAMPLE)).exit_code == 0
    status = json.loads(run("status", "--json").output)
    assert status["node"] == "lokal" and status["queue"]["queued"] == 1
    assert status["key_id"] == local_agent.kid()
    human = run("status").output
    assert "1 waiting" in human and local_agent.kid() in human


@pytest.mark.parametrize("args, message", [
    (("report",), "error: give a description FILE or --interactive (one of them)"),
    (("report", "nowhere.yaml"), "error: nowhere.yaml: no such file"),
    (("advisories", "show", "report--nothing"), "error: no advisory 'report--nothing'"),
    (("enroll", "--hub", "http://127.0.0.1:9", "--token", "x"),
     "error: this agent is already enrolled as 'lokal'"),
    (("collect",), "error: no collectors are configured"),
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
    assert result.output.startswith("error: nothing sent: the hub cannot be reached")
    assert json.loads(run("queue", "--json").output)[0]["attempts"] == 1


def test_enrolling_against_plain_http_elsewhere_is_refused(tmp_path):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(tmp_path / "fresh")})
    result = runner.invoke(main, ["enroll", "--hub", "http://hub.example.org", "--token", "t"])
    assert result.exit_code == 1
    assert "plain http" in result.output
    assert not (tmp_path / "fresh" / "node_key.pem").exists()


def test_bad_settings_are_named(tmp_path):
    runner = CliRunner(env={"CYBERHUB_AGENT_HOME": str(tmp_path), "CYBERHUB_AGENT_POLL": "5"})
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1
    assert result.output == "error: unknown setting in environment: CYBERHUB_AGENT_POLL\n"


def test_a_yaml_bomb_is_a_one_line_error_and_queues_nothing(run, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    levels = "".join(f"{n}: &{n} [{', '.join(['*' + p] * 8)}]\n"
                     for p, n in zip("abcdefgh", "bcdefghi"))
    bomb.write_text("incident: x\ntitle: x\na: &a [lol, lol, lol, lol, lol, lol, lol, lol]\n"
                    + levels)
    result = run("report", "--no-send", str(bomb))
    assert result.exit_code == 1
    assert result.output == (f"error: {bomb}: not valid YAML (line 4): aliases (*name) are not "
                             "allowed\n")
    assert json.loads(run("queue", "--json").output) == []

"""The agent's side of the one catalog: every key the agent's modules use is there, every value
the agent turns into a key has its text, and the command speaks German unless asked for English
(its output, its errors, its help)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import cyberhub.agent
from cyberhub.agent.cli import main
from cyberhub.agent.collectors import drafts
from cyberhub.core import messages, stix

SOURCES = Path(cyberhub.agent.__file__).parent
# A key written out whole, in double or single quotes; keys built with f-strings are the
# vocabularies checked below.
USED = re.compile(r"""["'](agent\.[a-z_]+\.[A-Za-z0-9_-]+)["']""")


def test_every_key_the_agent_uses_is_in_the_catalog():
    used = set()
    for path in SOURCES.rglob("*.py"):
        used |= set(USED.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100, "few keys found: the pattern is wrong"
    assert used - set(messages.catalog()) == set()


def test_keys_built_from_values_cover_every_value():
    catalog = set(messages.catalog())
    # The stages a report can have: the NIS2 ones, an update between them, a sighting.
    wanted = ({f"agent.stage.{s}" for s in [*stix.STAGES, "update", "sighting"]}
              | {f"agent.state.{s}" for s in ("queued", "delivered", "refused")}
              | {f"agent.advisory_state.{s}" for s in ("applied", "withdrawn", "superseded")}
              | {f"agent.sender.not_removable_{s}" for s in ("delivered", "refused")}
              | {f"agent.drafts.{part}_{kind.replace('-', '_')}" for kind in drafts.KINDS
                 for part in ("label", "title")}
              | {f"severity.{s}" for s in ("low", "medium", "high", "critical")})
    assert wanted - catalog == set()


def _agent_run(home: Path, *args: str, language: str):
    env = {"CYBERHUB_AGENT_HOME": str(home), "LANG": language, "LC_ALL": "",
           "LC_MESSAGES": "", "CYBERHUB_LANGUAGE": ""}
    return CliRunner(env=env).invoke(main, list(args))


def test_german_by_default_and_english_when_the_locale_asks(tmp_path):
    german = _agent_run(tmp_path, "status", language="C.UTF-8")
    assert german.exit_code == 0
    assert german.output.startswith("Noch nicht angemeldet (Daten in ")
    english = _agent_run(tmp_path, "status", language="en_US.UTF-8")
    assert english.output.startswith("not enrolled yet (data in ")
    # --json stays the same in both: it is for programs.
    assert (_agent_run(tmp_path, "status", "--json", language="C.UTF-8").output
            == _agent_run(tmp_path, "status", "--json", language="en_US.UTF-8").output)


def test_errors_are_one_line_in_the_readers_language(tmp_path):
    german = _agent_run(tmp_path, "send", language="de_DE.UTF-8")
    assert german.exit_code == 1
    assert german.output == ("Fehler: Dieser Agent ist noch nicht angemeldet; `cyberhub-agent "
                             "enroll --hub URL --token TOKEN` mit dem Token der Leitstelle "
                             "ausführen\n")
    english = _agent_run(tmp_path, "send", language="en_US.UTF-8")
    assert english.output.startswith("error: this agent is not enrolled yet")


def test_usage_mistakes_are_german_too(tmp_path):
    missing = _agent_run(tmp_path, "enroll", "--token", "t", language="C.UTF-8")
    assert missing.exit_code == 2
    assert "Fehler: Die Angabe '--hub' fehlt." in missing.output
    assert "Hilfe: cyberhub-agent enroll --help" in missing.output
    unknown = _agent_run(tmp_path, "sende", language="C.UTF-8")
    assert unknown.exit_code == 2 and "Fehler: Unbekannter Befehl: sende" in unknown.output
    option = _agent_run(tmp_path, "status", "--jsn", language="C.UTF-8")
    assert "Fehler: Unbekannte Option: --jsn" in option.output


def _help(*args: str, language: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LC_ALL", "LC_MESSAGES", "CYBERHUB_LANGUAGE")}
    env["LANG"] = language
    done = subprocess.run([sys.executable, "-m", "cyberhub.agent", *args, "--help"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_in_german_and_in_english():
    """The help texts are fixed at import, so each language is its own process."""
    german = _help(language="C.UTF-8")
    assert german.startswith("Aufruf: cyberhub-agent [OPTIONEN] BEFEHL [ARGUMENTE]...")
    assert "Vorfälle an den Hub melden" in german and "Befehle:" in german
    assert "Diese Hilfe zeigen und beenden." in german
    english = _help("queue", "remove", language="en_US.UTF-8")
    assert english.startswith("Usage: cyberhub-agent queue remove [OPTIONS] NUMBER")
    assert "Remove waiting report NUMBER" in english and "Remove without asking." in english


def test_an_interrupted_question_ends_in_german_not_with_clicks_aborted(local_agent):
    env = {"CYBERHUB_AGENT_HOME": str(local_agent.settings.home), "LANG": "C.UTF-8",
           "LC_ALL": "", "LC_MESSAGES": "", "CYBERHUB_LANGUAGE": ""}
    done = CliRunner(env=env).invoke(main, ["report", "--interactive"], input="")
    assert done.exit_code == 1
    assert done.output.rstrip().endswith("Abgebrochen.")
    assert "Aborted!" not in done.output

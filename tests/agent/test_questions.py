"""`report --interactive`: every answer checked at its prompt with the description file's rules
(German and English values), asked again with the reason, saved at once in a draft that the next
session continues, and the draft gone once the report is queued."""

from __future__ import annotations

import stat
from datetime import datetime, timezone

import click
import pytest
import yaml
from click.testing import CliRunner

from cyberhub.agent import questions, reporting
from cyberhub.agent.context import open_agent
from cyberhub.agent.description import Description, DescriptionError, parse
from cyberhub.agent.node_settings import load_settings
from cyberhub.core import timestamps

from .local_time import berlin  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("berlin")

TITLE = "Verdächtige Mails mit Rechnungen"
# The answers in the order of the questions; a test replaces one to try it.
ANSWERS = {"title": TITLE, "kind": "1", "detected": "04.12.2026 08:30", "confirmed": "j",
           "criticality": "hoch", "addresses": "203.0.113.9", "names": "rechnung.example",
           "hashes": "", "senders": "", "summary": "", "tlp": "green"}


@pytest.fixture
def agent(tmp_path):
    """An agent not enrolled anywhere: enough for asking, not for queueing."""
    opened = open_agent(load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path / "a")}))
    yield opened
    opened.close()


def session(agent, *lines, queue=False, finish=True, language="de"):
    """One `report --interactive` as the CLI runs it: ask, queue, tell questions it is done
    (`finish=False`: a CLI that did not get to that)."""

    @click.command()
    def interactive():
        description, path = questions.ask(agent, language)
        if queue:
            reporting.queue_report(agent, description, source="interactive")
        if finish:
            questions.finished(agent)
        click.echo(f"detected={description.detected.isoformat()} file={path}")
        click.echo(f"description={description.model_dump_json()}")

    return CliRunner().invoke(interactive, [], input="".join(f"{line}\n" for line in lines),
                              catch_exceptions=False)


def answers(**changed):
    """The lines typed: a value, or a list of values typed one after the other."""
    lines = []
    for value in {**ANSWERS, **changed}.values():
        lines += value if isinstance(value, list) else [value]
    return lines


def described(result):
    line = next(ln for ln in result.output.splitlines() if ln.startswith("description="))
    return Description.model_validate_json(line.removeprefix("description="))


def test_a_wrong_date_is_asked_again_and_the_right_one_is_queued(local_agent):
    result = session(local_agent, *answers(detected=["31.02.2026 08:30", "04.12.2026 08:30"]),
                     queue=True)
    assert result.exit_code == 0, result.output
    assert ("Nicht übernommen: '31.02.2026 08:30' ist kein Zeitpunkt; so geht es: "
            "04.12.2026 08:30") in result.output
    assert "verstanden als 04.12.2026 08:30 CET" in result.output
    [queued] = local_agent.store.reports()
    observed = next(o for o in queued.objects if o["type"] == "observed-data")
    assert timestamps.parse_stix(observed["first_observed"])[0] == datetime(
        2026, 12, 4, 7, 30, tzinfo=timezone.utc)
    saved = yaml.safe_load(next((local_agent.settings.home / "reports").glob("*.yaml"))
                           .read_text())
    assert saved["detected"] == "2026-12-04T08:30:00+01:00"  # kept with its zone


def test_a_future_date_is_refused_with_the_reason(agent):
    result = session(agent, *answers(detected=["01.01.2099 10:00", "gestern 10:00"]))
    assert result.exit_code == 0, result.output
    assert "'01.01.2099 10:00' liegt in der Zukunft (01.01.2099 10:00 CET)" in result.output


def test_a_wrong_address_is_named_and_the_others_kept(agent):
    result = session(agent, *answers(addresses=["203.0.113.9, 300.1.2.3 2001:db8::9",
                                                "203.0.113.10"]))
    assert result.exit_code == 0, result.output
    assert "Nicht übernommen: '300.1.2.3' ist keine IP-Adresse (IPv4 oder IPv6)" in result.output
    assert "Übernommen: 203.0.113.9, 2001:db8::9" in result.output
    observables = described(result).observables
    assert observables.ipv4 == ["203.0.113.9", "203.0.113.10"]
    assert observables.ipv6 == ["2001:db8::9"]


def test_german_answers_are_taken(agent):
    result = session(agent, *answers(confirmed="j", criticality="hoch", tlp="grün"))
    assert result.exit_code == 0, result.output
    description = described(result)
    assert (description.determination, description.criticality, description.tlp) == (
        "confirmed", 70, "green")
    result = session(agent, *answers(confirmed=["vielleicht", "nein"], criticality="Kritisch"))
    assert "Nicht übernommen: 'vielleicht': bitte j (ja) oder n (nein)" in result.output
    assert (described(result).determination, described(result).criticality) == (
        "suspected", 95)


def test_observables_of_every_kind(agent):
    sha256, md5 = "A" * 64, "b" * 32
    result = session(agent, *answers(
        names="Bücher.Example, https://rechnung.example/x.zip",
        hashes=[f"{sha256} 12345", md5], senders="Buchhaltung@Rechnung.example"))
    assert result.exit_code == 0, result.output
    assert "'12345' ist kein Datei-Hash" in result.output
    observables = described(result).observables
    assert observables.domains == ["xn--bcher-kva.example"]
    assert observables.urls == ["https://rechnung.example/x.zip"]
    assert [f.hashes() for f in observables.files] == [{"SHA-256": "a" * 64}, {"MD5": md5}]
    assert observables.email_addresses == ["buchhaltung@rechnung.example"]


def test_english_when_the_locale_says_so(agent):
    result = session(agent, *answers(addresses=["300.1.2.3", ""], confirmed="yes",
                                     criticality="high"), language="en")
    assert result.exit_code == 0, result.output
    assert "What happened, in one sentence?" in result.output
    assert "Not taken: '300.1.2.3' is not an IP address (IPv4 or IPv6)" in result.output
    assert "Was ist passiert" not in result.output


def test_german_by_default_from_the_environment(agent, monkeypatch):
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "en")
    result = session(agent, *answers(), language=None)
    assert "What happened, in one sentence?" in result.output
    monkeypatch.delenv("CYBERHUB_LANGUAGE")
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = session(agent, *answers(), language=None)
    assert "Was ist passiert, in einem Satz?" in result.output


def test_an_interrupted_session_is_continued_and_its_draft_removed_once_queued(local_agent):
    draft = questions.draft_path(local_agent)
    first = session(local_agent, *answers()[:3], queue=True)  # input ends: click aborts
    assert first.exit_code == 1
    assert "Unterbrochen. Die bisherigen Antworten sind gespeichert" in first.output
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert stat.S_IMODE(draft.parent.stat().st_mode) == 0o700
    saved = yaml.safe_load(draft.read_text())
    assert saved["answers"] == {"title": TITLE, "kind": "dissemination-phishing-emails",
                                "detected": "2026-12-04T08:30:00+01:00"}

    second = session(local_agent, "j", *answers()[3:], queue=True)
    assert second.exit_code == 0, second.output
    assert "Es gibt einen angefangenen Bericht vom" in second.output
    assert "(3 von 11 Fragen beantwortet). Fortsetzen? [J/n]" in second.output
    for asked_before in ("Was ist passiert", "Welche Art", "Wann bemerkt"):
        assert asked_before not in second.output
    [queued] = local_agent.store.reports()
    assert queued.title == TITLE
    assert not draft.exists()
    # The next report starts afresh.
    third = session(local_agent, *answers(title="Noch ein Vorfall"))
    assert "angefangenen Bericht" not in third.output and "Was ist passiert" in third.output


def test_half_a_list_is_kept_in_the_draft(agent):
    lines = answers()
    cut = lines.index("203.0.113.9")
    first = session(agent, *lines[:cut], "203.0.113.9, 300.1.2.3")
    assert first.exit_code == 1
    assert yaml.safe_load(questions.draft_path(agent).read_text())["partial"] == {
        "addresses": ["203.0.113.9"]}
    second = session(agent, "", "203.0.113.10", *lines[cut + 1:])  # Enter continues
    assert second.exit_code == 0, second.output
    assert "Übernommen: 203.0.113.9" in second.output
    assert described(second).observables.ipv4 == ["203.0.113.9", "203.0.113.10"]


def test_a_draft_can_be_discarded(agent):
    session(agent, *answers()[:2])
    result = session(agent, "n", *answers(title="Anderer Vorfall"))
    assert result.exit_code == 0, result.output
    assert "Der angefangene Bericht ist verworfen" in result.output
    assert described(result).title == "Anderer Vorfall"


def test_a_draft_whose_report_was_queued_is_dropped(local_agent):
    """The CLI queued the report but did not get to remove the draft."""
    session(local_agent, *answers(), finish=False)
    description = parse(yaml.safe_load(next(
        (local_agent.settings.home / "reports").glob("*.yaml")).read_text()))
    reporting.queue_report(local_agent, description, source="interactive")
    result = session(local_agent, *answers(title="Der nächste Vorfall"))
    assert "angefangenen Bericht" not in result.output
    assert described(result).title == "Der nächste Vorfall"


def test_an_edited_draft_is_checked_again(agent):
    session(agent, *answers()[:4])
    draft = questions.draft_path(agent)
    saved = yaml.safe_load(draft.read_text())
    saved["answers"]["detected"] = "morgen früh"
    draft.write_text(yaml.safe_dump(saved))
    result = session(agent, "j", "04.12.2026 09:00", *answers()[4:])
    assert result.exit_code == 0, result.output
    assert ("Die gespeicherte Antwort auf „Wann bemerkt?" in result.output
            and "'morgen früh' ist kein Zeitpunkt" in result.output)
    assert described(result).detected == datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
    assert "Was ist passiert" not in result.output


def test_an_unreadable_draft_is_replaced(agent):
    draft = questions.draft_path(agent)
    draft.parent.mkdir(parents=True)
    draft.write_text("answers: [unclosed\n")
    result = session(agent, *answers())
    assert result.exit_code == 0, result.output
    assert "ist nicht lesbar und wird ersetzt" in result.output


def test_the_saved_report_is_private_and_a_description(agent):
    result = session(agent, *answers())
    path = next((agent.settings.home / "reports").glob("*.yaml"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("# Geschrieben von `cyberhub-agent report --interactive`")
    assert parse(yaml.safe_load(text)) == described(result)


# The file and the prompt take the same values: (question, typed, file field, file value).
SAME = [
    ("criticality", "hoch", "criticality", "hoch"),
    ("criticality", "High", "criticality", "High"),
    ("criticality", "kritisch", "kritikalität", "kritisch"),
    ("criticality", "55", "criticality", 55),
    ("tlp", "TLP:AMBER", "tlp", "TLP:AMBER"),
    ("tlp", "amber+strict", "tlp", "amber+strict"),
    ("tlp", "grün", "tlp", "grün"),
    ("detected", "04.12.2026 08:30", "detected", "04.12.2026 08:30"),
    ("detected", "4.12.2026 8:30", "erkannt", "4.12.2026 8:30"),
    ("detected", "04.12.2026", "detected", "04.12.2026"),
    ("detected", "2026-12-04 08:30", "detected", "2026-12-04 08:30"),
    ("detected", "2026-12-04T08:30:00Z", "detected", "2026-12-04T08:30:00Z"),
    ("detected", "20.07.2026 08:30 Uhr", "detected", "20.07.2026 08:30 Uhr"),
]


@pytest.mark.parametrize("question, typed, field, value", SAME)
def test_file_and_prompt_take_the_same_values(agent, question, typed, field, value):
    asked = described(session(agent, *answers(**{question: typed})))
    attribute = {"kritikalität": "criticality", "erkannt": "detected"}.get(field, field)
    from_file = parse({"incident": "a", "title": "x", field: value})
    assert getattr(asked, attribute) == getattr(from_file, attribute)


# ... and refuse the same ones with the same reason: (question, typed, file data).
REFUSED = [
    ("detected", "31.02.2026 08:30", {"detected": "31.02.2026 08:30"}),
    ("detected", "morgen", {"erkannt": "morgen"}),
    ("detected", "01.01.2099", {"detected": "01.01.2099"}),
    ("criticality", "sehr schlimm", {"criticality": "sehr schlimm"}),
    ("tlp", "white", {"tlp": "white"}),
    ("addresses", "300.1.2.3", {"observables": {"ipv4": ["300.1.2.3"]}}),
    ("names", "nicht_gut", {"observables": {"domains": ["nicht_gut"]}}),
    ("senders", "kein-at-zeichen", {"observables": {"email_addresses": ["kein-at-zeichen"]}}),
]


@pytest.mark.parametrize("question, typed, data", REFUSED)
def test_file_and_prompt_refuse_the_same_values(agent, question, typed, data):
    retry = {"addresses": "", "names": "", "senders": ""}.get(question, ANSWERS[question])
    result = session(agent, *answers(**{question: [typed, retry]}))
    assert result.exit_code == 0, result.output
    with pytest.raises(DescriptionError) as caught:
        parse({"incident": "a", "title": "x", **data})
    reason = str(caught.value).split(": ", 1)[1]
    # The file names an IPv4 field, the prompt takes both kinds of address.
    reason = reason.replace("keine IPv4-Adresse", "keine IP-Adresse")
    assert f"Nicht übernommen: {reason}" in result.output

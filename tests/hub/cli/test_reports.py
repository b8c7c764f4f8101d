"""`cyberhub reports answer` and `reports answers`: the console's service from the command
line, as a person, with one-line errors that send nothing."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD

from cyberhub.cli import main
from cyberhub.core import timestamps
from cyberhub.hub import accounts
from hub.test_inbox import send, town_report


@pytest.fixture
def incident(db, client, make_town, collection_ids):
    with db.writing() as session:
        accounts.create_account(session, "anna", PASSWORD, now=timestamps.now_us(),
                                role="analyst")
    aue = make_town("aue", "SN")
    return send(client, aue, collection_ids["reports"], town_report(aue))


def _as(runner, *args, password=PASSWORD, input=None):
    return runner.invoke(main, [*args, "--as", "anna", "--json"],
                         env={"CYBERHUB_PASSWORD": password}, input=input)


def test_answer_with_text_or_from_a_file_and_list_them(runner, incident, tmp_path):
    sent = _as(runner, "reports", "answer", incident, "--text", "Danke für die Meldung.")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["town"] == "aue"
    letter = tmp_path / "antwort.txt"
    letter.write_text("Zweite Zeile folgt.\nHier.\n", encoding="utf-8")
    assert _as(runner, "reports", "answer", incident, "--file", str(letter)).exit_code == 0
    listed = json.loads(runner.invoke(main, ["reports", "answers", incident, "--json"]).output)
    assert [(a["author"], a["text"]) for a in listed] == [
        ("anna", "Danke für die Meldung."), ("anna", "Zweite Zeile folgt.\nHier.")]
    human = runner.invoke(main, ["reports", "answers", incident]).output
    assert "anna to aue:\n  Zweite Zeile folgt.\n  Hier." in human


@pytest.mark.parametrize("args, message", [
    (("--text", ""), "error: answer: the answer is empty"),
    (("--text", "x" * 5001), "error: answer: the answer has 5001 characters; at most 5000"),
    (("--text", "a\x1bb"), "error: answer: the answer contains a control character"),
    ((), "error: give the answer with --text TEXT or --file PATH (one of them)"),
])
def test_mistakes_are_one_line_errors_and_send_nothing(runner, incident, args, message):
    refused = _as(runner, "reports", "answer", incident, *args)
    assert refused.exit_code == 1 and refused.output.strip().startswith(message)
    assert json.loads(runner.invoke(main, ["reports", "answers", incident, "--json"]
                                    ).output) == []


def test_an_unknown_report_or_a_wrong_password(runner, incident):
    unknown = _as(runner, "reports", "answer", "incident--nothing", "--text", "Hallo")
    assert unknown.exit_code == 1 and "no town report" in unknown.output
    wrong = _as(runner, "reports", "answer", incident, "--text", "Hallo", password="falsch")
    assert wrong.exit_code == 1 and "wrong password" in wrong.output

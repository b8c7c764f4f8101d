"""Answering a town from the report page: the form, the answers sent (as text), a refused
text back in the form with its reason and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cyberhub.core import messages
from cyberhub.hub import answers, audit
from cyberhub.hub.storage.models import StoredObject, TownAnswer
from hub.test_inbox import send, town_report

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def reported(client, make_town, collection_ids, person, console):
    """Aue reported an incident; anna, an analyst, is signed in."""
    aue = make_town("aue", "SN")
    incident = send(client, aue, collection_ids["reports"], town_report(aue, name="Phishing"))
    person("anna")
    console.login("anna")
    return incident


def _count(db, model, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_report_page_offers_the_answer_form(console, reported):
    page = console.get(f"/console/reports/{reported}")
    assert page.status_code == 200
    assert '<h2 id="answers-heading">Antwort an die Kommune</h2>' in page.text
    assert "Noch keine Antwort gesendet." in page.text
    assert '<label for="a-text">Ihre Antwort</label>' in page.text
    assert 'name="answer"' in page.text and 'maxlength="5000"' in page.text
    assert 'aria-describedby="answer-hint"' in page.text
    assert f'action="/console/reports/{reported}/answers"' in page.text


def test_an_answer_is_sent_and_listed_as_text(console, reported, db, collection_ids):
    path = f"/console/reports/{reported}"
    sent = console.post(f"{path}/answers", {"answer": f"Bitte prüfen {SCRIPT}\r\nDanke"},
                        form_page=path)
    assert sent.status_code == 302 and sent.headers["Location"].startswith(path)
    page = console.get(path).text
    assert "Gesendete Antworten" in page and "anna," in page
    assert "Bitte prüfen &lt;script&gt;" in page and SCRIPT not in page
    with db.session() as session:
        [row] = answers.listing(session, reported)
        assert row["text"] == f"Bitte prüfen {SCRIPT}\nDanke" and row["town"] == "aue"
        assert [e["action"] for e in audit.entries(session, reported[:100])] == \
            ["report.answer"]
    assert _count(db, StoredObject, StoredObject.collection_id == collection_ids["answers"],
                  StoredObject.type == "note") == 1


@pytest.mark.parametrize("text, reason", [
    ("   ", "empty"), ("x" * (answers.MAX_TEXT + 1), "too-long"),
    ("mit\x00NUL", "characters"), ("\x1b[2J", "characters"),
])
def test_a_refused_answer_comes_back_marked_and_nothing_is_stored(
        console, reported, db, collection_ids, text, reason):
    path = f"/console/reports/{reported}"
    before = _count(db, StoredObject, StoredObject.collection_id == collection_ids["answers"])
    refused = console.post(f"{path}/answers", {"answer": text}, form_page=path)
    assert refused.status_code == 400
    assert 'aria-invalid="true" aria-describedby="answer-error answer-hint"' in refused.text
    message = messages.text(f"report_answers.error.{reason}")
    assert f'<span class="error" id="answer-error" role="alert">{message}</span>' in \
        refused.text
    assert "\x00" not in refused.text
    assert _count(db, TownAnswer) == 0
    assert _count(db, StoredObject,
                  StoredObject.collection_id == collection_ids["answers"]) == before


def test_a_refused_answer_keeps_what_was_typed(console, reported):
    path = f"/console/reports/{reported}"
    text = "y" * (answers.MAX_TEXT + 1)
    refused = console.post(f"{path}/answers", {"answer": text}, form_page=path)
    assert f">{text}</textarea>" in refused.text


def test_every_refusal_has_a_text_in_both_languages():
    for reason in answers.REASONS:
        for language in messages.LANGUAGES:
            assert messages.text(f"report_answers.error.{reason}", language)


def test_no_answer_without_the_csrf_token_or_to_an_unknown_report(console, reported, db):
    path = f"/console/reports/{reported}"
    assert console.client.post(f"{path}/answers", data={"answer": "Hallo"}).status_code == 400
    unknown = "/console/reports/incident--00000000-0000-4000-8000-000000000000"
    assert console.post(f"{unknown}/answers", {"answer": "Hallo"},
                        form_page=path).status_code == 404
    assert console.post("/console/reports/incident--%00/answers", {"answer": "Hallo"},
                        form_page=path).status_code == 404
    assert console.get("/console/reports/incident--%00").status_code == 404
    assert _count(db, TownAnswer) == 0


def test_the_form_in_english(console, reported):
    path = f"/console/reports/{reported}"
    console.post("/console/language", {"lang": "en", "next": path}, form_page=path)
    page = console.get(path).text
    assert "Answer to the town" in page and "Send answer" in page
    refused = console.post(f"{path}/answers", {"answer": ""}, form_page=path)
    assert "The answer is empty." in refused.text


def test_a_town_cannot_answer(reported, make_town, app, db):
    from hub.console.conftest import Console

    town = make_town("dessau", "ST")
    visitor = Console(app)
    visitor.login(town.enrollment["username"], town.enrollment["password"])
    # With a valid CSRF token (from the login page), the admission check still sends it away.
    refused = visitor.post(f"/console/reports/{reported}/answers", {"answer": "Hallo"},
                           form_page="/console/login")
    assert refused.status_code == 302 and "/console/login" in refused.headers["Location"]
    assert _count(db, TownAnswer) == 0

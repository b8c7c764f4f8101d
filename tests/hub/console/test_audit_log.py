"""Protokoll in the console: every person with a role reads the audit log, newest first,
filtered and paged; bad filters come back marked; stored text is shown as text."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cyberhub.hub import audit

SCRIPT = "<script>alert('x')</script>"


def _us(*parts) -> int:
    return int(datetime(*parts, tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1_000_000)


@pytest.fixture
def logged(db, person, console):
    """A few entries, one with HTML in its subject and detail; anna, an analyst, signed in."""
    with db.writing() as session:
        audit.record(session, actor="bert", action="advisory.draft", subject="advisory--1",
                     now=_us(2026, 12, 4, 10, 0), title=SCRIPT)
        audit.record(session, actor="cli", action="account.created", subject=SCRIPT,
                     now=_us(2026, 12, 5, 10, 0), role="analyst", read=["reports"])
    person("anna")
    console.login("anna")
    return console


def test_an_analyst_reads_the_log_newest_first_with_html_as_text(logged):
    page = logged.get("/console/audit")
    assert page.status_code == 200 and "<h1>Protokoll</h1>" in page.text
    assert SCRIPT not in page.text
    assert "title: &lt;script&gt;" in page.text and "&lt;script&gt;alert" in page.text
    assert 'read: [&#34;reports&#34;]' in page.text
    # anna's own sign-in is the newest entry, bert's draft the oldest
    order = [page.text.index(action) for action in
             ("console.login", "account.created", "advisory.draft")]
    assert order == sorted(order)
    assert "04.12.2026, 10:00" in page.text


@pytest.mark.parametrize("query, shown, hidden", [
    ("actor=bert", "advisory.draft", "account.created"),
    ("action=account.", "account.created", "advisory.draft"),
    ("subject=ADVISORY", "advisory.draft", "account.created"),
    ("since=05.12.2026&until=05.12.2026", "account.created", "advisory.draft"),
    ("until=2026-12-04", "advisory.draft", "account.created"),
])
def test_filters_narrow_the_log(logged, query, shown, hidden):
    page = logged.get(f"/console/audit?{query}")
    assert page.status_code == 200 and shown in page.text and hidden not in page.text


def test_nothing_matching_says_so(logged):
    assert "Kein Eintrag passt" in logged.get("/console/audit?actor=nobody").text


@pytest.mark.parametrize("query, field", [
    ("since=31.02.2026", "since"), ("until=gestern", "until"),
    ("since=2026-12-06&until=2026-12-05", "until"), ("action=Account", "action"),
    ("actor=" + "x" * 101, "actor"), ("subject=%00", "subject"), ("after=abc", "after"),
    ("after=9999999999999999999", "after"),
])
def test_a_bad_filter_value_marks_its_field(logged, query, field):
    page = logged.get(f"/console/audit?{query}")
    assert page.status_code == 400 and f'id="{field}-error"' in page.text
    assert "Bitte prüfen Sie die markierten Felder" in page.text


def test_pages_follow_the_entry_ids_and_keep_the_filters(logged, db):
    with db.writing() as session:
        for n in range(audit.PAGE + 5):
            audit.record(session, actor="robot", action="report.note", subject=f"n-{n}",
                         now=_us(2026, 12, 6, 9, 0))
    first = logged.get("/console/audit?actor=robot").text
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "actor=robot" in following
    second = logged.get(following).text
    assert ">n-0<" in second and ">n-0<" not in first and ">n-54<" in first
    assert len(re.findall(r">n-\d+<", first)) == audit.PAGE
    assert len(re.findall(r">n-\d+<", second)) == 5 and 'rel="next"' not in second

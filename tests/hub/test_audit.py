"""The audit log's filters and pages, shared by the console's Protokoll page and `cyberhub
audit`: what a person types is checked field by field, days are German days, pages follow the
entry ids without gaps or repeats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cyberhub.hub import audit

BERLIN = ZoneInfo("Europe/Berlin")


def _us(*parts) -> int:
    return int(datetime(*parts, tzinfo=BERLIN).timestamp() * 1_000_000)


@pytest.fixture
def logged(db, initialised):
    """Entries by anna and bert on two days in December 2026 (German time)."""
    with db.writing() as session:
        audit.record(session, actor="anna", action="advisory.draft", subject="advisory--1",
                     now=_us(2026, 12, 4, 23, 59))
        audit.record(session, actor="bert", action="account.created", subject="Carla",
                     now=_us(2026, 12, 5, 0, 0), role="analyst")
        audit.record(session, actor="anna", action="advisory.approve", subject="advisory--1",
                     now=_us(2026, 12, 5, 23, 59))
        audit.record(session, actor="anna", action="account.disabled", subject="carla_x",
                     now=_us(2026, 12, 6, 0, 0))


def _actions(db, filters, **kw):
    with db.session() as session:
        rows, _ = audit.page(session, filters, **kw)
    return [row["action"] for row in rows]


def _parsed(**values):
    filters, errors = audit.parse(values)
    assert errors == {}
    return filters


def test_newest_first_and_every_filter_narrows(db, logged):
    assert _actions(db, audit.Filters()) == ["account.disabled", "advisory.approve",
                                             "account.created", "advisory.draft"]
    assert _actions(db, _parsed(actor="bert")) == ["account.created"]
    assert _actions(db, _parsed(action="advisory.")) == ["advisory.approve",
                                                         "advisory.draft"]
    # Subject text in any case; a % or _ is a character, not a wildcard.
    assert _actions(db, _parsed(subject="carla")) == ["account.disabled", "account.created"]
    assert _actions(db, _parsed(subject="a_x")) == ["account.disabled"]
    assert _actions(db, _parsed(subject="%")) == []
    assert _actions(db, _parsed(actor="anna", action="account.")) == ["account.disabled"]


@pytest.mark.parametrize("since, until", [("2026-12-05", "2026-12-05"),
                                          ("5.12.2026", "05.12.2026")])
def test_a_day_is_a_whole_german_day_in_either_notation(db, logged, since, until):
    assert _actions(db, _parsed(since=since, until=until)) == ["advisory.approve",
                                                               "account.created"]
    assert _actions(db, _parsed(until=until)) == ["advisory.approve", "account.created",
                                                  "advisory.draft"]
    assert _actions(db, _parsed(since=since)) == ["account.disabled", "advisory.approve",
                                                  "account.created"]


def test_the_days_around_the_clock_change_are_whole_days():
    summer_end = _parsed(since="25.10.2026", until="25.10.2026")
    assert summer_end.until - summer_end.since == 25 * 3_600_000_000


@pytest.mark.parametrize("values, errors", [
    ({"actor": "x" * 101}, {"actor": "bad-text"}),
    ({"subject": "a\x00b"}, {"subject": "bad-text"}),
    ({"action": "Advisory"}, {"action": "bad-action"}),
    ({"action": "a%"}, {"action": "bad-action"}),
    ({"since": "05.12.26"}, {"since": "bad-date"}),
    ({"since": "2026-02-30"}, {"since": "bad-date"}),
    ({"until": "31.12.9999"}, {"until": "bad-date"}),
    ({"since": "2026-12-06", "until": "2026-12-05"}, {"until": "before-since"}),
    ({"actor": "a\tb", "since": "gestern"}, {"actor": "bad-text", "since": "bad-date"}),
])
def test_bad_values_are_named_field_by_field(values, errors):
    filters, found = audit.parse(values)
    assert found == errors and filters == audit.Filters()


def test_empty_values_mean_no_filter():
    assert audit.parse({"actor": " ", "action": "", "since": None}) == (audit.Filters(), {})


def test_pages_follow_the_ids_without_gaps_or_repeats(db, logged):
    seen, after = [], None
    while True:
        with db.session() as session:
            rows, after = audit.page(session, audit.Filters(), after=after, limit=3)
        seen += [row["id"] for row in rows]
        if after is None:
            break
    assert len(seen) == 4 and seen == sorted(seen, reverse=True)
    with db.session() as session:
        full, following = audit.page(session, audit.Filters(), limit=4)
    assert following is None and len(full) == 4


def test_the_detail_reads_as_key_value_text():
    assert audit.readable({"role": "analyst", "admin": False, "read": ["reports"],
                           "note": "<b>x</b>"}) == [
        ("admin", "false"), ("note", "<b>x</b>"), ("read", '["reports"]'),
        ("role", "analyst")]

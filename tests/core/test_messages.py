"""The one catalog: every text in German and English with the same placeholders in both, no
key in two files, unknown keys loud; the language a command-line person gets; dates and
numbers as each reader writes them."""

from __future__ import annotations

import string
from datetime import datetime, timezone

import pytest

from cyberhub.core import messages


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_in_both_languages_with_the_same_placeholders():
    for key, entry in messages.catalog().items():
        assert set(entry) == set(messages.LANGUAGES), key
        assert all(entry[lang].strip() for lang in messages.LANGUAGES), key
        assert _placeholders(entry["de"]) == _placeholders(entry["en"]), key


def test_a_key_in_two_files_is_refused(tmp_path, monkeypatch):
    (tmp_path / "a.toml").write_text('[x]\ny = { de = "Ja", en = "Yes" }\n')
    (tmp_path / "b.toml").write_text('[x.y]\nde = "Doch"\nen = "Indeed"\n')
    monkeypatch.setattr(messages, "CATALOG", tmp_path)
    messages.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="b.toml repeats catalog keys: \\['x.y'\\]"):
            messages.catalog()
    finally:
        monkeypatch.undo()
        messages.catalog.cache_clear()


@pytest.mark.parametrize("environ, language", [
    ({}, "de"),
    ({"LANG": "C.UTF-8"}, "de"),
    ({"LANG": "de_DE.UTF-8"}, "de"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "de"),
    ({"LANG": "en_GB.UTF-8", "LC_ALL": "de_DE.UTF-8"}, "de"),
    ({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "CYBERHUB_LANGUAGE": "de"}, "de"),
])
def test_the_command_line_speaks_german_unless_the_locale_asks_for_english(environ, language):
    assert messages.from_environment(environ) == language


def test_unknown_keys_fail_loudly():
    with pytest.raises(KeyError):
        messages.text("login.nope")


def test_german_first_and_english_on_request():
    assert messages.text("login.submit") == "Anmelden"
    assert messages.text("login.submit", "en") == "Sign in"
    assert messages.text("login.submit", "fr") == "Anmelden"
    assert messages.text("login.locked", "de", minutes=5) == (
        "Zu viele Fehlversuche. Bitte in 5 Minuten erneut versuchen.")


def test_dates_in_german_time_and_numbers_as_readers_write_them():
    winter = int(datetime(2026, 12, 5, 16, 0, tzinfo=timezone.utc).timestamp()) * 1_000_000
    summer = int(datetime(2026, 7, 1, 6, 5, tzinfo=timezone.utc).timestamp()) * 1_000_000
    assert messages.moment(winter) == "05.12.2026, 17:00"
    assert messages.moment(summer) == "01.07.2026, 08:05"
    assert messages.moment(winter, "en") == "5 Dec 2026, 17:00"
    assert messages.number(100000) == "100.000"
    assert messages.number(100000, "en") == "100,000"

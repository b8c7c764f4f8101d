"""The one catalog: every text in German and English, the same placeholders in both, every
key a template uses present; dates and numbers as each reader writes them."""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cyberhub.hub.console import messages

TEMPLATES = Path(messages.__file__).with_name("templates")
SOURCES = Path(messages.__file__).parent
# A key written out whole; one followed by `~` is a prefix the template completes from data.
USED = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z_]+)["'](?!\s*~)""")
PREFIXED = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*~""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_in_both_languages_with_the_same_placeholders():
    for key, entry in messages.catalog().items():
        assert set(entry) == set(messages.LANGUAGES), key
        assert all(entry[lang].strip() for lang in messages.LANGUAGES), key
        assert _placeholders(entry["de"]) == _placeholders(entry["en"]), key


def test_every_key_the_console_uses_is_in_the_catalog():
    used = set()
    for path in list(TEMPLATES.glob("*.html")) + list(SOURCES.glob("*.py")):
        used |= set(USED.findall(path.read_text(encoding="utf-8")))
    assert used, "no keys found: the pattern is wrong"
    assert used - set(messages.catalog()) == set()


def test_keys_built_from_values_cover_every_value():
    """Templates build `land.XX`, `role.X` and `lang.X` from data: every value has a text."""
    from cyberhub.hub.accounts import ROLES

    catalog = messages.catalog()
    assert {f"role.{role}" for role in ROLES} <= set(catalog)
    assert {f"lang.{code}" for code in messages.LANGUAGES} <= set(catalog)
    lands = {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN",
             "ST", "SH", "TH"}
    assert {key.split(".")[1] for key in catalog if key.startswith("land.")} == lands


def test_vocabularies_the_pages_show_have_a_text_for_every_value():
    """Keys built from a service's values (`severity.high`, `campaigns.view_open`, ...)."""
    from cyberhub.hub import inbox, situation
    from cyberhub.hub.advisories import document
    from cyberhub.hub.correlation import report, verdicts

    catalog = set(messages.catalog())
    wanted = ({f"severity.{s}" for s in document.SEVERITIES}
              | {f"campaigns.view_{v}" for v in report.VIEWS}
              | {f"verdict.{v}" for v in verdicts.VERDICTS}
              | {f"overview.window_{w}" for w in situation.WINDOWS}
              | {f"overview.missing_{m}" for m in ("notification", "final")}
              | {f"advisory_state.{s}" for s in ("draft", "approved", "published", "withdrawn")}
              | {f"indicator_kind.{k}" for k in document.KINDS}
              | {f"stage.{s}" for s in inbox.STAGES} | {f"triage.{s}" for s in inbox.TRIAGE}
              | {f"receipt.{s}" for s in ("applied", "withdrawn", "refused")}
              | {f"push.{s}" for s in ("none", "poll only", "pending", "delivered", "failed")}
              | {f"audience.{r}" for r in ("all", "campaign", "sighting", "named")})
    assert wanted - catalog == set()


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

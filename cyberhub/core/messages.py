"""The project's one message catalog: every text a person reads (the analysts' console and
mails, the town's agent), German first, English when asked for. The catalog is one namespace
kept in a few TOML files under `catalog/` (`console.toml`, `agent.toml`), so that each side's
texts sit together; a key in two files is an error. Keys are plain names; a key missing in a
language, or used but not in the catalog, is an error the tests find, never a silent fallback.

Dates and numbers are written as a reader of the language expects them (Babel's CLDR data),
in German time (Europe/Berlin), whatever the server's zone."""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from babel.dates import format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("de", "en")
DEFAULT = "de"
_LOCALES = {"de": "de_DE", "en": "en_GB"}
# Full years: a report's date is evidence, and "05.12.26" reads ambiguously in a record.
_MOMENT = {"de": "dd.MM.yyyy, HH:mm", "en": "d MMM yyyy, HH:mm"}
_ZONE = "Europe/Berlin"
CATALOG = Path(__file__).with_name("catalog")


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """{key: {language: text}}, flattened from the TOML tables ("login.title")."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG.glob("*.toml")):
        entries = _flat(tomllib.loads(path.read_text(encoding="utf-8")), "")
        twice = set(found) & set(entries)
        if twice:
            raise ValueError(f"{path.name} repeats catalog keys: {sorted(twice)[:5]}")
        found.update(entries)
    return found


def _flat(table: dict[str, Any], prefix: str) -> dict[str, dict[str, str]]:
    if set(table) <= set(LANGUAGES) and all(isinstance(v, str) for v in table.values()):
        return {prefix: table}
    return {key: entry for name, value in table.items()
            for key, entry in _flat(value, f"{prefix}.{name}" if prefix else name).items()}


def text(key: str, language: str = DEFAULT, **values: Any) -> str:
    entry = catalog()[key]
    found = entry[language if language in LANGUAGES else DEFAULT]
    return found.format(**values) if values else found


def label(prefix: str, value: str | None, language: str = DEFAULT) -> str:
    """The text for a vocabulary value (`prefix.value`), or the value itself when the catalog
    has none (a town may send a value from a newer vocabulary)."""
    if value is None:
        return "–"
    entry = catalog().get(f"{prefix}.{value}")
    return text(f"{prefix}.{value}", language) if entry else str(value)


def moment(us: int | None, language: str = DEFAULT) -> str:
    """A time in µs since the epoch, as the reader writes it ("05.12.2026, 08:15")."""
    if us is None:
        return "–"
    language = language if language in LANGUAGES else DEFAULT
    at = datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)
    return format_datetime(at, _MOMENT[language], tzinfo=_ZONE, locale=_LOCALES[language])


def number(value: float | int, language: str = DEFAULT) -> str:
    return format_decimal(value, locale=_LOCALES.get(language, "de_DE"))


def from_environment(environ: Mapping[str, str]) -> str:
    """The language of a command-line person: `CYBERHUB_LANGUAGE` if set, else the locale
    (LC_ALL, LC_MESSAGES, LANG, as the C library reads them). English only when one asks for
    it (`en_US.UTF-8`); German otherwise, also for the C and POSIX locales that a server
    installed without a choice has."""
    for name in ("CYBERHUB_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split("_")[0].split(".")[0].lower()
            return code if code in LANGUAGES else DEFAULT
    return DEFAULT


def choose(asked: str | None) -> str:
    """The language the person chose with the switch on every page; German otherwise (the
    console is German first, whatever the browser prefers)."""
    return asked if asked in LANGUAGES else DEFAULT

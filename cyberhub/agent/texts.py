"""The agent's words for people: texts from the one catalog (`agent.*` keys in
`cyberhub/core/catalog/agent.toml`), in the administrator's language.

The language is the process's (German unless the locale or CYBERHUB_LANGUAGE asks for English,
`messages.from_environment`): a command and the service each have one. An error keeps its key
and values, not a finished sentence, so that the place that shows it says it in the reader's
language; the modules that find the problem need not know who reads it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cyberhub.core import messages


def language() -> str:
    return messages.from_environment(os.environ)


def say(key: str, language_: str | None = None, /, **values: Any) -> str:
    """The text for `key` with `values`; a value that is itself a Problem or a Phrase (anything
    with `text(language)`) is said in the same language."""
    chosen = language_ or language()
    return messages.text(key, chosen, **{name: _said(value, chosen)
                                         for name, value in values.items()})


def _said(value: Any, chosen: str) -> Any:
    return value.text(chosen) if callable(getattr(value, "text", None)) else value


@dataclass(frozen=True)
class Phrase:
    """A text not said yet: its key and values, worded where it is read. What the collectors
    found is read in German in a draft for the hub and in the administrator's language on the
    command line, so they keep their reasons as phrases."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, /, **values: Any) -> "Phrase":
        return cls(key, tuple(values.items()))

    def text(self, language_: str | None = None) -> str:
        return say(self.key, language_, **dict(self.values))

    def __str__(self) -> str:
        return self.text()


class Problem(Exception):
    """A failure whose text comes from the catalog: `key` and `values`, said where shown."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, language_: str | None = None) -> str:
        return say(self.key, language_, **self.values)

    def __str__(self) -> str:
        return self.text()


def moment(epoch: float | None, language_: str | None = None) -> str:
    """A time in seconds since the epoch as the reader writes it ("05.12.2026, 17:00 Uhr"),
    in German time."""
    if not epoch:
        return say("agent.time.never", language_)
    chosen = language_ or language()
    return say("agent.time.at", chosen,
               moment=messages.moment(int(epoch * 1_000_000), chosen))


def stix_moment(stamp: datetime, language_: str | None = None) -> str:
    return moment(stamp.timestamp(), language_)

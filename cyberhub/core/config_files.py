"""Settings files and their errors, shared by the hub and the agent: a TOML file read strictly,
pydantic's report turned into one line that names the setting.

The error's message is English (the hub's command line shows it); `problem` and `values` say
the same for whoever words it in another language (the town's agent, in German)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A setting is unknown or has the wrong type; the message names it.

    `problem` is "not_found" (values: path), "not_toml" (path, detail) or "invalid" (setting:
    the name with its place, "" for the settings as a whole; type: pydantic's error type;
    detail: its English message without "Value error, "; context: pydantic's ctx); "" when
    the raiser gave a finished text."""

    def __init__(self, message: str, problem: str = "", **values: Any) -> None:
        super().__init__(message)
        self.problem = problem
        self.values = values


def read_toml(path: Path) -> dict[str, Any]:
    """A settings file as a dict; a missing or broken file is a ConfigError naming it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", "not_found", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", "not_toml",
                          path=path, detail=str(exc)) from None


def validated(model: type[ModelT], values: dict[str, Any]) -> ModelT:
    """Build settings, turning pydantic's report into one line that names the setting."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}", "invalid",
                          setting=where if first["loc"] else "", type=first["type"],
                          detail=first["msg"].removeprefix("Value error, "),
                          context=first.get("ctx", {})) from None

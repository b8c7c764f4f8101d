"""Settings files and their errors, shared by the hub and the agent: a TOML file read strictly,
pydantic's report turned into one line that names the setting."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A setting is unknown or has the wrong type; the message names it."""


def read_toml(path: Path) -> dict[str, Any]:
    """A settings file as a dict; a missing or broken file is a ConfigError naming it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def validated(model: type[ModelT], values: dict[str, Any]) -> ModelT:
    """Build settings, turning pydantic's report into one line that names the setting."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None

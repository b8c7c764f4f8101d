"""The advisory document an analyst writes (as YAML or JSON) or `drafting` proposes: plain
values, checked strictly, so that what becomes STIX patterns and blocklists is never hostile."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cyberhub.core.yaml_files import load_yaml
from cyberhub.hub.correlation.values import KINDS, canonical, urlsafe

SEVERITIES = ("low", "medium", "high", "critical")
TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_STIX_ID = re.compile(r"^[a-z][a-z0-9-]{0,60}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12}$")
MAX_FILE_BYTES = 1024 * 1024


class DocumentError(ValueError):
    """A document that cannot be used; the message names the field and the problem.
    `problems` holds every one found, as (field path, kind of problem, limits), so that a
    form can mark each field in its reader's language."""

    def __init__(self, message: str, problems: list[tuple[str, str, dict[str, Any]]] = ()
                 ) -> None:
        super().__init__(message)
        self.problems = list(problems)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Text(_Strict):
    """German for the town's IT person, English alongside."""

    de: str = Field(min_length=1, max_length=8000)
    en: str = Field(min_length=1, max_length=8000)


class Title(_Strict):
    de: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    @field_validator("de", "en")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(c in value for c in "\r\n\t"):
            raise ValueError("a title is one line")
        return value


class Indicator(_Strict):
    """One value to block or look for. `value` is normalised as the correlation index does."""

    kind: Literal[KINDS]  # type: ignore[valid-type]
    value: str = Field(min_length=1, max_length=2048)
    note: str = Field(default="", max_length=300)

    @field_validator("value")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("the value holds control characters")
        return value

    @model_validator(mode="after")
    def _canonical(self) -> "Indicator":
        self.value = canonical(self.kind, self.value)
        return self


class Reference(_Strict):
    """A source the advisory cites: a CERT's advisory, the catalogue of exploited
    vulnerabilities, a vendor's notice. It needs an identifier or a page (STIX 2.1, 2.5)."""

    source: str = Field(min_length=1, max_length=100)
    external_id: str = Field(default="", max_length=100)
    url: str = Field(default="", max_length=2048)

    @field_validator("source", "external_id", "url")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 or c == "|" for c in value):
            raise ValueError("a reference is one line without '|'")
        return value

    @model_validator(mode="after")
    def _something_to_find(self) -> "Reference":
        if not self.external_id and not self.url:
            raise ValueError("needs an identifier or a page")
        if self.url and not urlsafe(self.url):
            raise ValueError("the page must be an http(s) URL")
        return self


class Document(_Strict):
    title: Title
    summary: Text  # what is going on, in plain words
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    tlp: Literal[TLP_LEVELS]  # type: ignore[valid-type]
    campaign: str | None = None
    indicators: list[Indicator] = Field(default_factory=list, max_length=1000)
    playbook: str | None = None  # a CACAO playbook id from playbooks/
    towns: list[str] = Field(default_factory=list, max_length=1000)  # addressed as well (slugs)
    references: list[Reference] = Field(default_factory=list, max_length=50)

    @field_validator("tlp", mode="before")
    @classmethod
    def _tlp_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return value[4:] if value.startswith("tlp:") else value
        return value

    @field_validator("campaign")
    @classmethod
    def _campaign_id(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("campaign--") and _STIX_ID.match(value)):
            raise ValueError("must be a campaign id (campaign--<uuid>)")
        return value

    @field_validator("playbook")
    @classmethod
    def _playbook_id(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("playbook--") and _STIX_ID.match(value)):
            raise ValueError("must be a CACAO playbook id (playbook--<uuid>)")
        return value

    @field_validator("towns")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        for slug in value:
            if not _SLUG.match(slug):
                raise ValueError(f"{slug!r} is not a town's short name")
        return sorted(set(value))


def _explain(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "document"
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {message}{more}"


def parse(data: Any) -> Document:
    try:
        return Document.model_validate(data)
    except ValidationError as exc:
        problems = [(".".join(str(part) for part in error["loc"]), error["type"],
                     {k: v for k, v in (error.get("ctx") or {}).items()
                      if isinstance(v, (int, str))})
                    for error in exc.errors()]
        raise DocumentError(_explain(exc), problems) from None


def load(path: Path | str) -> Document:
    """A document from a YAML or JSON file (JSON is YAML); safe loading only."""
    path = Path(path)
    with path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise DocumentError(f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        data = load_yaml(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DocumentError(f"{path} is not valid YAML or JSON: {reason}") from None
    if not isinstance(data, dict):
        raise DocumentError(f"{path} must hold a mapping with title, summary, severity, tlp")
    return parse(data)


def dump(document: Document) -> str:
    return json.dumps(document.model_dump(), ensure_ascii=False, sort_keys=True)

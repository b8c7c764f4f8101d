"""Incident description files: what a town's IT person writes (YAML or JSON, English or German
field names and values), checked field by field before anything is queued.

The format is documented with a commented example in `config/incident.example.yaml`. Every
error names the field and the problem, e.g. `observables.ipv4: '300.1.2.3' ist keine
IPv4-Adresse`, because the person reading it is not a STIX specialist. The rules for one
field's value live in `incident_fields`, which the questions of `report --interactive` use too.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Callable

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from stix2patterns.validator import run_validator

from cyberhub.agent import incident_fields as fields
from cyberhub.agent.incident_fields import FieldError
from cyberhub.core import messages
from cyberhub.core.yaml_files import YAMLRefused, load_yaml

MAX_FILE = 1024 * 1024
# Pydantic's own checks (types, missing fields) with the catalog's text for each.
_PYDANTIC_ERRORS = {
    "missing": "required", "extra_forbidden": "unknown_field", "string_type": "not_text",
    "list_type": "not_list", "model_type": "not_mapping", "dict_type": "not_mapping",
    "model_attributes_type": "not_mapping", "int_type": "not_number",
    "int_parsing": "not_number", "int_from_float": "not_number",
}


class DescriptionError(ValueError):
    """The file cannot become a report; the message names the field and the problem."""


def _each(parse: Callable[[Any], Any]) -> BeforeValidator:
    """A list field whose every entry is checked by `parse`."""
    return BeforeValidator(lambda values: [parse(value) for value in fields.as_list(values)])


def _optional(parse: Callable[[Any], Any]) -> BeforeValidator:
    return BeforeValidator(lambda value: None if value is None else parse(value))


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class FileHash(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, validation_alias=_alias("name", "dateiname"))
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha512: str | None = None

    @field_validator("md5", "sha1", "sha256", "sha512", mode="before")
    @classmethod
    def _hex(cls, value: Any, info: ValidationInfo) -> str | None:
        return None if value is None else fields.parse_hash(value, info.field_name)[1]

    def hashes(self) -> dict[str, str]:
        return {fields.HASHES[k][0]: v for k in fields.HASHES if (v := getattr(self, k))}


class Observables(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ipv4: Annotated[list[str], _each(lambda v: fields.parse_ip(v, 4))] = []
    ipv6: Annotated[list[str], _each(lambda v: fields.parse_ip(v, 6))] = []
    domains: Annotated[list[str], _each(fields.parse_domain)] = Field(
        default=[], validation_alias=_alias("domains", "domänen", "domaenen"))
    urls: Annotated[list[str], _each(fields.parse_url)] = []
    files: list[FileHash] = Field(default=[], validation_alias=_alias("files", "dateien"))
    email_addresses: Annotated[list[str], _each(fields.parse_email)] = Field(
        default=[], validation_alias=_alias("email_addresses", "email_adressen", "absender"))
    email_subjects: Annotated[list[str], _each(fields.parse_subject)] = Field(
        default=[], validation_alias=_alias("email_subjects", "email_betreffe",
                                            "betreffzeilen"))

    @field_validator("files", mode="after")
    @classmethod
    def _one_hash(cls, values: list[FileHash]) -> list[FileHash]:
        if any(not value.hashes() for value in values):
            raise FieldError("agent.description.file_without_hash")
        return values

    def is_empty(self) -> bool:
        return not any((self.ipv4, self.ipv6, self.domains, self.urls, self.files,
                        self.email_addresses, self.email_subjects))


class IndicatorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(validation_alias=_alias("pattern", "muster"))
    name: str | None = None

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        errors = run_validator(value, stix_version="2.1")
        if errors:
            raise FieldError("agent.description.pattern", reason=errors[0])
        return value


class Description(BaseModel):
    """One incident report, as the operator describes it."""

    model_config = ConfigDict(extra="forbid")

    incident: Annotated[str, BeforeValidator(fields.parse_incident_key)] = Field(
        validation_alias=_alias("incident", "vorfall"))
    stage: Annotated[str, BeforeValidator(fields.parse_stage)] = Field(
        default="early-warning", validation_alias=_alias("stage", "meldestufe"))
    title: Annotated[str, BeforeValidator(fields.parse_title)] = Field(
        validation_alias=_alias("title", "titel"))
    summary: str = Field(default="", validation_alias=_alias("summary", "beschreibung"))
    detected: datetime | None = Field(default=None, validation_alias=_alias("detected",
                                                                            "erkannt"))
    determination: Annotated[str, BeforeValidator(fields.parse_determination)] = Field(
        default="suspected", validation_alias=_alias("determination", "einschätzung",
                                                     "einschaetzung"))
    status: Annotated[str, BeforeValidator(fields.parse_status)] = Field(
        default="open", validation_alias=_alias("status", "investigation_status",
                                                "bearbeitungsstand"))
    criticality: Annotated[int | None, _optional(fields.parse_criticality)] = Field(
        default=None, validation_alias=_alias("criticality", "kritikalität", "kritikalitaet"))
    types: Annotated[list[str], _each(fields.parse_vocabulary_value)] = Field(
        default=[], validation_alias=_alias("types", "incident_types", "vorfallarten"))
    detected_by: Annotated[list[str], _each(fields.parse_vocabulary_value)] = Field(
        default=[], validation_alias=_alias("detected_by", "detection_methods",
                                            "erkannt_durch"))
    tlp: Annotated[str | None, _optional(fields.parse_tlp)] = None
    observables: Observables = Field(default=Observables(), validation_alias=_alias(
        "observables", "beobachtungen"))
    indicators: list[IndicatorEntry] = Field(default=[], validation_alias=_alias(
        "indicators", "indikatoren"))
    techniques: Annotated[list[str], _each(fields.parse_technique)] = Field(
        default=[], validation_alias=_alias("techniques", "techniken", "attack"))
    malware: Annotated[list[str], _each(fields.parse_malware)] = Field(
        default=[], validation_alias=_alias("malware", "schadsoftware"))
    vulnerabilities: Annotated[list[str], _each(fields.parse_cve)] = Field(
        default=[], validation_alias=_alias("vulnerabilities", "schwachstellen", "cves"))
    # Written by the collectors into drafts: how sure they are, and what they saw.
    score: int | None = Field(default=None, ge=0, le=100)
    findings: list[dict[str, Any]] = []

    @field_validator("detected", mode="before")
    @classmethod
    def _detected(cls, value: Any, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        now = (info.context or {}).get("now")
        return fields.parse_detected(value, now).astimezone(timezone.utc)


def _where(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"


def _message(error: Any, language: str) -> str:
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        return cause.text(language)
    key = _PYDANTIC_ERRORS.get(error["type"])
    if key is not None:
        return messages.text(f"agent.description.{key}", language)
    return messages.text("agent.description.invalid", language,
                         detail=error["msg"].removeprefix("Value error, "))


def language_of(language: str | None) -> str:
    """The language asked for, else the one of this command line's person."""
    return language or messages.from_environment(os.environ)


def parse(data: Any, *, language: str | None = None, now: datetime | None = None
          ) -> Description:
    """A description from its fields; `now` is when a detection time counts as future.
    DescriptionError names the first wrong field, in `language` (default: the locale's)."""
    language = language_of(language)
    if not isinstance(data, dict):
        raise DescriptionError(messages.text("agent.description.not_one_incident", language))
    try:
        return Description.model_validate(data, context={"now": now})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise DescriptionError(f"{_where(first['loc'])}: {_message(first, language)}"
                               ) from None


def load(path: Path, *, language: str | None = None) -> Description:
    """Read and check a description file (YAML or JSON; JSON is YAML too)."""
    language = language_of(language)

    def failed(key: str, **values: Any) -> DescriptionError:
        reason = messages.text(f"agent.description.{key}", language, **values)
        return DescriptionError(f"{path}: {reason}")

    try:
        if path.stat().st_size > MAX_FILE:
            raise failed("too_large")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise failed("no_such_file") from None
    except UnicodeDecodeError:
        raise failed("not_utf8") from None
    except OSError as exc:
        raise failed("unreadable", reason=exc.strerror) from None
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        data = json.loads(text) if kind == "JSON" else load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError, RecursionError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = (messages.text("agent.description.line", language, line=where.line + 1)
                if where is not None else "")
        why = f": {exc.problem}" if isinstance(exc, YAMLRefused) else ""
        raise failed("not_valid", kind=kind, line=line, why=why) from None
    try:
        return parse(data, language=language)
    except DescriptionError as exc:
        raise DescriptionError(f"{path}: {exc}") from None

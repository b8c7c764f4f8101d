"""Incident description files: what a town's IT person writes (YAML or JSON, English or German
field names), checked field by field before anything is queued.

The format is documented with a commented example in `config/incident.example.yaml`. Every
error names the field and the problem, e.g. `observables.ipv4[1]: '300.1.2.3' is not an IPv4
address`, because the person reading it is not a STIX specialist.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from stix2patterns.validator import run_validator

from cyberhub.agent.blocklists import normalise_domain, normalise_url
from cyberhub.core import tlp
from cyberhub.core.yaml_files import YAMLRefused, load_yaml

MAX_FILE = 1024 * 1024
STAGES = {
    "early-warning": ("frühwarnung", "fruehwarnung", "erstmeldung"),
    "notification": ("meldung", "vorfallmeldung"),
    "final": ("abschlussmeldung", "abschlussbericht"),
    "update": ("aktualisierung", "zwischenmeldung"),
}
DETERMINATIONS = {
    "suspected": ("vermutet", "verdacht"),
    "confirmed": ("bestätigt", "bestaetigt"),
    "blocked": ("abgewehrt", "blockiert"),
    "failed-attempt": ("fehlversuch",),
    "false-positive": ("fehlalarm",),
}
STATUSES = {"new": ("neu",), "open": ("offen", "in-bearbeitung"),
            "closed": ("abgeschlossen", "geschlossen")}
# Appendix B of the incident-core extension: a five-level scale onto 0-100.
CRITICALITY = {"low": 15, "niedrig": 15, "medium": 40, "moderate": 40, "mittel": 40,
               "high": 70, "hoch": 70, "critical": 95, "extreme": 95, "kritisch": 95}
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_HASHES = {"md5": ("MD5", 32), "sha1": ("SHA-1", 40), "sha256": ("SHA-256", 64),
           "sha512": ("SHA-512", 128)}


class DescriptionError(ValueError):
    """The file cannot become a report; the message names the field and the problem."""


def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


def _vocabulary(value: Any, table: dict[str, tuple[str, ...]], what: str) -> str:
    text = str(value).strip().lower().replace(" ", "-").replace("_", "-")
    for name, german in table.items():
        if text == name or text in german:
            return name
    raise ValueError(f"{value!r} is not a {what}; use one of {', '.join(table)}")


class FileHash(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, validation_alias=AliasChoices("name", "dateiname"))
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha512: str | None = None

    @field_validator("md5", "sha1", "sha256", "sha512")
    @classmethod
    def _hex(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        length = _HASHES[info.field_name][1]
        if len(value) != length or not re.fullmatch(r"[0-9a-f]+", value):
            raise ValueError(f"must be {length} hexadecimal characters")
        return value

    def hashes(self) -> dict[str, str]:
        return {_HASHES[k][0]: v for k in _HASHES if (v := getattr(self, k))}


class Observables(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ipv4: list[str] = []
    ipv6: list[str] = []
    domains: list[str] = Field(default=[], validation_alias=AliasChoices("domains", "domänen",
                                                                         "domaenen"))
    urls: list[str] = []
    files: list[FileHash] = Field(default=[], validation_alias=AliasChoices("files", "dateien"))
    email_addresses: list[str] = Field(default=[], validation_alias=AliasChoices(
        "email_addresses", "email_adressen", "absender"))
    email_subjects: list[str] = Field(default=[], validation_alias=AliasChoices(
        "email_subjects", "email_betreffe", "betreffzeilen"))

    @field_validator("ipv4", "ipv6", mode="before")
    @classmethod
    def _addresses(cls, values: Any, info: Any) -> list[str]:
        version = 4 if info.field_name == "ipv4" else 6
        result = []
        for value in _as_list(values):
            try:
                network = ipaddress.ip_network(str(value).strip(), strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IPv{version} address") from None
            if network.version != version:
                raise ValueError(f"{value!r} is not an IPv{version} address")
            full = 32 if version == 4 else 128
            result.append(str(network.network_address) if network.prefixlen == full
                          else str(network))
        return result

    @field_validator("domains", mode="before")
    @classmethod
    def _domains(cls, values: Any) -> list[str]:
        result = []
        for value in _as_list(values):
            name = normalise_domain(str(value))
            if name is None:
                raise ValueError(f"{value!r} is not a domain name")
            result.append(name)
        return result

    @field_validator("urls", mode="before")
    @classmethod
    def _urls(cls, values: Any) -> list[str]:
        result = []
        for value in _as_list(values):
            url = normalise_url(str(value))
            if url is None:
                raise ValueError(f"{value!r} is not an absolute URL (scheme://host/path)")
            result.append(url)
        return result

    @field_validator("files", mode="after")
    @classmethod
    def _one_hash(cls, values: list[FileHash]) -> list[FileHash]:
        for value in values:
            if not value.hashes():
                raise ValueError("every file needs at least one of md5, sha1, sha256, sha512")
        return values

    @field_validator("email_addresses", mode="before")
    @classmethod
    def _emails(cls, values: Any) -> list[str]:
        result = []
        for value in _as_list(values):
            if not _EMAIL.match(str(value).strip()):
                raise ValueError(f"{value!r} is not an e-mail address")
            result.append(str(value).strip().lower())
        return result

    @field_validator("email_subjects", mode="before")
    @classmethod
    def _subjects(cls, values: Any) -> list[str]:
        result = [str(v) for v in _as_list(values)]
        if any(not v.strip() or len(v) > 500 for v in result):
            raise ValueError("a subject must be 1-500 characters")
        return result

    def is_empty(self) -> bool:
        return not any((self.ipv4, self.ipv6, self.domains, self.urls, self.files,
                        self.email_addresses, self.email_subjects))


class IndicatorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(validation_alias=AliasChoices("pattern", "muster"))
    name: str | None = None

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        errors = run_validator(value, stix_version="2.1")
        if errors:
            raise ValueError(f"not a valid STIX pattern: {errors[0]}")
        return value


def _as_list(values: Any) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (str, int, float)):
        return [values]
    if not isinstance(values, list):
        raise ValueError("must be a list")
    return values


class Description(BaseModel):
    """One incident report, as the operator describes it."""

    model_config = ConfigDict(extra="forbid")

    incident: str = Field(validation_alias=AliasChoices("incident", "vorfall"))
    stage: str = Field(default="early-warning",
                       validation_alias=AliasChoices("stage", "meldestufe"))
    title: str = Field(validation_alias=AliasChoices("title", "titel"))
    summary: str = Field(default="", validation_alias=AliasChoices("summary", "beschreibung"))
    detected: datetime | None = _alias("detected", "erkannt")
    determination: str = Field(default="suspected", validation_alias=AliasChoices(
        "determination", "einschätzung", "einschaetzung"))
    status: str = Field(default="open", validation_alias=AliasChoices(
        "status", "investigation_status", "bearbeitungsstand"))
    criticality: int | None = _alias("criticality", "kritikalität", "kritikalitaet")
    types: list[str] = Field(default=[], validation_alias=AliasChoices(
        "types", "incident_types", "vorfallarten"))
    detected_by: list[str] = Field(default=[], validation_alias=AliasChoices(
        "detected_by", "detection_methods", "erkannt_durch"))
    tlp: str | None = None
    observables: Observables = Field(default=Observables(), validation_alias=AliasChoices(
        "observables", "beobachtungen"))
    indicators: list[IndicatorEntry] = Field(default=[], validation_alias=AliasChoices(
        "indicators", "indikatoren"))
    techniques: list[str] = Field(default=[], validation_alias=AliasChoices(
        "techniques", "techniken", "attack"))
    malware: list[str] = Field(default=[], validation_alias=AliasChoices(
        "malware", "schadsoftware"))
    vulnerabilities: list[str] = Field(default=[], validation_alias=AliasChoices(
        "vulnerabilities", "schwachstellen", "cves"))
    # Written by the collectors into drafts: how sure they are, and what they saw.
    score: int | None = Field(default=None, ge=0, le=100)
    findings: list[dict[str, Any]] = []

    @field_validator("incident")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("must be 1-100 letters, digits, '.', '_' or '-' (it names the "
                             "incident across its reporting stages)")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip() or len(value) > 300:
            raise ValueError("must be 1-300 characters")
        return value.strip()

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> str:
        return _vocabulary(value, STAGES, "reporting stage")

    @field_validator("determination", mode="before")
    @classmethod
    def _determination(cls, value: Any) -> str:
        return _vocabulary(value, DETERMINATIONS, "determination")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return _vocabulary(value, STATUSES, "investigation status")

    @field_validator("criticality", mode="before")
    @classmethod
    def _criticality(cls, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in CRITICALITY:
            return CRITICALITY[value.strip().lower()]
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            return value
        raise ValueError("must be low, medium, high, critical (niedrig, mittel, hoch, "
                         "kritisch) or a number from 0 to 100")

    @field_validator("types", "detected_by", mode="before")
    @classmethod
    def _open_vocabulary(cls, values: Any) -> list[str]:
        result = []
        for value in _as_list(values):
            text = str(value).strip().lower().replace(" ", "-").replace("_", "-")
            if not re.fullmatch(r"[a-z0-9&+-]{1,100}", text):
                raise ValueError(f"{value!r} is not a vocabulary value (lower case, '-')")
            result.append(text)
        return result

    @field_validator("tlp", mode="before")
    @classmethod
    def _tlp(cls, value: Any) -> str | None:
        if value is None:
            return None
        found = tlp.level(str(value))
        if found is None:
            raise ValueError(f"{value!r} is not a TLP 2.0 level; use one of "
                             f"{', '.join(tlp.LEVELS)}")
        return found

    @field_validator("techniques", mode="before")
    @classmethod
    def _techniques(cls, values: Any) -> list[str]:
        result = [str(v).strip().upper() for v in _as_list(values)]
        for value in result:
            if not _TECHNIQUE.match(value):
                raise ValueError(f"{value!r} is not an ATT&CK technique id like T1566.001")
        return result

    @field_validator("vulnerabilities", mode="before")
    @classmethod
    def _cves(cls, values: Any) -> list[str]:
        result = [str(v).strip().upper() for v in _as_list(values)]
        for value in result:
            if not _CVE.match(value):
                raise ValueError(f"{value!r} is not a CVE id like CVE-2023-4966")
        return result

    @field_validator("malware", mode="before")
    @classmethod
    def _malware(cls, values: Any) -> list[str]:
        result = [str(v).strip() for v in _as_list(values)]
        if any(not v or len(v) > 200 for v in result):
            raise ValueError("a malware name must be 1-200 characters")
        return result

    @field_validator("detected")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # a local wall-clock time, as people write it
            value = value.astimezone()
        return value.astimezone(timezone.utc)


def _where(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"


def parse(data: Any) -> Description:
    if not isinstance(data, dict):
        raise DescriptionError("the file must describe one incident as a mapping of fields")
    try:
        return Description.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "this field is required"
        elif first["type"] == "extra_forbidden":
            message = "unknown field (see config/incident.example.yaml for the fields)"
        raise DescriptionError(f"{_where(first['loc'])}: {message}") from None


def load(path: Path) -> Description:
    """Read and check a description file (YAML or JSON; JSON is YAML too)."""
    try:
        if path.stat().st_size > MAX_FILE:
            raise DescriptionError(f"{path}: the file is larger than 1 MiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DescriptionError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DescriptionError(f"{path}: the file is not UTF-8 text") from None
    except OSError as exc:
        raise DescriptionError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError, RecursionError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        why = f": {exc.problem}" if isinstance(exc, YAMLRefused) else ""
        raise DescriptionError(f"{path}: not valid {kind}{line}{why}") from None
    try:
        return parse(data)
    except DescriptionError as exc:
        raise DescriptionError(f"{path}: {exc}") from None

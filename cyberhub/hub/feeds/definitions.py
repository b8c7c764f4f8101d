"""Feed definitions: one TOML file per source, read strictly.

A file names the source and how to read it (`format` and that format's own table) and says
what the sync does with it: how often (`every`), under which TLP, and after how many days an
entry that was not seen again expires. Secrets never stand in the file: a TAXII upstream's
password is read from the environment variable the file names, when the feed runs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cyberhub.core import tlp

FORMATS = ("csv", "text", "kev", "misp", "taxii", "csaf", "warninglists")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EVERY = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
# The shortest interval: feeds publish hourly at best, and their operators ask for restraint.
MIN_EVERY_SECONDS = 5 * 60


class FeedError(ValueError):
    """A feed definition that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvColumns(_Strict):
    """Which column holds what, by the names given in `columns` (the header the source
    prints in a comment line is not trusted to stay put)."""

    columns: tuple[str, ...] = Field(min_length=1)
    value: str
    # The kind of every value ("ipv4", "domain", "url", "sha256", ...), or the column that says
    # it per row, with `kinds` mapping the source's words to ours.
    kind: str | None = None
    kind_column: str | None = None
    kinds: dict[str, str] = {}
    first_seen: str | None = None
    labels: tuple[str, ...] = ()      # columns whose values become labels (comma-separated ok)
    reference: str | None = None      # the column with the entry's page at the source
    status: str | None = None         # a column whose value `gone` lists as "no longer active"
    gone: tuple[str, ...] = ()
    name: str = "{value}"             # the indicator's name, from column names in braces
    delimiter: str = ","
    comment: str = "#"


class TextList(_Strict):
    kind: str | None = None  # None: each line's kind is recognised (IP, domain or URL)


class Taxii(_Strict):
    collection: str                   # the collection's id or title on the upstream server
    username: str | None = None
    password_env: str | None = None   # the environment variable holding the password
    types: tuple[str, ...] = ("indicator", "vulnerability")


class Csaf(_Strict):
    openpgp_fingerprint: str
    openpgp_key: str | None = None    # the key file, relative to the feed file; else fetched

    @field_validator("openpgp_fingerprint")
    @classmethod
    def _fingerprint(cls, value: str) -> str:
        cleaned = value.replace(" ", "").upper()
        if not re.fullmatch(r"[0-9A-F]{40}|[0-9A-F]{64}", cleaned):
            raise ValueError("must be a full OpenPGP v4 (40 hex digits) or v6 fingerprint")
        return cleaned


class MispWarninglists(_Strict):
    """Which of the community's MISP warning lists the hub uses (by their folder names), and
    whether they come from the installed `pymispwarninglists` package (no download) or from
    a misp-warninglists tree at `url` (`<url>/lists/<name>/list.json`)."""

    include: tuple[str, ...] = Field(min_length=1)
    from_package: bool = True
    # Names whose hosts customers or attackers fill (file shares, forms, code hosting): an
    # entry at or below one of them is not taken from any list.
    keep_linking: tuple[str, ...] = ()

    @field_validator("include")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
                raise ValueError(f"{name!r} is not a warning list's folder name")
        return value


class Feed(_Strict):
    name: str
    title: str = Field(min_length=1, max_length=200)
    format: Literal["csv", "text", "kev", "misp", "taxii", "csaf", "warninglists"]
    url: str
    every: str = "6h"
    tlp: str = "clear"
    enabled: bool = False
    expire_after: int = Field(default=30, ge=1, le=3650)
    # A full list on every download (what it no longer names has left it), or only what is
    # recent or changed (entries expire after `expire_after` days without being seen).
    full_list: bool = True
    max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024, le=16 * 1024 ** 3)
    timeout: float = Field(default=60.0, gt=0, le=3600)
    description: str = ""
    csv: CsvColumns | None = None
    text: TextList | None = None
    taxii: Taxii | None = None
    csaf: Csaf | None = None
    warninglists: MispWarninglists | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("must be 1-63 lowercase letters, digits or '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        seconds = every_seconds(value)
        if seconds < MIN_EVERY_SECONDS:
            raise ValueError("must be at least 5m")
        return value

    @field_validator("tlp")
    @classmethod
    def _tlp(cls, value: str) -> str:
        level = tlp.level(value)
        if level is None:
            raise ValueError("must be a TLP 2.0 name: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
        return level

    @model_validator(mode="after")
    def _format_table(self) -> Feed:
        if (self.format in ("csv", "taxii", "csaf", "warninglists")
                and getattr(self, self.format) is None):
            raise ValueError(f"format {self.format!r} needs a [{self.format}] table")
        return self

    @property
    def every_seconds(self) -> int:
        return every_seconds(self.every)

    @property
    def marking(self) -> str:
        return tlp.IDS[self.tlp]


def every_seconds(text: str) -> int:
    match = _EVERY.match(text)
    if not match:
        raise ValueError("must be a number and a unit: '30m', '6h' or '1d'")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse(values: dict[str, Any], *, source: str) -> Feed:
    """A feed from a definition's values; FeedError names `source` and the field."""
    try:
        return Feed(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "definition"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise FeedError(f"{source}: {where}: {message}") from None


def load_file(path: Path) -> Feed:
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FeedError(f"{path}: no such file") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FeedError(f"{path.name}: not a TOML file: {exc}") from None
    feed = parse(values, source=path.name)
    if feed.csaf and feed.csaf.openpgp_key and not Path(feed.csaf.openpgp_key).is_absolute():
        # A key file beside the feed file: kept as an absolute path, so that a feed added
        # to the database still finds it.
        key = str((path.parent / feed.csaf.openpgp_key).resolve())
        feed = feed.model_copy(update={"csaf": feed.csaf.model_copy(
            update={"openpgp_key": key})})
    return feed


def load_directory(directory: Path, problems: list[str] | None = None) -> list[Feed]:
    """Every feed file in `directory` (none if it does not exist), by name; two files with
    one name are an error, since the name is the feed's identity in the database. A broken
    file is a FeedError, or, when `problems` is given, named there and left out (so that
    the scheduler runs the other feeds)."""
    feeds: dict[str, Feed] = {}
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.toml")):
        try:
            feed = load_file(path)
            if feed.name in feeds:
                raise FeedError(f"{path.name}: another file already defines feed "
                                f"{feed.name!r}")
        except FeedError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            continue
        feeds[feed.name] = feed
    return list(feeds.values())

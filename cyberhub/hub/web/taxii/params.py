"""Query parameters of the TAXII endpoints (section 3.4): parsed strictly, 400 when malformed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from cyberhub.core import timestamps
from cyberhub.core.numbers import strict_int
from cyberhub.hub.storage.objects import Filters
from cyberhub.hub.web.errors import TaxiiError

_SPEC_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")
# Which match[] fields each endpoint understands; other match[] fields are ignored (3.4.1).
OBJECTS = frozenset({"id", "type", "version", "spec_version"})
OBJECT = frozenset({"version", "spec_version"})
VERSIONS = frozenset({"spec_version"})
KNOWN_FIELDS = OBJECTS


@dataclass(frozen=True)
class Query:
    filters: Filters
    limit: int
    next: str | None
    # What identifies "the same query" for a `next` token: every filter, but not limit/next.
    fingerprint: str


def _bad(name: str, message: str) -> TaxiiError:
    return TaxiiError(400, f"{name}: {message}", "bad-parameter", details={"parameter": name})


def _single(args: MultiDict, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise _bad(name, "must not be given more than once")
    return values[0] if values else None


def _list(args: MultiDict, name: str) -> tuple[str, ...]:
    value = _single(args, name)
    if value is None:
        return ()
    items = tuple(value.split(","))
    if any(not item or item != item.strip() for item in items):
        raise _bad(name, "must be a comma-separated list without empty entries or spaces")
    return items


def _versions(raw: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    if not raw:
        return default
    if len(set(raw)) != len(raw):
        raise _bad("match[version]", "a value must not repeat")
    if "all" in raw and len(raw) > 1:
        raise _bad("match[version]", "'all' cannot be combined with other values")
    result = []
    for item in raw:
        if item in ("first", "last", "all"):
            result.append(item)
            continue
        key = timestamps.sort_key(item)
        if key is None:
            raise _bad("match[version]", f"{item[:40]!r} is not first, last, all or a timestamp")
        result.append(key)
    return tuple(result)


def parse(
    args: MultiDict,
    *,
    fields: frozenset[str],
    page_size: int,
    max_page_size: int,
    default_versions: tuple[str, ...] = ("last",),
    paged: bool = True,
) -> Query:
    for name in args:
        if name.startswith("match[") and name.endswith("]"):
            field = name[6:-1]
            if field in KNOWN_FIELDS and field not in fields:
                raise _bad(name, "is not supported on this endpoint")
    added_after = None
    limit = page_size
    token = None
    if paged:
        raw_after = _single(args, "added_after")
        if raw_after is not None:
            added_after = timestamps.to_us(raw_after)
            if added_after is None:
                raise _bad("added_after", "must be a timestamp like 2026-01-31T12:00:00.000000Z")
        raw_limit = _single(args, "limit")
        if raw_limit is not None:
            number = strict_int(raw_limit, max_digits=12)
            if number is None or number < 1:
                raise _bad("limit", "must be a positive integer in ASCII digits")
            limit = min(number, max_page_size)
        token = _single(args, "next")
        if token is not None and not token:
            raise _bad("next", "must not be empty")
    spec_versions = _list(args, "match[spec_version]")
    for item in spec_versions:
        if not _SPEC_VERSION.match(item):
            raise _bad("match[spec_version]", f"{item[:20]!r} is not a version like 2.1")
    filters = Filters(
        added_after=added_after,
        ids=_list(args, "match[id]") if "id" in fields else (),
        types=_list(args, "match[type]") if "type" in fields else (),
        versions=_versions(_list(args, "match[version]") if "version" in fields else (),
                           default_versions),
        spec_versions=spec_versions,
    )
    fingerprint = "|".join((
        str(added_after), ",".join(filters.ids), ",".join(filters.types),
        ",".join(filters.versions), ",".join(filters.spec_versions),
    ))
    return Query(filters, limit, token, fingerprint)

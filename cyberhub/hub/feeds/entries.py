"""What a format reads out of a feed: entries, each checked before it may become STIX.

An entry is one value the feed lists (an address, a domain, a URL, a file hash), one
vulnerability (a CVE) or one advisory, with what the feed says about it. `indicator_entry`
checks a value the way the hub checks what an analyst types: canonical form or refusal, and on
top what a feed must never bring - an address that is not public, a value a warning list
names (a feed that lists 8.8.8.8 as C2 is wrong, and would block every town's resolver), a
spreadsheet formula, a date from before the Internet or from the future.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from cyberhub.core import addresses
from cyberhub.hub.correlation import index_keys, values
from cyberhub.hub.correlation.index import key_text
from cyberhub.hub.correlation.warninglists import Warninglists

# No feed entry is older than this, and none is dated more than a day ahead.
EARLIEST_US = int(datetime(1995, 1, 1, tzinfo=timezone.utc).timestamp() * 1_000_000)
AHEAD_US = 24 * 3600 * 1_000_000
# What a spreadsheet would run when it opens an export (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")
MAX_TEXT = 300


class Refused(ValueError):
    """An entry the sync does not take; the message is the reason, in one line."""


@dataclass
class Entry:
    kind: str                      # one of values.KINDS, "cve" or "advisory"
    value: str                     # canonical
    name: str
    stix_type: str = "indicator"   # indicator, vulnerability or report
    labels: tuple[str, ...] = ()
    first_seen: int | None = None  # µs
    reference: str | None = None   # the entry's page at the source
    external_id: str | None = None
    description: str = ""
    gone: bool = False             # the source lists it as no longer active
    revoked: bool = False          # the source says it was wrong
    group: str | None = None       # the event or document it came in
    extra: dict[str, Any] = field(default_factory=dict)  # further STIX properties

    @property
    def key(self) -> str:
        """The correlation index's key of the value."""
        if self.kind in ("sha256", "sha1", "md5"):
            found = index_keys.hash_key(self.kind, self.value)
            assert found is not None
            return key_text(*found)
        return key_text(self.kind, self.value)

    def content(self) -> dict[str, Any]:
        """What the feed said, for the digest that tells a changed entry from the same one."""
        return {"kind": self.kind, "value": self.value, "name": self.name,
                "type": self.stix_type, "labels": list(self.labels),
                "first_seen": self.first_seen, "reference": self.reference,
                "external_id": self.external_id, "description": self.description,
                "gone": self.gone, "revoked": self.revoked, "extra": self.extra}


def text_field(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    """A feed's text cell: one line, no formula, at most `limit` characters."""
    text = " ".join(str(value or "").split())
    if text.startswith(FORMULA_STARTS) or (text.startswith("-") and not text[1:2].isdigit()):
        raise Refused(f"{what} {text[:40]!r} looks like a spreadsheet formula")
    return text[:limit]


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d",
                "%Y-%m-%d %H:%M:%S %Z")


def seen_time(value: Any, *, now: int, formats: tuple[str, ...] = DATE_FORMATS) -> int | None:
    """A feed's date as µs (UTC unless it says otherwise); None when the feed gives none.
    Raises Refused for a date that cannot be read or cannot be true."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.endswith("Z") and "." in text:  # 2024-01-29T10:23:06.123Z
        text = text.split(".")[0] + "Z"
    for pattern in formats:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        us = int(moment.timestamp() * 1_000_000)
        if us < EARLIEST_US or us > now + AHEAD_US:
            raise Refused(f"date {text!r} cannot be true")
        return us
    raise Refused(f"date {text!r} is not a date")


def recognised(value: str) -> str | None:
    """The kind of a bare value in a list: an address, a URL, a hash, else a domain."""
    kind = values.guess_kind(value)
    return None if kind == "email" else kind


def indicator_value(kind: str, raw: str, *, lists: Warninglists) -> str:
    """The canonical value of `raw` as `kind`; Refused with the reason if a feed may not
    bring it."""
    text = str(raw).strip()
    if not text or len(text) > 2048:
        raise Refused("empty value" if not text else "value longer than 2048 characters")
    if text.startswith(FORMULA_STARTS):
        raise Refused(f"value {text[:40]!r} looks like a spreadsheet formula")
    if kind not in values.KINDS:
        raise Refused(f"unknown kind {kind!r}")
    try:
        value = values.canonical(kind, text)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    host = value
    if kind == "url":
        host = urlsplit(value).hostname or ""
    if kind in ("ipv4", "ipv6", "url"):
        _public(host)
    listed = lists.listed(kind, value)
    if listed:
        raise Refused(f"{value} is on the warning list {listed!r}")
    return value


def _public(host: str) -> None:
    try:
        network = ipaddress.ip_network(host, strict=False)
    except ValueError:
        return  # a name, not an address
    reason = addresses.refusal(network.network_address)
    if reason:
        raise Refused(f"{host} is not a public address ({reason})")

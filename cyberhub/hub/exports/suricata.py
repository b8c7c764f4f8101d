"""Suricata rules for the addresses, domains and URLs among the indicators.

One rule per address (traffic to or from it), two per domain (the DNS query for it or any
name below it, and the TLS SNI of a connection to it: `dotprefix` and `endswith` as the
Suricata manual shows for exactly this), one per URL (the HTTP host and the request URI, each
matched whole with `bsize`; this sees plain HTTP, or HTTPS where a proxy decrypts it). Every
rule names the indicators it comes from in its msg and its metadata, and gets a sid of its own,
counted up from a base the operator chooses (1,000,000-1,999,999 is the range the rule
writers' convention leaves for local rules). Rules are sorted by value, so an unchanged set of
indicators gives the same file with the same sids.

Values are canonical before they get here (`values`), and still every byte that could end a
string or an option in the rule language (`"`, `;`, `\\`, `|`) or is no printable ASCII is
written as hex in a content, and left out of a msg.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cyberhub.hub.exports.values import Value, indicator_values

DEFAULT_SID_BASE = 1_000_000
MAX_SID = 2**32 - 1
_MAX_IDS = 5  # indicator ids in one rule's metadata
_SAFE = frozenset(range(0x20, 0x7F)) - {ord(c) for c in '";\\|'}


class RuleError(ValueError):
    pass


def content(text: str) -> str:
    """A content string: printable ASCII as is, everything else as |hex|."""
    out: list[str] = []
    pending: list[str] = []
    for byte in text.encode("utf-8"):
        if byte in _SAFE:
            if pending:
                out.append("|" + " ".join(pending) + "|")
                pending = []
            out.append(chr(byte))
        else:
            pending.append(f"{byte:02X}")
    if pending:
        out.append("|" + " ".join(pending) + "|")
    return '"' + "".join(out) + '"'


def message(text: str) -> str:
    """A msg string: printable ASCII without the characters the rule language reserves."""
    return '"' + "".join(c if ord(c) in _SAFE else "?" for c in text)[:200] + '"'


def _rules_for(value: Value) -> list[tuple[str, str]]:
    """(header, matching options) for one value."""
    if value.kind in ("ipv4", "ipv6"):
        return [(f"alert ip [{value.value}] any <> any any", "")]
    if value.kind == "domain":
        dotted = content("." + value.value)
        return [("alert dns any any -> any any",
                 f"dns.query; dotprefix; content:{dotted}; nocase; endswith;"),
                ("alert tls any any -> any any",
                 f"tls.sni; dotprefix; content:{dotted}; nocase; endswith;")]
    if value.kind == "url":
        parts = urlsplit(value.value)
        host = parts.hostname or ""
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return [("alert http any any -> any any",
                 f"flow:established,to_server; http.host; content:{content(host)}; "
                 f"bsize:{len(host.encode())}; http.uri; content:{content(uri)}; "
                 f"bsize:{len(uri.encode())};")]
    return []


def render(indicators: list[dict[str, Any]], *, sid_base: int = DEFAULT_SID_BASE,
           source: str = "") -> str:
    """The rules file; RuleError when the sids would not fit from this base."""
    sources: dict[Value, list[dict[str, Any]]] = {}
    for indicator in indicators:
        for value in indicator_values(indicator):
            if value.kind in ("ipv4", "ipv6", "domain", "url"):
                sources.setdefault(value, []).append(indicator)
    rules = [(value, header, options) for value in sorted(sources)
             for header, options in _rules_for(value)]
    if sid_base < 1 or sid_base + len(rules) - 1 > MAX_SID:
        raise RuleError(f"sids from {sid_base} for {len(rules)} rules do not fit 1..{MAX_SID}")
    lines = [f"# cyberhub: {len(rules)} rules for {source or 'an export'}; sids from "
             f"{sid_base}"]
    for sid, (value, header, options) in enumerate(rules, start=sid_base):
        named = sorted(sources[value], key=lambda i: str(i.get("id")))
        first = named[0]
        label = f"cyberhub {value.kind} {value.value}"
        if isinstance(first.get("name"), str) and first["name"]:
            label += f" - {first['name']}"
        label += f" ({_ident(first)})"
        metadata = ", ".join(f"cyberhub_indicator {_ident(i)}" for i in named[:_MAX_IDS])
        parts = [f"msg:{message(label)};", options, f"metadata:{metadata};", f"sid:{sid};",
                 "rev:1;"]
        lines.append(f"{header} (" + " ".join(part for part in parts if part) + ")")
    return "\n".join(lines) + "\n"


def _ident(indicator: dict[str, Any]) -> str:
    """The indicator's id as metadata may hold it (no separators: it is a STIX id anyway)."""
    return "".join(c for c in str(indicator.get("id", "")) if c.isascii() and
                   (c.isalnum() or c == "-"))[:120]

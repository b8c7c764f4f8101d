"""Indicator values: the kinds the hub blocks and looks for, each value in its one canonical
form (the form the correlation index keys use), and the STIX pattern that matches it.
Advisories, their console forms and the feed sync all read and write values through here."""

from __future__ import annotations

import ipaddress
import re

from cyberhub.hub.correlation import index_keys

KINDS = ("ipv4", "ipv6", "domain", "url", "sha256", "sha1", "md5", "email")
_HEX_LENGTH = {"sha256": 64, "sha1": 40, "md5": 32}
_EMAIL = re.compile(r"^[^@\s'\"\\]{1,64}@[^@\s'\"\\]{1,253}$")
PATTERN_PATHS = {
    "ipv4": "ipv4-addr:value", "ipv6": "ipv6-addr:value", "domain": "domain-name:value",
    "url": "url:value", "sha256": "file:hashes.'SHA-256'", "sha1": "file:hashes.'SHA-1'",
    "md5": "file:hashes.MD5", "email": "email-addr:value",
}


def canonical(kind: str, value: str) -> str:
    """The value in the form patterns and the index use; ValueError if it is not one."""
    if kind in ("ipv4", "ipv6"):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
        if (network.version == 4) != (kind == "ipv4"):
            raise ValueError(f"{value!r} is not an {kind} address")
        full = network.prefixlen == network.max_prefixlen
        return str(network.network_address) if full else str(network)
    if kind == "domain":
        name = index_keys.canonical_domain(value)
        if name is None:
            raise ValueError(f"{value!r} is not a domain name")
        return name
    if kind == "url":
        url = index_keys.canonical_url(value)
        if url is None or urlsafe(url) is False:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return url
    if kind in _HEX_LENGTH:
        digest = value.lower()
        if len(digest) != _HEX_LENGTH[kind] or not re.fullmatch(r"[0-9a-f]+", digest):
            raise ValueError(f"{value!r} is not a {kind} hash ({_HEX_LENGTH[kind]} hex digits)")
        return digest
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def urlsafe(url: str) -> bool:
    return url.startswith(("http://", "https://")) and not any(c.isspace() for c in url)


def guess_kind(value: str) -> str | None:
    """The kind of a value an analyst typed without one: an address, a URL, a sender, a
    hash by its length, else a domain name. None when it is none of them."""
    for kind in ("ipv4", "ipv6"):
        try:
            canonical(kind, value)
            return kind
        except ValueError:
            pass
    if value.lower().startswith(("http://", "https://")):
        return "url"
    if "@" in value:
        return "email"
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        return {64: "sha256", 40: "sha1", 32: "md5"}.get(len(value))
    return "domain"


def quoted(value: str) -> str:
    """A STIX pattern string literal (section 9.4 of STIX 2.1: escape \\ and ')."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern(kind: str, value: str) -> str:
    """The STIX pattern matching one canonical value of a kind."""
    return f"[{PATTERN_PATHS[kind]} = {quoted(value)}]"

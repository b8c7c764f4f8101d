"""What the log collectors share: their two results, their error, and small helpers.

A *finding* is a pattern worth an incident report (a brute force, a scan, an exploit attempt),
explained in sentences an IT generalist understands. An *observation* is one address or request
target seen doing something suspicious, kept so that a later advisory from the hub can be
matched against it. Ordinary visitors never become observations: their addresses are personal
data, and a town has no business keeping them beyond its normal logs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cyberhub.agent.texts import Phrase


class CollectorError(Exception):
    """A log file cannot be read; the one-line message names the file."""


@dataclass(frozen=True)
class Observation:
    kind: str  # "ipv4", "ipv6", "domain" or "url"
    value: str
    first_seen: datetime
    last_seen: datetime
    count: int
    source: str


@dataclass(frozen=True)
class Finding:
    kind: str  # ssh-brute-force, ssh-login-after-failures, web-scan, web-exploit-attempt
    source: str
    address: str
    first_seen: datetime
    last_seen: datetime
    count: int
    score: int
    reasons: tuple[Phrase, ...] = ()  # said in the reader's language where they are shown
    incident_types: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


@lru_cache(maxsize=65536)  # attackers repeat themselves; parsing addresses is not free
def canonical_address(text: str) -> tuple[str, str] | None:
    """("ipv4" | "ipv6", canonical text) for an IP address, None for anything else."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; it is the same attacker.
        address = address.ipv4_mapped
    return ("ipv4" if address.version == 4 else "ipv6"), str(address)


def address_kind(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


def describe_span(first: datetime, last: datetime) -> Phrase:
    """'4 Minuten', '30 Sekunden', '3 Stunden' — how long something went on, for people."""
    seconds = int((last - first).total_seconds())
    if seconds < 2:
        return Phrase.of("agent.reasons.span_second")
    if seconds < 120:
        return Phrase.of("agent.reasons.span_seconds", count=seconds)
    minutes = round(seconds / 60)
    if minutes < 120:
        return Phrase.of("agent.reasons.span_minutes", count=minutes)
    hours = round(minutes / 60)
    if hours < 48:
        return Phrase.of("agent.reasons.span_hours", count=hours)
    return Phrase.of("agent.reasons.span_days", count=round(hours / 24))


def window_of(thresholds: Any) -> timedelta:
    return timedelta(minutes=thresholds.window_minutes)

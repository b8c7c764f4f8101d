"""Log collectors: read what is new in a log file and turn it into findings and observations.

A *finding* is a pattern worth an incident report (a brute force, a scan, an exploit attempt),
explained in sentences an IT generalist understands. An *observation* is one address or request
target seen doing something suspicious, kept so that a later advisory from the hub can be
matched against it. Ordinary visitors never become observations: their addresses are personal
data, and a town has no business keeping them beyond its normal logs.

`collect` is stateless: it sees one batch of lines. Activity split across two batches is
judged per batch, so an attack straddling a batch boundary may only be reported once it is
dense enough in one of them.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

# Enough for a busy day of a town's web server; the rest is read on the next call.
MAX_READ = 50 * 1024 * 1024


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
    reasons: tuple[str, ...] = ()
    incident_types: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


def read_new_lines(path: Path, inode: int | None, offset: int) -> tuple[list[str], int, int]:
    """The complete lines added to `path` since (inode, offset), and the position after them.

    A different inode means logrotate moved the old file away; a file shorter than the offset
    means it was truncated in place (copytruncate). Both restart at the beginning. Lines that
    were written to the old file after the last call are not seen: following renamed files
    would need to guess logrotate's naming, and a few lost lines do not hide an attack that
    goes on. A last line without its newline is still being written and is left for next time.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            if (inode is not None and status.st_ino != inode) or status.st_size < offset:
                offset = 0
            handle.seek(offset)
            data = handle.read(MAX_READ)
    except FileNotFoundError:
        raise CollectorError(f"log file not found: {path}") from None
    except PermissionError:
        raise CollectorError(f"no permission to read log file {path} (run the agent as a user "
                             "in the group that may read it, e.g. adm)") from None
    except IsADirectoryError:
        raise CollectorError(f"log file {path} is a directory") from None
    except OSError as exc:
        raise CollectorError(f"cannot read log file {path}: {exc.strerror or exc}") from None
    end = data.rfind(b"\n") + 1
    if end == 0:
        # A single line longer than MAX_READ would otherwise block the file for ever: skip it.
        skipped = len(data) if len(data) >= MAX_READ else 0
        return [], status.st_ino, offset + skipped
    # "\n" is never part of a multi-byte UTF-8 sequence, so decoding first and splitting after
    # gives the same lines as splitting the bytes; str.splitlines would also split on \x0b etc.
    text = data[:end].decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")[:-1]]
    return lines, status.st_ino, offset + end


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


def describe_span(first: datetime, last: datetime) -> str:
    """'4 minutes', '30 seconds', '3 hours' — how long something went on, for people."""
    seconds = int((last - first).total_seconds())
    if seconds < 2:
        return "1 second"
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def window_of(thresholds: Any) -> timedelta:
    return timedelta(minutes=thresholds.window_minutes)


def collect(kind: str, name: str, lines: list[str], *, thresholds: Any,
            now: datetime) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in one batch of lines from a collector of this kind.

    `thresholds` has `ssh_failures`, `web_not_found` and `window_minutes`
    (`cyberhub.agent.config.Thresholds`). `now` (timezone-aware) dates syslog lines, which
    carry no year.
    """
    # Imported here because the parsers import the types above from this module.
    if kind == "sshd":
        from cyberhub.agent.collectors import sshd
        return sshd.parse(name, lines, thresholds=thresholds, now=now)
    if kind == "web":
        from cyberhub.agent.collectors import weblog
        return weblog.parse(name, lines, thresholds=thresholds, now=now)
    raise CollectorError(f"unknown collector kind {kind!r} for {name}; use sshd or web")

"""Real systemd journal files for the tests, without a running journald.

Entries are written in the Journal Export Format (systemd.io/JOURNAL_EXPORT_FORMAT) and turned
into a `.journal` file by Debian's `systemd-journal-remote`, which the real `journalctl` then
reads with `--file`. Syslog lines (the auth.log fixtures) become the entries journald would
have stored for them, so that both sources are tested with the same scenarios.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

JOURNAL_REMOTE = next((path for path in ("/usr/lib/systemd/systemd-journal-remote",
                                         "/lib/systemd/systemd-journal-remote")
                       if Path(path).is_file()), None)
needs_journal = pytest.mark.skipif(
    JOURNAL_REMOTE is None or shutil.which("journalctl") is None,
    reason="journalctl and systemd-journal-remote (Debian: systemd-journal-remote) are needed")

BOOT_ID = "4f1c0a7e9d2b4c3a8e6f5d4c3b2a1908"
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d) (\S+) ([\w.-]+?)"
                     r"(?:\[(\d+)\])?: (.*)$")
_REPEATED = re.compile(r"^message repeated (\d+) times: \[ ?(.*?) ?\]$")


def entry(moment: datetime, message: str | bytes, program: str = "sshd", pid: int = 4242,
          host: str = "rathaus-srv01", comm: str | None = None) -> dict[str, str | bytes]:
    """The fields journald stores for a syslog message: the identifier the program gave itself
    and, from the kernel, its command name (`comm=""` leaves it out, as when the process exited
    before journald looked it up)."""
    fields: dict[str, str | bytes] = {
        "__REALTIME_TIMESTAMP": str(int(moment.timestamp() * 1_000_000)),
        "_BOOT_ID": BOOT_ID, "_HOSTNAME": host, "_TRANSPORT": "syslog", "PRIORITY": "6",
        "SYSLOG_FACILITY": "10", "SYSLOG_IDENTIFIER": program, "SYSLOG_PID": str(pid),
        "_PID": str(pid), "MESSAGE": message,
    }
    comm = program.lower()[:15] if comm is None else comm
    if comm:
        fields["_COMM"] = comm
    return fields


def from_syslog(lines: list[str], year: int) -> list[dict[str, str | bytes]]:
    """The entries journald would hold for these syslog lines (times in UTC); lines that are
    not syslog are left out. rsyslog's "message repeated N times" becomes the N entries it
    stands for: journald keeps them all."""
    entries = []
    for line in lines:
        match = _SYSLOG.match(line)
        if match is None:
            continue
        month, day, clock, host, program, pid, message = match.groups()
        try:
            moment = datetime.strptime(f"{year} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
        except ValueError:  # "Nov 99": journald stamps its entries itself, never like that
            continue
        moment = moment.replace(tzinfo=UTC)
        count = 1
        if repeated := _REPEATED.match(message):
            count, message = int(repeated.group(1)), repeated.group(2)
        entries += [entry(moment, message, program, int(pid or 1), host)] * count
    return entries


def _export(entries: list[dict[str, str | bytes]]) -> bytes:
    out = bytearray()
    for monotonic, fields in enumerate(entries, start=1):
        fields = {**fields, "__MONOTONIC_TIMESTAMP": str(monotonic)}
        for name, value in fields.items():
            data = value.encode() if isinstance(value, str) else value
            if all(32 <= byte < 127 for byte in data):
                out += name.encode() + b"=" + data + b"\n"
            else:  # the binary-safe form: name, newline, little-endian length, bytes
                out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        out += b"\n"
    return bytes(out)


def write_journal(path: Path, entries: list[dict[str, str | bytes]]) -> Path:
    """Write (or append) these entries to the journal file at `path` (name ending .journal)."""
    export = path.with_suffix(".export")
    export.write_bytes(_export(entries))
    subprocess.run([JOURNAL_REMOTE, f"--output={path}", str(export)], check=True,
                   capture_output=True, timeout=30)
    export.unlink()
    return path

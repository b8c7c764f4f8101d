"""The systemd journal as a log source, read through `journalctl -o json`.

Debian 12 and later and current Ubuntu write sshd's messages only to the journal: there is no
/var/log/auth.log to read. journalctl rather than the `systemd` python binding, which needs
libsystemd's headers and a compiler to install; journalctl is there wherever a journal is.

Each entry is read once: the `__CURSOR` of the last entry read is stored, and the next call
starts after it (`--after-cursor`). Without a cursor, only the entries since `since` are read
(the collector's window), not years of journal. journalctl's output is read as a stream and
stops after `MAX_ENTRIES` entries; the rest comes with the next call, from the cursor.

An entry becomes the same `sshd.Record` a syslog line becomes, so that the detections are the
same code for both sources.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from cyberhub.agent.collectors.common import CollectorError
from cyberhub.agent.collectors.sshd import Record
from cyberhub.agent.texts import say, stix_moment

log = logging.getLogger("cyberhub.agent")

JOURNALCTL = "journalctl"
# A day of a busy server's sshd under attack; the rest is read on the next call.
MAX_ENTRIES = 100_000
TIMEOUT = 300  # seconds; a journalctl that hangs must not stop the agent's collection for ever
# journalctl prints fields over 4096 bytes as null unless given --all, which is left out: that
# bounds every line it prints, and sshd never logs a message that long (its buffer is 1 KiB).
FIELDS = "MESSAGE,SYSLOG_IDENTIFIER,_COMM"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What journalctl says, on success, when the agent's user may read only its own entries.
_NOT_PERMITTED = ("not seeing messages from other users", "insufficient permissions")


@dataclass
class Batch:
    """What one call read: the records of the entries, and where the next call starts."""
    records: list[Record]
    cursor: str | None  # after the last entry read; the cursor given if there was none
    entries: int = 0
    complete: bool = True  # False: stopped at MAX_ENTRIES or TIMEOUT, more is waiting


def available() -> bool:
    return shutil.which(JOURNALCTL) is not None


def command(programs: Iterable[str], *, since: datetime, cursor: str | None = None,
            journal: Path | None = None) -> list[str]:
    """The journalctl command line for the entries of these programs."""
    args = [JOURNALCTL, "--output=json", "--no-pager", f"--output-fields={FIELDS}"]
    if journal is not None:
        args.append(f"--directory={journal}" if journal.is_dir() else f"--file={journal}")
    if cursor:
        args.append(f"--after-cursor={cursor}")
    else:
        args.append(f"--since=@{since.timestamp():.6f}")
    names = sorted(programs)
    # _COMM is set by journald, so it cannot be forged; but it is missing when a short-lived
    # process (sshd-session after a failed login) exited before journald looked it up. The
    # identifier the program gave itself covers those. "+" joins the two: either matches.
    args += [f"_COMM={name}" for name in names] + ["+"]
    args += [f"SYSLOG_IDENTIFIER={name}" for name in names]
    return args


def _text(value: Any) -> str | None:
    """A field's value as text. journalctl writes a value that is not valid UTF-8 as a list of
    byte values, a field that occurs several times in one entry as a list of its values, and
    one longer than 4096 bytes as null."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if all(isinstance(byte, int) and 0 <= byte < 256 for byte in value):
            return bytes(value).decode("utf-8", errors="replace")
        return next((text for item in value if (text := _text(item)) is not None), None)
    return None


def record(entry: dict[str, Any]) -> Record | None:
    """The record of one journal entry; None without a time, a program or a message."""
    message = _text(entry.get("MESSAGE"))
    program = _text(entry.get("SYSLOG_IDENTIFIER")) or _text(entry.get("_COMM"))
    try:
        # Microseconds since the epoch, exact: a float would round them.
        moment = _EPOCH + timedelta(microseconds=int(entry["__REALTIME_TIMESTAMP"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if message is None or not program:
        return None
    return Record(moment, program, message)


def _entry(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:  # also UnicodeDecodeError
        return None
    return entry if isinstance(entry, dict) else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class _CursorRefused(Exception):
    """journalctl cannot seek to the stored cursor."""


def read(programs: Iterable[str], *, since: datetime, cursor: str | None = None,
         journal: Path | None = None) -> Batch:
    """The entries of these programs after `cursor` (or since `since` without one), at most
    MAX_ENTRIES. A journalctl that is missing or fails is a CollectorError."""
    programs = tuple(programs)
    if journal is not None and not journal.exists():
        raise CollectorError(say("agent.journal.no_journal", path=journal))
    try:
        return _run(command(programs, since=since, cursor=cursor, journal=journal), cursor)
    except _CursorRefused as refused:
        # Only journalctl wrote the cursor, but a damaged database or an edited one must not
        # stop the collection for good: start again from the window.
        log.warning("%s", say("agent.journal.cursor", error=refused, since=stix_moment(since)))
        return _run(command(programs, since=since, journal=journal), None)


def _run(args: list[str], cursor: str | None) -> Batch:
    batch = Batch([], cursor)
    bad = 0
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as errors:  # a pipe could fill up and block journalctl
        try:
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=errors)
        except FileNotFoundError:
            raise CollectorError(say("agent.journal.missing")) from None
        except OSError as exc:
            raise CollectorError(say("agent.journal.start", error=exc.strerror or exc)) from None

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(TIMEOUT, stop)
        timer.start()
        try:
            for line in process.stdout:
                entry = _entry(line)
                if entry is None:
                    bad += 1
                    continue
                if isinstance(entry.get("__CURSOR"), str):
                    batch.cursor = entry["__CURSOR"]
                if (found := record(entry)) is not None:
                    batch.records.append(found)
                batch.entries += 1
                if batch.entries >= MAX_ENTRIES:
                    batch.complete = False
                    break
        finally:
            timer.cancel()
            process.stdout.close()
            if process.poll() is None:
                process.kill()  # stopped early on purpose, or an exception
            code = process.wait()
        errors.seek(0)
        said = errors.read(65536).decode("utf-8", errors="replace")
    if bad:
        log.warning("%s", say("agent.journal.bad_lines", count=bad))
    if timed_out.is_set():
        log.warning("%s", say("agent.journal.timeout", seconds=TIMEOUT))
        batch.complete = False
    elif not batch.complete:
        log.info("%s", say("agent.journal.backlog", count=batch.entries))
    elif code != 0:
        error = _first_line(said) or f"exit status {code}"
        if cursor and "cursor" in error.lower():
            raise _CursorRefused(error)
        raise CollectorError(say("agent.journal.failed", code=code, error=error))
    if any(hint in said for hint in _NOT_PERMITTED):
        raise CollectorError(say("agent.journal.permission"))
    if said.strip() and batch.complete:
        log.warning("%s", say("agent.journal.warning", error=_first_line(said)))
    return batch

"""Log collectors: read what is new in a log file, or for sshd in the systemd journal
(`journal`), and turn it into findings and observations (see `common` for what those are), with
one parser per kind of log: `sshd` and `weblog`.

`collect` is stateless: it sees one batch of lines. Activity split across two batches is
judged per batch, so an attack straddling a batch boundary may only be reported once it is
dense enough in one of them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cyberhub.agent.collectors import journal, sshd, weblog
from cyberhub.agent.collectors.common import CollectorError, Finding, Observation
from cyberhub.agent.texts import say

# Enough for a busy day of a town's web server; the rest is read on the next call.
MAX_READ = 50 * 1024 * 1024


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
        raise CollectorError(say("agent.collectors.not_found", path=path)) from None
    except PermissionError:
        raise CollectorError(say("agent.collectors.no_permission", path=path)) from None
    except IsADirectoryError:
        raise CollectorError(say("agent.collectors.directory", path=path)) from None
    except OSError as exc:
        raise CollectorError(say("agent.collectors.unreadable", path=path,
                                 error=exc.strerror or exc)) from None
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


def reads_journal(source: Any) -> bool:
    """Whether a collector (`cyberhub.agent.node_settings.Collector`) reads the systemd journal
    rather than its file: with source "auto", when the file does not exist and journalctl does.
    Without either, the file is read, and its error names the file that is missing."""
    if source.kind != "sshd" or source.source == "file":
        return False
    if source.source == "journal":
        return True
    return not source.path.exists() and journal.available()


def collect(kind: str, name: str, lines: list[str], *, thresholds: Any,
            now: datetime) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in one batch of lines from a collector of this kind.

    `thresholds` has `ssh_failures`, `web_not_found` and `window_minutes`
    (`cyberhub.agent.node_settings.Thresholds`). `now` (timezone-aware) dates syslog lines, which
    carry no year.
    """
    if kind == "sshd":
        return sshd.parse(name, lines, thresholds=thresholds, now=now)
    if kind == "web":
        return weblog.parse(name, lines, thresholds=thresholds, now=now)
    raise CollectorError(say("agent.collectors.unknown_kind", kind=kind, name=name))


def read_journal(source: Any, *, cursor: str | None, since: datetime) -> journal.Batch:
    """The journal entries of this collector's programs after `cursor`, or since `since`."""
    if source.kind != "sshd":
        raise CollectorError(say("agent.collectors.not_in_journal", kind=source.kind,
                                 name=source.name or source.path))
    return journal.read(sshd.PROGRAMS, since=since, cursor=cursor, journal=source.journal)


def collect_journal(kind: str, name: str, records: list[sshd.Record], *,
                    thresholds: Any) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in the records of journal entries: the same detections as
    for the lines of a log file of this kind."""
    if kind == "sshd":
        return sshd.parse_records(name, records, thresholds=thresholds)
    raise CollectorError(say("agent.collectors.not_in_journal", kind=kind, name=name))

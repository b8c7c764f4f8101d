"""The log reader: only complete new lines, across rotation and truncation; and `collect`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cyberhub.agent import collectors
from cyberhub.agent.collectors import collect, read_new_lines
from cyberhub.agent.collectors.common import CollectorError
from cyberhub.agent.node_settings import Thresholds

LOGS = Path(__file__).parent.parent / "data" / "logs"
LINE = "Nov 20 07:15:01 web1 sshd[4000]: Failed password for root from 203.0.113.5 port 40000 ssh2"


def test_reads_new_lines_and_remembers_the_position(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("first\nsecond\n")
    lines, inode, offset = read_new_lines(log, None, 0)
    assert lines == ["first", "second"]
    assert inode == os.stat(log).st_ino and offset == len("first\nsecond\n")

    assert read_new_lines(log, inode, offset) == ([], inode, offset)
    with log.open("a") as handle:
        handle.write("third\n")
    assert read_new_lines(log, inode, offset) == (["third"], inode, offset + 6)


def test_a_partial_last_line_waits_for_its_newline(tmp_path):
    log = tmp_path / "access.log"
    log.write_text("complete\nhalf a li")
    lines, inode, offset = read_new_lines(log, None, 0)
    assert lines == ["complete"] and offset == len("complete\n")
    with log.open("a") as handle:
        handle.write("ne\n")
    assert read_new_lines(log, inode, offset)[0] == ["half a line"]


def test_rotation_starts_the_new_file_from_the_beginning(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("old 1\nold 2\nold 3\n")
    _, inode, offset = read_new_lines(log, None, 0)
    log.rename(tmp_path / "auth.log.1")  # what logrotate does; the old file stays
    log.write_text("new 1\n")
    lines, new_inode, new_offset = read_new_lines(log, inode, offset)
    assert lines == ["new 1"]
    assert new_inode != inode and new_offset == len("new 1\n")


def test_truncation_in_place_starts_from_the_beginning(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("a long line before copytruncate\n" * 3)
    _, inode, offset = read_new_lines(log, None, 0)
    with log.open("r+") as handle:  # copytruncate keeps the inode
        handle.truncate(0)
        handle.write("short\n")
    assert read_new_lines(log, inode, offset) == (["short"], inode, len("short\n"))


def test_crlf_and_invalid_utf8_do_not_break_lines(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(b"windows line\r\nbad \xff byte\nvertical\x0btab stays\n")
    lines, _, _ = read_new_lines(log, None, 0)
    assert lines == ["windows line", "bad \ufffd byte", "vertical\x0btab stays"]


def test_reads_at_most_max_read_bytes_per_call(tmp_path, monkeypatch):
    monkeypatch.setattr(collectors, "MAX_READ", 16)
    log = tmp_path / "auth.log"
    log.write_text("0123456789\nabcdefghij\n")
    lines, inode, offset = read_new_lines(log, None, 0)
    assert lines == ["0123456789"] and offset == 11
    assert read_new_lines(log, inode, offset)[0] == ["abcdefghij"]


def test_a_line_longer_than_max_read_is_skipped_not_stuck(tmp_path, monkeypatch):
    monkeypatch.setattr(collectors, "MAX_READ", 8)
    log = tmp_path / "auth.log"
    log.write_text("x" * 20 + "\nok\n")
    position = (None, 0)
    seen: list[str] = []
    for _ in range(6):
        lines, *position = read_new_lines(log, *position)
        seen += lines
    assert seen[-1] == "ok"


def test_missing_file_is_a_collector_error_naming_the_path(tmp_path):
    missing = tmp_path / "nginx" / "access.log"
    with pytest.raises(CollectorError) as error:
        read_new_lines(missing, None, 0)
    assert str(missing) in str(error.value) and "\n" not in str(error.value)


def test_a_directory_is_a_collector_error(tmp_path):
    with pytest.raises(CollectorError, match="ist ein Verzeichnis"):
        read_new_lines(tmp_path, None, 0)


def test_unreadable_file_is_a_collector_error(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(LINE + "\n")
    log.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(CollectorError, match="Keine Berechtigung"):
            read_new_lines(log, None, 0)
        return
    # Root reads any file: ask as an unprivileged user, as the agent runs under systemd. The
    # real uid stays root, so the effective one can be switched back.
    os.seteuid(65534)
    try:
        with pytest.raises(CollectorError) as caught:
            read_new_lines(log, None, 0)
    finally:
        os.seteuid(0)
    assert str(caught.value).startswith(f"Keine Berechtigung, die Logdatei {log} zu lesen")


def test_collect_dispatches_by_kind():
    now = datetime(2026, 11, 21, tzinfo=UTC)
    auth = (LOGS / "auth.log").read_text().splitlines()
    findings, observations = collect("sshd", "auth.log", auth, thresholds=Thresholds(), now=now)
    assert {f.kind for f in findings} == {"ssh-brute-force", "ssh-login-after-failures"}
    assert all(f.source == "auth.log" for f in findings)
    assert all(o.source == "auth.log" for o in observations)

    access = (LOGS / "access.log").read_text().splitlines()
    findings, _ = collect("web", "www", access, thresholds=Thresholds(), now=now)
    assert {f.kind for f in findings} == {"web-scan", "web-exploit-attempt"}

    with pytest.raises(CollectorError, match="Unbekannte Art von Sammler 'mail'"):
        collect("mail", "postfix", [], thresholds=Thresholds(), now=now)


def test_collect_reads_the_files_end_to_end(tmp_path):
    """The path the agent takes: read new lines, collect, read again and find nothing new."""
    log = tmp_path / "auth.log"
    log.write_bytes((LOGS / "auth.log").read_bytes())
    lines, inode, offset = read_new_lines(log, None, 0)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    findings, _ = collect("sshd", "auth", lines, thresholds=Thresholds(), now=now)
    assert len(findings) == 3
    lines, _, _ = read_new_lines(log, inode, offset)
    assert collect("sshd", "auth", lines, thresholds=Thresholds(), now=now) == ([], [])

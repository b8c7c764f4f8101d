"""The systemd journal as the sshd collector's source: the real journalctl on real journal files
(written by systemd-journal-remote, see `journal_files`), read once per entry across runs.

The detections themselves run on journal files in test_collectors_sshd.py, scenario for
scenario with the auth.log lines. Where real journalctl cannot be made to misbehave (garbage
on its output, the permission hint, a hang), a two-line shell script stands in front of it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.journal_files import entry, from_syslog, needs_journal, write_journal
from cyberhub.agent import collecting, collectors
from cyberhub.agent.collectors import journal, sshd
from cyberhub.agent.collectors.common import CollectorError
from cyberhub.agent.context import open_agent
from cyberhub.agent.node_settings import DEFAULT_SSHD_LOG, Collector, Thresholds, load_settings
from cyberhub.core.config_files import ConfigError

LOGS = Path(__file__).parent.parent / "data" / "logs"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)
FAILED = "journalctl ist mit Fehler 1 beendet: Failed to open files: "
pytestmark = needs_journal


def failures(start: datetime, count: int, address: str = "203.0.113.5",
             user: bytes = b"root") -> list[dict]:
    return [entry(start + timedelta(seconds=i), b"Failed password for " + user +
                  f" from {address} port {40000 + i} ssh2".encode(), pid=5000 + i)
            for i in range(count)]


@pytest.fixture
def journal_file(tmp_path):
    path = tmp_path / "system.journal"
    yield path
    path.unlink(missing_ok=True)  # 8 MiB each: do not keep them for pytest's last three runs


def read(path, **options):
    options.setdefault("since", LONG_AGO)
    return journal.read(sshd.PROGRAMS, journal=path, **options)


def stand_in(tmp_path, monkeypatch, script: str) -> None:
    """Put a shell script in front of the real journalctl (its arguments unchanged)."""
    path = tmp_path / "journalctl"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    monkeypatch.setattr(journal, "JOURNALCTL", str(path))


# --- the command line -------------------------------------------------------------------------

def test_the_command_filters_sshd_and_starts_at_the_cursor_or_the_window(tmp_path):
    args = journal.command(sshd.PROGRAMS, since=NOW, cursor="s=1;i=2")
    assert args[:3] == ["journalctl", "--output=json", "--no-pager"]
    assert "--after-cursor=s=1;i=2" in args and not any(a.startswith("--since") for a in args)
    # Either the trusted command name or the syslog identifier: "+" between the two groups.
    matches = args[args.index("_COMM=sshd"):]
    assert matches == ["_COMM=sshd", "_COMM=sshd-auth", "_COMM=sshd-session", "+",
                       "SYSLOG_IDENTIFIER=sshd", "SYSLOG_IDENTIFIER=sshd-auth",
                       "SYSLOG_IDENTIFIER=sshd-session"]

    first = journal.command(["sshd"], since=NOW)
    assert f"--since=@{NOW.timestamp():.6f}" in first
    assert not any(a.startswith("--after-cursor") for a in first)
    assert f"--directory={tmp_path}" in journal.command(["sshd"], since=NOW, journal=tmp_path)
    assert f"--file={tmp_path / 'x.journal'}" in journal.command(
        ["sshd"], since=NOW, journal=tmp_path / "x.journal")


# --- reading: each entry once, the window, what an entry becomes ---------------------------

def test_each_entry_is_read_once_across_calls(journal_file):
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 3))
    first = read(journal_file)
    assert [r.message.split(" port ")[1] for r in first.records] == ["40000 ssh2", "40001 ssh2",
                                                                     "40002 ssh2"]
    assert first.cursor and first.complete

    again = read(journal_file, cursor=first.cursor)
    assert again.records == [] and again.cursor == first.cursor

    write_journal(journal_file, failures(NOW, 2, address="198.51.100.9"))  # journald appends
    later = read(journal_file, cursor=first.cursor)
    assert [r.message for r in later.records] == [
        "Failed password for root from 198.51.100.9 port 40000 ssh2",
        "Failed password for root from 198.51.100.9 port 40001 ssh2"]
    assert later.cursor != first.cursor


def test_without_a_cursor_only_the_window_is_read(journal_file):
    write_journal(journal_file, failures(NOW - timedelta(hours=3), 2, address="192.0.2.1")
                  + failures(NOW - timedelta(minutes=4), 2, address="192.0.2.2"))
    batch = read(journal_file, since=NOW - timedelta(minutes=10))
    assert {r.message.split(" from ")[1].split()[0] for r in batch.records} == {"192.0.2.2"}


def test_an_entry_becomes_the_record_a_syslog_line_becomes(journal_file):
    moment = datetime(2026, 11, 20, 7, 15, 1, 123456, tzinfo=UTC)
    write_journal(journal_file, [entry(moment, "Invalid user admin from 203.0.113.5 port 4",
                                       "sshd-session")])
    [record] = read(journal_file).records
    assert record == sshd.Record(moment, "sshd-session",
                                 "Invalid user admin from 203.0.113.5 port 4")
    line = "Nov 20 07:15:01 rathaus-srv01 sshd-session[4242]: Invalid user admin from " \
           "203.0.113.5 port 4"
    assert sshd._parse_line(line, NOW, UTC) == record._replace(time=moment.replace(microsecond=0))


def test_only_sshd_entries_are_read(journal_file):
    start = NOW - timedelta(minutes=5)
    message = "Failed password for root from 203.0.113.5 port 22 ssh2"
    write_journal(journal_file, [
        entry(start, message, "sshd"),
        entry(start, message, "sshd-session"),
        entry(start, message, "sshd-auth"),
        # A short-lived sshd-session exited before journald read its command name.
        entry(start, message, "sshd-session", comm=""),
        entry(start, message, "su"),
        entry(start, "(root) CMD (run-parts /etc/cron.hourly)", "CRON"),
    ])
    programs = [r.program for r in read(journal_file).records]
    assert programs == ["sshd", "sshd-session", "sshd-auth", "sshd-session"]


def test_a_message_that_is_not_utf8_arrives_as_bytes_and_still_counts(journal_file):
    """journalctl writes such a MESSAGE as a JSON list of byte values."""
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 10, user=b"adm\xffin"))
    batch = read(journal_file)
    assert batch.records[0].message.startswith("Failed password for adm\ufffdin from")
    [finding], _ = sshd.parse_records("journal", batch.records, thresholds=Thresholds())
    assert finding.kind == "ssh-brute-force" and finding.count == 10
    assert "'adm\ufffdin'" in finding.reasons[0].text()


@pytest.mark.parametrize("fields, expected", [
    ({"MESSAGE": "m", "SYSLOG_IDENTIFIER": "sshd", "__REALTIME_TIMESTAMP": "1"}, "m"),
    ({"MESSAGE": [104, 105], "_COMM": "sshd", "__REALTIME_TIMESTAMP": "1"}, "hi"),
    # A field given twice in one entry: a list of its values.
    ({"MESSAGE": [None, [104, 105], "x"], "_COMM": "sshd", "__REALTIME_TIMESTAMP": "1"}, "hi"),
    ({"MESSAGE": None, "_COMM": "sshd", "__REALTIME_TIMESTAMP": "1"}, None),  # over 4096 bytes
    ({"MESSAGE": "m", "__REALTIME_TIMESTAMP": "1"}, None),
    ({"MESSAGE": "m", "_COMM": "sshd"}, None),
    ({"MESSAGE": "m", "_COMM": "sshd", "__REALTIME_TIMESTAMP": "soon"}, None),
    ({"MESSAGE": "m", "_COMM": "sshd", "__REALTIME_TIMESTAMP": "9" * 30}, None),
    ({"MESSAGE": [300], "_COMM": "sshd", "__REALTIME_TIMESTAMP": "1"}, None),
])
def test_odd_entries(fields, expected):
    found = journal.record(fields)
    assert (found and found.message) == expected


def test_a_backlog_is_read_in_bounded_parts_each_entry_once(journal_file, monkeypatch):
    monkeypatch.setattr(journal, "MAX_ENTRIES", 4)
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 10))
    seen, cursor, parts = [], None, []
    for _ in range(4):
        batch = read(journal_file, cursor=cursor)
        seen += [r.message for r in batch.records]
        parts.append((len(batch.records), batch.complete))
        cursor = batch.cursor
    assert parts == [(4, False), (4, False), (2, True), (0, True)]
    assert seen == [f"Failed password for root from 203.0.113.5 port {40000 + i} ssh2"
                    for i in range(10)]


# --- when journalctl is missing or fails: one line, no traceback ---------------------------

def test_journalctl_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not journal.available()
    with pytest.raises(CollectorError) as error:
        journal.read(sshd.PROGRAMS, since=NOW)
    assert str(error.value).startswith("journalctl nicht gefunden")
    assert "\n" not in str(error.value)


def test_journalctl_failing_is_one_line_with_its_reason(tmp_path):
    broken = tmp_path / "broken.journal"
    broken.write_text("this is no journal\n")
    with pytest.raises(CollectorError) as error:
        read(broken)
    # journalctl's own reason follows ("No data available" for this file).
    assert str(error.value).startswith(FAILED)
    assert "\n" not in str(error.value)


def test_a_journal_path_that_does_not_exist(tmp_path):
    with pytest.raises(CollectorError, match="Journal nicht gefunden: .*/remote"):
        read(tmp_path / "remote")


def test_an_unusable_cursor_starts_again_from_the_window(journal_file, caplog):
    write_journal(journal_file, failures(NOW - timedelta(hours=2), 1, address="192.0.2.1")
                  + failures(NOW - timedelta(minutes=2), 1, address="192.0.2.2"))
    with caplog.at_level(logging.WARNING, logger="cyberhub.agent"):
        batch = read(journal_file, cursor="damaged", since=NOW - timedelta(minutes=10))
    assert [r.message.split(" from ")[1].split()[0] for r in batch.records] == ["192.0.2.2"]
    assert batch.cursor and batch.cursor != "damaged"
    assert "Leseposition im Journal ist unbrauchbar (Failed to seek to cursor" in caplog.text


def test_lines_that_are_not_json_entries_are_skipped(journal_file, tmp_path, monkeypatch,
                                                     caplog):
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 2))
    stand_in(tmp_path, monkeypatch, "echo '{\"MESSAGE\": \"cut off'; echo '[1, 2]'\n"
                                    "exec journalctl \"$@\"")
    with caplog.at_level(logging.WARNING, logger="cyberhub.agent"):
        batch = read(journal_file)
    assert len(batch.records) == 2 and batch.cursor
    assert "2 Zeile(n) von journalctl waren kein JSON-Eintrag" in caplog.text


def test_a_user_who_may_not_read_the_journal_is_told_how_to_fix_it(journal_file, tmp_path,
                                                                   monkeypatch):
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 2))
    stand_in(tmp_path, monkeypatch, "echo 'Hint: You are currently not seeing messages from "
                                    "other users and the system.' >&2\nexec journalctl \"$@\"")
    with pytest.raises(CollectorError, match="Gruppe systemd-journal"):
        read(journal_file)


def test_a_hanging_journalctl_is_stopped_keeping_what_it_said(journal_file, tmp_path,
                                                             monkeypatch):
    write_journal(journal_file, failures(NOW - timedelta(minutes=5), 3))
    stand_in(tmp_path, monkeypatch, "journalctl \"$@\"\nexec sleep 30")
    monkeypatch.setattr(journal, "TIMEOUT", 0.3)
    batch = read(journal_file)
    assert len(batch.records) == 3 and not batch.complete and batch.cursor


# --- the setting and the automatic choice ----------------------------------------------------

def test_the_collector_settings():
    sshd_source = Collector(kind="sshd")
    assert sshd_source.path == DEFAULT_SSHD_LOG and sshd_source.source == "auto"
    settings = load_settings(overrides={"collectors": [
        {"kind": "sshd", "source": "journal", "journal": "/var/log/journal/remote"}]}, environ={})
    assert settings.collectors[0].journal == Path("/var/log/journal/remote")
    for wrong, message in [
        ({"kind": "web"}, "collectors.0.path"),
        ({"kind": "web", "path": "/x", "source": "journal"}, "nur für sshd-Sammler"),
        ({"kind": "sshd", "source": "syslog"}, "collectors.0.source"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_settings(overrides={"collectors": [wrong]}, environ={})


def test_auto_reads_the_journal_only_when_the_file_is_absent(tmp_path, monkeypatch):
    log_file = tmp_path / "auth.log"
    auto, forced_file = Collector(kind="sshd", path=log_file), \
        Collector(kind="sshd", path=log_file, source="file")
    assert collectors.reads_journal(auto) and not collectors.reads_journal(forced_file)
    log_file.write_text("")
    assert not collectors.reads_journal(auto)
    assert collectors.reads_journal(Collector(kind="sshd", path=log_file, source="journal"))
    assert not collectors.reads_journal(Collector(kind="web", path=tmp_path / "gone.log"))
    log_file.unlink()
    monkeypatch.setenv("PATH", str(tmp_path))  # no journalctl: the file's error says what is up
    assert not collectors.reads_journal(auto)


# --- the agent's collection run --------------------------------------------------------------

def agent_for(tmp_path, **collector):
    settings = load_settings(
        overrides={"collectors": [{"kind": "sshd", "path": str(tmp_path / "auth.log"),
                                   **collector}]},
        environ={"CYBERHUB_AGENT_HOME": str(tmp_path / "agent")})
    return open_agent(settings)


def test_collect_reads_the_journal_when_auth_log_is_absent(tmp_path, journal_file):
    # The morning's attacks from the auth.log fixture are older than the window: not read.
    morning = from_syslog((LOGS / "auth.log").read_text().splitlines(), NOW.year)
    write_journal(journal_file, morning + failures(NOW - timedelta(minutes=4), 12,
                                                   address="198.51.100.66"))
    agent = agent_for(tmp_path, journal=str(journal_file))
    try:
        result = collecting.collect(agent, now=NOW)
        assert result.errors == []
        assert [(f.kind, f.address, f.count, f.source) for f in result.findings] == [
            ("ssh-brute-force", "198.51.100.66", 12, "journal")]
        assert result.draft is not None and result.draft.is_file()
        cursor = agent.store.journal_cursor(f"sshd {journal_file}")
        assert cursor

        # Nothing new: nothing found, the cursor stays.
        later = NOW + timedelta(minutes=5)
        assert collecting.collect(agent, now=later).findings == []
        assert agent.store.journal_cursor(f"sshd {journal_file}") == cursor

        # New entries: only they are judged (two are not a brute force, twelve more are).
        write_journal(journal_file, failures(later, 2, address="192.0.2.50"))
        assert collecting.collect(agent, now=later).findings == []
        write_journal(journal_file, failures(later, 12, address="192.0.2.51"))
        [finding] = collecting.collect(agent, now=later).findings
        assert (finding.address, finding.count) == ("192.0.2.51", 12)
    finally:
        agent.close()


def test_collect_prefers_an_existing_auth_log_unless_told_otherwise(tmp_path, journal_file):
    write_journal(journal_file, failures(NOW - timedelta(minutes=4), 12, address="192.0.2.9"))
    (tmp_path / "auth.log").write_text("")
    agent = agent_for(tmp_path, journal=str(journal_file))
    try:
        assert collecting.collect(agent, now=NOW).findings == []  # the empty file
    finally:
        agent.close()
    agent = agent_for(tmp_path, journal=str(journal_file), source="journal", name="ssh")
    try:
        [finding] = collecting.collect(agent, now=NOW).findings
        assert (finding.address, finding.source) == ("192.0.2.9", "ssh")
    finally:
        agent.close()


def test_collect_with_a_failing_journalctl_reports_one_line_and_stores_nothing(tmp_path,
                                                                              caplog):
    broken = tmp_path / "broken.journal"
    broken.write_text("this is no journal\n")
    agent = agent_for(tmp_path, journal=str(broken))
    try:
        with caplog.at_level(logging.ERROR, logger="cyberhub.agent"):
            result = collecting.collect(agent, now=NOW)
        [error] = result.errors
        assert error.startswith(FAILED)
        assert result.findings == [] and result.draft is None
        assert agent.store.journal_cursor(f"sshd {broken}") is None
        assert "Traceback" not in caplog.text and error in caplog.text
    finally:
        agent.close()


def test_collect_without_file_and_journalctl_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    agent = agent_for(tmp_path)
    try:
        result = collecting.collect(agent, now=NOW)
    finally:
        agent.close()
    assert result.errors == [f"Logdatei nicht gefunden: {tmp_path / 'auth.log'}"]


def test_the_fixture_journal_holds_what_auth_log_holds(journal_file):
    """The equivalence test_collectors_sshd relies on, checked on the whole sample."""
    lines = (LOGS / "auth.log").read_text().splitlines()
    write_journal(journal_file, from_syslog(lines, NOW.year))
    from_journal = sshd.parse_records("auth.log", read(journal_file).records,
                                      thresholds=Thresholds())
    from_file = sshd.parse("auth.log", lines, thresholds=Thresholds(), now=NOW, tz=UTC)
    assert from_journal == from_file and len(from_file[0]) == 3

"""OpenSSH logs: brute force, logins after failures, counting each attempt once, time stamps.

The scenarios run twice (the `read` fixture): on syslog lines, and on the same messages in a
real systemd journal file read through the real journalctl, the way Debian 12+ logs sshd.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.journal_files import from_syslog, needs_journal, write_journal
from cyberhub.agent.collectors import journal, sshd
from cyberhub.agent.node_settings import Thresholds

LOGS = Path(__file__).parent.parent / "data" / "logs"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEFAULTS = Thresholds()


def parse(lines, thresholds=DEFAULTS, now=NOW, tz=UTC):
    return sshd.parse("auth.log", lines, thresholds=thresholds, now=now, tz=tz)


def parse_journal(lines, thresholds=DEFAULTS, now=NOW):
    """The same lines as journald would have stored them, read back by journalctl."""
    with tempfile.TemporaryDirectory() as directory:  # journal files take 8 MiB each
        path = write_journal(Path(directory) / "sshd.journal", from_syslog(lines, now.year))
        batch = journal.read(sshd.PROGRAMS, since=now - timedelta(days=3), journal=path)
    return sshd.parse_records("auth.log", batch.records, thresholds=thresholds)


@pytest.fixture(params=["auth.log", pytest.param("journal", marks=needs_journal)])
def read(request):
    return parse if request.param == "auth.log" else parse_journal


def syslog(moment: datetime, message: str, program: str = "sshd[4242]") -> str:
    return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S} rathaus-srv01 {program}: {message}"


def failures(start: datetime, count: int, step: timedelta, address: str = "203.0.113.5",
             user: str = "root") -> list[str]:
    return [syslog(start + i * step,
                   f"Failed password for {user} from {address} port {40000 + i} ssh2")
            for i in range(count)]


def by_kind(findings):
    return {(f.kind, f.address): f for f in findings}


def test_sample_auth_log(read):
    findings, observations = read((LOGS / "auth.log").read_text().splitlines())
    found = by_kind(findings)
    assert set(found) == {("ssh-brute-force", "203.0.113.5"),
                          ("ssh-brute-force", "2001:db8:bad::7"),
                          ("ssh-login-after-failures", "192.0.2.77")}

    brute = found["ssh-brute-force", "203.0.113.5"]
    # 17 connections: 2 for root with 4 passwords each (one line an rsyslog repetition),
    # 15 invalid users with one password each; plus one invalid-user probe without a password.
    # The PAM, "maximum attempts" and "Disconnected" lines of the same attempts add nothing.
    assert brute.count == 24
    assert brute.first_seen == datetime(2026, 11, 20, 7, 15, 1, tzinfo=UTC)
    assert brute.last_seen == datetime(2026, 11, 20, 7, 18, 56, tzinfo=UTC)
    assert brute.score == 50  # 40, +10 for root; 24 is less than five times the threshold
    # The reasons are said where they are read: German unless asked.
    assert brute.reasons[0].text("de").startswith(
        "24 fehlgeschlagene SSH-Anmeldungen von 203.0.113.5 für 10 verschiedene Benutzernamen "
        "(root, admin,")
    assert brute.reasons[0].text("de").endswith("innerhalb von 4 Minuten")
    assert brute.reasons[0].text("en").startswith(
        "24 failed SSH logins from 203.0.113.5 for 10 different user names (root, admin,")
    assert brute.reasons[0].text("en").endswith("within 4 minutes")
    assert brute.incident_types == ("brute-force-attempt",)
    assert brute.techniques == ("T1110", "T1110.001")
    assert brute.source == "auth.log"

    ipv6 = found["ssh-brute-force", "2001:db8:bad::7"]
    assert (ipv6.count, ipv6.score) == (12, 40)
    assert "für den Benutzernamen 'admin'" in ipv6.reasons[0].text("de")

    login = found["ssh-login-after-failures", "192.0.2.77"]
    assert login.score == 90
    assert login.incident_types == ("unauthorized-access-system",)
    assert set(login.techniques) == {"T1078", "T1110"}
    assert login.count == 5  # four failures and the login
    assert login.last_seen == datetime(2026, 11, 20, 9, 33, 10, tzinfo=UTC)
    assert "als 'anna' von 192.0.2.77" in login.reasons[0].text("de")
    assert "nach 4 Fehlversuchen" in login.reasons[0].text("de")

    # The slow attacker (9 failures in 2 hours) is below the threshold: an observation only.
    # The admin whose ssh-agent offered three old keys is neither.
    seen = {(o.kind, o.value): o.count for o in observations}
    assert seen == {("ipv4", "198.51.100.23"): 9, ("ipv4", "203.0.113.5"): 24,
                    ("ipv6", "2001:db8:bad::7"): 12, ("ipv4", "192.0.2.77"): 4}
    assert all(o.first_seen.tzinfo is not None for o in observations)


def test_exactly_the_threshold_within_the_window_is_a_brute_force(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    # 10 failures, the first and the last exactly 10 minutes apart: the window includes both.
    lines = failures(start, 10, timedelta(minutes=10) / 9)
    [finding], _ = read(lines)
    assert finding.kind == "ssh-brute-force" and finding.count == 10
    assert finding.score == 50  # root


def test_the_same_failures_spread_beyond_the_window_are_not(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = failures(start, 10, timedelta(minutes=10, seconds=9) / 9)
    findings, observations = read(lines)
    assert findings == []
    assert [(o.value, o.count) for o in observations] == [("203.0.113.5", 10)]


def test_one_below_the_threshold_is_nothing(read):
    lines = failures(datetime(2026, 11, 20, 7, 0, tzinfo=UTC), 9, timedelta(seconds=5))
    assert read(lines)[0] == []


def test_the_window_slides(read):
    """Sparse failures in the morning, then a burst: the burst alone reaches the threshold."""
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    lines = failures(start, 4, timedelta(minutes=30))
    lines += failures(start + timedelta(hours=3), 10, timedelta(seconds=30))
    [finding], _ = read(lines)
    assert finding.count == 14 and finding.first_seen == start


def test_thresholds_come_from_the_settings(read):
    lines = failures(datetime(2026, 11, 20, 7, 0, tzinfo=UTC), 5, timedelta(minutes=1))
    strict = Thresholds(ssh_failures=5, window_minutes=5)
    assert read(lines, thresholds=strict)[0][0].kind == "ssh-brute-force"
    assert read(lines, thresholds=Thresholds(ssh_failures=5, window_minutes=3))[0] == []


def test_score_rises_with_volume_and_many_user_names(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    names = ["admin", "test", "oracle", "pi", "ubuntu"]
    lines = [syslog(start + timedelta(seconds=i),
                    f"Failed password for invalid user {names[i % 5]} from 198.51.100.9 "
                    f"port {30000 + i} ssh2") for i in range(50)]
    [finding], _ = read(lines)
    assert finding.score == 60  # 40, +10 for 5x the threshold, +10 for five user names
    assert "5 verschiedene Benutzernamen" in finding.reasons[0].text("de")


def test_login_after_a_brute_force_names_the_account(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = failures(start, 12, timedelta(seconds=20), user="admin")
    # 50 minutes later: outside the window, but the brute force makes it suspicious.
    lines.append(syslog(start + timedelta(minutes=50),
                        "Accepted password for hausmeister from 203.0.113.5 port 41000 ssh2"))
    found = by_kind(read(lines)[0])
    login = found["ssh-login-after-failures", "203.0.113.5"]
    reason = login.reasons[0].text("de")
    assert "als 'hausmeister'" in reason and "SSH-Passwortraten" in reason
    assert login.first_seen == start and login.count == 13


def test_a_login_after_two_typos_is_normal(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = failures(start, 2, timedelta(seconds=10), address="192.0.2.30", user="anna")
    lines.append(syslog(start + timedelta(seconds=30),
                        "Accepted password for anna from 192.0.2.30 port 50000 ssh2"))
    assert read(lines)[0] == []


def test_failures_long_before_a_login_do_not_count(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = failures(start, 3, timedelta(seconds=10), address="192.0.2.30", user="anna")
    lines.append(syslog(start + timedelta(minutes=30),
                        "Accepted password for anna from 192.0.2.30 port 50000 ssh2"))
    assert read(lines)[0] == []


def test_rejected_keys_before_a_key_login_are_not_guesses(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = [syslog(start, f"Failed publickey for admin from 10.20.0.5 port 50122 ssh2: RSA "
                           f"SHA256:key{i}") for i in range(4)]
    lines.append(syslog(start + timedelta(seconds=1), "Accepted publickey for admin from "
                        "10.20.0.5 port 50122 ssh2: ED25519 SHA256:abc"))
    assert read(lines) == ([], [])


def test_pam_lines_count_only_when_sshd_says_nothing_itself(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    pam = [syslog(start + timedelta(seconds=i), "pam_unix(sshd:auth): authentication failure; "
                  "logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.8  user=root")
           for i in range(10)]
    [finding], _ = read(pam)
    assert finding.address == "198.51.100.8" and finding.count == 10
    # The same ten attempts with sshd's own lines: still ten, not twenty.
    both = pam + failures(start, 10, timedelta(seconds=1), address="198.51.100.8")
    assert read(both)[0][0].count == 10


def test_invalid_user_probes_without_passwords_count_once_per_connection(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = []
    for i in range(10):
        moment, port = start + timedelta(seconds=i), 30000 + i
        lines.append(syslog(moment, f"Invalid user user{i} from 198.51.100.4 port {port}"))
        lines.append(syslog(moment, f"Connection closed by invalid user user{i} 198.51.100.4 "
                                    f"port {port} [preauth]"))
    [finding], _ = read(lines)
    assert finding.count == 10


def test_iso_timestamps_ipv6_and_mapped_ipv4():
    lines = [f"2026-11-20T08:15:{i:02d}.123456+01:00 rathaus-srv01 sshd[99]: Failed password "
             f"for invalid user admin from 2001:DB8:0:0::1 port {4000 + i} ssh2" for i in range(5)]
    lines += [f"2026-11-20T07:16:{i:02d}Z rathaus-srv01 sshd[99]: Failed password for root "
              f"from ::ffff:198.51.100.5 port {5000 + i} ssh2" for i in range(5)]
    findings, observations = parse(lines, thresholds=Thresholds(ssh_failures=5))
    assert {(f.address, f.first_seen) for f in findings} == {
        ("2001:db8::1", datetime(2026, 11, 20, 7, 15, 0, 123456, tzinfo=UTC)),
        ("198.51.100.5", datetime(2026, 11, 20, 7, 16, tzinfo=UTC)),
    }
    assert {o.kind for o in observations} == {"ipv4", "ipv6"}


def test_syslog_times_are_local_time():
    berlin_winter = timezone(timedelta(hours=1))
    lines = failures(datetime(2026, 11, 20, 8, 15, tzinfo=UTC), 10, timedelta(seconds=1))
    [finding], _ = parse(lines, tz=berlin_winter)
    assert finding.first_seen == datetime(2026, 11, 20, 7, 15, tzinfo=UTC)
    assert finding.first_seen.tzinfo == UTC


def test_year_rollover_dates_december_lines_in_the_previous_year():
    now = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    # 23:58 on Dec 31 to 00:02 on Jan 1: one attack across the new year.
    lines = failures(datetime(2026, 12, 31, 23, 58, tzinfo=UTC), 10, timedelta(seconds=25))
    assert lines[0].startswith("Dec 31 23:58:00") and lines[-1].startswith("Jan  1 00:01:45")
    [finding], _ = parse(lines, now=now)
    assert finding.first_seen == datetime(2026, 12, 31, 23, 58, tzinfo=UTC)
    assert finding.last_seen == datetime(2027, 1, 1, 0, 1, 45, tzinfo=UTC)


def test_a_line_a_few_hours_ahead_stays_in_this_year():
    """Clock skew or a time zone mistake must not throw a line back a whole year."""
    lines = failures(datetime(2026, 11, 20, 15, 0, tzinfo=UTC), 10, timedelta(seconds=1))
    [finding], _ = parse(lines)  # NOW is 12:00
    assert finding.first_seen.year == 2026


def test_garbage_and_other_programs_are_ignored(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    noise = [
        "",
        "\x00\x00\x00\x00",
        "Nov 20 07:00:00",
        "Nov 99 07:00:00 host sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2",
        "Foo 20 07:00:00 host sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2",
        "2026-13-40T07:00:00Z host sshd[1]: Failed password for root from 203.0.113.5 port 1",
        syslog(start, "Failed password for root from 203.0.113.5 port 1 ssh2", "su[12]"),
        syslog(start, "Failed password for root from 999.1.2.3 port 1 ssh2"),
        syslog(start, "Failed password for root from scanner.example.net port 1 ssh2"),
        syslog(start, "Connection closed by 203.0.113.5 port 4000 [preauth]"),
        syslog(start, "Received disconnect from 203.0.113.5 port 4000:11: Bye Bye [preauth]"),
        syslog(start, "error: kex_exchange_identification: Connection closed by remote host"),
        syslog(start, "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh "
                      "ruser= rhost=203.0.113.5  user=root"),
        syslog(start, "pam_unix(sudo:auth): authentication failure; logname=anna uid=1003 "
                      "euid=0 tty=/dev/pts/0 ruser=anna rhost=  user=anna", "sudo"),
        syslog(start, "session opened for user root by (uid=0)", "CRON[5]"),
    ]
    assert read(noise) == ([], [])


def test_a_user_name_cannot_smuggle_an_address(read):
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = [syslog(start + timedelta(seconds=i), "Failed password for invalid user x from "
                    f"192.0.2.1 port 22 from 203.0.113.50 port {30000 + i} ssh2")
             for i in range(10)]
    [finding], _ = read(lines)
    assert finding.address == "203.0.113.50"


def test_message_repeated_counts_every_repetition():
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    lines = failures(start, 1, timedelta(0))
    lines.append(syslog(start + timedelta(seconds=5), "message repeated 9 times: [ Failed "
                        "password for root from 203.0.113.5 port 40000 ssh2]"))
    [finding], _ = parse(lines)
    assert finding.count == 10

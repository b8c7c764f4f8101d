"""OpenSSH authentication logs (auth.log, secure, the systemd journal) → brute-force findings.

One password attempt shows up in several lines: "Invalid user admin from A port P", a PAM
"authentication failure ... rhost=A", "Failed password for invalid user admin from A port P",
and at the end "Connection closed by invalid user admin A port P [preauth]". They are counted
once each, like this:

* every "Failed <method>" line is one failure (sshd writes one per rejected credential);
* a connection (address and port) without any "Failed" line but with "Invalid user",
  "maximum authentication attempts exceeded" or "Disconnected from / Connection closed by
  authenticating|invalid user" counts as one failure: a user name was tried, no password was;
* PAM "authentication failure" lines carry no port; they count only for addresses that have no
  sshd line of the kinds above in the batch, i.e. when sshd itself logs too little;
* "PAM N more authentication failures" is a summary of lines already counted: ignored.

Rejected public keys ("Failed publickey") count towards a brute force but not as the failed
guesses before a successful login: an admin whose ssh-agent offers several keys produces them
on every ordinary login.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Iterable, NamedTuple

from cyberhub.agent.collectors.common import (
    Finding,
    Observation,
    address_kind,
    canonical_address,
    describe_span,
    window_of,
)
from cyberhub.agent.texts import Phrase

PROGRAMS = {"sshd", "sshd-session", "sshd-auth"}  # OpenSSH ≥ 9.8 logs as sshd-session
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
LOGIN_AFTER_FAILURES = 3

_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (.*)$")
_ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (.*)$")
_HEADER = re.compile(r"^\S+ ([\w.-]+?)(?:\[\d+\])?: (.*)$")
_REPEATED = re.compile(r"^message repeated (\d{1,6}) times: \[ ?(.*?) ?\]$")
_ADDR = r"(?P<addr>[0-9A-Fa-f:.]+(?:%\w+)?)"
_TAIL = r"(?: ssh2)?(?:: .*)?(?: \[preauth\])?\s*$"
# The user name is greedy so that a name containing " from X port N" (log injection) cannot
# move the address: sshd writes the real one last.
_FAILED = re.compile(rf"^Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*) "
                     rf"from {_ADDR} port (?P<port>\d+){_TAIL}")
_ACCEPTED = re.compile(rf"^Accepted (?P<method>\S+) for (?P<user>.*) from {_ADDR} "
                       rf"port (?P<port>\d+){_TAIL}")
_CONNECTION = [
    re.compile(rf"^Invalid user (?P<user>.*) from {_ADDR}(?: port (?P<port>\d+))?\s*$"),
    re.compile(rf"^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?"
               rf"(?P<user>.*) from {_ADDR} port (?P<port>\d+){_TAIL}"),
    re.compile(rf"^(?:Disconnected from|Connection closed by|Connection reset by) "
               rf"(?:authenticating|invalid) user (?P<user>.*) {_ADDR} port (?P<port>\d+)"
               rf"(?: \[preauth\])?\s*$"),
]
_PAM = re.compile(r"^pam_\w+\(sshd:auth\): authentication failure;.*?\brhost=(?P<addr>\S+)"
                  r"(?:\s+user=(?P<user>\S+))?")
# Methods where a failure means someone guessed a secret (not an ssh-agent offering keys).
_GUESSES = {"password", "keyboard-interactive", "keyboard-interactive/pam"}


@dataclass
class _Event:
    time: datetime
    what: str  # failed, connection, pam, accepted
    address: str
    user: str | None
    port: str | None
    method: str = ""
    weight: int = 1
    guess: bool = False  # a password or a user name was guessed (see _GUESSES)


@dataclass
class _Failure:
    time: datetime
    user: str | None
    guess: bool


@lru_cache(maxsize=4096)  # busy logs have many lines per second
def _syslog_time(groups: tuple[str, ...], now: datetime, tz: tzinfo | None) -> datetime | None:
    month = MONTHS.get(groups[0])
    if month is None:
        return None
    day, hour, minute, second = (int(g) for g in groups[1:5])
    # Syslog lines carry no year: this year, unless that is in the future (a December line
    # read in January), then last year. Feb 29 may only exist in last year.
    for year in (now.year, now.year - 1):
        try:
            local = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        except ValueError:
            continue
        moment = (local if tz is not None else local.astimezone()).astimezone(UTC)
        if moment <= now + timedelta(days=1):
            return moment
    return None


class Record(NamedTuple):
    """One log message as the detections see it, from a log line or a journal entry."""
    time: datetime  # UTC
    program: str  # the syslog identifier: sshd, sshd-session, su, CRON, ...
    message: str


def _parse_line(line: str, now: datetime, tz: tzinfo | None) -> Record | None:
    """The record in a syslog line, None for anything that is not one."""
    if match := _SYSLOG.match(line):
        moment, rest = _syslog_time(match.groups()[:5], now, tz), match.group(6)
    elif match := _ISO.match(line):
        try:
            moment = datetime.fromisoformat(match.group(1))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
        moment, rest = moment.astimezone(UTC), match.group(2)
    else:
        return None
    header = _HEADER.match(rest)
    if moment is None or header is None:
        return None
    return Record(moment, header.group(1), header.group(2))


def _event(moment: datetime, message: str) -> _Event | None:
    weight = 1
    if repeated := _REPEATED.match(message):  # rsyslog's de-duplication of identical lines
        weight, message = int(repeated.group(1)), repeated.group(2)
    if match := _FAILED.match(message):
        what = "failed" if match.group("method") != "none" else "connection"
    elif match := _ACCEPTED.match(message):
        what = "accepted"
    elif match := _PAM.match(message):
        what = "pam"
    else:
        match = next((m for pattern in _CONNECTION if (m := pattern.match(message))), None)
        what = "connection"
    if match is None:
        return None
    address = canonical_address(match.group("addr"))
    if address is None:  # UseDNS yes logs host names; a name is no evidence to act on
        return None
    fields = match.groupdict()
    method = fields.get("method") or ""
    # Trying a user name that does not exist is guessing too; an "authenticating user" who
    # gave up may just have had the wrong key.
    guess = method in _GUESSES or what == "pam" or (
        what == "connection" and "invalid user" in message.lower())
    return _Event(moment, what, address[1], fields.get("user") or None, fields.get("port"),
                  method, weight, guess)


def _failures(events: list[_Event]) -> dict[str, list[_Failure]]:
    """Failures per address, each attempt counted once (see the module docstring)."""
    with_failed = {(e.address, e.port) for e in events if e.what == "failed"}
    with_sshd = {e.address for e in events if e.what in ("failed", "connection")}
    counted: set[tuple[str, str | None]] = set()
    result: dict[str, list[_Failure]] = {}
    for index, event in enumerate(events):
        if event.what == "failed":
            failure = _Failure(event.time, event.user, event.guess)
        elif event.what == "connection":
            key = (event.address, event.port or f"line {index}")
            if (event.address, event.port) in with_failed or key in counted:
                continue
            counted.add(key)
            failure = _Failure(event.time, event.user, event.guess)
        elif event.what == "pam" and event.address not in with_sshd:
            failure = _Failure(event.time, event.user, event.guess)
        else:
            continue
        result.setdefault(event.address, []).extend([failure] * event.weight)
    return result


def _peak(times: list[datetime], window: timedelta) -> int:
    """The most events within any `window` (both ends included); `times` sorted."""
    best, left = 0, 0
    for right, moment in enumerate(times):
        while moment - times[left] > window:
            left += 1
        best = max(best, right - left + 1)
    return best


def _names(users: list[str]) -> str:
    shown = ", ".join(users[:5])
    return shown + (", ..." if len(users) > 5 else "")


def _brute_force(name: str, address: str, failures: list[_Failure], thresholds: Any) -> Finding:
    count, first, last = len(failures), failures[0].time, failures[-1].time
    # Most tried first: that is what the attacker was after.
    tried = Counter(f.user for f in failures if f.user)
    users = sorted(tried, key=lambda user: (-tried[user], user))
    window = thresholds.window_minutes
    if len(users) == 1:
        whom: Phrase | str = Phrase.of("agent.reasons.for_user", user=users[0])
    elif users:
        whom = Phrase.of("agent.reasons.for_users", count=len(users), names=_names(users))
    else:
        whom = ""
    reasons = [
        Phrase.of("agent.reasons.ssh_failures", count=count, address=address, whom=whom,
                  span=describe_span(first, last)),
        Phrase.of("agent.reasons.ssh_threshold", threshold=thresholds.ssh_failures,
                  window=window),
    ]
    score = 40
    if count >= 5 * thresholds.ssh_failures:
        score += 10
        reasons.append(Phrase.of("agent.reasons.ssh_automated"))
    if "root" in users or len(users) >= 5:
        score += 10
        reasons.append(Phrase.of("agent.reasons.ssh_root") if "root" in users
                       else Phrase.of("agent.reasons.ssh_many_users"))
    return Finding("ssh-brute-force", name, address, first, last, count, min(score, 70),
                   tuple(reasons), ("brute-force-attempt",), ("T1110", "T1110.001"))


def _login_after(name: str, address: str, logins: list[tuple[_Event, list[int], bool]],
                 failures: list[_Failure], window: int) -> Finding:
    """`logins`: (accepted event, indices of the failures before it, whether they were dense
    enough by themselves or only the brute force makes the login suspicious)."""
    reasons = []
    for login, before, dense in logins:
        after = (Phrase.of("agent.reasons.ssh_dense_before", count=len(before), window=window)
                 if dense else Phrase.of("agent.reasons.ssh_brute_before", count=len(before)))
        reasons.append(Phrase.of(
            "agent.reasons.ssh_login", user=login.user, address=address,
            when=login.time.strftime("%Y-%m-%d %H:%M UTC"),
            method=f" ({login.method})" if login.method else "", after=after))
    reasons.append(Phrase.of("agent.reasons.ssh_compromised"))
    counted = sorted({index for _, before, _ in logins for index in before})
    first = min([failures[i].time for i in counted] + [login.time for login, _, _ in logins])
    last = max(login.time for login, _, _ in logins)
    return Finding("ssh-login-after-failures", name, address, first, last,
                   len(counted) + len(logins), 90, tuple(reasons),
                   ("unauthorized-access-system",), ("T1078", "T1110"))


def parse(name: str, lines: list[str], *, thresholds: Any, now: datetime,
          tz: tzinfo | None = None) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in sshd log lines. Syslog timestamps without a zone are local
    time in `tz` (default: this machine's zone)."""
    records = (record for line in lines if (record := _parse_line(line, now, tz)) is not None)
    return parse_records(name, records, thresholds=thresholds)


def parse_records(name: str, records: Iterable[Record], *,
                  thresholds: Any) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in records of any program (the others are skipped): what
    `parse` finds in lines, and what the journal reader's entries become."""
    events = []
    for record in records:
        if record.program in PROGRAMS and (event := _event(record.time, record.message)):
            events.append(event)
    events.sort(key=lambda e: e.time)  # stable: lines of the same second keep their order
    window = window_of(thresholds)
    failures = _failures(events)
    findings: list[Finding] = []
    observations: list[Observation] = []
    brute: dict[str, Finding] = {}
    for address, attempts in failures.items():
        attempts.sort(key=lambda f: f.time)
        # Only keys were rejected: an admin's ssh-agent offering several, not an attacker.
        if any(f.guess for f in attempts):
            observations.append(Observation(address_kind(address), address, attempts[0].time,
                                            attempts[-1].time, len(attempts), name))
        if _peak([f.time for f in attempts], window) >= thresholds.ssh_failures:
            brute[address] = _brute_force(name, address, attempts, thresholds)
            findings.append(brute[address])
    times_of = {address: [f.time for f in attempts] for address, attempts in failures.items()}
    logins: dict[str, list[tuple[_Event, list[int], bool]]] = {}
    for event in events:
        if event.what != "accepted" or event.address not in failures:
            continue
        attempts, times = failures[event.address], times_of[event.address]
        start = bisect_left(times, event.time - window)
        end = bisect_right(times, event.time)
        recent = [i for i in range(start, end) if attempts[i].guess]
        attack = brute.get(event.address)
        if len(recent) >= LOGIN_AFTER_FAILURES:
            logins.setdefault(event.address, []).append((event, recent, True))
        elif attack is not None and attack.first_seen <= event.time:
            logins.setdefault(event.address, []).append((event, list(range(end)), False))
    for address, found in logins.items():
        findings.append(_login_after(name, address, found, failures[address],
                                     thresholds.window_minutes))
    findings.sort(key=lambda f: (f.first_seen, f.address, f.kind))
    observations.sort(key=lambda o: (o.first_seen, o.value))
    return findings, observations

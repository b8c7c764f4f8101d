"""Web server access logs (nginx/Apache combined or common format) → scans and exploit attempts.

A *scan* is one address asking for many paths that do not exist (404) in a short time. An
*exploit attempt* is a request matching one of the signatures in
`cyberhub/agent/data/web_signatures.toml`; the signatures are data so that a new VPN or
Exchange bug can be added without touching code.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import unquote

from cyberhub.agent.collectors.common import (
    CollectorError,
    Finding,
    Observation,
    address_kind,
    canonical_address,
    describe_span,
    window_of,
)
from cyberhub.agent.texts import Phrase

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
MAX_URLS = 20
MAX_URL_OBSERVATIONS = 500  # a scanner trying thousands of exploits must not flood the store
WHERE = ("target", "user-agent", "referer")
# A page with broken images 404s on every one of them for every visitor: only requests for
# things a scanner looks for count towards a scan.
_ASSET = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|ico|bmp|css|map|woff2?|ttf|eot|otf)$",
                    re.IGNORECASE)

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
# Apache's vhost_combined puts "host:port " in front; the address is checked separately.
_LINE = re.compile(rf"^(?:\S+ )?(\S+) \S+ \S+ \[([^\]]+)\] {_QUOTED} (\d{{3}}) \S+"
                   rf"(?: {_QUOTED} {_QUOTED})?")
_TIME = re.compile(r"^(\d\d)/([A-Za-z]{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")
_REQUEST = re.compile(r"^([A-Z][A-Z_-]{0,19}) (\S+)(?: HTTP/\d(?:\.\d)?)?$")
_ESCAPE = re.compile(r'\\(x[0-9A-Fa-f]{2}|["\\])')


@dataclass(frozen=True)
class Signature:
    name: str
    pattern: re.Pattern[str]
    description: str
    cves: tuple[str, ...] = ()
    where: tuple[str, ...] = ("target",)
    probe: bool = False


@dataclass(frozen=True)
class Request:
    address: str
    time: datetime
    method: str
    target: str  # as requested, still URL-encoded
    status: int
    user_agent: str
    referer: str


# A request, the signatures it matched, and whether one matched the target (not a header).
_Hit = tuple[Request, list[Signature], bool]


@cache
def signatures() -> tuple[Signature, ...]:
    """The signatures shipped with the agent; a broken file is a packaging bug, so it fails
    loudly with the signature's name."""
    data = tomllib.loads((files("cyberhub.agent") / "data" / "web_signatures.toml").read_text(
        encoding="utf-8"))
    result = []
    for entry in data.get("signature", []):
        name = entry.get("name", "?")
        try:
            where = tuple(entry.get("where", ["target"]))
            if not set(where) <= set(WHERE):
                raise ValueError(f"where must be among {', '.join(WHERE)}")
            result.append(Signature(name, re.compile(entry["match"], re.IGNORECASE),
                                    entry["description"], tuple(entry.get("cves", ())), where,
                                    bool(entry.get("probe", False))))
        except (KeyError, ValueError, re.error) as exc:
            raise CollectorError(f"web signature {name!r} is broken: {exc}") from None
    return tuple(result)


@cache
def _any_signature(where: str) -> re.Pattern[str]:
    """One expression matching wherever any signature for this part of a request would."""
    patterns = [f"(?:{s.pattern.pattern})" for s in signatures() if where in s.where]
    return re.compile("|".join(patterns) or r"(?!)", re.IGNORECASE)


def _unescape(text: str) -> str:
    """Undo the log's own escaping (nginx writes bytes as \\xHH, Apache quotes as \\")."""
    if "\\" not in text:
        return text
    raw = _ESCAPE.sub(lambda m: chr(int(m[1][1:], 16)) if m[1][0] == "x" else m[1], text)
    try:
        return raw.encode("latin-1").decode("utf-8", errors="replace")
    except UnicodeEncodeError:  # the line already held decoded characters
        return raw


def decode(text: str) -> str:
    """URL-decoded until stable (at most three rounds): attackers encode twice to slip past
    filters (CVE-2021-42013 uses %%32%65 for '.')."""
    for _ in range(3):
        if "%" not in text:
            break
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def _time(text: str) -> datetime | None:
    match = _TIME.match(text)
    if not match or match[2].lower() not in MONTHS:
        return None
    day, _, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        return datetime(int(year), MONTHS[match[2].lower()], int(day), int(hour), int(minute),
                        int(second), tzinfo=timezone(offset)).astimezone(UTC)
    except ValueError:
        return None


def parse_line(line: str) -> Request | None:
    """One access log line, or None for anything that is not a well-formed request (TLS
    handshakes sent to port 80, empty requests, other formats)."""
    match = _LINE.match(line)
    if not match:
        return None
    address = canonical_address(match[1])
    moment = _time(match[2])
    request = _REQUEST.match(_unescape(match[3]))
    if address is None or moment is None or request is None:
        return None
    return Request(address[1], moment, request[1], request[2], int(match[4]),
                   _unescape(match[6] or ""), _unescape(match[5] or ""))


def matching(request: Request) -> tuple[list[Signature], bool]:
    """The signatures this request matches (probes only when the thing was not there), and
    whether one of them matched the request target rather than a header."""
    parts = {"target": decode(request.target), "user-agent": decode(request.user_agent),
             "referer": decode(request.referer)}
    if not any(_any_signature(where).search(text) for where, text in parts.items()):
        return [], False  # nearly every request: one search per part instead of thirty
    found, in_target = [], False
    for signature in signatures():
        if signature.probe and request.status < 400:
            continue
        where = [w for w in signature.where if signature.pattern.search(parts[w])]
        if where:
            found.append(signature)
            in_target = in_target or "target" in where
    if any(s.cves for s in found):  # "FortiOS path traversal" says more than "path traversal"
        found = [s for s in found if s.cves]
    return found, in_target


def _peak_distinct(events: list[tuple[datetime, str]], window: timedelta) -> int:
    """The most distinct paths within any `window` (both ends included); `events` sorted."""
    best, left, paths = 0, 0, Counter()
    for moment, path in events:
        paths[path] += 1
        while moment - events[left][0] > window:
            paths[events[left][1]] -= 1
            if not paths[events[left][1]]:
                del paths[events[left][1]]
            left += 1
        best = max(best, len(paths))
    return best


def _scan(name: str, address: str, events: list[tuple[datetime, str]],
          thresholds: Any) -> Finding:
    first, last = events[0][0], events[-1][0]
    distinct = len({path for _, path in events})
    reasons = (
        Phrase.of("agent.reasons.web_scan", count=len(events), address=address, paths=distinct,
                  span=describe_span(first, last)),
        Phrase.of("agent.reasons.web_scan_threshold", threshold=thresholds.web_not_found,
                  window=thresholds.window_minutes),
    )
    return Finding("web-scan", name, address, first, last, len(events), 30, reasons,
                   ("network-scanning",), ("T1595", "T1595.002"))


def _show(request: Request, in_target: bool) -> Phrase | str:
    """The request as a reader should see it: a header attack shows the header."""
    text = f"{request.method} {request.target}"
    if in_target:
        return text
    header = "User-Agent" if request.user_agent not in ("", "-") else "Referer"
    value = request.user_agent if header == "User-Agent" else request.referer
    return Phrase.of("agent.reasons.web_with_header", request=text, header=header,
                     value=repr(value[:120]))


def _exploit(name: str, address: str, hits: list[_Hit]) -> Finding:
    seen: dict[str, Signature] = {}
    for _, found, _ in hits:
        seen.update((s.name, s) for s in found)
    cves = sorted({cve for s in seen.values() for cve in s.cves})
    # The signatures' descriptions are data (web_signatures.toml), in English.
    attacks = "; ".join(s.description + (f" ({', '.join(s.cves)})" if s.cves else "")
                        for s in seen.values())
    reasons = [Phrase.of("agent.reasons.web_exploit_many", count=len(hits), address=address,
                         attacks=attacks) if len(hits) > 1 else
               Phrase.of("agent.reasons.web_exploit_one", address=address, attacks=attacks)]
    # 2xx: the request reached the application (a Log4Shell header is read even when the page
    # is served normally); 5xx: it broke something there. Either may mean it worked.
    worked = [(r, t) for r, _, t in hits if 200 <= r.status < 300 or r.status >= 500]
    examples = [(r, t) for r, _, t in hits if (r, t) not in worked][:3]
    for request, in_target in examples:
        reasons.append(Phrase.of("agent.reasons.web_example", request=_show(request, in_target),
                                 status=request.status))
    for request, in_target in worked[:3]:
        reasons.append(Phrase.of(
            "agent.reasons.web_worked" if request.status < 300 else
            "agent.reasons.web_worked_error", status=request.status,
            request=_show(request, in_target)))
    if not worked:
        reasons.append(Phrase.of("agent.reasons.web_failed"))
    urls = tuple(dict.fromkeys(r.target for r, _, in_target in hits if in_target))[:MAX_URLS]
    return Finding("web-exploit-attempt", name, address, hits[0][0].time, hits[-1][0].time,
                   len(hits), 75 if worked else 60, tuple(reasons), ("exploit-attempt",),
                   ("T1190",), tuple(cves), urls)


def parse(name: str, lines: list[str], *, thresholds: Any,
          now: datetime) -> tuple[list[Finding], list[Observation]]:
    """Findings and observations in access log lines (`now` is unused: the lines carry their
    own year and zone)."""
    not_found: dict[str, list[tuple[datetime, str]]] = {}
    hits: dict[str, list[_Hit]] = {}
    suspicious: dict[str, list[datetime]] = {}
    for line in lines:
        request = parse_line(line)
        if request is None:
            continue
        found, in_target = matching(request)
        path = request.target.split("?", 1)[0]
        missing = request.status == 404 and not _ASSET.search(path)
        if found:
            hits.setdefault(request.address, []).append((request, found, in_target))
        if missing:
            not_found.setdefault(request.address, []).append((request.time, path))
        if found or missing:
            suspicious.setdefault(request.address, []).append(request.time)
    window = window_of(thresholds)
    findings: list[Finding] = []
    for address, events in not_found.items():
        events.sort(key=lambda e: e[0])
        if _peak_distinct(events, window) >= thresholds.web_not_found:
            findings.append(_scan(name, address, events, thresholds))
    for address, found in hits.items():
        found.sort(key=lambda h: h[0].time)
        findings.append(_exploit(name, address, found))
    findings.sort(key=lambda f: (f.first_seen, f.address, f.kind))
    observations = []
    for address in sorted({f.address for f in findings}):
        times = sorted(suspicious[address])
        observations.append(Observation(address_kind(address), address, times[0], times[-1],
                                        len(times), name))
    # The request targets of exploit attempts, so that a later advisory naming one can be
    # matched; headers (a Log4Shell user agent) are no target.
    targets: dict[str, list[datetime]] = {}
    for found in hits.values():
        for request, _, in_target in found:
            if in_target:
                targets.setdefault(request.target, []).append(request.time)
    for target, times in list(targets.items())[:MAX_URL_OBSERVATIONS]:
        observations.append(Observation("url", target, min(times), max(times), len(times),
                                        name))
    return findings, observations

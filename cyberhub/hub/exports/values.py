"""What an indicator says to block or look for: its kind/value pairs, and whether it is in force.

Values come from the pattern's parse tree (`cyberhub.core.pattern_values`), each in the one
canonical form of `cyberhub.hub.correlation.values`. As for the agent's blocklists, only simple
patterns give values: equality on an address, domain, URL, e-mail address or file hash, with
observation expressions joined by OR. A pattern that combines (AND, FOLLOWEDBY, a qualifier, a
negation) describes something only the whole of it matches: a rule for one half of it would
fire on the innocent, so such a pattern gives none (the MISP event keeps it whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.pattern import Pattern

from cyberhub.core import timestamps
from cyberhub.core.pattern_values import equality_values
from cyberhub.hub.correlation.values import canonical

# (object type, property path) -> kind of `cyberhub.hub.correlation.values.KINDS`.
_PATHS = {
    ("ipv4-addr", ("value",)): "ipv4", ("ipv6-addr", ("value",)): "ipv6",
    ("domain-name", ("value",)): "domain", ("url", ("value",)): "url",
    ("email-addr", ("value",)): "email",
}
_HASHES = {"SHA-256": "sha256", "SHA256": "sha256", "SHA-1": "sha1", "SHA1": "sha1",
           "MD5": "md5"}


@dataclass(frozen=True, order=True)
class Value:
    kind: str
    value: str


class _Combination(STIXPatternListener):
    """Notes whether the parse tree joins anything with AND or FOLLOWEDBY, or qualifies it."""

    def __init__(self) -> None:
        self.found = False

    def _joined(self, ctx: Any) -> None:
        if ctx.getChildCount() > 1:
            self.found = True

    enterObservationExpressions = _joined  # FOLLOWEDBY
    enterObservationExpressionAnd = _joined
    enterComparisonExpressionAnd = _joined

    def enterObservationExpressionRepeated(self, ctx: Any) -> None:
        self.found = True

    enterObservationExpressionWithin = enterObservationExpressionRepeated
    enterObservationExpressionStartStop = enterObservationExpressionRepeated

    def enterPropTestEqual(self, ctx: Any) -> None:
        if ctx.NOT() is not None:
            self.found = True

    enterPropTestSet = enterPropTestEqual


def _combines(pattern: str) -> bool:
    listener = _Combination()
    try:
        Pattern(pattern).walk(listener)
    except Exception:  # stix2-patterns raises bare ParseException subclasses
        return True
    return listener.found


def _kind(object_type: str, path: list[Any]) -> str | None:
    if object_type in ("file", "artifact") and len(path) == 2 and path[0] == "hashes":
        return _HASHES.get(str(path[1]).upper())
    return _PATHS.get((object_type, tuple(path)))


@lru_cache(maxsize=65_536)
def pattern_values(pattern: str) -> tuple[Value, ...]:
    """The canonical values a simple pattern compares for equality; () for any other.
    Cached: a feed's indicators are exported again and again, and parsing is the cost."""
    found = equality_values(pattern)
    if not found or _combines(pattern):
        return ()
    result: dict[Value, None] = {}
    for object_type, path, value in found:
        kind = _kind(object_type, path)
        if kind is None:
            continue
        try:
            result[Value(kind, canonical(kind, value))] = None
        except ValueError:
            continue  # not a value a firewall or an IDS could take
    return tuple(result)


def indicator_values(indicator: dict[str, Any]) -> tuple[Value, ...]:
    if indicator.get("pattern_type", "stix") != "stix":
        return ()
    pattern = indicator.get("pattern")
    return pattern_values(pattern) if isinstance(pattern, str) else ()


def in_force(indicator: dict[str, Any], now_us: int) -> bool:
    """Not revoked, and its valid_until (if any) not past."""
    if indicator.get("revoked") is True:
        return False
    until = indicator.get("valid_until")
    if until is None:
        return True
    moment = timestamps.to_us(until) if isinstance(until, str) else None
    return moment is not None and moment > now_us

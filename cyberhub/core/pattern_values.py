"""The values a STIX pattern compares for equality, read from the parse tree of
`stix2-patterns`. Pure: the hub's correlation and the agent's blocklists share it."""

from __future__ import annotations

import re
from typing import Any

from stix2patterns.v21.pattern import Pattern

# Operators that say "this value is (one of) the observed ones"; `!=`, LIKE, MATCHES and the
# comparisons of order say nothing a blocklist or an index could use.
EQUALITY = ("=", "IN", "ISSUBSET")
_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _strings(literal: Any) -> list[str]:
    """The string literals of a comparison's right side: one, or a parenthesised set."""
    return [m.replace("\\'", "'").replace("\\\\", "\\") for m in _LITERAL.findall(str(literal))]


def equality_values(pattern: str) -> list[tuple[str, list[Any], str]] | None:
    """(object type, property path, value) for every value compared with =, IN or ISSUBSET;
    None when the pattern does not parse."""
    try:
        comparisons = Pattern(pattern).inspect().comparisons
    except Exception:  # stix2-patterns raises bare ParseException subclasses
        return None
    return [(object_type, path, value)
            for object_type, entries in comparisons.items()
            for path, operator, literal in entries if operator in EQUALITY
            for value in _strings(literal)]

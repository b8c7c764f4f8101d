"""The values a STIX pattern compares for equality, read from the comparisons the hub's own
pattern parser (`cyberhub.core.patterns`) lists exactly as `stix2-patterns`' inspector does, at
a hundredth of its cost (the ANTLR parse was a fifth of a signed POST's time).
Pure: the hub's correlation and the agent's blocklists share it."""

from __future__ import annotations

import re
from typing import Any

from cyberhub.core.patterns import comparisons

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
    found = comparisons(pattern)
    if found is None:
        return None
    # In the inspector's order: by object type in order of first use, then as written.
    first = {}
    for position, (object_type, *_rest) in enumerate(found):
        first.setdefault(object_type, position)
    ordered = sorted(found, key=lambda comparison: first[comparison[0]])
    return [(object_type, path, value)
            for object_type, path, operator, literal in ordered if operator in EQUALITY
            for value in _strings(literal)]

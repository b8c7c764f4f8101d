"""Whole numbers from untrusted text, parsed one strict way everywhere.

`str.isdigit()` accepts "²" and `int()` accepts "٣", " 7 " and "1_000"; neither is a number a
client means in a query parameter or a header. Only ASCII digits are whole numbers here.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def strict_int(text: str | None, *, max_digits: int = 18) -> int | None:
    """The number `text` spells in ASCII digits (no sign, no spaces), or None."""
    if text is None or len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)

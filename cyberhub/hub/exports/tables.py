"""CSV and plain lists: for spreadsheets, SIEM lookups and firewalls' external lists.

CSV is one row per value (an indicator whose pattern names three values gives three rows).
Every cell that a spreadsheet would take for a formula is defused with a leading apostrophe:
OWASP's advice against CSV injection names the first characters = + - @, tab and carriage
return. Values from the patterns cannot start with one, but names and labels come from feeds
and towns. A plain list is one canonical value per line, sorted, without comments, so that any
tool that reads "one entry per line" takes it as it is.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from cyberhub.hub.exports.values import Value, indicator_values

COLUMNS = ("type", "value", "name", "labels", "valid_from", "valid_until", "source",
           "indicator")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# The plain lists, and the kinds each holds.
LISTS = {"ip": ("ipv4", "ipv6"), "domain": ("domain",), "url": ("url",),
         "sha256": ("sha256",), "sha1": ("sha1",), "md5": ("md5",), "email": ("email",)}


def defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA) else cell


def source_of(indicator: dict[str, Any]) -> str:
    """Where an indicator comes from: its first external reference's source (a feed's title),
    else whoever created it."""
    for reference in indicator.get("external_references") or []:
        if isinstance(reference, dict) and isinstance(reference.get("source_name"), str):
            return reference["source_name"]
    creator = indicator.get("created_by_ref")
    return creator if isinstance(creator, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def render_csv(indicators: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    rows = []
    for indicator in indicators:
        labels = "|".join(str(label) for label in indicator.get("labels") or [])
        for found in indicator_values(indicator):
            rows.append((found.kind, found.value, _text(indicator.get("name")), labels,
                         _text(indicator.get("valid_from")),
                         _text(indicator.get("valid_until")), source_of(indicator),
                         _text(indicator.get("id"))))
    for row in sorted(rows):
        writer.writerow([defused(cell) for cell in row])
    return out.getvalue()


def values_of(indicators: list[dict[str, Any]], kinds: tuple[str, ...]) -> list[Value]:
    found = {value for indicator in indicators for value in indicator_values(indicator)
             if value.kind in kinds}
    return sorted(found, key=lambda v: (kinds.index(v.kind), v.value))


def render_list(indicators: list[dict[str, Any]], name: str) -> str:
    return "".join(value.value + "\n" for value in values_of(indicators, LISTS[name]))

"""CSV lists (abuse.ch Feodo Tracker, URLhaus, ThreatFox and their like), by a column mapping.

The feed file names the columns in order and says which holds the value, its kind (fixed, or
a column mapped through `kinds`), the first-seen date, labels, the source's page and a status
that means "no longer active". Lines are read one at a time from the downloaded file, so the
memory a run needs does not grow with the list; a line that cannot be used is skipped with
its number and the reason.
"""

from __future__ import annotations

import csv
import re
from typing import Iterator

from cyberhub.hub.feeds.definitions import CsvColumns
from cyberhub.hub.feeds.entries import Entry, Refused, indicator_value, seen_time, text_field
from cyberhub.hub.feeds.source import Source

_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$")


class _Cells(dict):
    def __missing__(self, key: str) -> str:
        return ""


def read(source: Source) -> Iterator[Entry]:
    mapping = source.feed.csv
    assert mapping is not None
    for number, line in source.list_lines():
        stripped = line.strip()
        if not stripped or stripped.startswith(mapping.comment):
            continue
        source.fetched += 1
        try:
            yield _entry(mapping, next(csv.reader([line], delimiter=mapping.delimiter)),
                         source)
        except (Refused, csv.Error) as exc:
            source.skip(f"line {number}", str(exc))

def _entry(mapping: CsvColumns, cells: list[str], source: Source) -> Entry:
    if len(cells) != len(mapping.columns):
        raise Refused(f"{len(cells)} columns where {len(mapping.columns)} were expected")
    row = _Cells(zip(mapping.columns, (cell.strip() for cell in cells)))
    kind = mapping.kind or mapping.kinds.get(row[mapping.kind_column or ""], "")
    if not kind:
        raise Refused(f"kind {row[mapping.kind_column or '']!r} is not one the hub takes")
    raw = row[mapping.value]
    if kind == "ipv4" and (port := _PORT.match(raw)):
        raw = port.group(1)  # ThreatFox lists C2 servers as address:port
    value = indicator_value(kind, raw, lists=source.lists)
    labels = []
    for column in mapping.labels:
        for label in row[column].split(","):
            text = text_field(label, f"label in {column}", 100).lower()
            if text and text not in ("none", "n/a", "-") and text not in labels:
                labels.append(text)
    row["value"] = value
    name = text_field(mapping.name.format_map(row), "name")
    reference = row[mapping.reference] if mapping.reference else ""
    return Entry(
        kind=kind, value=value, name=name or value, labels=tuple(labels),
        first_seen=seen_time(row[mapping.first_seen], now=source.now)
        if mapping.first_seen else None,
        reference=reference if reference.startswith(("https://", "http://")) else None,
        gone=bool(mapping.status and row[mapping.status].lower() in mapping.gone),
    )


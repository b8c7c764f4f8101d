"""Plain lists: one IP address, network, domain, URL or hash per line, `#` comments.

Each line's kind is recognised unless the feed file fixes it (`[text] kind = "domain"`), and
a comment after a value on the same line is ignored, as blocklist publishers write them.
"""

from __future__ import annotations

from typing import Iterator

from cyberhub.hub.feeds.entries import Entry, Refused, indicator_value, recognised
from cyberhub.hub.feeds.source import Source


def read(source: Source) -> Iterator[Entry]:
    fixed = source.feed.text.kind if source.feed.text else None
    for number, line in source.list_lines():
        text = line.split("#", 1)[0].strip() if not line.lstrip().startswith(
            ("http://", "https://")) else line.split(" #", 1)[0].strip()
        if not text:
            continue
        source.fetched += 1
        try:
            kind = fixed or recognised(text)
            if kind is None:
                raise Refused(f"{text[:60]!r} is neither an address, a domain nor a URL")
            value = indicator_value(kind, text, lists=source.lists)
        except Refused as exc:
            source.skip(f"line {number}", str(exc))
            continue
        yield Entry(kind=kind, value=value, name=f"{value} ({source.feed.title})")

"""One module per feed format; each is `read(source) -> Iterator[Entry]`."""

from __future__ import annotations

from typing import Callable, Iterator

from cyberhub.hub.feeds.entries import Entry
from cyberhub.hub.feeds.source import Source

Reader = Callable[[Source], Iterator[Entry]]


def reader(format_name: str) -> Reader:
    """The format's reader, imported when a feed of that format runs."""
    if format_name == "csv":
        from cyberhub.hub.feeds.formats import csv_lists
        return csv_lists.read
    if format_name == "text":
        from cyberhub.hub.feeds.formats import text_lists
        return text_lists.read
    if format_name == "kev":
        from cyberhub.hub.feeds.formats import kev
        return kev.read
    if format_name == "misp":
        from cyberhub.hub.feeds.formats import misp
        return misp.read
    if format_name == "taxii":
        from cyberhub.hub.feeds.formats import taxii
        return taxii.read
    if format_name == "csaf":
        from cyberhub.hub.feeds.formats import csaf
        return csaf.read
    if format_name == "warninglists":
        from cyberhub.hub.feeds.formats import warninglists
        return warninglists.read
    raise ValueError(f"unknown feed format {format_name!r}")

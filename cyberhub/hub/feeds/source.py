"""What a format gets to read its feed with, and what it reports back besides its entries.

A format is a function `read(source) -> Iterator[Entry]`. Through the source it downloads
(conditionally, for the feed's main document), keeps its own cursor between runs, counts and
names what it skipped, and says whether the feed is a full list each time (`snapshot`: what
is missing has left the feed) or only brings what changed - then `touched` names the groups
(events, documents) it saw unchanged and `replaced` those it read in full, or that are gone,
so that their entries not seen in this run have left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from cyberhub.hub.correlation.warninglists import Warninglists
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import Client, Download

MAX_PROBLEMS = 20  # kept per run, the first ones; the count says how many there were


class FormatError(Exception):
    """The feed as a whole cannot be read (not JSON, not the expected structure); one line."""


@dataclass
class Source:
    feed: Feed
    client: Client
    lists: Warninglists
    now: int
    cursor: dict[str, Any] = field(default_factory=dict)
    snapshot: bool = True
    unchanged: bool = False
    # The document lists only what is recent (ThreatFox's last 48 hours): unchanged, it
    # confirms only itself, not everything the feed brought before.
    recent_only: bool = False
    touched: set[str] = field(default_factory=set)
    # Groups read in full in this run (or gone from the feed): what they no longer hold left.
    replaced: set[str] = field(default_factory=set)
    fetched: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def fetch_main(self, url: str | None = None, *, accept: str | None = None
                   ) -> Download | None:
        """The feed's document, or None when it has not changed since the last successful
        run (a 304 to the conditional GET, or the very same bytes). The new validators are
        kept in the cursor, which is saved only when the run succeeds."""
        url = url or self.feed.url
        known = self.cursor.get("http", {}).get(url, {})
        download = self.client.fetch(url, etag=known.get("etag"),
                                     last_modified=known.get("last_modified"), accept=accept)
        if download.not_modified or (known.get("sha256") and
                                     known.get("sha256") == download.sha256):
            download.close()
            return None
        self.cursor.setdefault("http", {})[url] = {
            "etag": download.etag, "last_modified": download.last_modified,
            "sha256": download.sha256}
        return download

    def list_lines(self) -> Iterator[tuple[int, str]]:
        """The feed's main document as numbered lines (see `lines`); none when it has not
        changed since the last run. For list formats: a list that is not the full list
        (`full_list = false`) confirms, unchanged, only itself."""
        self.recent_only = not self.feed.full_list
        download = self.fetch_main()
        if download is None:
            self.unchanged = True
            return iter(())
        return self.lines(download)

    def lines(self, download: Download) -> Iterator[tuple[int, str]]:
        """The downloaded document's lines as text, numbered from 1, one at a time; a line
        that is not UTF-8 is counted, skipped with its number, and not given. Closes the
        download when done."""
        try:
            for number, raw in download.lines():
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    self.fetched += 1
                    self.skip(f"line {number}", "not UTF-8")
        finally:
            download.close()

    def skip(self, where: str, why: str) -> None:
        """An entry not taken: counted, and the first few named (with line or entry)."""
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {why}")

"""Where a CSAF provider lists its documents (CSAF 2.0, 7.1.7 and 7.1.11-7.1.15).

The provider-metadata.json names the distributions: a directory (`directory_url`) with the
year folders, `index.txt` and `changes.csv`, and/or ROLIE feeds, one per TLP label. The
directory's changes.csv is preferred: one small file, newest first, with each document's
`current_release_date`, which is what makes a run incremental. Without one, the ROLIE feeds
of the labels the feed may carry (TLP:WHITE, called CLEAR since TLP 2.0) list the documents
with their hash and signature links. A document's URL must stay where the provider put it:
a changes.csv line is a `YYYY/name.json` path under its directory, never a URL elsewhere.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from cyberhub.hub.feeds.download import Download
from cyberhub.hub.feeds.entries import Refused
from cyberhub.hub.feeds.formats.csaf_documents import allowed, release_time
from cyberhub.hub.feeds.source import FormatError, Source

ROLES = ("csaf_provider", "csaf_trusted_provider")
# CSAF 2.0, 5.1: the file name is the tracking id, lower case, other characters as "_".
CHANGES_PATH = re.compile(r"^(\d{4})/[+\-a-z0-9_]+\.json$")
HASHES = (".sha512", ".sha256")


@dataclass(frozen=True)
class Listing:
    url: str
    kind: str  # "changes" (changes.csv) or "rolie" (a ROLIE feed)


@dataclass(frozen=True)
class Listed:
    """One document as a listing names it."""

    url: str
    released: int                 # its current_release_date, µs
    hashes: tuple[str, ...]       # hash files to try; one that exists must match
    signature: str

    def cursor(self) -> list[Any]:
        return [self.url, self.released, list(self.hashes), self.signature]

    @classmethod
    def from_cursor(cls, value: list[Any]) -> Listed:
        return cls(str(value[0]), int(value[1]), tuple(value[2]), str(value[3]))


def metadata(raw: bytes) -> dict[str, Any]:
    """The provider-metadata.json, or FormatError."""
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"provider-metadata.json is not JSON: {exc}") from None
    if not isinstance(found, dict) or not isinstance(found.get("distributions"), list):
        raise FormatError("provider-metadata.json has no distributions list")
    if not str(found.get("metadata_version", "")).startswith("2."):
        raise FormatError(f"provider-metadata.json: metadata_version "
                          f"{str(found.get('metadata_version'))[:20]!r} is not CSAF 2")
    if found.get("role") not in ROLES:
        raise FormatError(f"provider-metadata.json: role {str(found.get('role'))[:40]!r} "
                          f"is not a CSAF provider ({' or '.join(ROLES)}): it need not "
                          "sign its documents")
    return found


def listings(provider: dict[str, Any], *, url: str, feed_level: str) -> list[Listing]:
    """The directory's changes.csv where there is one, else the ROLIE feeds of allowed
    labels; FormatError when there is neither."""
    changes: list[Listing] = []
    feeds: list[Listing] = []
    for distribution in provider["distributions"]:
        if not isinstance(distribution, dict):
            continue
        directory = distribution.get("directory_url")
        if isinstance(directory, str) and _same_scheme(directory, url):
            target = urljoin(directory.rstrip("/") + "/", "changes.csv")
            if target not in [listing.url for listing in changes]:
                changes.append(Listing(target, "changes"))
        rolie = distribution.get("rolie")
        for item in (rolie.get("feeds") if isinstance(rolie, dict) else None) or []:
            if isinstance(item, dict) and isinstance(item.get("url"), str) \
                    and allowed(item.get("tlp_label"), feed_level) \
                    and _same_scheme(item["url"], url):
                feeds.append(Listing(item["url"], "rolie"))
    if not changes and not feeds:
        raise FormatError(f"provider-metadata.json names no directory and no ROLIE feed "
                          f"for TLP:{feed_level.upper()}")
    return changes or feeds


def key_urls(provider: dict[str, Any], fingerprint: str, *, url: str) -> list[str]:
    """The URLs of the provider's keys that may be the pinned one: those listed with that
    fingerprint, else those listed without one. FormatError when every key listed has
    another fingerprint."""
    keys = [key for key in provider.get("public_openpgp_keys") or []
            if isinstance(key, dict) and isinstance(key.get("url"), str)]
    named = [str(key.get("fingerprint") or "").replace(" ", "").upper() for key in keys]
    exact = [key["url"] for key, name in zip(keys, named) if name == fingerprint]
    unnamed = [key["url"] for key, name in zip(keys, named) if not name]
    chosen = [found for found in exact or unnamed if _same_scheme(found, url)]
    if not chosen:
        listed = ", ".join(name for name in named if name) or "none"
        raise FormatError(f"provider-metadata.json lists no key with the pinned fingerprint "
                          f"{fingerprint} (it lists {listed}); compare the provider's key "
                          "out of band")
    return chosen


def changes_csv(download: Download, source: Source) -> Iterator[Listed]:
    """The documents changes.csv names, each once (its newest line: the file is sorted
    newest first)."""
    base = download.url.rsplit("/", 1)[0] + "/"
    seen: set[str] = set()
    for number, raw in download.lines():
        where = f"changes.csv line {number}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            source.skip(where, "not UTF-8")
            continue
        if not text.strip():
            continue
        try:
            cells = next(csv.reader([text]))
            if len(cells) != 2:
                raise Refused(f"{len(cells)} columns where 2 were expected")
            path, released = cells[0].strip(), release_time(cells[1], now=source.now)
            if not CHANGES_PATH.match(path):
                raise Refused(f"{path[:80]!r} is not a YYYY/name.json path")
        except (Refused, csv.Error) as exc:
            source.skip(where, str(exc))
            continue
        if path not in seen:
            seen.add(path)
            url = base + path
            yield Listed(url, released, tuple(url + ext for ext in HASHES), url + ".asc")


def rolie_feed(download: Download, source: Source) -> Iterator[Listed]:
    """The documents a ROLIE feed (RFC 8322, as JSON) lists, with their hash and signature
    links (CSAF 2.0, 7.1.15)."""
    try:
        found = json.loads(download.read())
        entries = found["feed"].get("entry") or []
        if not isinstance(entries, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise FormatError(f"{download.url.rsplit('/', 1)[-1]}: not a ROLIE feed") from None
    for index, entry in enumerate(entries):
        where = f"ROLIE entry {index}"
        try:
            yield _rolie_entry(entry, download.url, now=source.now)
        except Refused as exc:
            source.skip(where, str(exc))


def _rolie_entry(entry: Any, feed_url: str, *, now: int) -> Listed:
    if not isinstance(entry, dict):
        raise Refused("not an object")
    links: dict[str, list[str]] = {}
    for link in entry.get("link") or []:
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            links.setdefault(str(link.get("rel")), []).append(link["href"])
    url = (links.get("self") or [""])[0]
    if not url.endswith(".json") or not _same_scheme(url, feed_url):
        raise Refused(f"self link {url[:80]!r} is not a JSON document on the feed's scheme")
    hashes = tuple(href for href in links.get("hash", [])
                   if href.endswith(HASHES) and _same_scheme(href, feed_url))
    signature = next((href for href in links.get("signature", [])
                      if _same_scheme(href, feed_url)), url + ".asc")
    return Listed(url, release_time(entry.get("updated"), now=now),
                  hashes or tuple(url + ext for ext in HASHES), signature)


def _same_scheme(url: str, reference: str) -> bool:
    """An https provider's files are fetched over https only (CSAF 2.0, 7.1.3)."""
    return urlsplit(url).scheme == urlsplit(reference).scheme and bool(urlsplit(url).netloc)

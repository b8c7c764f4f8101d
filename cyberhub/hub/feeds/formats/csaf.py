"""CSAF 2.0 providers (CERT-Bund's WID advisories and their like; BSI TR-03191, CSAF 2.0
section 7): advisories as STIX reports, their CVEs as vulnerabilities, each document used
only after its hash and its OpenPGP signature were checked against the pinned key.

The feed's `url` is the provider's provider-metadata.json. It names the key and where the
documents are listed (`csaf_provider`); a document is downloaded when its listing shows a
`current_release_date` newer than the newest one a previous run handled, so a run after
the first downloads only what changed. For each: the document, its `.sha512`/`.sha256`
(at least one must exist and every one found must match) and its `.asc` signature. A
document that fails a check is skipped with the reason and not tried again until its
provider releases it anew; one that could not be downloaded is tried again next run.

The cursor keeps, per listing, the newest release date handled, which document URL holds
which advisory (so an unchanged advisory is marked as still listed without downloading
it: its entries do not expire) and the documents to try again.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Iterator

from cyberhub.hub.feeds.download import Client, DownloadError, shown_url
from cyberhub.hub.feeds.entries import Entry, Refused
from cyberhub.hub.feeds.formats import csaf_documents, csaf_provider
from cyberhub.hub.feeds.formats.csaf_openpgp import PLACEHOLDER, KeyRefused, PinnedKey
from cyberhub.hub.feeds.formats.csaf_provider import Listed, Listing
from cyberhub.hub.feeds.source import FormatError, Source

# Metadata, keys, hash and signature files are small; the feed's own cap is for documents.
SMALL_BYTES = 1024 * 1024
MAX_RETRY = 500  # documents kept to try again per listing; older ones wait for a new release


class _Again(Exception):
    """A document that could not be downloaded now; tried again next run."""


def read(source: Source) -> Iterator[Entry]:
    settings = source.feed.csaf
    assert settings is not None
    source.snapshot = False  # only what changed is downloaded; what was not listed stays
    if settings.openpgp_fingerprint == PLACEHOLDER:
        raise FormatError("openpgp_fingerprint is the shipped placeholder: compare the "
                          "provider's key fingerprint out of band and set it in the feed file")
    small = dataclasses.replace(source.client, max_bytes=SMALL_BYTES)
    provider = csaf_provider.metadata(_fetch(small, source.feed.url))
    key = _pinned_key(source, small, provider, settings.openpgp_fingerprint,
                      settings.openpgp_key)
    state = source.cursor.setdefault("csaf", {})
    listings = csaf_provider.listings(provider, url=source.feed.url,
                                      feed_level=source.feed.tlp)
    for gone in set(state) - {listing.url for listing in listings}:
        del state[gone]  # a listing the provider dropped: its advisories expire in time
    unchanged = True
    for listing in listings:
        known = state.get(listing.url, {})
        state[listing.url], listing_unchanged = yield from _listing(
            source, small, key, listing, known)
        unchanged = unchanged and listing_unchanged
    source.unchanged = unchanged


def _listing(source: Source, small: Client, key: PinnedKey, listing: Listing,
             known: dict[str, Any]) -> Iterator[Entry]:
    """The listing's new and changed documents; returns its next cursor and whether
    nothing was downloaded for it."""
    newest = int(known.get("newest", 0))
    groups: dict[str, str] = dict(known.get("groups", {}))
    retry = {item.url: item for item in map(Listed.from_cursor, known.get("retry", []))}
    download = source.fetch_main(listing.url)
    if download is None:
        due = list(retry.values())
    else:
        try:
            reader = csaf_provider.changes_csv if listing.kind == "changes" \
                else csaf_provider.rolie_feed
            listed = list(reader(download, source))
        finally:
            download.close()
        # What left the listing is no longer kept; its entries expire in their time.
        names = {item.url for item in listed}
        groups = {url: group for url, group in groups.items() if url in names}
        due = [item for item in listed if item.released > newest or item.url in retry]
        newest = max([newest] + [item.released for item in listed])
    again: list[Listed] = []
    for item in due:
        source.fetched += 1
        try:
            made = _document(source, small, key, item)
        except _Again as exc:
            source.skip(shown_url(item.url), f"{exc}; tried again next run")
            again.append(item)
            continue
        except Refused as exc:
            source.skip(shown_url(item.url), str(exc))
            continue
        groups[item.url] = made[-1].value  # the report's tracking id
        yield from made
    # Unchanged advisories are still listed: their entries are seen, not expired.
    source.touched.update(groups.values())
    return ({"newest": newest, "groups": groups,
             "retry": [item.cursor() for item in again[-MAX_RETRY:]]},
            download is None and not due)


def _document(source: Source, small: Client, key: PinnedKey, item: Listed) -> list[Entry]:
    try:
        download = source.client.fetch(item.url, accept="application/json")
    except DownloadError as exc:
        raise _Again(str(exc)) from None
    try:
        body = download.read()
    finally:
        download.close()
    computed = {"sha256": download.sha256, "sha512": hashlib.sha512(body).hexdigest()}
    matched: dict[str, str] = {}
    for url in item.hashes:
        algorithm = url.rsplit(".", 1)[-1]
        try:
            text = _fetch(small, url).decode("ascii", errors="replace")
        except DownloadError:
            continue  # CSAF asks for one hash file (7.1.18), not for each kind
        given = (text.split() or [""])[0].lower()
        if given != computed[algorithm]:
            raise Refused(f"{algorithm.upper()} in {url.rsplit('/', 1)[-1]} does not match "
                          "the document")
        matched[algorithm] = given
    if not matched:
        raise _Again("no hash file (.sha512, .sha256) could be downloaded")
    try:
        signature = _fetch(small, item.signature)
    except DownloadError as exc:
        raise _Again(f"signature: {exc}") from None
    problem = key.verify(body, signature)
    if problem:
        raise Refused(problem)
    hashes = {f"SHA-{algorithm[3:]}": value for algorithm, value in sorted(matched.items())}
    return csaf_documents.entries(body, url=item.url, feed=source.feed, hashes=hashes,
                                  now=source.now)


def _pinned_key(source: Source, small: Client, provider: dict[str, Any], fingerprint: str,
                key_file: str | None) -> PinnedKey:
    """The key with the pinned fingerprint: from the feed's key file, else from the
    provider's public_openpgp_keys. FormatError when it cannot be had: no document can be
    checked, so none is read."""
    if key_file:
        path = Path(key_file)
        if not path.is_absolute():
            raise FormatError(f"openpgp_key {key_file!r} is relative: give an absolute "
                              "path (the feed loader does not resolve it yet)")
        try:
            return PinnedKey.from_bytes(path.read_bytes(), fingerprint, where=path.name)
        except OSError as exc:
            raise FormatError(f"openpgp_key {path.name}: {exc.strerror}") from None
        except KeyRefused as exc:
            raise FormatError(str(exc)) from None
    problems = []
    for url in csaf_provider.key_urls(provider, fingerprint, url=source.feed.url):
        try:
            return PinnedKey.from_bytes(_fetch(small, url), fingerprint,
                                        where=shown_url(url))
        except (DownloadError, KeyRefused) as exc:
            problems.append(str(exc))
    raise FormatError(problems[0])


def _fetch(client: Client, url: str) -> bytes:
    download = client.fetch(url)
    try:
        return download.read()
    finally:
        download.close()

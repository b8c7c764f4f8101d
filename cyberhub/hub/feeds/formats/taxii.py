"""A TAXII 2.1 upstream collection (a national CERT's server, another cyberhub), read with
taxii2-client, incrementally.

The feed's `url` is the upstream API root (TAXII 2.1 section 4.2), `[taxii] collection` the
collection's id or title (or, on a cyberhub upstream, its alias). Each run asks Get Objects
(5.4) for the types the feed takes, added after the newest `X-TAXII-Date-Added-Last` (3.4.2)
the last successful run saw, and follows `next` with taxii2-client's `as_pages`; so an
upstream's unchanged objects are not downloaded again, and a new version of one (revoked, a
valid_until in the past) comes as soon as the upstream has it.

What becomes an entry: an `indicator` whose STIX pattern compares exactly one value of a kind
the hub knows (read from the pattern's parse tree) and a `vulnerability` that names one CVE;
each checked like every feed value, and only if the upstream's TLP marking is not stricter
than the feed's (the hub marks what it writes with the feed's TLP, and must never loosen
one). Anything else is skipped with the object's id and the reason.

The upstream manages its objects' lives itself (new versions with `revoked` or
`valid_until`), and an incremental read cannot tell "unchanged" from "gone": so the entries
of the collection read are `touched` on every complete run and leave only as the upstream
says, or by `expire_after` days once the feed reads another collection.

taxii2-client sends requests without a timeout and reads each answer whole, so its requests
go through a transport that gives every one the feed's time budget and size cap, and follows
no redirect to another scheme, as the feed sync's own downloads do.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, Iterator
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from stix2patterns.v21.pattern import Pattern
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import AccessError, TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, as_pages

from cyberhub.core import timestamps, tlp, validation
from cyberhub.core.pattern_values import equality_values
from cyberhub.hub.correlation import index_keys, values
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.download import MAX_REDIRECTS, USER_AGENT, DownloadError, shown_url
from cyberhub.hub.feeds.entries import Entry, Refused, indicator_value, seen_time, text_field
from cyberhub.hub.feeds.source import FormatError, Source

TAKEN = ("indicator", "vulnerability")
PER_PAGE = 500
# Pages per run: a longer backlog (a first read of a large collection) goes on next run.
MAX_PAGES = 400
MAX_LABELS = 20
MAX_REFERENCES = 10
_CHUNK = 64 * 1024
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
# TAXII 2.1 makes collection ids UUIDs; anything that is a plain URL path segment will do.
_COLLECTION_ID = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
# The observable each kind of value is compared on, as a pattern path (values.PATTERN_PATHS).
_VALUE_KINDS = {"ipv4-addr": "ipv4", "ipv6-addr": "ipv6", "domain-name": "domain",
                "url": "url", "email-addr": "email"}
_HASH_KINDS = {"SHA-256": "sha256", "SHA-1": "sha1", "MD5": "md5"}


class _Transport(HTTPAdapter):
    """Every request taxii2-client sends: the feed's time budget and size cap per answer,
    only the feed's own scheme (a redirect from https to http is refused). Keeps the
    X-TAXII-Date-Added-Last header of the last answer, which taxii2-client does not hand
    out."""

    def __init__(self, *, scheme: str, max_bytes: int, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.scheme, self.max_bytes, self.timeout = scheme, max_bytes, timeout
        self.added_last: str | None = None

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = request.url or ""
        if urlsplit(url).scheme != self.scheme:
            raise DownloadError(f"{shown_url(url)}: redirect to another scheme refused")
        deadline = time.monotonic() + self.timeout
        response = super().send(request, stream=True, timeout=(min(10.0, self.timeout),
                                                               self.timeout),
                                verify=verify, cert=cert, proxies=proxies)
        self.added_last = response.headers.get("X-TAXII-Date-Added-Last")
        if not stream:
            # requests reads `_content` instead of the socket when it is set.
            response._content = self._body(url, response, deadline)
        return response

    def _body(self, url: str, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise DownloadError(f"{shown_url(url)}: {int(declared)} bytes announced, more than "
                                f"the limit of {self.max_bytes}")
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > self.max_bytes:
                    raise DownloadError(f"{shown_url(url)}: more than the limit of "
                                        f"{self.max_bytes} bytes; stopped")
                if time.monotonic() > deadline:
                    raise DownloadError(f"{shown_url(url)}: not complete within "
                                        f"{self.timeout:g} s; stopped")
        except BaseException:
            response.close()  # a whole answer returns its connection to the pool itself
            raise
        return bytes(body)


def read(source: Source) -> Iterator[Entry]:
    feed = source.feed
    settings = feed.taxii
    assert settings is not None
    source.snapshot = False
    unknown = [kind for kind in settings.types if kind not in TAKEN]
    if unknown:
        raise FormatError(f"[taxii] types: {unknown[0]!r} is not a type this format reads "
                          f"({', '.join(TAKEN)})")
    if settings.username and not os.environ.get(settings.password_env or ""):
        raise FormatError(f"the upstream password is missing: set the environment variable "
                          f"named by password_env ({settings.password_env or 'not given'})")
    transport = _Transport(scheme=urlsplit(feed.url).scheme, max_bytes=feed.max_bytes,
                           timeout=feed.timeout)
    auth = HTTPBasicAuth(*source.client.auth) if source.client.auth else None
    # taxii2-client's connection object, the one documented way to hand it a session; its
    # session gets the transport and the feed client's TLS setting and credentials.
    connection = _HTTPConnection(verify=source.client.verify, version="2.1",
                                 user_agent=USER_AGENT, auth=auth)
    connection.session.max_redirects = MAX_REDIRECTS
    for prefix in ("https://", "http://"):
        connection.session.mount(prefix, transport)
    with ApiRoot(feed.url, conn=connection) as root:
        collection = _call(feed, lambda: _collection(root, settings.collection))
        yield from _objects(source, collection, transport)


def _collection(root: ApiRoot, wanted: str) -> Collection:
    """The collection by id, else by title (case aside), else by a cyberhub alias."""
    found = root.collections
    for matches in ([c for c in found if c.id == wanted],
                    [c for c in found if (c.title or "").casefold() == wanted.casefold()],
                    [c for c in found if c.alias == wanted]):
        if len(matches) > 1:
            raise FormatError(f"{len(matches)} upstream collections are titled {wanted!r}; "
                              f"name one by its id ({', '.join(c.id for c in matches)})")
        if matches:
            if not _COLLECTION_ID.match(matches[0].id or ""):
                raise FormatError(f"upstream collection {wanted!r} has an id that cannot stand "
                                  "in a URL")
            if not matches[0].can_read:
                raise FormatError(f"the upstream account may not read collection {wanted!r}")
            return matches[0]
    titles = ", ".join(repr(c.title) for c in found[:8]) or "none"
    raise FormatError(f"no upstream collection {wanted!r} for this account (it sees: "
                      f"{titles})")


def _objects(source: Source, collection: Collection, transport: _Transport
             ) -> Iterator[Entry]:
    feed = source.feed
    assert feed.taxii is not None
    cursor = source.cursor
    same = (cursor.get("api_root") == shown_url(feed.url)
            and cursor.get("collection") == collection.id)
    after_us = timestamps.to_us(str(cursor.get("added_after", ""))) if same else None
    newest = after_us
    filters: dict[str, Any] = {"type": list(feed.taxii.types)}
    if after_us is not None:
        filters["added_after"] = timestamps.format_us(after_us)
    pages = as_pages(collection.get_objects, per_request=PER_PAGE, **filters)
    base = shown_url(collection.url)
    seen_tokens: set[str] = set()
    for number in range(1, MAX_PAGES + 1):
        envelope = _call(feed, lambda: next(pages, None))
        if envelope is None:
            break
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
            raise FormatError(f"{base}: page {number} is not a TAXII envelope")
        objects = envelope.get("objects", [])
        last = timestamps.to_us(transport.added_last or "")
        if objects and last is None:
            raise FormatError(f"{base}: page {number} has no valid X-TAXII-Date-Added-Last "
                              "header; the collection cannot be read incrementally")
        if last is not None and (newest is None or last > newest):
            newest = last
        for place, obj in enumerate(objects, start=1):
            source.fetched += 1
            where = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) \
                else f"page {number} object {place}"
            try:
                yield _entry(source, obj, f"{base}objects/{where}/", _group(collection))
            except Refused as exc:
                source.skip(str(where)[:100], str(exc))
        if not envelope.get("more"):
            break
        token = envelope.get("next")
        if not objects or not isinstance(token, str) or not token or token in seen_tokens:
            raise FormatError(f"{base}: page {number} says more objects follow but gives no "
                              "new `next` token")
        seen_tokens.add(token)
    else:
        # Stopped with more to come: the next run asks from just before the newest date read,
        # as objects added at that very moment may stand on the pages not read.
        if newest is not None:
            newest = max(newest - 1, after_us or 0)
    source.cursor = {"api_root": shown_url(feed.url), "collection": collection.id}
    if newest is not None:
        source.cursor["added_after"] = timestamps.format_us(newest)
    source.touched.add(_group(collection))


def _group(collection: Collection) -> str:
    """What the collection's entries are grouped by (the column holds 200 characters)."""
    return collection.id[:200]


def _entry(source: Source, obj: Any, link: str, group: str) -> Entry:
    if not isinstance(obj, dict):
        raise Refused("not a JSON object")
    problem = validation.validate(obj)
    if problem:
        raise Refused(f"not valid STIX 2.1: {problem}")
    assert source.feed.taxii is not None
    if obj["type"] not in source.feed.taxii.types:
        raise Refused(f"type {obj['type']!r} is not among this feed's types")
    _check_marking(obj, source.feed)
    common = {"reference": link, "external_id": obj["id"], "group": group,
              "labels": _labels(obj), "revoked": obj.get("revoked") is True,
              "description": text_field(obj.get("description"), "description", 1000)}
    if obj["type"] == "indicator":
        return _indicator(source, obj, common)
    return _vulnerability(obj, common)


def _indicator(source: Source, obj: dict[str, Any], common: dict[str, Any]) -> Entry:
    if obj.get("pattern_type") != "stix":
        raise Refused(f"pattern_type {obj.get('pattern_type')!r}: only STIX patterns are read")
    if "benign" in (obj.get("indicator_types") or []):
        raise Refused("indicator_types says benign: no threat to look for")
    kind, raw = _single_value(obj["pattern"])
    value = indicator_value(kind, raw, lists=source.lists)
    extra: dict[str, Any] = {"references": _references(obj)}
    if obj.get("indicator_types"):
        extra["indicator_types"] = [text_field(t, "indicator type", 100)
                                    for t in obj["indicator_types"]]
    gone = False
    until = timestamps.to_us(obj["valid_until"]) if "valid_until" in obj else None
    if until is not None and until <= source.now:
        gone = True
    elif until is not None:
        extra["valid_until"] = timestamps.stix_time(until)
    name = text_field(obj.get("name"), "name")
    return Entry(kind=kind, value=value, name=name or value, gone=gone,
                 first_seen=seen_time(obj["valid_from"], now=source.now), extra=extra,
                 **common)


def _single_value(pattern: str) -> tuple[str, str]:
    """(kind, value) of a pattern that compares one value for equality, nothing else."""
    try:
        parsed = Pattern(pattern).inspect()
    except Exception:  # stix2-patterns raises bare ParseException subclasses
        raise Refused("the pattern does not parse") from None
    operators = [op for entries in parsed.comparisons.values() for _, op, _ in entries]
    if parsed.observation_ops or parsed.qualifiers or operators != ["="]:
        raise Refused(f"the pattern is not one value compared with '=' "
                      f"({len(operators)} comparisons)")
    compared = equality_values(pattern) or []
    if len(compared) != 1:
        raise Refused("the pattern compares no string value")
    ((object_type, path, value),) = compared
    kind = None
    if path == ["value"]:
        kind = _VALUE_KINDS.get(object_type)
    elif object_type == "file" and len(path) == 2 and path[0] == "hashes":
        kind = _HASH_KINDS.get(index_keys.HASHES.get(str(path[1]).lower(), ""))
    if kind is None:
        shown = ".".join(str(part) for part in path)
        raise Refused(f"{object_type}:{shown} is not a kind of value the hub takes")
    assert kind in values.KINDS
    return kind, value


def _vulnerability(obj: dict[str, Any], common: dict[str, Any]) -> Entry:
    named = {str(ref.get("external_id", "")).strip().upper()
             for ref in obj.get("external_references") or []
             if str(ref.get("source_name", "")).lower() == "cve"}
    if not named and _CVE.match(str(obj.get("name", "")).strip().upper()):
        named = {str(obj["name"]).strip().upper()}
    cves = sorted(cve for cve in named if _CVE.match(cve))
    if len(cves) != 1:
        raise Refused("names no CVE" if not cves else f"names {len(cves)} CVEs")
    name = text_field(obj.get("name"), "name")
    references = [{"source_name": "cve", "external_id": cves[0]}] + _references(obj)
    return Entry(kind="cve", value=cves[0], name=name or cves[0], stix_type="vulnerability",
                 extra={"references": references[:MAX_REFERENCES]}, **common)


def _check_marking(obj: dict[str, Any], feed: Feed) -> None:
    """Refused if the upstream marked the object stricter than the feed's TLP: the hub marks
    what it writes with the feed's TLP only. A marking that is no TLP level counts as the
    strictest, as it does everywhere in the hub."""
    refs = tlp.marking_refs(obj)
    level = tlp.audience_level(refs, set())
    if level is None or tlp.LEVELS.index(level) <= tlp.LEVELS.index(feed.tlp):
        return
    unknown = tlp.unresolved(refs, set())
    how = f"marked TLP:{level.upper()}" if not unknown else \
        f"marked {unknown[0]}, no TLP level (read as TLP:{level.upper()})"
    raise Refused(f"{how}, stricter than this feed's TLP:{feed.tlp.upper()}")


def _labels(obj: dict[str, Any]) -> tuple[str, ...]:
    labels: list[str] = []
    for label in obj.get("labels") or []:
        text = text_field(label, "label", 100)
        if text and text not in labels:
            labels.append(text)
    return tuple(labels[:MAX_LABELS])


def _references(obj: dict[str, Any]) -> list[dict[str, str]]:
    """The upstream's own references (its sources), checked; its CVE references are made
    anew from the CVE."""
    kept = []
    for ref in obj.get("external_references") or []:
        source_name = text_field(ref.get("source_name"), "source_name", 100)
        if source_name.lower() == "cve":
            continue
        item = {"source_name": source_name}
        url = str(ref.get("url") or "")
        if url and values.urlsafe(url) and len(url) <= 2048:
            item["url"] = url
        if ref.get("external_id"):
            item["external_id"] = text_field(ref["external_id"], "external_id", 100)
        if len(item) > 1:
            kept.append(item)
    return kept[:MAX_REFERENCES]


def _call(feed: Feed, call):
    """The result of a call to the upstream; what goes wrong becomes one line."""
    try:
        return call()
    except (DownloadError, FormatError):
        raise
    except requests.HTTPError as exc:
        raise _http_failure(feed, exc) from None
    except requests.exceptions.SSLError:
        raise DownloadError(f"{shown_url(feed.url)}: TLS certificate not trusted") from None
    except requests.exceptions.Timeout:
        raise DownloadError(f"{shown_url(feed.url)}: no answer within "
                            f"{feed.timeout:g} s") from None
    except requests.RequestException as exc:
        raise DownloadError(f"{shown_url(feed.url)}: {type(exc).__name__}") from None
    except AccessError:
        raise FormatError(f"the upstream account may not read collection "
                          f"{feed.taxii.collection if feed.taxii else ''!r}") from None
    except (TAXIIServiceException, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise FormatError(f"{shown_url(feed.url)}: not a TAXII 2.1 answer "
                          f"({type(exc).__name__})") from None


def _http_failure(feed: Feed, exc: requests.HTTPError) -> Exception:
    status = exc.response.status_code if exc.response is not None else 0
    url = shown_url(exc.response.url if exc.response is not None else feed.url)
    settings = feed.taxii
    if status == 401 and settings and settings.username:
        return FormatError(f"{url}: HTTP 401: the upstream refused the credentials of "
                           f"{settings.username!r} (password from {settings.password_env})")
    if status == 401:
        return FormatError(f"{url}: HTTP 401: the upstream wants credentials ([taxii] "
                           "username and password_env)")
    if status == 404 and url.rstrip("/").endswith("/collections"):
        return FormatError(f"{url}: HTTP 404: is `url` the upstream's API root?")
    return DownloadError(f"{url}: HTTP {status}")

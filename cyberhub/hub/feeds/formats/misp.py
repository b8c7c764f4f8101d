"""A MISP feed, as MISP exports one and the CIRCL OSINT feed publishes it.

The feed's URL is its `manifest.json`: event uuid → the event's `info`, `date`, `timestamp`
(of its last change), `Orgc` and `Tag`s. Beside it lies one `<uuid>.json` per event
(`{"Event": {..., "Attribute": [...], "Object": [{"Attribute": [...]}], "Tag": [...]}}`).
The feed is read incrementally: the cursor keeps each event's manifest timestamp, and only an
event whose timestamp changed is downloaded again. An unchanged event is `touched` (its
entries, grouped by the event's uuid, stay seen), so the feed is no snapshot.

What becomes an indicator: an attribute (of the event or of one of its objects) marked for
detection (`to_ids`), not deleted, of a type the hub blocks (`TYPES`); its value checked like
every feed value. Event and attribute tags (`tlp:white`, `misp-galaxy:...`) become labels;
the name is the event's `info`, the reference the event's JSON file. An event that cannot be
downloaded or read is skipped and tried again on the next run (its old entries stay seen).

What leaves the feed: the events read in full and those gone from the manifest are named in
`source.replaced`, so an attribute an edited event no longer lists (or no longer marks) and
every attribute of an event that left expire in the same run; an event that is unchanged
keeps its entries (`source.touched`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator
from urllib.parse import urljoin

from cyberhub.hub.feeds.download import DownloadError, shown_url
from cyberhub.hub.feeds.entries import Entry, Refused, indicator_value, seen_time, text_field
from cyberhub.hub.feeds.source import FormatError, Source

# MISP attribute type → the hub's kind ("ip" is told apart by the value); a composite type
# ("filename|sha256", "ip-dst|port") names the part that is the indicator.
TYPES: dict[str, tuple[str, int]] = {
    "ip-dst": ("ip", 0), "ip-src": ("ip", 0),
    "ip-dst|port": ("ip", 0), "ip-src|port": ("ip", 0),
    "domain": ("domain", 0), "hostname": ("domain", 0),
    "domain|ip": ("domain", 0), "hostname|port": ("domain", 0),
    "url": ("url", 0),
    "md5": ("md5", 0), "sha1": ("sha1", 0), "sha256": ("sha256", 0),
    "filename|md5": ("md5", 1), "filename|sha1": ("sha1", 1),
    "filename|sha256": ("sha256", 1),
    "email-src": ("email", 0), "email": ("email", 0),
}
MAX_LABELS = 50
MAX_ATTRIBUTES = 100_000  # per event; the largest CIRCL OSINT events hold a few thousand
_CURSOR = "events"


def read(source: Source) -> Iterator[Entry]:
    source.snapshot = False
    download = source.fetch_main(accept="application/json")
    if download is None:
        source.unchanged = True
        return
    try:
        manifest = _manifest(download.read(), source)
    finally:
        download.close()
    known: dict[str, int] = dict(source.cursor.get(_CURSOR, {}))
    now_known: dict[str, int] = {}
    retry = False
    for event_id, stamp in sorted(manifest.items(), key=lambda item: (item[1] or 0, item[0])):
        if stamp is None:  # listed, but its timestamp unreadable: keep what was read before
            if event_id in known:
                source.touched.add(event_id)
                now_known[event_id] = known[event_id]
            continue
        if known.get(event_id) == stamp:
            source.touched.add(event_id)
            now_known[event_id] = stamp
            continue
        url = urljoin(source.feed.url, f"{event_id}.json")
        try:
            event = _event(source, url, event_id)
            found = list(_entries(source, event, event_id, shown_url(url)))
        except (DownloadError, FormatError, Refused) as exc:
            source.skip(f"event {event_id}", str(exc))
            retry = True
            if event_id in known:  # the version read before stays until this one can be
                source.touched.add(event_id)
                now_known[event_id] = known[event_id]
            continue
        yield from found
        now_known[event_id] = stamp
    # Events read again in full or gone from the manifest: their entries not seen in this
    # run have left the feed.
    source.replaced.update((set(now_known) - source.touched) | (set(known) - set(manifest)))
    source.cursor[_CURSOR] = now_known
    if retry:
        # Read the manifest again next time even if it did not change, so that the events
        # skipped now are tried again.
        source.cursor.get("http", {}).pop(source.feed.url, None)


def _json(raw: bytes) -> Any:
    """JSON in which bytes that are not UTF-8 are kept as lone surrogates, so that an
    attribute with broken text is refused on its own (`_text`), not its whole event."""
    try:
        return json.loads(raw.decode("utf-8", errors="surrogateescape"))
    except ValueError as exc:
        raise FormatError(f"not JSON: {exc}") from None


def _manifest(raw: bytes, source: Source) -> dict[str, int | None]:
    """Event uuid → timestamp; a manifest entry that is not one is skipped and named (with
    None for its timestamp when at least its uuid can be read)."""
    document = _json(raw)
    if not isinstance(document, dict):
        raise FormatError("not a MISP feed manifest: not an object of events by uuid")
    events: dict[str, int | None] = {}
    for key, meta in document.items():
        try:
            event_id = _uuid(key)
        except Refused as exc:
            source.skip(f"manifest entry {_shown(key)}", str(exc))
            continue
        stamp = str(meta.get("timestamp", "")).strip() if isinstance(meta, dict) else ""
        if stamp.isascii() and stamp.isdigit() and len(stamp) <= 12:
            events[event_id] = int(stamp)
        else:
            events[event_id] = None
            source.skip(f"manifest entry {event_id}", f"timestamp {stamp[:20]!r} is not a "
                        "Unix time" if isinstance(meta, dict) else "not an event's summary")
    return events


def _event(source: Source, url: str, event_id: str) -> dict[str, Any]:
    download = source.client.fetch(url, accept="application/json")
    try:
        if download.not_modified:  # asked for nothing conditional; a server's mistake
            raise FormatError("answered 304 to an unconditional request")
        document = _json(download.read())
    finally:
        download.close()
    event = document.get("Event") if isinstance(document, dict) else None
    if not isinstance(event, dict):
        raise FormatError("not a MISP event: no Event object")
    named = str(event.get("uuid", "")).strip().lower()
    if named != event_id:
        raise FormatError(f"the file holds event {_shown(named)}, not {event_id}")
    return event


def _entries(source: Source, event: dict[str, Any], event_id: str,
             reference: str) -> Iterator[Entry]:
    """The event's indicators. Raises Refused for an event that is unusable as a whole
    (no info, an absurd date, a formula for a tag); skips single attributes."""
    name = _text(event.get("info"), "info")
    if not name:
        raise Refused("no info")
    first_seen = seen_time(event.get("date"), now=source.now, formats=("%Y-%m-%d",))
    event_labels = _labels(event.get("Tag"))
    org = event.get("Orgc")
    org_name = _text(org.get("name"), "Orgc name", 100) if isinstance(org, dict) else ""
    for position, attribute in enumerate(_attributes(event)):
        if position >= MAX_ATTRIBUTES:
            raise Refused(f"more than {MAX_ATTRIBUTES} attributes")
        if not isinstance(attribute, dict) or attribute.get("deleted") in (True, "1", 1):
            continue
        if attribute.get("to_ids") not in (True, "1", 1):
            continue  # context (a file name, a comment), not for detection
        taken = TYPES.get(str(attribute.get("type", "")))
        if taken is None:
            continue  # a type the hub does not block (yara, regkey, ja3, ...)
        source.fetched += 1
        attribute_id = _shown(attribute.get("uuid") or f"#{position}")
        try:
            yield _entry(source, attribute, taken, name=name, event_id=event_id,
                         attribute_id=attribute_id, first_seen=first_seen,
                         labels=event_labels, org=org_name, reference=reference)
        except Refused as exc:
            source.skip(f"event {event_id} attribute {attribute_id}", str(exc))


def _attributes(event: dict[str, Any]) -> Iterator[Any]:
    """The event's attributes, then those of its objects (a file object's hashes, a
    domain-ip object's address)."""
    listed = event.get("Attribute") or []
    if not isinstance(listed, list):
        raise Refused("Attribute is not a list")
    yield from listed
    for obj in event.get("Object") or []:
        if not isinstance(obj, dict) or obj.get("deleted") in (True, "1", 1):
            continue
        inner = obj.get("Attribute") or []
        if not isinstance(inner, list):
            raise Refused(f"object {_shown(obj.get('uuid'))}: Attribute is not a list")
        yield from inner


def _entry(source: Source, attribute: dict[str, Any], taken: tuple[str, int], *, name: str,
           event_id: str, attribute_id: str, first_seen: int | None,
           labels: tuple[str, ...], org: str, reference: str) -> Entry:
    kind, part = taken
    raw = str(attribute.get("value") or "")  # as written: indicator_value checks it all
    if _broken(raw):
        raise Refused("value is not UTF-8")
    parts = raw.split("|")
    misp_type = str(attribute["type"])
    if len(parts) != misp_type.count("|") + 1:
        raise Refused(f"value {raw[:60]!r} does not fit type {misp_type}")
    raw = parts[part]
    if kind == "ip":
        kind = "ipv6" if ":" in raw else "ipv4"
    value = indicator_value(kind, raw, lists=source.lists)
    attribute_labels = _labels(attribute.get("Tag"))
    every = tuple(dict.fromkeys(labels + attribute_labels))[:MAX_LABELS]
    return Entry(
        kind=kind, value=value, name=name, labels=every, first_seen=first_seen,
        reference=reference, external_id=attribute_id if attribute.get("uuid") else None,
        description=_text(attribute.get("comment"), "comment", 1000), group=event_id,
        extra={"x_cyberhub_misp": {
            "event": event_id, "attribute": attribute_id, "type": misp_type,
            "category": _text(attribute.get("category"), "category", 100), "org": org}},
    )


def _labels(tags: Any) -> tuple[str, ...]:
    """MISP tag names as written (machine tags are case-sensitive: a galaxy's cluster);
    a tag the publisher marked not exportable is not passed on."""
    if tags is None:
        return ()
    if not isinstance(tags, list):
        raise Refused("Tag is not a list")
    names = []
    for tag in tags:
        if not isinstance(tag, dict) or tag.get("exportable") is False \
                or tag.get("local") in (True, 1, "1"):
            continue
        label = _text(tag.get("name"), "tag", 250)
        if label and label not in names:
            names.append(label)
    return tuple(names)


def _text(value: Any, what: str, limit: int = 300) -> str:
    """A text field of the event: UTF-8 (see `_json`), one line, no formula."""
    text = "" if value is None else str(value)
    if _broken(text):
        raise Refused(f"{what} is not UTF-8")
    return text_field(text, what, limit)


def _broken(text: str) -> bool:
    """Whether the text held bytes that were not UTF-8 (lone surrogates, see `_json`)."""
    return any("\udc80" <= c <= "\udcff" for c in text)


def _uuid(value: Any) -> str:
    """The uuid in MISP's form (it names the event's file, so no other spelling will do)."""
    text = str(value).strip().lower()
    try:
        if str(uuid.UUID(text)) == text:
            return text
    except ValueError:
        pass
    raise Refused(f"{_shown(value)} is not a uuid")


def _shown(value: Any) -> str:
    """A value from the feed as it may stand in a log line: short, escaped if need be."""
    text = " ".join(str(value).split())[:60]
    return text if text.isprintable() else ascii(text)

"""One CSAF 2.0 document (already checked against its hashes and signature) as feed entries:
a STIX `report` for the advisory and a `vulnerability` per CVE it names.

Only what a CSAF document must hold is relied on (CSAF 2.0, 3.2.1.12 and 4.1: the
`document` with its category, version, title, publisher and `tracking`); a document that
lacks it, is still a draft, carries a stricter TLP label than the feed may store, or sits
under a file name that is not its tracking id (5.1: a validly signed document served under
another advisory's name) is refused as a whole, so nothing of it is half-written.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from cyberhub.core import timestamps, tlp
from cyberhub.hub.feeds import objects
from cyberhub.hub.feeds.definitions import Feed
from cyberhub.hub.feeds.entries import AHEAD_US, EARLIEST_US, Entry, Refused, text_field

CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")
MAX_SUMMARY = 1000          # a longer summary note is not a description, it is the advisory
MAX_PRODUCTS = 200
MAX_DEPTH = 32              # product_tree branches nest vendor > family > name > version
# CSAF 2.0 labels (WHITE) and TLP 2.0's (CLEAR) as the hub's levels.
TLP_LABELS = {"WHITE": "clear", "CLEAR": "clear", "GREEN": "green", "AMBER": "amber",
              "AMBER+STRICT": "amber+strict", "RED": "red"}


def allowed(label: Any, feed_level: str) -> bool:
    """Whether content labelled `label` may be stored under the feed's TLP marking."""
    level = TLP_LABELS.get(str(label or "").strip().upper())
    return level is not None and tlp.LEVELS.index(level) <= tlp.LEVELS.index(feed_level)


def release_time(value: Any, *, now: int) -> int:
    """A CSAF date-time (ISO 8601, e.g. 2026-01-01T23:00:00.000+00:00) as µs; Refused for
    one that cannot be read or cannot be true."""
    text = str(value or "").strip()
    if not text:
        raise Refused("no date")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"date {text[:40]!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    us = timestamps.datetime_to_us(moment)
    if us < EARLIEST_US or us > now + AHEAD_US:
        raise Refused(f"date {text[:40]!r} cannot be true")
    return us


def file_name(tracking_id: str) -> str:
    """The file name CSAF 2.0 (5.1) gives the document with this tracking id."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


def entries(raw: bytes, *, url: str, feed: Feed, hashes: dict[str, str], now: int
            ) -> list[Entry]:
    """The report and vulnerabilities of the document at `url`; Refused with the reason."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused("not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise Refused(f"not JSON ({str(exc)[:80]})") from None
    document = data.get("document") if isinstance(data, dict) else None
    if not isinstance(document, dict) or document.get("csaf_version") != "2.0":
        raise Refused("not a CSAF 2.0 document (no document with csaf_version 2.0)")
    tracking = document.get("tracking")
    if not isinstance(tracking, dict):
        raise Refused("no document.tracking")
    tracking_id = text_field(tracking.get("id"), "tracking id", 100)
    if not tracking_id:
        raise Refused("no tracking id")
    if url.rsplit("/", 1)[-1] != file_name(tracking_id):
        raise Refused(f"tracking id {tracking_id} does not belong under this file name "
                      f"(expected {file_name(tracking_id)})")
    if tracking.get("status") not in ("final", "interim"):
        raise Refused(f"tracking status {str(tracking.get('status'))[:20]!r} is not final "
                      "or interim")
    label = ((document.get("distribution") or {}).get("tlp") or {}).get("label")
    if label is not None and not allowed(label, feed.tlp):
        raise Refused(f"labelled TLP:{str(label)[:20]}, stricter than the feed's "
                      f"TLP:{feed.tlp.upper()}")
    title = text_field(document.get("title"), "title")
    if not title:
        raise Refused("no title")
    published = release_time(tracking.get("initial_release_date"), now=now)
    current = release_time(tracking.get("current_release_date"), now=now)
    cves = _cves(data.get("vulnerabilities"))
    vulnerabilities = [Entry(kind="cve", value=cve, name=cve, stix_type="vulnerability",
                             group=tracking_id,
                             extra={"references": [{"source_name": "cve",
                                                    "external_id": cve}]})
                       for cve in cves]
    refs = [objects.object_id(feed, entry) for entry in vulnerabilities]
    csaf = {"severity": _severity(document), "products": _products(data.get("product_tree")),
            "cves": cves, "version": str(tracking.get("version") or "")[:20],
            "current_release_date": timestamps.stix_time(current)}
    report = Entry(
        kind="advisory", value=tracking_id, name=title, stix_type="report",
        group=tracking_id, reference=_portal(document) or url, external_id=tracking_id,
        description=_summary(document),
        extra={"published": timestamps.stix_time(published),
               "report_types": ["vulnerability"],  # a characterisation of vulnerabilities
               # STIX needs at least one reference: without a CVE, the provider itself.
               "object_refs": refs or [objects.identity_id(feed)],
               "references": [{"source_name": "csaf", "url": url, "hashes": hashes,
                               "external_id": tracking_id}],
               "x_cyberhub_csaf": {key: value for key, value in csaf.items() if value}})
    return vulnerabilities + [report]


def _cves(vulnerabilities: Any) -> list[str]:
    found: list[str] = []
    for item in vulnerabilities or []:
        cve = item.get("cve") if isinstance(item, dict) else None
        if cve is None:
            continue  # a vulnerability without a CVE id (ids, title only) is allowed
        if not isinstance(cve, str) or not CVE.match(cve):
            raise Refused(f"vulnerability cve {str(cve)[:40]!r} is not a CVE id")
        if cve not in found:
            found.append(cve)
    return found


def _severity(document: dict[str, Any]) -> str:
    severity = document.get("aggregate_severity")
    if not isinstance(severity, dict):
        return ""
    try:
        return text_field(severity.get("text"), "aggregate_severity", 50)
    except Refused:
        return ""


def _summary(document: dict[str, Any]) -> str:
    """The first summary note, when it is short enough to describe the advisory."""
    for note in document.get("notes") or []:
        if isinstance(note, dict) and note.get("category") == "summary":
            text = " ".join(str(note.get("text") or "").split())
            if not text or len(text) > MAX_SUMMARY:
                return ""
            try:
                return text_field(text, "summary", MAX_SUMMARY)
            except Refused:
                return ""
    return ""


def _portal(document: dict[str, Any]) -> str | None:
    """The provider's page for the advisory: a `self` reference that is not the JSON."""
    for reference in document.get("references") or []:
        if isinstance(reference, dict) and reference.get("category") == "self":
            url = str(reference.get("url") or "")
            if url.startswith(("https://", "http://")) and not url.endswith(".json") \
                    and len(url) <= 2048 and url.isprintable():
                return url
    return None


def _products(tree: Any) -> list[dict[str, str]]:
    """Vendor and product names as the product_tree's branches give them, each pair once:
    what a town's product list is matched against."""
    found: list[dict[str, str]] = []

    def walk(branches: Any, vendor: str, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(branches, list):
            return
        for branch in branches:
            if not isinstance(branch, dict) or len(found) >= MAX_PRODUCTS:
                continue
            try:
                name = text_field(branch.get("name"), "branch name", 200)
            except Refused:
                continue
            category = branch.get("category")
            if category == "vendor":
                walk(branch.get("branches"), name, depth + 1)
            elif category == "product_name":
                pair = {"vendor": vendor, "product": name} if vendor else {"product": name}
                if pair not in found:
                    found.append(pair)
            else:
                walk(branch.get("branches"), vendor, depth + 1)

    if isinstance(tree, dict):
        walk(tree.get("branches"), "", 0)
    return found

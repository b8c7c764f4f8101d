"""CISA's catalogue of Known Exploited Vulnerabilities (KEV), as the JSON file CISA publishes.

The catalogue is one document (`title`, `catalogVersion`, `dateReleased`, `count`,
`vulnerabilities`) listing every CVE that CISA knows to be exploited, with vendor, product,
the date it was added and the due date US federal agencies must meet. It is a full list on
every download, so a CVE it no longer names has left it (CISA withdraws one now and then).
Each entry becomes a STIX `vulnerability` named by its CVE id, with a `cve` external
reference and what CISA says about it in `x_cyberhub_kev`. An entry that cannot be true (a
malformed CVE id, a date before the Internet, a due date years away from the date added) is
skipped with its position and CVE; a document that is not the catalogue is not read at all.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Iterator

from cyberhub.hub.feeds.entries import Entry, Refused, seen_time, text_field
from cyberhub.hub.feeds.source import FormatError, Source

# The catalogue's own schema: CVE-YYYY-NNNN with four or more digits.
CVE = re.compile(r"^CVE-(\d{4})-(\d{4,19})$")
CWE = re.compile(r"^CWE-\d{1,6}$")
# A due date lies weeks after the date added; years later would be a typing error.
MAX_DUE_DAYS = 3 * 365
MAX_DESCRIPTION = 2000
MAX_NOTE_LINKS = 10
_RANSOMWARE = {"known": True, "unknown": False}


def read(source: Source) -> Iterator[Entry]:
    download = source.fetch_main(accept="application/json")
    if download is None:
        source.unchanged = True
        return
    try:
        catalogue = _document(download.read())
    finally:
        download.close()
    listed = catalogue["vulnerabilities"]
    count = catalogue.get("count")
    if isinstance(count, int) and count != len(listed):
        # Not fatal (every entry is still checked on its own), but worth a line in health.
        source.problems.append(f"catalogue {catalogue.get('catalogVersion')!r} says count "
                               f"{count} but lists {len(listed)} entries")
    for index, item in enumerate(listed):
        source.fetched += 1
        try:
            yield _entry(item, now=source.now)
        except Refused as exc:
            source.skip(_where(index, item), str(exc))


def _document(raw: bytes) -> dict[str, Any]:
    """The catalogue, or FormatError. Bytes that are not UTF-8 are kept as lone surrogates,
    so one entry with broken text is refused on its own instead of the whole catalogue."""
    try:
        document = json.loads(raw.decode("utf-8", errors="surrogateescape"))
    except ValueError as exc:
        raise FormatError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list) \
            or "catalogVersion" not in document:
        raise FormatError("not the KEV catalogue: no catalogVersion and vulnerabilities list")
    return document


def _where(index: int, item: Any) -> str:
    """The entry's position (from 0, as in the file) and its CVE id when it has one."""
    cve = item.get("cveID") if isinstance(item, dict) else None
    if not isinstance(cve, str) or not cve.strip():
        return f"entry {index}"
    text = " ".join(cve.split())[:40]
    # Shown as written, unless it holds what a log line must not (control characters,
    # the stand-ins for bytes that were not UTF-8): then escaped.
    return f"entry {index} ({text if text.isprintable() else ascii(text)})"


def _entry(item: Any, *, now: int) -> Entry:
    if not isinstance(item, dict):
        raise Refused(f"a {type(item).__name__}, not an object")
    _utf8(item)
    cve = _cve(item.get("cveID"))
    added = _date(item.get("dateAdded"), "dateAdded", now=now)
    due = _date(item.get("dueDate"), "dueDate", now=None)
    # The catalogue's first entries (November 2021) kept the earlier deadlines of CISA's
    # directives, months before the date they were added; a year or more is a typing error.
    if (added - due).days > 365:
        raise Refused(f"dueDate {due} lies more than a year before dateAdded {added}")
    if (due - added).days > MAX_DUE_DAYS:
        raise Refused(f"dueDate {due} lies more than {MAX_DUE_DAYS} days after {added}")
    ransomware = str(item.get("knownRansomwareCampaignUse") or "Unknown").strip().lower()
    if ransomware not in _RANSOMWARE:
        raise Refused(f"knownRansomwareCampaignUse {ransomware[:40]!r} is neither Known "
                      "nor Unknown")
    vendor = text_field(item.get("vendorProject"), "vendorProject")
    product = text_field(item.get("product"), "product")
    if not vendor or not product:
        raise Refused("no vendorProject or product")
    title = text_field(item.get("vulnerabilityName"), "vulnerabilityName")
    summary = text_field(item.get("shortDescription"), "shortDescription", MAX_DESCRIPTION)
    references: list[dict[str, str]] = [{"source_name": "cve", "external_id": cve}]
    references += _cwes(item.get("cwes"))
    references += _links(item.get("notes"), vendor)
    return Entry(
        kind="cve", value=cve, name=cve, stix_type="vulnerability",
        first_seen=seen_time(added.isoformat(), now=now),
        description=": ".join(part for part in (title, summary) if part),
        extra={"references": references, "x_cyberhub_kev": {
            "vendor": vendor, "product": product,
            "date_added": added.isoformat(), "due_date": due.isoformat(),
            "known_ransomware_use": _RANSOMWARE[ransomware],
            "required_action": text_field(item.get("requiredAction"), "requiredAction",
                                          MAX_DESCRIPTION)}},
    )


def _utf8(item: dict[str, Any]) -> None:
    """Refuse an entry whose text held bytes that are not UTF-8 (see `_document`)."""
    for key, value in item.items():
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and any("\udc80" <= c <= "\udcff" for c in text):
                raise Refused(f"{key} is not UTF-8")


def _cve(value: Any) -> str:
    text = str(value or "").strip().upper()
    match = CVE.match(text)
    if not match:
        raise Refused(f"cveID {str(value)[:40]!r} is not a CVE id")
    if not 1999 <= int(match.group(1)) <= 2100:
        raise Refused(f"cveID {text} names an impossible year")
    return text


def _date(value: Any, what: str, *, now: int | None) -> date:
    """A catalogue date (YYYY-MM-DD). With `now`, also not after tomorrow (seen_time's rule);
    a due date lies in the future by nature and is checked against the date added."""
    text = str(value or "").strip()
    if not text:
        raise Refused(f"no {what}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{what} {text[:40]!r} is not a date") from None
    if len(text) != 10:
        raise Refused(f"{what} {text[:40]!r} is not a date (YYYY-MM-DD)")
    try:
        if now is not None:
            seen_time(text, now=now, formats=("%Y-%m-%d",))
        elif day.year < 1995:
            raise Refused(f"date {text!r} cannot be true")
    except Refused as exc:
        raise Refused(f"{what}: {exc}") from None
    return day


def _cwes(value: Any) -> list[dict[str, str]]:
    """The CWE ids as STIX references; the catalogue's other words ("NVD-CWE-noinfo")
    say nothing and are left out."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refused("cwes is not a list")
    found = []
    for cwe in value:
        text = str(cwe).strip().upper()
        if CWE.match(text) and text not in found:
            found.append(text)
    return [{"source_name": "cwe", "external_id": cwe} for cwe in found]


def _links(notes: Any, vendor: str) -> list[dict[str, str]]:
    """The vendor advisories and NVD pages CISA lists in `notes`, separated by "; "."""
    links = []
    for part in str(notes or "").split(";"):
        url = part.strip()
        if url.startswith("https://") and len(url) <= 2048 and url not in links \
                and not any(c.isspace() or c in "'\"<>" for c in url):
            links.append(url)
    return [{"source_name": vendor, "url": url} for url in links[:MAX_NOTE_LINKS]]

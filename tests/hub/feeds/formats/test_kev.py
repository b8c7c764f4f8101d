"""CISA's KEV catalogue, served as CISA publishes it, read with the shipped feed file."""

from __future__ import annotations

import json

from stix2validator import ValidationOptions, validate_instance

from cyberhub.core import timestamps, tlp
from cyberhub.hub.feeds import definitions
from hub.feeds.conftest import DAY_US, SHIPPED, entries, fixture_bytes, shipped, stored

PATH = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"
GOOD = {"CVE-2024-3400", "CVE-2023-4966", "CVE-2021-44228", "CVE-2023-23397",
        "CVE-2024-21762", "CVE-2023-20198"}


def catalogue() -> bytes:
    """The fixture, with one entry's description made of bytes that are not UTF-8."""
    return fixture_bytes("known_exploited_vulnerabilities.json").replace(
        b"@@NOT-UTF-8@@", b"Server-side request forgery in \xff\xfe Exchange")


def serve(httpserver, body: bytes, content_type: str = "application/json") -> None:
    httpserver.clear_all_handlers()
    httpserver.expect_request(PATH).respond_with_data(body, content_type=content_type)


def vulnerabilities(db) -> dict[str, dict]:
    return {o["name"]: o for o in stored(db, "vulnerabilities") if o["type"] == "vulnerability"}


def test_catalogue_becomes_vulnerabilities_and_malformed_entries_are_named(
        hub, run_feed, httpserver):
    serve(httpserver, catalogue())
    feed = shipped("cisa-kev", httpserver.url_for(PATH))

    result = run_feed(feed)

    assert not result.failed, result.errors
    assert (result.fetched, result.added, result.updated, result.skipped) == (12, 6, 0, 6)
    found = vulnerabilities(hub.db)
    assert set(found) == GOOD
    _valid_stix(list(found.values()))
    citrix = found["CVE-2023-4966"]
    assert citrix["description"].startswith(
        "Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability: Citrix "
        "NetScaler ADC and NetScaler Gateway contain a buffer overflow")
    assert citrix["object_marking_refs"] == [tlp.IDS["clear"]]
    assert citrix["created_by_ref"].startswith("identity--")
    assert citrix["x_cyberhub_kev"] == {
        "vendor": "Citrix", "product": "NetScaler ADC and NetScaler Gateway",
        "date_added": "2023-10-18", "due_date": "2023-11-08", "known_ransomware_use": True,
        "required_action": "Apply mitigations per vendor instructions or discontinue use of "
                           "the product if mitigations are unavailable."}
    references = citrix["external_references"]
    assert references[0] == {"source_name": "CISA Known Exploited Vulnerabilities",
                             "url": httpserver.url_for(PATH)}
    assert references[1:3] == [{"source_name": "cve", "external_id": "CVE-2023-4966"},
                               {"source_name": "cwe", "external_id": "CWE-119"}]
    assert references[3]["url"].startswith("https://support.citrix.com/article/CTX579459/")
    assert references[4] == {"source_name": "Citrix",
                             "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-4966"}
    assert found["CVE-2024-3400"]["x_cyberhub_kev"]["known_ransomware_use"] is False
    # "NVD-CWE-noinfo" says nothing: only the CVE and the two notes' links.
    assert [r.get("external_id") for r in found["CVE-2023-20198"]["external_references"]] \
        == [None, "CVE-2023-20198", None, None]
    # The catalogue itself is in the vulnerabilities collection, never among indicators.
    assert not [o for o in stored(hub.db, "indicators") if o["type"] == "vulnerability"]
    problems = "\n".join(result.errors)
    assert "entry 6 (CVE-24-3401x): cveID 'CVE-24-3401x' is not a CVE id" in problems
    assert "entry 7 (CVE-2019-0708): dateAdded: date '1970-01-01' cannot be true" in problems
    assert "entry 8 (CVE-2022-41082): dueDate 2209-10-21 lies more than" in problems
    assert "entry 9: a str, not an object" in problems
    assert "entry 10 (CVE-2022-41040): shortDescription is not UTF-8" in problems
    assert "entry 11 (CVE-2021-26855): product '=HYPERLINK" in problems
    assert "spreadsheet formula" in problems
    assert set(entries(hub.db, "cisa-kev")) == {f"cve:{cve}" for cve in GOOD}


def test_a_new_release_with_the_same_entries_stores_nothing_and_a_change_is_a_version(
        hub, run_feed, httpserver):
    now = timestamps.now_us()
    serve(httpserver, catalogue())
    feed = shipped("cisa-kev", httpserver.url_for(PATH))
    assert run_feed(feed, now).added == 6

    # CISA publishes the catalogue again with a new version and release time only.
    document = json.loads(catalogue().decode("utf-8", "surrogateescape"))
    document.update(catalogVersion="2025.06.03", dateReleased="2025-06-03T15:01:22.0113Z")
    serve(httpserver, _dumped(document))
    again = run_feed(feed, now + 3_600_000_000)
    assert (again.fetched, again.added, again.updated, again.expired) == (12, 0, 0, 0)
    assert not again.unchanged  # other bytes: read again, and found the same

    # The very same bytes once more: not even read.
    unchanged = run_feed(feed, now + 2 * 3_600_000_000)
    assert unchanged.unchanged
    assert (unchanged.added, unchanged.updated, unchanged.expired) == (0, 0, 0)
    before = len(_versions(hub.db))

    # CISA moves a due date and withdraws an entry.
    listed = document["vulnerabilities"]
    listed[0]["dueDate"] = "2024-04-26"
    listed[:] = [v for v in listed if not (isinstance(v, dict)
                                           and v.get("cveID") == "CVE-2023-23397")]
    document.update(count=len(listed))
    serve(httpserver, _dumped(document))
    changed = run_feed(feed, now + 3 * 3_600_000_000)

    assert (changed.added, changed.updated, changed.expired) == (0, 1, 1)
    assert len(_versions(hub.db)) == before + 2
    found = vulnerabilities(hub.db)
    pan = found["CVE-2024-3400"]
    assert pan["x_cyberhub_kev"]["due_date"] == "2024-04-26"
    assert pan["modified"] > pan["created"]
    assert found["CVE-2023-23397"]["revoked"] is True
    assert "revoked" not in pan
    versions = [o for o in _versions(hub.db) if o["name"] == "CVE-2024-3400"]
    assert [v["x_cyberhub_kev"]["due_date"] for v in versions] == ["2024-04-19", "2024-04-26"]


def test_what_is_not_the_catalogue_is_refused_whole_and_expires_nothing(
        hub, run_feed, httpserver):
    now = timestamps.now_us()
    serve(httpserver, catalogue())
    feed = shipped("cisa-kev", httpserver.url_for(PATH))
    assert run_feed(feed, now).added == 6

    serve(httpserver, b"<!DOCTYPE html><html><body>Access Denied</body></html>", "text/html")
    html = run_feed(feed, now + DAY_US)
    assert html.failed and html.errors[0].startswith("not JSON: ")

    serve(httpserver, b'{"title": "CISA Catalog", "vulnerabilities": {"CVE-2024-3400": {}}}')
    other = run_feed(feed, now + 2 * DAY_US)
    assert other.failed
    assert other.errors[0] == ("not the KEV catalogue: no catalogVersion and vulnerabilities "
                               "list")

    serve(httpserver, b'\xff\xfe{"catalogVersion": "2025.06.02", "vulnerabilities": []}')
    broken = run_feed(feed, now + 3 * DAY_US)
    assert broken.failed and broken.errors[0].startswith("not JSON")

    # An empty list is read, but not taken as CISA withdrawing every entry.
    serve(httpserver, b'{"catalogVersion": "2025.06.02", "count": 0, "vulnerabilities": []}')
    empty = run_feed(feed, now + 4 * DAY_US)
    assert not empty.failed and empty.expired == 0
    assert "nothing expired" in empty.errors[0]
    assert set(entries(hub.db, "cisa-kev").values()) == {"active"}
    assert not any(o.get("revoked") for o in vulnerabilities(hub.db).values())


def test_shipped_feed_file():
    feed = definitions.load_file(SHIPPED / "cisa-kev.toml")
    assert feed.url == ("https://www.cisa.gov/sites/default/files/feeds/"
                        "known_exploited_vulnerabilities.json")
    assert (feed.format, feed.every_seconds, feed.tlp, feed.enabled) == (
        "kev", 6 * 3600, "clear", False)
    assert feed.full_list


def _versions(db) -> list[dict]:
    """Every stored version of the feed's vulnerabilities (not the signatures beside them)."""
    return [o for o in stored(db, "vulnerabilities", latest=False)
            if o["type"] == "vulnerability"]


def _dumped(document: dict) -> bytes:
    return json.dumps(document, indent=4, ensure_ascii=False).encode("utf-8", "surrogateescape")


def _valid_stix(objects: list[dict]) -> None:
    """Each object as a stock STIX 2.1 validator sees it."""
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])

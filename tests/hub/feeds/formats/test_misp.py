"""A MISP feed as the CIRCL OSINT feed publishes it (manifest.json and one file per event),
served by a real local HTTP server and read with the shipped feed file."""

from __future__ import annotations

import json

from stix2validator import ValidationOptions, validate_instance

from cyberhub.core import timestamps, tlp
from cyberhub.hub.feeds import definitions
from hub.feeds.conftest import DAY_US, SHIPPED, entries, fixture_bytes, indicators, shipped

BASE = "/doc/misp/feed-osint/"
EMOTET = "5e1c3a2f-8b4d-4c6e-9f1a-2b3c4d5e6f70"
PHISHING = "a3f2c1d0-6e5b-4a79-8c1d-0e9f8a7b6c5d"
QAKBOT = "c9d8e7f6-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
HOUR_US = 3_600_000_000


def fixture(name: str) -> dict:
    return json.loads(fixture_bytes(f"misp/{name}.json"))


def serve(httpserver, manifest: dict | bytes, events: dict[str, dict | bytes | int]) -> None:
    """The feed's files, afresh (handlers and log): an int answers with that status."""
    httpserver.clear()
    httpserver.expect_request(BASE + "manifest.json").respond_with_data(
        _bytes(manifest), content_type="application/json")
    for event_id, body in events.items():
        if isinstance(body, int):
            httpserver.expect_request(BASE + f"{event_id}.json").respond_with_data(
                "Not Found", status=body)
        else:
            httpserver.expect_request(BASE + f"{event_id}.json").respond_with_data(
                _bytes(body), content_type="application/json")


def serve_fixture(httpserver) -> None:
    serve(httpserver, fixture("manifest"),
          {event_id: fixture(event_id) for event_id in (EMOTET, PHISHING, QAKBOT)})


def requested(httpserver) -> list[str]:
    return [request.path.removeprefix(BASE) for request, _ in httpserver.log]


def circl(httpserver) -> definitions.Feed:
    return shipped("circl-osint", httpserver.url_for(BASE + "manifest.json"))


def test_events_become_indicators_with_their_tags_and_bad_attributes_are_named(
        hub, run_feed, httpserver):
    serve_fixture(httpserver)

    result = run_feed(circl(httpserver))

    assert not result.failed, result.errors
    assert (result.fetched, result.added, result.updated, result.skipped) == (16, 13, 0, 3)
    assert sorted(requested(httpserver)) == sorted(
        ["manifest.json", f"{EMOTET}.json", f"{PHISHING}.json", f"{QAKBOT}.json"])
    found = indicators(hub.db)
    _valid_stix(list(found.values()))
    c2 = found["[ipv4-addr:value = '51.75.72.240']"]  # ip-dst|port
    assert c2["name"] == "OSINT - Emotet returns with OneNote lures and new loader"
    assert c2["labels"] == [
        "tlp:white", "type:OSINT", 'misp-galaxy:malpedia="Emotet"',
        'osint:source-type="blog-post"',
        'misp-galaxy:mitre-attack-pattern="Non-Standard Port - T1571"']
    assert c2["description"] == "Emotet epoch 5 C2"
    assert c2["valid_from"] == "2024-03-14T00:00:00.000Z"
    assert c2["object_marking_refs"] == [tlp.IDS["clear"]]
    assert c2["external_references"] == [{
        "source_name": "CIRCL OSINT feed", "external_id": "1c8f3b62-4d5e-4f90-8b2c-3d4e5f6a7b82",
        "url": httpserver.url_for(f"{BASE}{EMOTET}.json")}]
    assert c2["x_cyberhub_misp"] == {
        "event": EMOTET, "attribute": "1c8f3b62-4d5e-4f90-8b2c-3d4e5f6a7b82",
        "type": "ip-dst|port", "category": "Network activity", "org": "CIRCL"}
    patterns = set(found)
    # Every type the hub takes, from the event itself and from its objects.
    assert {
        "[domain-name:value = 'update-check.example']",
        "[url:value = 'http://update-check.example/wp-content/plugins/gate.php']",
        "[email-addr:value = 'rechnung@stadtwerke-zahlung.example']",
        "[domain-name:value = 'login.stadtwerke-zahlung.example']",   # hostname
        "[ipv4-addr:value = '185.117.90.11']",                         # ip-src
        "[domain-name:value = 'cdn-static-files.example']",             # domain-ip object
        "[ipv4-addr:value = '94.232.41.105']",
    } <= patterns
    hashes = [p for p in patterns if p.startswith("[file:hashes")]
    assert sorted(p.split(" = ")[0] for p in hashes) == [
        "[file:hashes.'SHA-1'", "[file:hashes.'SHA-256'", "[file:hashes.'SHA-256'",
        "[file:hashes.MD5", "[file:hashes.MD5"]
    # Not for detection, deleted, or a type the hub does not block: not taken, not counted.
    assert not any("45.33.54.28" in p or "threat-research" in p or "Rechnung_" in p
                   for p in patterns)
    sender = found["[email-addr:value = 'rechnung@stadtwerke-zahlung.example']"]
    assert sender["labels"][-1] == "kill-chain:Delivery"
    assert 'misp-galaxy:threat-actor="TA542"' in sender["labels"]
    problems = "\n".join(result.errors)
    assert (f"event {EMOTET} attribute 4f1c6e95-7081-4c23-9e5f-6a7b8c9d0eb5: 10.20.30.40 is "
            "not a public address") in problems
    assert (f"event {EMOTET} attribute 5a2d7fa6-8192-4d34-8f60-7b8c9d0e1fc6: "
            "'e3b0c44298fc1c149afbf4c8996fb9242' is not a sha256 hash") in problems
    assert (f"event {PHISHING} attribute 05d88b51-3c4d-48ef-ba1b-86970819c271: 8.8.8.8 is on "
            "the warning list") in problems
    assert set(entries(hub.db, "circl-osint").values()) == {"active"}


def test_only_changed_events_are_downloaded_and_unchanged_ones_stay_seen(
        hub, run_feed, httpserver):
    now = timestamps.now_us()
    feed = circl(httpserver)
    serve_fixture(httpserver)
    assert run_feed(feed, now).added == 13

    # The same manifest: a conditional download finds it unchanged, no event is asked for.
    httpserver.clear_log()
    same = run_feed(feed, now + HOUR_US)
    assert same.unchanged and (same.added, same.updated, same.expired) == (0, 0, 0)
    assert requested(httpserver) == ["manifest.json"]

    # The manifest written anew (other bytes, other order), every timestamp as it was.
    manifest = fixture("manifest")
    reordered = dict(reversed(list(manifest.items())))
    serve(httpserver, json.dumps(reordered).encode(), {})
    rewritten = run_feed(feed, now + 2 * HOUR_US)
    assert not rewritten.unchanged and not rewritten.failed, rewritten.errors
    assert (rewritten.fetched, rewritten.added, rewritten.updated) == (0, 0, 0)
    assert requested(httpserver) == ["manifest.json"]

    # CIRCL edits the phishing event: a new URL, a tag on the host name, and one address
    # no longer marked for detection.
    event = fixture(PHISHING)
    stamp = str(int(event["Event"]["timestamp"]) + 86400)
    event["Event"]["timestamp"] = stamp
    attributes = event["Event"]["Attribute"]
    attributes[1]["Tag"] = [{"colour": "#2c4f00", "local": False,
                             "name": "kill-chain:Command and Control",
                             "relationship_type": ""}]
    attributes[3]["to_ids"] = False
    attributes.append({"category": "Network activity", "comment": "second stage",
                       "deleted": False, "disable_correlation": False, "object_relation": None,
                       "timestamp": stamp, "to_ids": True, "type": "url",
                       "uuid": "16e99c62-4d5e-49f0-8b2c-97a8192ad999",
                       "value": "https://login.stadtwerke-zahlung.example/rechnung/view.php"})
    manifest[PHISHING]["timestamp"] = stamp
    serve(httpserver, manifest, {PHISHING: event})
    changed = run_feed(feed, now + 3 * HOUR_US)

    assert not changed.failed, changed.errors
    assert requested(httpserver) == ["manifest.json", f"{PHISHING}.json"]
    # One attribute no longer marked to_ids: it left the feed with this reading of its event.
    assert (changed.added, changed.updated, changed.expired) == (1, 1, 1)
    found = indicators(hub.db)
    host = found["[domain-name:value = 'login.stadtwerke-zahlung.example']"]
    assert host["labels"][-1] == "kill-chain:Command and Control"
    assert host["modified"] > host["created"]
    assert "[url:value = 'https://login.stadtwerke-zahlung.example/rechnung/view.php']" in found

    # A month on, the QakBot event has left the manifest; the others are unchanged.
    del manifest[QAKBOT]
    serve(httpserver, manifest, {})
    later = run_feed(feed, now + 31 * DAY_US)
    assert requested(httpserver) == ["manifest.json"]
    assert not later.failed, later.errors
    state = entries(hub.db, "circl-osint")
    # The unchanged events' entries were seen through their events (touched) and stay; the
    # entries of the event that left expired after `expire_after` days without being seen.
    assert state["ipv4:51.75.72.240"] == "active"
    assert state["domain:login.stadtwerke-zahlung.example"] == "active"
    assert state["domain:cdn-static-files.example"] == "expired"
    assert state["ipv4:94.232.41.105"] == "expired"
    assert later.expired == 4
    # The address the edited event no longer marks expired when the event was read again.
    assert state["ipv4:185.117.90.11"] == "expired"
    found = indicators(hub.db)
    assert "valid_until" in found["[ipv4-addr:value = '94.232.41.105']"]
    assert "valid_until" not in found["[ipv4-addr:value = '51.75.72.240']"]


def test_bad_events_are_named_counted_and_tried_again(hub, run_feed, httpserver):
    now = timestamps.now_us()
    feed = circl(httpserver)
    manifest = fixture("manifest")
    gone = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"
    manifest[gone] = dict(manifest[QAKBOT], info="OSINT - an event the server lost")
    manifest["not-a-uuid"] = dict(manifest[QAKBOT])
    manifest["e2f3a4b5-c6d7-4e8f-90a1-b2c3d4e5f6a7"] = dict(manifest[QAKBOT],
                                                            timestamp="yesterday")
    qakbot = fixture_bytes(f"misp/{QAKBOT}.json").replace(
        b'"cdn-static-files.example"', b'"cdn-static-\xff\xfe.example"')
    serve(httpserver, manifest, {EMOTET: fixture(EMOTET), QAKBOT: qakbot, gone: 404,
                                 PHISHING: b"<html><body>502 Bad Gateway</body></html>"})

    result = run_feed(feed, now)

    assert not result.failed, result.errors
    problems = "\n".join(result.errors)
    assert f"event {PHISHING}: not JSON: " in problems
    assert f"event {gone}: " in problems and "HTTP 404" in problems
    assert (f"event {QAKBOT} attribute 491c2f95-7081-4c23-9e5f-cad14c5d06b5: value is not "
            "UTF-8") in problems
    assert "manifest entry not-a-uuid: not-a-uuid is not a uuid" in problems
    assert ("manifest entry e2f3a4b5-c6d7-4e8f-90a1-b2c3d4e5f6a7: timestamp 'yesterday' is "
            "not a Unix time") in problems
    # Emotet's 5, QakBot's other 3; 3 attributes and 4 events or manifest entries refused.
    assert (result.added, result.skipped) == (8, 7)
    assert "domain:login.stadtwerke-zahlung.example" not in entries(hub.db, "circl-osint")

    # The server is mended: the manifest is read again although it did not change, and only
    # the events that could not be read are asked for.
    serve(httpserver, manifest, {EMOTET: fixture(EMOTET), QAKBOT: qakbot, gone: 404,
                                 PHISHING: fixture(PHISHING)})
    mended = run_feed(feed, now + HOUR_US)
    assert sorted(requested(httpserver)) == sorted(
        ["manifest.json", f"{PHISHING}.json", f"{gone}.json"])
    assert (mended.added, mended.updated, mended.expired) == (4, 0, 0)
    assert "domain:login.stadtwerke-zahlung.example" in entries(hub.db, "circl-osint")


def test_what_is_not_a_manifest_fails_the_run_and_changes_nothing(hub, run_feed, httpserver):
    now = timestamps.now_us()
    feed = circl(httpserver)
    serve_fixture(httpserver)
    assert run_feed(feed, now).added == 13

    serve(httpserver, b"<!DOCTYPE html><title>Maintenance</title>", {})
    html = run_feed(feed, now + DAY_US)
    assert html.failed and html.errors[0].startswith("not JSON: ")

    serve(httpserver, json.dumps([fixture("manifest")]).encode(), {})
    listed = run_feed(feed, now + 2 * DAY_US)
    assert listed.failed
    assert listed.errors[0] == "not a MISP feed manifest: not an object of events by uuid"

    # Written out as UTF-16, as a misconfigured server might.
    serve(httpserver, json.dumps(fixture("manifest")).encode("utf-16"), {})
    broken = run_feed(feed, now + 3 * DAY_US)
    assert broken.failed and broken.errors[0].startswith("not JSON")
    assert set(entries(hub.db, "circl-osint").values()) == {"active"}

    # The cursor of the last good run still holds: the feed back as it was downloads nothing
    # but the manifest.
    serve_fixture(httpserver)
    again = run_feed(feed, now + 4 * DAY_US)
    assert requested(httpserver) == ["manifest.json"]
    assert (again.added, again.updated, again.expired) == (0, 0, 0)


def test_a_known_event_with_an_unreadable_timestamp_keeps_what_was_read(
        hub, run_feed, httpserver):
    now = timestamps.now_us()
    feed = circl(httpserver)
    serve_fixture(httpserver)
    assert run_feed(feed, now).added == 13

    manifest = fixture("manifest")
    manifest[EMOTET]["timestamp"] = "2024-03-14T16:11:11Z"
    serve(httpserver, manifest, {})
    later = run_feed(feed, now + 31 * DAY_US)

    assert requested(httpserver) == ["manifest.json"]
    assert later.errors == [f"manifest entry {EMOTET}: timestamp '2024-03-14T16:11:11Z' is "
                            "not a Unix time"]
    assert later.expired == 0
    assert set(entries(hub.db, "circl-osint").values()) == {"active"}


def test_shipped_feed_file():
    feed = definitions.load_file(SHIPPED / "circl-osint.toml")
    assert feed.url == "https://www.circl.lu/doc/misp/feed-osint/manifest.json"
    assert (feed.format, feed.every_seconds, feed.tlp, feed.enabled) == (
        "misp", 86400, "clear", False)


def _bytes(body: dict | bytes) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body, indent=4).encode()


def _valid_stix(objects: list[dict]) -> None:
    """Each object as a stock STIX 2.1 validator sees it."""
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])

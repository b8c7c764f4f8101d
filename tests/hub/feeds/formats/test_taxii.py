"""A TAXII 2.1 upstream: a second cyberhub hub as a real server process on loopback, read with
the shipped feed file through taxii2-client; and an upstream that misbehaves, served by a real
local HTTP server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from typing import Any

import pytest
from conftest import settings_for
from hubprocess import RunningHub
from werkzeug import Response

from cyberhub.core import timestamps, tlp
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.feeds import definitions, runs, schedule, sync
from cyberhub.hub.feeds.formats import taxii
from cyberhub.hub.feeds.registry import state_of
from cyberhub.hub.storage.database import Database
from hub.feeds.conftest import DAY_US, SHIPPED, indicators, make_feed, shipped, stored

PASSWORD_ENV = "CYBERHUB_FEED_LAND_CERT_PASSWORD"
READER = "musterstadt-sync"
TAXII = "application/taxii+json;version=2.1"


def stix_id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16], version=4)}"


def cli(upstream: RunningHub, *args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "cyberhub", *args, "--json"], env=upstream.env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The Land's hub: `landesweit`, a collection of its own, and an account for the towns'
    hubs that may read it and its indicators collection (the password of which the test
    keeps, as an operator keeps it in the environment)."""
    settings = settings_for(tmp_path_factory.mktemp("taxii-upstream"), "taxiiup")
    hub = RunningHub(settings, 1)
    hub.settings = settings
    try:
        cli(hub, "collections", "add", "landesweit", "--title", "Landesweite Indikatoren")
        made = cli(hub, "accounts", "add", READER, "--read", "landesweit",
                   "--read", "indicators")
        hub.reader_password = made["password"]
        yield hub
    finally:
        hub.stop()


def api_root(upstream: RunningHub) -> str:
    return upstream.server().default.url


def feed_for(upstream: RunningHub, collection: str, **taxii: Any) -> definitions.Feed:
    feed = shipped("land-cert-taxii", api_root(upstream))
    return feed.model_copy(update={"taxii": feed.taxii.model_copy(
        update={"collection": collection, "username": READER, **taxii})})


def post(upstream: RunningHub, alias: str, objects: list[dict[str, Any]]) -> None:
    status = upstream.collection(alias).add_objects(
        {"objects": objects}, wait_for_completion=True, poll_interval=0.1)
    assert status.success_count == len(objects), status.failures


def indicator(name: str, pattern: str, *, valid_from: str = "2026-11-03T08:15:00Z",
              modified: str = "2026-11-03T08:15:00.000Z", **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": stix_id("indicator", name),
            "created": "2026-11-03T08:15:00.000Z", "modified": modified, "name": name,
            "indicator_types": ["malicious-activity"], "pattern": pattern,
            "pattern_type": "stix", "valid_from": valid_from, **extra}


QAKBOT_SHA256 = "5c0a1e3f4b6d8e9a7c2b1d0f3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
VULNERABILITY = {
    "type": "vulnerability", "spec_version": "2.1",
    "id": stix_id("vulnerability", "CVE-2024-3400"), "created": "2026-11-03T08:15:00.000Z",
    "modified": "2026-11-03T08:15:00.000Z", "name": "CVE-2024-3400",
    "description": "PAN-OS GlobalProtect: Befehlsausführung ohne Anmeldung.",
    "external_references": [{"source_name": "cve", "external_id": "CVE-2024-3400"}]}
BATCH_ONE = [
    indicator("Cobalt Strike Team-Server", "[ipv4-addr:value = '45.155.205.99']",
              labels=["cobalt-strike", "c2"], description="Beobachtet bei drei Kommunen.",
              external_references=[{"source_name": "Landes-CERT Lagebild",
                                    "url": "https://cert.musterland.example/lage/2026-44",
                                    "external_id": "LB-2026-44"}]),
    indicator("Phishing-Domain Bürgerportal", "[domain-name:value = 'buergerportal-login.com']",
              labels=["phishing"]),
    indicator("Mozi-Nachlader", "[url:value = 'http://176.65.144.3/bins/arm7']"),
    indicator("QakBot-Loader", f"[file:hashes.'SHA-256' = '{QAKBOT_SHA256}']"),
    indicator("Zurückgezogen: Fehlalarm", "[ipv4-addr:value = '193.142.146.35']",
              revoked=True),
    indicator("Abgeschaltete Emotet-Domain", "[domain-name:value = 'emotet-drop.net']",
              valid_from="2026-06-01T00:00:00Z", valid_until="2026-09-30T00:00:00Z"),
    VULNERABILITY,
    # What the sync does not take, each for its own reason:
    indicator("C2 mit Port", "[ipv4-addr:value = '91.92.241.10' AND "
              "network-traffic:dst_port = 443]"),
    indicator("YARA-Regel", "rule emotet { condition: true }", pattern_type="yara"),
    indicator("Internes Netz", "[ipv4-addr:value = '10.20.30.40']"),
    indicator("Google DNS", "[ipv4-addr:value = '8.8.8.8']"),
    indicator("Nur für das CERT", "[ipv4-addr:value = '185.220.101.45']",
              object_marking_refs=[tlp.IDS["red"]]),
    indicator("Harmloser Updateserver", "[domain-name:value = 'updates.example-vendor.com']",
              indicator_types=["benign"]),
    # Not asked for at all (match[type]):
    {"type": "malware", "spec_version": "2.1", "id": stix_id("malware", "Emotet"),
     "created": "2026-11-03T08:15:00.000Z", "modified": "2026-11-03T08:15:00.000Z",
     "name": "Emotet", "is_family": True},
]
COBALT = BATCH_ONE[0]


def test_a_second_hub_is_read_incrementally(hub, run_feed, upstream, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, upstream.reader_password)
    feed = feed_for(upstream, "Landesweite Indikatoren")  # by its title
    post(upstream, "landesweit", BATCH_ONE)

    first = run_feed(feed)

    assert not first.failed, first.errors
    assert (first.fetched, first.added, first.updated, first.skipped) == (13, 7, 0, 6)
    problems = "\n".join(first.errors)
    for name, why in [("C2 mit Port", "not one value compared"),
                      ("YARA-Regel", "only STIX patterns"),
                      ("Internes Netz", "not a public address"),
                      ("Google DNS", "warning list"),
                      ("Nur für das CERT", "marked TLP:RED, stricter than this feed's TLP:AMBER"),
                      ("Harmloser Updateserver", "benign")]:
        assert f"{stix_id('indicator', name)}: " in problems and why in problems, name
    found = indicators(hub.db)
    cobalt = found["[ipv4-addr:value = '45.155.205.99']"]
    collection = upstream.collection("landesweit").id
    assert cobalt["name"] == "Cobalt Strike Team-Server"
    assert cobalt["labels"] == ["cobalt-strike", "c2"]
    assert cobalt["description"] == "Beobachtet bei drei Kommunen."
    assert cobalt["valid_from"] == "2026-11-03T08:15:00.000Z"
    assert cobalt["object_marking_refs"] == [tlp.IDS["amber"]]
    assert cobalt["external_references"] == [
        {"source_name": "Landes-CERT TAXII", "external_id": COBALT["id"],
         "url": f"{api_root(upstream)}collections/{collection}/objects/{COBALT['id']}/"},
        {"source_name": "Landes-CERT Lagebild",
         "url": "https://cert.musterland.example/lage/2026-44", "external_id": "LB-2026-44"}]
    assert "revoked" not in cobalt and "valid_until" not in cobalt
    assert found["[ipv4-addr:value = '193.142.146.35']"]["revoked"] is True
    assert "valid_until" in found["[domain-name:value = 'emotet-drop.net']"]
    assert "[url:value = 'http://176.65.144.3/bins/arm7']" in found
    assert f"[file:hashes.'SHA-256' = '{QAKBOT_SHA256}']" in found
    (cve,) = [o for o in stored(hub.db, "vulnerabilities") if o["type"] == "vulnerability"]
    assert cve["name"] == "CVE-2024-3400"
    assert {"source_name": "cve", "external_id": "CVE-2024-3400"} in cve["external_references"]
    assert cve["external_references"][0]["external_id"] == VULNERABILITY["id"]

    # Nothing added upstream since: nothing fetched, nothing stored.
    again = run_feed(feed)
    assert (again.fetched, again.added, again.updated, again.skipped) == (0, 0, 0, 0)
    assert again.errors == [] and not again.failed

    # Two new indicators and a new version of one known: only those three come.
    post(upstream, "landesweit", [
        indicator("Emotet C2", "[ipv4-addr:value = '51.75.72.240']", labels=["emotet"]),
        indicator("Phishing-URL", "[url:value = 'https://buergerportal-login.com/anmelden']"),
        {**COBALT, "modified": "2026-11-20T10:00:00.000Z", "revoked": True}])
    third = run_feed(feed)
    assert (third.fetched, third.added, third.updated, third.skipped) == (3, 2, 1, 0)
    assert indicators(hub.db)["[ipv4-addr:value = '45.155.205.99']"]["revoked"] is True
    with hub.db.session() as session:
        cursor = json.loads(state_of(session, feed.name).cursor)
    assert cursor["collection"] == collection and cursor["added_after"].endswith("Z")

    # The upstream says when its objects end; a quiet upstream is no reason to expire them.
    later = run_feed(feed, now=timestamps.now_us() + (feed.expire_after + 10) * DAY_US)
    assert (later.fetched, later.expired) == (0, 0)
    assert "valid_until" not in indicators(hub.db)["[ipv4-addr:value = '51.75.72.240']"]


def test_indicators_a_hub_made_from_its_own_feeds_pass_on(
        hub, run_feed, upstream, monkeypatch, httpserver):
    """The upstream hub's feed sync wrote signed indicators, with its feed's identity and
    TLP marking, into its `indicators` collection (named here by its alias)."""
    httpserver.expect_request("/blocklist.txt").respond_with_data(
        "# C2-Server laut Landes-CERT\n45.9.148.114\nbad-update.net\n", content_type="text/plain")
    own = make_feed(name="land-blocklist", title="Landes-Blockliste",
                    url=httpserver.url_for("/blocklist.txt"))
    database = Database(upstream.env["CYBERHUB_DATABASE_URL"])
    try:
        land = bootstrap(upstream.settings, database)
        with database.writing() as session:
            assert schedule.claim(session, own, now=timestamps.now_us(), force=True)
        made = sync.run(database, own, signer=land.signer, lists=land.correlator.lists,
                        now=timestamps.now_us(), client=runs.client_for(own))
    finally:
        database.dispose()
    assert made.added == 2, made.errors
    monkeypatch.setenv(PASSWORD_ENV, upstream.reader_password)

    result = run_feed(feed_for(upstream, "indicators"))

    assert not result.failed, result.errors
    assert (result.added, result.skipped) == (2, 0)
    found = indicators(hub.db)
    assert found["[ipv4-addr:value = '45.9.148.114']"]["external_references"][1] == {
        "source_name": "Landes-Blockliste", "url": httpserver.url_for("/blocklist.txt")}
    assert "[domain-name:value = 'bad-update.net']" in found


def test_a_wrong_password_is_a_clear_failure(hub, run_feed, upstream, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    feed = feed_for(upstream, "landesweit")

    result = run_feed(feed)

    assert result.failed and result.added == 0
    assert result.errors[0].endswith(f"HTTP 401: the upstream refused the credentials of "
                                     f"'{READER}' (password from {PASSWORD_ENV})")
    assert "not-the-password" not in json.dumps(result.counts())
    with hub.db.session() as session:
        state = state_of(session, feed.name)
        assert state.last_error == result.errors[0] and state.failures == 1

    monkeypatch.delenv(PASSWORD_ENV)
    missing = run_feed(feed)
    assert missing.failed and PASSWORD_ENV in missing.errors[0]


def test_an_unknown_collection_is_a_clear_failure(hub, run_feed, upstream, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, upstream.reader_password)

    result = run_feed(feed_for(upstream, "Bundesweite Indikatoren"))

    assert result.failed
    assert result.errors[0].startswith("no upstream collection 'Bundesweite Indikatoren' for "
                                       "this account (it sees: ")
    assert "'Landesweite Indikatoren'" in result.errors[0]


# --- an upstream that does not behave ----------------------------------------------------

API = "/taxii2/api1/"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
OBJECTS = f"{API}collections/{COLLECTION}/objects/"


def serve_collections(httpserver) -> None:
    httpserver.expect_request(f"{API}collections/").respond_with_json(
        {"collections": [{"id": COLLECTION, "title": "Indicators", "can_read": True,
                          "can_write": False, "media_types": [
                              "application/stix+json;version=2.1"]}]},
        content_type=TAXII)


def added(stamp: str) -> dict[str, str]:
    return {"X-TAXII-Date-Added-First": stamp, "X-TAXII-Date-Added-Last": stamp}


def anonymous(httpserver) -> definitions.Feed:
    return make_feed(name="other-taxii", title="Anderer TAXII-Server", format="taxii",
                     url=httpserver.url_for(API), full_list=False,
                     taxii={"collection": "Indicators"})


def test_objects_a_server_should_not_send_are_named(hub, run_feed, httpserver):
    serve_collections(httpserver)
    broken = indicator("Kaputt", "[ipv4-addr:value = '45.155.205.99']",
                       valid_from="2026-13-45T00:00:00Z")
    httpserver.expect_request(OBJECTS).respond_with_json({"more": False, "objects": [
        indicator("Emotet C2", "[ipv4-addr:value = '51.75.72.240']"),
        broken,
        "not an object",
        indicator("Kein Muster", "[ipv4-addr:value = '1.2.3']"),
        {"type": "malware", "spec_version": "2.1", "id": stix_id("malware", "Emotet"),
         "created": "2026-11-03T08:15:00.000Z", "modified": "2026-11-03T08:15:00.000Z",
         "name": "Emotet", "is_family": True},
        indicator("Dateiname", "[file:name = 'rechnung.pdf.exe']"),
    ]}, content_type=TAXII, headers=added("2026-11-03T08:15:00.123456Z"))

    result = run_feed(anonymous(httpserver))

    assert not result.failed, result.errors
    assert (result.fetched, result.added, result.skipped) == (6, 1, 5)
    problems = "\n".join(result.errors)
    assert f"{broken['id']}: not valid STIX 2.1" in problems
    assert "page 1 object 3: not a JSON object" in problems
    assert f"{stix_id('indicator', 'Kein Muster')}: " in problems
    assert "type 'malware' is not among this feed's types" in problems
    assert "file:name is not a kind of value" in problems
    (request, _), = httpserver.log[1:]
    assert request.args["match[type]"] == "indicator,vulnerability"
    assert "added_after" not in request.args and "Authorization" not in request.headers


def page_of(count: int, more: bool = False) -> str:
    return json.dumps({"more": more, "objects": [
        indicator(f"Emotet C2 {n}", "[ipv4-addr:value = '51.75.72.240']")
        for n in range(count)]})


def streamed(body: str) -> Response:
    """Sent in chunks, without a Content-Length to check up front."""
    return Response((body[i:i + 1000] for i in range(0, len(body), 1000)),
                    content_type=TAXII, headers=added("2026-11-03T08:15:00Z"))


@pytest.mark.parametrize("answer, why", [
    (lambda h: h.respond_with_data("<html>Anmeldung</html>", content_type="text/html"),
     "not a TAXII 2.1 answer"),
    (lambda h: h.respond_with_data("{\"more\": false, \"objects\": [", content_type=TAXII),
     "not a TAXII 2.1 answer"),
    (lambda h: h.respond_with_data(page_of(1, more=True), content_type=TAXII,
                                   headers=added("2026-11-03T08:15:00Z")),
     "gives no new `next` token"),
    (lambda h: h.respond_with_data(page_of(1), content_type=TAXII),
     "no valid X-TAXII-Date-Added-Last"),
    (lambda h: h.respond_with_data(page_of(40), content_type=TAXII,
                                   headers=added("2026-11-03T08:15:00Z")),
     "bytes announced, more than the limit of 8192"),
    (lambda h: h.respond_with_response(streamed(page_of(40))),
     "more than the limit of 8192 bytes; stopped"),
    (lambda h: h.respond_with_data("", status=302, headers={
        "Location": "https://taxii.land-cert.example/objects/"}),
     "redirect to another scheme refused"),
    (lambda h: h.respond_with_data("", status=503), "HTTP 503"),
], ids=["html", "cut-off-json", "more-without-next", "no-date-header", "oversize",
        "oversize-streamed", "scheme-redirect", "unavailable"])
def test_an_answer_that_is_not_a_collection_page_fails_the_run(
        hub, run_feed, httpserver, answer, why):
    serve_collections(httpserver)
    answer(httpserver.expect_request(OBJECTS))
    feed = anonymous(httpserver).model_copy(update={"max_bytes": 8192})

    result = run_feed(feed)

    assert result.failed and why in result.errors[0], result.errors
    assert len(result.errors) == 1 and "\n" not in result.errors[0]
    assert indicators(hub.db) == {}


def test_a_long_backlog_goes_on_where_the_last_run_stopped(hub, run_feed, httpserver,
                                                          monkeypatch):
    """An upstream that always has more: a run stops after MAX_PAGES pages and keeps the
    position, so the next run asks from there."""
    monkeypatch.setattr(taxii, "MAX_PAGES", 3)
    serve_collections(httpserver)
    page = {"more": True, "objects": [indicator("Emotet C2", "[ipv4-addr:value = '51.75.72.240']")]}
    for number in range(taxii.MAX_PAGES):
        stamp = timestamps.format_us(timestamps.to_us("2026-11-01T00:00:00Z") + number)
        httpserver.expect_oneshot_request(OBJECTS).respond_with_json(
            {**page, "next": f"seite-{number + 1}"}, content_type=TAXII,
            headers=added(stamp))
    feed = anonymous(httpserver)

    result = run_feed(feed)

    assert not result.failed, result.errors
    assert (result.fetched, result.added) == (3, 1)
    with hub.db.session() as session:
        cursor = json.loads(state_of(session, feed.name).cursor)
    last = timestamps.to_us("2026-11-01T00:00:00Z") + 2
    assert cursor["added_after"] == timestamps.format_us(last - 1)
    asked = [request.args for request, _ in httpserver.log if request.path == OBJECTS]
    assert [args.get("next") for args in asked] == [None, "seite-1", "seite-2"]

    httpserver.expect_oneshot_request(OBJECTS).respond_with_json(
        {"more": False, "objects": [indicator("QakBot C2", "[ipv4-addr:value = '45.9.148.114']")]},
        content_type=TAXII, headers=added(timestamps.format_us(last + 1)))
    rest = run_feed(feed)
    assert (rest.fetched, rest.added) == (1, 1)
    assert httpserver.log[-1][0].args["added_after"] == cursor["added_after"]


def test_shipped_feed_file():
    feed = definitions.load_file(SHIPPED / "land-cert-taxii.toml")
    assert (feed.format, feed.enabled, feed.tlp) == ("taxii", False, "amber")
    assert feed.url == "https://taxii.land-cert.example/taxii2/api1/"
    assert feed.taxii.collection == "indicators"
    assert feed.taxii.password_env == PASSWORD_ENV
    assert "password =" not in (SHIPPED / "land-cert-taxii.toml").read_text()

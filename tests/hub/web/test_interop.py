"""Interoperability over a real socket: the hub as a server process on loopback, driven by the
stock taxii2-client and by stix2's TAXII data source and sink."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests
import stix2
from conftest import indicator, settings_for
from hubprocess import RunningHub
from taxii2client.v21 import as_pages


@pytest.fixture
def running_hub(settings, initialised):
    """A hub of this test's own, started (and restarted) when the test says so."""
    started: list[RunningHub] = []

    def start(workers: int = 1) -> RunningHub:
        # A second start serves the same data directory: a restart of the same hub.
        started.append(RunningHub(settings, workers, initialised.admin_password))
        return started[-1]

    yield start
    for item in started:
        item.stop()


@pytest.fixture(scope="module")
def reading_hub(tmp_path_factory):
    """One hub for the tests that store nothing and change nothing."""
    hub = RunningHub(settings_for(tmp_path_factory.mktemp("reading-hub"), "reading"), 1)
    yield hub
    hub.stop()


def test_discovery_and_collections_with_taxii2_client(reading_hub):
    hub = reading_hub
    server = hub.server()
    assert server.title == "cyberhub"
    api_root = server.default
    assert api_root.versions == ["application/taxii+json;version=2.1"]
    assert api_root.max_content_length > 0
    aliases = {c.alias: (c.can_read, c.can_write) for c in api_root.collections}
    assert aliases["indicators"] == (True, True)


def test_add_objects_polls_status_and_reads_back(running_hub):
    hub = running_hub()
    collection = hub.collection("indicators")
    status = collection.add_objects({"objects": [indicator(i) for i in range(5)]},
                                 wait_for_completion=True, poll_interval=0.1)
    assert status.status == "complete" and status.success_count == 5
    again = hub.server().default.get_status(status.id)
    assert again.total_count == 5 and len(again.successes) == 5

    obj = collection.get_object(indicator(3)["id"])
    assert obj["objects"][0]["name"] == "indicator 3"
    manifest = collection.get_manifest(type="indicator")
    assert len(manifest["objects"]) == 5
    versions = collection.object_versions(indicator(3)["id"])
    assert versions["versions"] == ["2026-01-01T00:00:00.000Z"]


def test_as_pages_over_several_pages(running_hub):
    hub = running_hub()
    collection = hub.collection("indicators")
    collection.add_objects({"objects": [indicator(i) for i in range(25)]})
    pages = list(as_pages(collection.get_objects, per_request=10, type="indicator"))
    assert len(pages) == 3
    ids = [o["id"] for page in pages for o in page["objects"]]
    assert len(ids) == 25 and len(set(ids)) == 25
    manifest_pages = list(as_pages(collection.get_manifest, per_request=10, type="indicator"))
    assert sum(len(p["objects"]) for p in manifest_pages) == 25


def test_delete_object(running_hub):
    hub = running_hub()
    collection = hub.collection("indicators")
    collection.add_objects({"objects": [indicator(1), indicator(2)]})
    collection.delete_object(indicator(1)["id"])
    remaining = collection.get_objects(type="indicator")["objects"]
    assert [o["id"] for o in remaining] == [indicator(2)["id"]]


def test_stix2_data_source_and_sink(running_hub):
    hub = running_hub()
    collection = hub.collection("indicators")
    sink = stix2.TAXIICollectionSink(collection)
    made = stix2.Indicator(
        name="Emotet C2", pattern="[ipv4-addr:value = '203.0.113.50']", pattern_type="stix",
        valid_from="2026-01-01T00:00:00Z",
    )
    sink.add(made)
    newer = made.new_version(name="Emotet C2 (confirmed)")
    sink.add(newer)

    source = stix2.TAXIICollectionSource(collection)
    assert source.get(made.id).name == "Emotet C2 (confirmed)"
    assert len(source.all_versions(made.id)) == 2
    found = source.query([stix2.Filter("type", "=", "indicator")])
    assert [o.id for o in found] == [made.id]
    assert source.get("indicator--00000000-0000-4000-8000-0000000000aa") is None


def test_rights_are_enforced_for_stock_clients(running_hub):
    hub = running_hub()
    created = subprocess.run(
        [sys.executable, "-m", "cyberhub", "accounts", "add", "musterstadt", "--write",
         "indicators", "--read", "advisories", "--json"],
        env=hub.env, capture_output=True, text=True, check=True)
    password = json.loads(created.stdout)["password"]
    server = hub.server("musterstadt", password)
    visible = {c.alias: (c.can_read, c.can_write) for c in server.default.collections}
    assert visible == {"indicators": (False, True), "advisories": (True, False)}
    collection = next(c for c in server.default.collections if c.alias == "indicators")
    status = collection.add_objects({"objects": [indicator(1)]})
    assert status.success_count == 1
    response = requests.get(f"{collection.url}objects/", auth=("musterstadt", password),
                            headers={"Accept": "application/taxii+json;version=2.1"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/taxii+json;version=2.1"


def test_paging_across_two_gunicorn_workers(running_hub):
    hub = running_hub(workers=2)
    collection = hub.collection("indicators")
    for start in range(0, 60, 20):
        collection.add_objects({"objects": [indicator(i) for i in range(start, start + 20)]})
    # Fresh connections per page spread the requests over both workers.
    seen, token = [], None
    while True:
        params = {"limit": 7, "match[type]": "indicator", **({"next": token} if token else {})}
        response = requests.get(f"{collection.url}objects/", params=params,
                                auth=("admin", hub.password),
                                headers={"Accept": "application/taxii+json;version=2.1",
                                         "Connection": "close"})
        assert response.status_code == 200
        body = response.json()
        seen += [o["id"] for o in body["objects"]]
        if not body.get("more"):
            break
        token = body["next"]
    assert len(seen) == 60 and len(set(seen)) == 60


def test_next_token_survives_a_restart(running_hub, settings):
    hub = running_hub()
    collection = hub.collection("indicators")
    collection.add_objects({"objects": [indicator(i) for i in range(6)]})
    first = collection.get_objects(limit=3, type="indicator")
    hub.stop()
    restarted = running_hub()
    collection = next(c for c in restarted.server().default.collections if c.alias == "indicators")
    rest = collection.get_objects(limit=3, next=first["next"], type="indicator")
    ids = [o["id"] for o in first["objects"] + rest["objects"]]
    assert len(set(ids)) == 6


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET /taxii2/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"POST /taxii2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_unparseable_http_gets_a_taxii_error_not_html(reading_hub, raw):
    hub = reading_hub
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Type: application/taxii+json;version=2.1" in head
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    error = json.loads(body[:length])
    assert error["http_status"] == head.split(b" ")[1].decode()
    assert int(error["http_status"]) in (400, 401, 405, 414, 431, 501)


def test_chunked_body_over_max_content_length_is_413(reading_hub):
    hub = reading_hub
    collection = hub.collection("indicators")
    chunk = b" " * 65536

    def body():
        yield b'{"objects": ['
        for _ in range(200):  # 13 MB of whitespace, over the 10 MiB default
            yield chunk
        yield b"]}"

    response = requests.post(
        f"{collection.url}objects/", data=body(), auth=("admin", hub.password),
        headers={"Accept": "application/taxii+json;version=2.1",
                 "Content-Type": "application/taxii+json;version=2.1"})
    assert response.status_code == 413
    assert response.json()["error_code"] == "too-large"

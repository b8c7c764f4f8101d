"""Two hosts on one PostgreSQL database (issue 12): two `cyberhub serve` processes take signed
reports at the same time, and two `cyberhub scheduler` processes run the full correlation pass
and the advisory pushes at the same time. Nothing may happen twice: no token accepted twice,
one campaign per wave, one push per town."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from conftest import PASSWORD, TAXII, Town
from hubprocess import RunningHub
from sqlalchemy import func, select

from cyberhub.core import timestamps
from cyberhub.core.stix import INCIDENT_CORE
from cyberhub.hub import accounts, setup
from cyberhub.hub.advisories import document, lifecycle
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import (
    AcceptedToken,
    AdvisoryRecipient,
    CampaignRecord,
    StoredObject,
)
from cyberhub.hub.web.app import create_app
from hub.advisories.test_delivery import Receiver
from hub.advisories.test_lifecycle import GREEN_DOCUMENT

WAVES = {"rechnung-stadtwerke.example": "ab" * 32, "paket-zustellung.example": "cd" * 32}
TOWNS_PER_WAVE = 4


def _report(town: Town, domain: str, digest: str) -> list[dict]:
    stamp = "2026-11-20T07:15:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": f"incident--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                "name": f"Phishing in {town.slug}", "extensions": {INCIDENT_CORE: {
                    "extension_type": "property-extension", "determination": "confirmed",
                    "investigation_status": "open",
                    "incident_types": ["dissemination-phishing-emails"]}}}
    indicator = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                 "created_by_ref": town.identity, "created": stamp, "modified": stamp,
                 "name": "Anhang", "pattern_type": "stix", "valid_from": stamp,
                 "pattern": f"[file:hashes.'SHA-256' = '{digest}'] OR "
                            f"[domain-name:value = '{domain}']"}
    return [town.identity_object, incident, indicator]


def _at_once(calls) -> list:
    """Run the calls in threads released together; their results in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _post(hub: RunningHub, town: Town, collection_id: str, envelope: list[dict]):
    return requests.post(f"{hub.url}hub/collections/{collection_id}/objects/",
                         json={"objects": envelope}, timeout=60,
                         headers={**town.headers, "Content-Type": TAXII})


@pytest.fixture
def deployment(postgres_url, tmp_path, monkeypatch):
    """One hub home and one database, initialised once; two serving hosts on it; towns
    enrolled, each with a listener for pushes on loopback."""
    monkeypatch.setenv("CYBERHUB_PUSH_ALLOWED_NETWORKS", "127.0.0.0/8")
    settings = load_settings({"home": str(tmp_path / "home"), "database_url": postgres_url,
                              "push_allowed_networks": ["127.0.0.0/8"]}, environ={})
    db = Database(settings.effective_database_url)
    report = setup.initialise(settings, db, now=timestamps.now_us())
    hub = bootstrap(settings, db)
    client = create_app(hub=hub).test_client()
    towns = [Town(client, db, f"stadt-{n}", "SN") for n in range(TOWNS_PER_WAVE * len(WAVES))]
    receivers = {town.slug: Receiver() for town in towns}
    hosts: list[RunningHub] = []
    try:
        hosts += [RunningHub(settings, 1, report.admin_password) for _ in range(2)]
        for town in towns:
            answer = requests.post(f"{hosts[0].url[:-len('taxii2/')]}nodes/callback",
                                   json={"url": receivers[town.slug].url},
                                   headers=town.headers, timeout=30)
            assert answer.status_code == 200, answer.text
        yield hub, db, towns, receivers, hosts
    finally:
        for host in hosts:
            host.stop()
        for receiver in receivers.values():
            receiver.close()
        db.dispose()


def _campaigns(db) -> list[CampaignRecord]:
    with db.session() as session:
        return list(session.scalars(select(CampaignRecord).where(
            CampaignRecord.state == "active")))


def test_two_hosts_accept_each_token_once_find_each_campaign_once_and_push_once(deployment):
    hub, db, towns, receivers, hosts = deployment
    reports = next(c.id for c in hosts[0].server().default.collections if c.alias == "reports")

    # Every town reports at the same moment, half of them to each host: two waves.
    envelopes = []
    for n, town in enumerate(towns):
        domain, digest = list(WAVES.items())[n % len(WAVES)]
        envelopes.append(town.sign(_report(town, domain, digest)))
    answers = _at_once([
        (lambda n=n: _post(hosts[n % 2], towns[n], reports, envelopes[n]))
        for n in range(len(towns))])
    assert [a.status_code for a in answers] == [202] * len(towns), [a.text for a in answers]

    campaigns = _campaigns(db)
    assert len(campaigns) == len(WAVES)
    assert sorted(c.towns for c in campaigns) == [TOWNS_PER_WAVE] * len(WAVES)

    # The same signed envelope to both hosts at once: one takes it, the other refuses it.
    for n, town in enumerate(towns[:4]):
        envelope = town.sign(town.report(100 + n))
        first, second = _at_once([lambda e=envelope, t=town: _post(hosts[0], t, reports, e),
                                  lambda e=envelope, t=town: _post(hosts[1], t, reports, e)])
        assert sorted([first.status_code, second.status_code]) == [202, 422], (
            first.text, second.text)
        refused = first if first.status_code == 422 else second
        assert refused.json()["error_code"] == "token-replayed"
        with db.session() as session:
            stored = session.scalar(select(func.count()).select_from(StoredObject).where(
                StoredObject.object_id == envelope[1]["id"]))
        assert stored == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AcceptedToken)) == len(towns) + 4

    # An advisory for every town, published without pushing; then two schedulers at once.
    with db.writing() as session:
        for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator")):
            accounts.create_account(session, name, PASSWORD, now=timestamps.now_us(),
                                    role=role)
    with db.writing() as session:
        def person(name):
            return accounts.check_password(session, name, PASSWORD)

        drafted = lifecycle.draft(session, person("anna"), document.parse(GREEN_DOCUMENT),
                                  now=timestamps.now_us())
        lifecycle.approve(session, person("bert"), drafted["id"], now=timestamps.now_us())
        lifecycle.publish(session, person("carla"), drafted["id"], signer=hub.signer,
                          now=timestamps.now_us())
    schedulers = [subprocess.Popen(
        [sys.executable, "-m", "cyberhub", "scheduler", "--push-seconds", "1"],
        env=hosts[n].env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for n in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.session() as session:
                waiting = session.scalar(select(func.count()).select_from(
                    AdvisoryRecipient).where(AdvisoryRecipient.push_state != "delivered"))
            if waiting == 0:
                break
            time.sleep(0.2)
        assert waiting == 0
        time.sleep(2.5)  # more push rounds on both hosts, and both full passes are done
    finally:
        for process in schedulers:
            process.terminate()
        errors = [process.communicate(timeout=30)[1] for process in schedulers]
    assert {slug: len(r.bodies) for slug, r in receivers.items()} == {
        town.slug: 1 for town in towns}
    assert not any("Traceback" in e for e in errors), errors
    campaigns = _campaigns(db)
    assert len(campaigns) == len(WAVES)
    assert sorted(c.towns for c in campaigns) == [TOWNS_PER_WAVE] * len(WAVES)

"""Fixtures for advisories: analysts with roles and a campaign of towns."""

from __future__ import annotations

import json
import uuid

import pytest
from agent.conftest import hub_process, make_agent  # noqa: F401 - real processes
from conftest import PASSWORD, post_objects

from cyberhub.core import timestamps
from cyberhub.core.stix import INCIDENT_CORE
from cyberhub.hub import accounts
from cyberhub.hub.advisories import lifecycle
from cyberhub.hub.storage.models import Account

CAMPAIGN_HASH = "ab" * 32
CAMPAIGN_DOMAIN = "rechnung-stadtwerke.example"
PHISHING_PLAYBOOK = "playbook--56c6aa97-0f05-4633-9d78-3f55cf33d99c"


@pytest.fixture
def people(db, initialised):
    """anna and bert are analysts, carla is a coordinator, dora has no role."""
    with db.writing() as session:
        for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator"),
                           ("dora", None)):
            accounts.create_account(session, name, PASSWORD, now=timestamps.now_us(),
                                    role=role)

    def person(session, name: str) -> Account:
        return accounts.check_password(session, name, PASSWORD)

    return person


def campaign_report(town, n: int, *, day: int = 20, domain: str = CAMPAIGN_DOMAIN
                    ) -> list[dict]:
    stamp = f"2026-11-{day:02d}T07:15:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": f"incident--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                "name": f"Phishing {n}", "object_marking_refs": [
                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
                "extensions": {INCIDENT_CORE: {
                    "extension_type": "property-extension", "determination": "confirmed",
                    "investigation_status": "open",
                    "incident_types": ["dissemination-phishing-emails"]}}}
    indicator = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created_by_ref": town.identity, "created": stamp, "modified": stamp,
        "name": "Anhang", "pattern": f"[file:hashes.'SHA-256' = '{CAMPAIGN_HASH}'] OR "
        f"[domain-name:value = '{domain}']", "pattern_type": "stix", "valid_from": stamp}
    return [town.identity_object, incident, indicator]


@pytest.fixture
def campaign(client, db, collection_ids, make_town):
    """Three towns report the same attachment and sender domain: one campaign. Returns its id
    and the towns; a fourth town (`outside`) reports something unrelated."""
    towns = [make_town(slug, land) for slug, land in
             (("aue", "SN"), ("brilon", "NW"), ("celle", "NI"))]
    outside = make_town("dessau", "ST")
    for n, town in enumerate(towns):
        response = post_objects(client, town.headers, collection_ids["reports"],
                                town.sign(campaign_report(town, n)))
        assert response.status_code == 202, response.get_data(as_text=True)
    lonely = campaign_report(outside, 9, domain="anderes.example")
    lonely[2]["pattern"] = "[domain-name:value = 'anderes.example']"
    assert post_objects(client, outside.headers, collection_ids["reports"],
                        outside.sign(lonely)).status_code == 202
    with db.session() as session:
        from cyberhub.hub.storage.models import CampaignRecord

        records = session.query(CampaignRecord).filter_by(state="active").all()
        assert len(records) == 1
        campaign_id = records[0].id
        assert len(json.loads(records[0].incidents)) == 3
    return campaign_id, towns, outside


def publish_advisory(db, people, signer, proposal) -> str:
    """Draft (anna), approve (bert, a second analyst) and publish (carla); the advisory's id."""
    with db.writing() as session:
        drafted = lifecycle.draft(session, people(session, "anna"), proposal,
                                  now=timestamps.now_us())
    with db.writing() as session:
        lifecycle.approve(session, people(session, "bert"), drafted["id"],
                          now=timestamps.now_us())
    with db.writing() as session:
        lifecycle.publish(session, people(session, "carla"), drafted["id"], signer=signer,
                          now=timestamps.now_us())
    return drafted["id"]

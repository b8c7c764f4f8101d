"""Campaigns through the hub: found on the POST that completes them, readable over TAXII at
once, hub-signed, pseudonymous; merged when they connect; withdrawn when the evidence fails."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner
from conftest import post_objects

from cyberhub.cli import main
from cyberhub.core import signing
from cyberhub.hub.correlation.detect import Rules

HASH_X, HASH_Y = "ab" * 32, "cd" * 32


def _report(town, n: int, *hashes: str, day: int = 20) -> list[dict]:
    stamp = f"2026-11-{day:02d}T07:15:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": f"incident--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                "name": f"Phishing {n}"}
    indicators = [{
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created_by_ref": town.identity, "created": stamp, "modified": stamp,
        "name": "Anhang", "pattern": f"[file:hashes.'SHA-256' = '{digest}']",
        "pattern_type": "stix", "valid_from": stamp} for digest in hashes]
    return [town.identity_object, incident] + indicators


def _campaigns(client, admin, collection_ids, **filters) -> list[dict]:
    query = "&".join(f"match[{k}]={v}" for k, v in filters.items())
    response = client.get(f"/taxii2/hub/collections/{collection_ids['campaigns']}/objects/"
                          f"?{query}", headers=admin)
    return [o for o in response.get_json().get("objects", []) if o["type"] == "campaign"]


def test_the_post_that_completes_a_campaign_publishes_it(client, admin, collection_ids,
                                                         make_town, settings):
    towns = [make_town(slug, land) for slug, land in
             (("aue", "SN"), ("brilon", "NW"), ("celle", "NI"))]
    for n, town in enumerate(towns[:2]):
        assert post_objects(client, town.headers, collection_ids["reports"],
                            town.sign(_report(town, n, HASH_X))).status_code == 202
    assert _campaigns(client, admin, collection_ids) == []
    assert post_objects(client, towns[2].headers, collection_ids["reports"],
                        towns[2].sign(_report(towns[2], 2, HASH_X))).status_code == 202
    found = _campaigns(client, admin, collection_ids)
    assert len(found) == 1
    campaign = found[0]
    assert campaign["first_seen"] == campaign["last_seen"] == "2026-11-20T07:15:00.000Z"
    # Pseudonyms only: no town's name or slug in what other readers get.
    text = json.dumps(campaign)
    assert "Town A (SN)" in campaign["description"] and "Town C (NI)" in campaign["description"]
    assert not any(name in text for name in ("aue", "brilon", "celle", "Stadt"))
    assert f"hash SHA-256:{HASH_X}" in campaign["description"]

    # Hub-signed: the signature object beside it verifies against the hub's JWKS.
    everything = client.get(f"/taxii2/hub/collections/{collection_ids['campaigns']}/objects/",
                            headers=admin).get_json()["objects"]
    carrier = next(o for o in everything if o["type"] == signing.SIGNATURE_TYPE
                   and campaign["id"] in o["object_refs"])
    covered = [o for o in everything if o["id"] in carrier["object_refs"]]
    jwk = client.get("/.well-known/cyberhub/jwks.json").get_json()["keys"][0]
    registered = signing.RegisteredKey(signing.thumbprint(jwk), jwk, carrier["created_by_ref"])
    signing.verify_published(carrier["jws"], covered, keys=lambda kid: registered)
    relations = [o for o in covered if o["type"] == "relationship"]
    assert sum(r["relationship_type"] == "related-to" for r in relations) == 3
    assert sum(r["relationship_type"] == "indicates" for r in relations) == 3

    # The analysts' view names the towns and says why.
    runner = CliRunner(env={"CYBERHUB_HOME": str(settings.home),
                            "CYBERHUB_DATABASE_URL": settings.effective_database_url})
    shown = runner.invoke(main, ["campaigns", "show", campaign["id"]])
    assert shown.exit_code == 0, shown.output
    assert "Town A   Stadt Aue (aue, SN)" in shown.output
    assert f"hash       SHA-256:{HASH_X}" in shown.output
    listed = json.loads(runner.invoke(main, ["campaigns", "list", "--json"]).output)
    assert [c["id"] for c in listed] == [campaign["id"]]
    rescan = json.loads(runner.invoke(main, ["campaigns", "rescan", "--json"]).output)
    assert rescan["campaigns_written"] == []


def test_a_town_joining_makes_a_new_version(client, admin, collection_ids, make_town):
    towns = [make_town(f"ort-{n}") for n in range(4)]
    for n, town in enumerate(towns):
        post_objects(client, town.headers, collection_ids["reports"],
                     town.sign(_report(town, n, HASH_X)))
    versions = client.get(f"/taxii2/hub/collections/{collection_ids['campaigns']}/objects/"
                          "?match[type]=campaign&match[version]=all", headers=admin).get_json()
    assert len(versions["objects"]) == 2
    first, second = versions["objects"]
    assert "4 towns" in second["description"]
    assert second["created"] == first["created"] and second["modified"] > first["modified"]

    # The new version is signed with what it adds: the fourth incident's relationships. Those
    # of the first three are stored once, under the first version's signature.
    everything = client.get(f"/taxii2/hub/collections/{collection_ids['campaigns']}/objects/",
                            headers=admin).get_json()["objects"]
    relations = [o for o in everything if o["type"] == "relationship"]
    assert len(relations) == len({r["id"] for r in relations}) == 8
    carriers = [o for o in everything if o["type"] == signing.SIGNATURE_TYPE
                and first["id"] in o["object_refs"]]
    assert [len(c["object_refs"]) for c in carriers] == [7, 3]
    added = {o["id"]: o for o in relations if o["id"] in carriers[1]["object_refs"]}
    assert sorted(r["relationship_type"] for r in added.values()) == ["indicates", "related-to"]
    jwk = client.get("/.well-known/cyberhub/jwks.json").get_json()["keys"][0]
    registered = signing.RegisteredKey(signing.thumbprint(jwk), jwk, carriers[1]["created_by_ref"])
    signing.verify_published(carriers[1]["jws"], [second, *added.values()],
                             keys=lambda kid: registered)


def test_connecting_campaigns_merge_into_the_older(client, admin, collection_ids, make_town):
    towns = [make_town(f"ort-{n}") for n in range(7)]
    for n, town in enumerate(towns[:3]):
        post_objects(client, town.headers, collection_ids["reports"],
                     town.sign(_report(town, n, HASH_X, day=18)))
    for n, town in enumerate(towns[3:6]):
        post_objects(client, town.headers, collection_ids["reports"],
                     town.sign(_report(town, n, HASH_Y, day=19)))
    first, second = sorted(_campaigns(client, admin, collection_ids),
                           key=lambda c: c["first_seen"])
    post_objects(client, towns[6].headers, collection_ids["reports"],
                 towns[6].sign(_report(towns[6], 7, HASH_X, HASH_Y, day=20)))
    latest = {c["id"]: c for c in _campaigns(client, admin, collection_ids)}
    assert "7 towns" in latest[first["id"]]["description"]
    assert latest[second["id"]]["revoked"] is True
    assert first["id"] in latest[second["id"]]["name"]


def test_evidence_that_becomes_common_dissolves_the_campaign(db, make_town, correlator, client,
                                                             collection_ids):
    correlator.rules = Rules(max_postings=4)
    towns = [make_town(f"ort-{n}") for n in range(6)]
    written = []
    for n, town in enumerate(towns):
        objects = _report(town, n, HASH_X)
        with db.writing() as session:
            touched = correlator.index(session, [(town.identity, objects)], 0)
        written.append(correlator.detect(db, touched))
    assert written[2] and written[3]          # found with 3 towns, grown with the 4th
    from cyberhub.hub.storage.models import CampaignRecord

    with db.session() as session:
        states = [r.state for r in session.query(CampaignRecord)]
    assert states == ["dissolved"]            # the 5th posting made the hash too common

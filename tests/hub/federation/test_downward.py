"""The federal hub's advisory comes down through the Land hub to the towns it is meant for,
with the federal signature intact, and their receipts go back up."""

from __future__ import annotations

from conftest import PASSWORD, TAXII
from sqlalchemy import select

from cyberhub.core import signing, timestamps
from cyberhub.hub import accounts, collections, receipts
from cyberhub.hub.advisories import drafting, lifecycle
from cyberhub.hub.advisories.document import parse
from cyberhub.hub.correlation import report as campaigns
from cyberhub.hub.storage.models import Advisory, AdvisoryRecipient, Node
from hub.federation.conftest import report
from hub.federation.test_forwarding import send


def publish_at(hub, campaign_id: str | None = None, document=None, people=True) -> str:
    """anna drafts (from the campaign, or the document), bert approves, carla publishes - at
    the federal hub (`people`: make their accounts first)."""
    with hub.db.writing() as session:
        for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator")):
            if people:
                accounts.create_account(session, name, PASSWORD, now=timestamps.now_us(),
                                        role=role)

    def person(session, name):
        return accounts.check_password(session, name, PASSWORD)

    with hub.db.writing() as session:
        proposal = document or drafting.from_campaign(session, campaign_id)
        drafted = lifecycle.draft(session, person(session, "anna"), proposal,
                                  now=timestamps.now_us())
    with hub.db.writing() as session:
        lifecycle.approve(session, person(session, "bert"), drafted["id"],
                          now=timestamps.now_us())
    with hub.db.writing() as session:
        lifecycle.publish(session, person(session, "carla"), drafted["id"], signer=hub.signer,
                          now=timestamps.now_us())
    return drafted["id"]


def read_advisories(land, town) -> list[dict]:
    with land.hub.db.session() as session:
        advisories = collections.find(session, "advisories").id
    answer = land.client.get(f"/taxii2/hub/collections/{advisories}/objects/",
                             headers={**town.headers, "Accept": TAXII})
    assert answer.status_code == 200
    return answer.get_json().get("objects", [])


def test_a_federal_advisory_reaches_the_towns_it_is_meant_for_and_their_receipts_go_up(
        peered, make_town):
    land, federal = peered["land"], peered["federal"]
    towns = [make_town(slug) for slug in ("aue", "borna", "colditz")]
    other = make_town("delitzsch")
    for town in towns:
        send(land, town, report(town, level="amber"))
    send(land, other, report(other, level="amber", domain="anders.example"))
    land.hub.forwarder.run("bund")
    with federal.hub.db.session() as session:
        (found,) = campaigns.summaries(session)
    advisory_id = publish_at(federal.hub, found["id"])

    result = land.hub.forwarder.run("bund")

    assert (result.advisories, result.errors) == (1, [])
    with land.hub.db.session() as session:
        advisory = session.get(Advisory, advisory_id)
        assert (advisory.state, advisory.published_tlp) == ("published", "amber")
        addressed = set(session.scalars(
            select(Node.slug).join(AdvisoryRecipient, AdvisoryRecipient.node_id == Node.id)
            .where(AdvisoryRecipient.advisory_id == advisory_id)))
    assert addressed == {"aue", "borna", "colditz"}

    seen = read_advisories(land, towns[0])
    assert advisory_id in {obj["id"] for obj in seen}
    assert advisory_id not in {obj["id"] for obj in read_advisories(land, other)}
    # What the town's agent checks: the federal signature, with the key the Land hub's JWKS
    # lists for the federal hub.
    jwks = land.client.get("/.well-known/cyberhub/jwks.json").get_json()
    keys = {key["kid"]: signing.RegisteredKey(key["kid"], key, key.get("cyberhub_hub")
                                              or land.hub.identity) for key in jwks["keys"]}
    carrier = next(obj for obj in seen if obj["type"] == signing.SIGNATURE_TYPE
                   and advisory_id in obj["object_refs"])
    by_version = {(obj["id"], signing.object_version(obj)): obj for obj in seen}
    members = [by_version[entry] for entry in signing.covered_versions(carrier["jws"])]
    verified = signing.verify_published(carrier["jws"], members, keys=keys.get,
                                        signer_ref=carrier["created_by_ref"])
    assert verified.issuer == federal.hub.identity

    report_object = next(obj for obj in seen if obj["id"] == advisory_id)
    answer = land.client.post("/nodes/receipts", json={
        "id": advisory_id, "version": report_object["modified"], "state": "applied"},
        headers=towns[0].headers)
    assert answer.status_code == 201
    assert land.hub.forwarder.run("bund").receipts == 1
    assert land.hub.forwarder.run("bund").receipts == 0  # sent once

    with federal.hub.db.session() as session:
        up = {r["node"]: r for r in receipts.list_receipts(session, advisory_id)}
        hub_node = session.scalar(select(Node).where(Node.slug == "sachsen"))
        (town,) = [node for node in session.scalars(select(Node).where(Node.slug.in_(up)))
                   if node.relayed_by == hub_node.id]
    # The Land hub's own receipt (taken in, passed on to three towns) and aue's.
    assert up["sachsen"]["detail"] == "passed on to 3 town(s)"
    assert up[town.slug]["state"] == "applied" and town.land == "SN" and len(up) == 2
    with federal.hub.db.session() as session:
        status = lifecycle.status(session, advisory_id)
    assert status["acknowledged"] == 2


def test_a_green_federal_advisory_reaches_every_town_of_the_land(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    towns = [make_town(slug) for slug in ("aue", "borna")]
    for town in towns:
        send(land, town, report(town, level="green"))
    land.hub.forwarder.run("bund")
    advisory_id = _blank_advisory(federal.hub, "green")

    assert land.hub.forwarder.run("bund").advisories == 1
    for town in towns:
        assert advisory_id in {obj["id"] for obj in read_advisories(land, town)}


def _blank_advisory(hub, level: str) -> str:
    return publish_at(hub, document=parse({
        "title": {"de": "Warnung", "en": "Warning"},
        "summary": {"de": "Bitte blockieren.", "en": "Please block."},
        "severity": "high", "tlp": level,
        "indicators": [{"kind": "domain", "value": "boese.example"}]}))


def test_later_advisories_come_down_too(peered, make_town):
    """Each federal advisory's signature also covers what the federal hub stored before (its
    TLP marking): the Land hub fetches that as well, so the second one verifies too."""
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    land.hub.forwarder.run("bund")
    first = _blank_advisory(federal.hub, "green")
    assert land.hub.forwarder.run("bund").advisories == 1
    second = publish_at(federal.hub, document=parse({
        "title": {"de": "Zweite Warnung", "en": "Second warning"},
        "summary": {"de": "Auch das blockieren.", "en": "Block this too."},
        "severity": "medium", "tlp": "green",
        "indicators": [{"kind": "domain", "value": "noch-boeser.example"}]}), people=False)

    result = land.hub.forwarder.run("bund")

    assert (result.advisories, result.errors) == (1, [])
    assert {first, second} <= {obj["id"] for obj in read_advisories(land, aue)}


def test_a_receipt_for_a_town_the_upstream_does_not_know_is_refused(peered):
    federal = peered["federal"]
    advisory_id = _blank_advisory(federal.hub, "green")
    with federal.hub.db.session() as session:
        version = session.get(Advisory, advisory_id).published_version
    answer = federal.client.post("/nodes/receipts", headers=peered["headers"], json={
        "id": advisory_id, "version": version, "state": "applied",
        "town": "identity--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b"})
    assert answer.status_code == 403
    assert answer.get_json()["error_code"] == "identity-mismatch"
    with federal.hub.db.session() as session:
        assert receipts.list_receipts(session, advisory_id) == []

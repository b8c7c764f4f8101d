"""The advisory lifecycle as service functions: roles, four eyes, versions, the audit log."""

from __future__ import annotations

import json

import pytest
from stix2validator import ValidationOptions, validate_instance

from cyberhub.core import signing, timestamps
from cyberhub.hub import audit, collections
from cyberhub.hub.advisories import document, drafting, lifecycle
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import AdvisoryRecipient, Node
from hub.advisories.conftest import CAMPAIGN_DOMAIN, CAMPAIGN_HASH, PHISHING_PLAYBOOK

GREEN_DOCUMENT = {
    "title": {"de": "Sicherheitsupdate für das Bürgerportal", "en": "Update the citizen portal"},
    "summary": {"de": "Bitte spielen Sie das Update ein.", "en": "Please install the update."},
    "severity": "medium", "tlp": "green",
    "indicators": [{"kind": "ipv4", "value": "203.0.113.7"}],
}


def _draft_from_campaign(db, people, campaign_id, author="anna"):
    with db.writing() as session:
        proposal = drafting.from_campaign(session, campaign_id)
        return lifecycle.draft(session, people(session, author), proposal,
                               now=timestamps.now_us())


def _step(db, people, step, name, *args, **kwargs):
    with db.writing() as session:
        return getattr(lifecycle, step)(session, people(session, name), *args,
                                        now=timestamps.now_us(), **kwargs)


def test_a_draft_from_a_campaign_proposes_what_to_block_and_the_playbook(db, people,
                                                                         campaign):
    campaign_id, towns, _ = campaign
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    values = {(i.kind, i.value) for i in proposal.indicators}
    assert ("sha256", CAMPAIGN_HASH) in values and ("domain", CAMPAIGN_DOMAIN) in values
    assert proposal.tlp == "amber"  # the reports were AMBER
    assert proposal.severity == "high"
    assert proposal.campaign == campaign_id
    assert proposal.playbook == PHISHING_PLAYBOOK  # from the incidents' types
    # Other towns never learn who was hit: Länder only, no names, no slugs.
    text = proposal.summary.de + proposal.summary.en
    assert "eine Kommune in Sachsen" in proposal.summary.de
    assert not any(word in text.lower() for word in ("aue", "brilon", "celle", "stadt aue"))


def test_a_town_that_opted_in_is_named(db, people, campaign):
    campaign_id, towns, _ = campaign
    with db.writing() as session:
        session.query(Node).filter_by(slug="aue").one().share_name = True
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    assert "Stadt Aue (Sachsen)" in proposal.summary.de
    assert "brilon" not in proposal.summary.de.lower()


def test_four_eyes_roles_and_the_audit_log(db, people, campaign, signer):
    campaign_id, _, _ = campaign
    with db.writing() as session, pytest.raises(lifecycle.AdvisoryError, match="analyst role"):
        lifecycle.draft(session, people(session, "dora"),
                        document.parse(GREEN_DOCUMENT), now=timestamps.now_us())
    drafted = _draft_from_campaign(db, people, campaign_id)
    assert drafted["state"] == "draft" and drafted["author"] == "anna"

    with pytest.raises(lifecycle.AdvisoryError, match="second analyst") as refused:
        _step(db, people, "approve", "anna", drafted["id"])
    assert refused.value.code == "four-eyes"
    with pytest.raises(lifecycle.AdvisoryError, match="must be approved"):
        _step(db, people, "publish", "carla", drafted["id"], signer=signer)

    approved = _step(db, people, "approve", "bert", drafted["id"])
    assert approved["state"] == "approved" and approved["approver"] == "bert"
    with pytest.raises(lifecycle.AdvisoryError, match="coordinator role"):
        _step(db, people, "publish", "bert", drafted["id"], signer=signer)
    published = _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    assert published["state"] == "published" and published["published_tlp"] == "amber"

    with db.session() as session:
        history = [(e["actor"], e["action"]) for e in audit.entries(session, drafted["id"])]
    assert history == [("anna", "advisory.draft"), ("bert", "advisory.approve"),
                       ("carla", "advisory.publish")]


def test_the_published_version_is_valid_signed_stix(db, people, campaign, signer):
    campaign_id, _, _ = campaign
    drafted = _draft_from_campaign(db, people, campaign_id)
    _step(db, people, "approve", "bert", drafted["id"])
    published = _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    with db.session() as session:
        target = collections.find(session, "advisories")
        rows = store.page(session, target.id, store.Filters(), after=None, limit=1000).rows
    objects = [json.loads(row.body) for row in rows]
    report = next(o for o in objects if o["id"] == drafted["id"])
    assert report["report_types"] == ["threat-report"]
    assert report["labels"] == ["severity:high"]
    assert report["modified"] == published["published_version"]
    assert report["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
    assert campaign_id in report["object_refs"]
    assert "--- English ---" in report["description"]
    translation = next(o for o in objects if o["type"] == "language-content")
    assert translation["object_ref"] == report["id"]
    assert set(translation["contents"]) == {"en"}
    action = next(o for o in objects if o["type"] == "course-of-action")
    assert action["external_references"][0]["external_id"] == PHISHING_PLAYBOOK
    patterns = {o["pattern"] for o in objects if o["type"] == "indicator"}
    assert f"[file:hashes.'SHA-256' = '{CAMPAIGN_HASH}']" in patterns
    assert f"[domain-name:value = '{CAMPAIGN_DOMAIN}']" in patterns
    # The OASIS validator finds no error in any object the hub wrote.
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects:
        if obj["type"] != signing.SIGNATURE_TYPE and not obj["type"].startswith("x-"):
            result = validate_instance(obj, options)
            assert result.is_valid, (obj["type"], [str(e) for e in result.errors])
    # And the hub's signature covers the whole version.
    carrier = next(o for o in objects if o["type"] == signing.SIGNATURE_TYPE
                   and report["id"] in o.get("object_refs", []))
    covered = [o for o in objects if o["id"] in carrier["object_refs"]]
    public = signing.public_jwk(signer.key)
    key = signing.RegisteredKey(signing.thumbprint(public), public, signer.identity)
    signing.verify_published(carrier["jws"], covered, keys=lambda kid: key)


def test_amber_reaches_the_campaign_towns_and_the_sighting_towns_only(db, people, campaign,
                                                                       signer, make_town,
                                                                       client, collection_ids):
    campaign_id, towns, outside = campaign
    drafted = _draft_from_campaign(db, people, campaign_id)
    _step(db, people, "approve", "bert", drafted["id"])
    _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    with db.session() as session:
        status = lifecycle.status(session, drafted["id"])
    assert {t["node"]: t["reason"] for t in status["towns"]} == {
        "aue": "campaign", "brilon": "campaign", "celle": "campaign"}
    assert status["acknowledged"] == 0 and status["addressed"] == 3


def test_a_revision_needs_a_new_approval_and_publishes_a_new_version(db, people, signer,
                                                                     initialised):
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    _step(db, people, "approve", "bert", drafted["id"])
    first = _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    changed = dict(GREEN_DOCUMENT, severity="high")
    revised = _step(db, people, "revise", "bert", drafted["id"], document.parse(changed))
    assert revised["state"] == "draft" and revised["revision"] == 2
    # The reviser is now the author: bert may not approve his own revision, anna may.
    with pytest.raises(lifecycle.AdvisoryError, match="second analyst"):
        _step(db, people, "approve", "bert", drafted["id"])
    _step(db, people, "approve", "anna", drafted["id"])
    second = _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    assert second["published_version"] > first["published_version"]

    withdrawn = _step(db, people, "withdraw", "carla", drafted["id"], "false alarm",
                      signer=signer)
    assert withdrawn["state"] == "withdrawn"
    with db.session() as session:
        target = collections.find(session, "advisories")
        rows = store.page(session, target.id, store.Filters(ids=(drafted["id"],),
                                                            versions=("all",)),
                          after=None, limit=10).rows
        bodies = [json.loads(r.body) for r in rows]
        assert [b.get("revoked", False) for b in bodies] == [False, False, True]
        assert bodies[1]["labels"] == ["severity:high"]
        with pytest.raises(lifecycle.AdvisoryError, match="withdrawn"):
            lifecycle.revise(session, people(session, "anna"), drafted["id"],
                             document.parse(GREEN_DOCUMENT), now=timestamps.now_us())


def test_green_addresses_every_town_and_red_none(db, people, signer, make_town):
    for slug in ("aue", "brilon"):
        make_town(slug)
    green = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    red = _step(db, people, "draft", "anna", document.parse(dict(GREEN_DOCUMENT, tlp="red")))
    for advisory in (green, red):
        _step(db, people, "approve", "bert", advisory["id"])
        _step(db, people, "publish", "carla", advisory["id"], signer=signer)
    with db.session() as session:
        assert lifecycle.status(session, green["id"])["addressed"] == 2
        assert lifecycle.status(session, red["id"])["addressed"] == 0
        assert session.query(AdvisoryRecipient).filter_by(advisory_id=red["id"]).count() == 0


def test_references_are_checked(db, people, initialised):
    unknown_town = dict(GREEN_DOCUMENT, tlp="amber", towns=["nirgendwo"])
    with pytest.raises(lifecycle.AdvisoryError, match="no member town nirgendwo"):
        _step(db, people, "draft", "anna", document.parse(unknown_town))
    unknown_playbook = dict(GREEN_DOCUMENT,
                            playbook="playbook--00000000-0000-4000-8000-000000000000")
    with pytest.raises(lifecycle.AdvisoryError, match="no playbook"):
        _step(db, people, "draft", "anna", document.parse(unknown_playbook))
    with db.session() as session:
        assert lifecycle.list_advisories(session) == []


def test_withdrawing_with_a_revision_pending_withdraws_what_the_towns_have(db, people, signer,
                                                                          initialised):
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    _step(db, people, "approve", "bert", drafted["id"])
    _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    pending = dict(GREEN_DOCUMENT, severity="critical",
                   indicators=[{"kind": "domain", "value": "neu.example"}])
    _step(db, people, "revise", "bert", drafted["id"], document.parse(pending))
    _step(db, people, "withdraw", "carla", drafted["id"], "überholt", signer=signer)
    with db.session() as session:
        target = collections.find(session, "advisories")
        rows = store.page(session, target.id, store.Filters(), after=None, limit=100).rows
    latest = {o["id"]: o for o in (json.loads(r.body) for r in rows)}
    assert latest[drafted["id"]]["revoked"] is True
    assert latest[drafted["id"]]["labels"] == ["severity:medium"]
    patterns = {o["pattern"] for o in latest.values() if o["type"] == "indicator"}
    assert patterns == {"[ipv4-addr:value = '203.0.113.7']"}

"""Descriptions become STIX that the hub's validator and stix2-validator both accept; later
stages are versions of the same incident."""

from __future__ import annotations

from stix2validator import ValidationOptions, validate_instance

from cyberhub.agent import bundle
from cyberhub.agent.description import load, parse
from cyberhub.core import signing, tlp

from .conftest import EXAMPLE

IDENTITY = {"type": "identity", "spec_version": "2.1",
            "id": "identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
            "created": "2026-11-20T00:00:00.000Z", "modified": "2026-11-20T00:00:00.000Z",
            "name": "Stadt Beispiel", "identity_class": "organization"}


def _build(description, created="2026-11-23T10:00:00.000Z", modified=None):
    incident = bundle.incident_id(IDENTITY["id"], description.incident)
    return bundle.build(description, identity=IDENTITY, incident=incident, created=created,
                        modified=modified or created, default_tlp="amber")


def test_example_report_is_valid_stix_for_both_validators():
    objects = _build(load(EXAMPLE))
    for obj in objects:
        result = validate_instance(obj, ValidationOptions(version="2.1"))
        assert result.is_valid and not result.warnings, (obj["id"], result.errors,
                                                         result.warnings)
    by_type = {}
    for obj in objects:
        by_type.setdefault(obj["type"], []).append(obj)
    incident = by_type["incident"][0]
    core = incident["extensions"][bundle.INCIDENT_CORE]
    assert core == {"extension_type": "property-extension", "determination": "confirmed",
                    "investigation_status": "open", "criticality": 70,
                    "incident_types": ["dissemination-phishing-emails"],
                    "detection_methods": ["user-reporting"]}
    assert incident["labels"] == ["cyberhub:stage=early-warning"]
    assert by_type["marking-definition"] == [tlp.marking_definition("amber")]
    for obj in objects:
        if obj["type"] not in ("identity", "marking-definition"):
            assert obj["object_marking_refs"] == [tlp.IDS["amber"]]
    assert {o["external_references"][0]["external_id"] for o in by_type["attack-pattern"]} == {
        "T1566.001", "T1204.002"}
    # 6 observed values + 1 extra pattern, each sighted by the town
    assert len(by_type["indicator"]) == 7 and len(by_type["sighting"]) == 7
    assert all(s["where_sighted_refs"] == [IDENTITY["id"]] for s in by_type["sighting"])


def test_every_object_passes_the_hubs_own_checks():
    import json

    from cyberhub.core import stix
    from cyberhub.hub.services import admission

    objects = _build(load(EXAMPLE))
    raws = [stix.RawObject(o, json.dumps(o)) for o in objects]
    candidates, failures = admission.check_objects(raws, max_object_size=1024 * 1024)
    assert failures == [] and len(candidates) == len(objects)


def test_a_later_stage_is_a_new_version_of_the_same_incident():
    first = load(EXAMPLE)
    later = first.model_copy(update={"stage": "notification", "determination": "confirmed"})
    v1 = _build(first, "2026-11-23T10:00:00.000Z")
    v2 = _build(later, "2026-11-23T10:00:00.000Z", "2026-11-24T10:00:00.000Z")
    inc1 = next(o for o in v1 if o["type"] == "incident")
    inc2 = next(o for o in v2 if o["type"] == "incident")
    assert inc1["id"] == inc2["id"] and inc1["created"] == inc2["created"]
    assert inc2["modified"] > inc1["modified"]
    assert inc2["labels"] == ["cyberhub:stage=notification"]
    ids1 = {o["id"] for o in v1 if o["type"] == "indicator"}
    ids2 = {o["id"] for o in v2 if o["type"] == "indicator"}
    assert ids1 == ids2  # updated, not copied


def test_patterns_escape_quotes_and_backslashes():
    description = parse({"incident": "q", "title": "q", "observables": {
        "email_subjects": ["Rechnung 'dringend' \\ bitte"]}})
    indicator = next(o for o in _build(description) if o["type"] == "indicator")
    assert indicator["pattern"] == "[email-message:subject = 'Rechnung \\'dringend\\' \\\\ bitte']"


def test_the_report_signs_and_verifies():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    objects = _build(load(EXAMPLE))
    token = signing.sign_manifest(key, issuer=IDENTITY["id"], audience="identity--hub",
                                  objects=objects, issued_at=1_800_000_000)
    public = signing.public_jwk(key)
    registered = signing.RegisteredKey(signing.thumbprint(public), public, IDENTITY["id"])
    verified = signing.verify(token, objects, keys=lambda kid: registered,
                              audience="identity--hub", now=1_800_000_000,
                              jti_seen=lambda jti: False)
    assert len(verified.object_ids) == len(objects)


def test_a_value_listed_twice_is_one_observable_and_one_indicator():
    description = parse({"incident": "d", "title": "d", "observables": {
        "ipv4": ["203.0.113.9", "203.0.113.9"], "domains": ["boese.example"]},
        "indicators": [{"pattern": "[domain-name:value = 'boese.example']"}]})
    objects = _build(description)
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))  # a manifest lists every id once
    patterns = [o["pattern"] for o in objects if o["type"] == "indicator"]
    assert sorted(patterns) == ["[domain-name:value = 'boese.example']",
                                "[ipv4-addr:value = '203.0.113.9']"]

"""STIX 2.1 validation: valid objects of every family pass, each kind of defect is named.

validate() rejects what stix2-validator 3.x reports as errors (test_equivalence.py compares the
two on a corpus); these cases pin the messages shown to town IT staff.
"""

import copy

import pytest

from cyberhub.core.validation import validate

ID = "00000000-0000-4000-8000-000000000001"
TS = "2026-01-01T00:00:00.000Z"
SDO = {"spec_version": "2.1", "created": TS, "modified": TS}

VALID = [
    {"type": "indicator", "id": f"indicator--{ID}", **SDO, "pattern": "[url:value = 'x']",
     "pattern_type": "stix", "valid_from": TS},
    {"type": "incident", "id": f"incident--{ID}", **SDO, "name": "Ransomware im Rathaus",
     "extensions": {"extension-definition--ef765651-680c-498d-9894-99799f2fa126": {
         "extension_type": "property-extension", "determination": "confirmed"}}},
    {"type": "identity", "id": f"identity--{ID}", **SDO, "name": "Stadt Musterstadt",
     "identity_class": "organization"},
    {"type": "relationship", "id": f"relationship--{ID}", **SDO, "relationship_type": "uses",
     "source_ref": f"campaign--{ID}", "target_ref": f"malware--{ID}"},
    {"type": "sighting", "id": f"sighting--{ID}", **SDO, "sighting_of_ref": f"indicator--{ID}",
     "where_sighted_refs": [f"identity--{ID}"], "count": 3},
    {"type": "observed-data", "id": f"observed-data--{ID}", **SDO, "first_observed": TS,
     "last_observed": TS, "number_observed": 1, "object_refs": [f"ipv4-addr--{ID}"]},
    {"type": "report", "id": f"report--{ID}", **SDO, "name": "r", "published": TS,
     "object_refs": [f"incident--{ID}"]},
    {"type": "malware", "id": f"malware--{ID}", **SDO, "is_family": False},
    {"type": "location", "id": f"location--{ID}", **SDO, "country": "DE"},
    {"type": "ipv4-addr", "id": f"ipv4-addr--{ID}", "value": "203.0.113.7"},
    {"type": "file", "id": f"file--{ID}", "hashes": {"SHA-256": "ab" * 32}},
    {"type": "network-traffic", "id": f"network-traffic--{ID}", "protocols": ["tcp"],
     "dst_ref": f"ipv4-addr--{ID}"},
    {"type": "marking-definition", "id": f"marking-definition--{ID}", "spec_version": "2.1",
     "created": TS, "definition_type": "statement", "definition": {"statement": "x"}},
    {"type": "x-cyberhub-signature", "id": f"x-cyberhub-signature--{ID}", **SDO,
     "jws": "a.b.c", "extensions": {"extension-definition--f9d5d3ff-46d3-450a-9622-9548756a2667": {
         "extension_type": "new-sdo"}}},
    {"type": "marking-definition", "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
     "spec_version": "2.1", "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER",
     "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
         "extension_type": "property-extension", "tlp_2_0": "amber"}}},
]


@pytest.mark.parametrize("obj", VALID, ids=lambda o: o["type"])
def test_valid_objects_pass(obj):
    assert validate(obj) is None


def _broken(index, change):
    obj = copy.deepcopy(VALID[index])
    change(obj)
    return obj


INVALID = [
    ("not an object", [1], "must be a JSON object"),
    ("bad type", {"type": "Indicator", "id": f"Indicator--{ID}"}, "'type'"),
    ("bundle", {"type": "bundle", "id": f"bundle--{ID}"}, "bundle"),
    ("id of other type", _broken(0, lambda o: o.update(id=f"malware--{ID}")), "'id'"),
    ("not an RFC 4122 uuid",
     _broken(0, lambda o: o.update(id="indicator--00000000-0000-0000-0000-000000000001")), "'id'"),
    ("no uuid", _broken(0, lambda o: o.update(id="indicator--1")), "'id'"),
    ("missing spec_version", _broken(0, lambda o: o.pop("spec_version")), "spec_version"),
    ("stix 2.0", _broken(0, lambda o: o.update(spec_version="2.0")), "spec_version"),
    ("missing pattern", _broken(0, lambda o: o.pop("pattern")), "'pattern' is required"),
    ("missing created", _broken(2, lambda o: o.pop("created")), "'created' is required"),
    ("bad timestamp", _broken(0, lambda o: o.update(modified="2026-01-01 00:00:00")),
     "'modified'"),
    ("timezone offset", _broken(0, lambda o: o.update(valid_from="2026-01-01T00:00:00+01:00")),
     "'valid_from'"),
    ("modified before created",
     _broken(0, lambda o: o.update(modified="2025-01-01T00:00:00.000Z")),
     "'modified' must be the same as or later than 'created'"),
    ("modified without milliseconds",
     _broken(0, lambda o: o.update(modified="2026-01-01T00:00:00Z")), "milliseconds"),
    ("no such day", _broken(0, lambda o: o.update(valid_from="2026-02-30T00:00:00Z")),
     "'valid_from' is not a real point in time"),
    ("ref not an id", _broken(3, lambda o: o.update(source_ref="campaign")), "'source_ref'"),
    ("empty refs", _broken(6, lambda o: o.update(object_refs=[])), "'object_refs'"),
    ("relationship to relationship",
     _broken(3, lambda o: o.update(target_ref=f"relationship--{ID}")), "'target_ref'"),
    ("sighting of relationship",
     _broken(4, lambda o: o.update(sighting_of_ref=f"relationship--{ID}")), "sighting_of_ref"),
    ("where sighted malware",
     _broken(4, lambda o: o.update(where_sighted_refs=[f"malware--{ID}"])), "where_sighted"),
    ("negative count", _broken(4, lambda o: o.update(count=-1)), "'count'"),
    ("zero observed", _broken(5, lambda o: o.update(number_observed=0)), "number_observed"),
    ("confidence 101", _broken(2, lambda o: o.update(confidence=101)), "confidence"),
    ("labels not strings", _broken(2, lambda o: o.update(labels=[1])), "labels"),
    ("external ref without source", _broken(2, lambda o: o.update(external_references=[{}])),
     "source_name"),
    ("is_family not bool", _broken(7, lambda o: o.update(is_family="no")), "is_family"),
    ("location without place", _broken(8, lambda o: o.pop("country")), "location"),
    ("SCO without value", _broken(9, lambda o: o.pop("value")), "'value'"),
    ("file without hashes or name", _broken(10, lambda o: o.pop("hashes")), "file"),
    ("traffic without endpoints", _broken(11, lambda o: o.pop("dst_ref")), "src_ref"),
    ("marking modified before created",
     _broken(12, lambda o: o.update(modified="2025-01-01T00:00:00.000Z")), "'modified'"),
    ("custom object without created", _broken(13, lambda o: o.pop("created")), "created"),
    ("bad pattern", _broken(0, lambda o: o.update(pattern="[url:value = 'x'")),
     "'pattern' is not a valid STIX pattern: expected ']'"),
    ("pattern without brackets", _broken(0, lambda o: o.update(pattern="url:value = 'x'")),
     "'pattern' is not a valid STIX pattern: it must start with '['"),
    ("pattern hash", _broken(0, lambda o: o.update(pattern="[file:hashes.MD5 = 'abc']")),
     "not a valid MD5 hash"),
    ("pattern property name", _broken(0, lambda o: o.update(pattern="[url:Value = 'x']")),
     "'Value' is not a valid property name"),
    ("opinion vocabulary", {"type": "opinion", "id": f"opinion--{ID}", **SDO,
                            "opinion": "maybe", "object_refs": [f"report--{ID}"]}, "'opinion'"),
    ("language code", _broken(2, lambda o: o.update(lang="deutsch")), "'lang'"),
    ("null property", _broken(2, lambda o: o.update(description=None)), "'description'"),
    ("custom property name", _broken(2, lambda o: o.update(**{"Town-Code": "1"})),
     "'Town-Code' is not allowed"),
    ("reserved property", _broken(2, lambda o: o.update(severity="high")), "'severity'"),
    ("bad hash", _broken(10, lambda o: o.update(hashes={"SHA-256": "abc"})),
     "'hashes.SHA-256' must be 64 hex digits"),
    ("bad ipv4", _broken(9, lambda o: o.update(value="203.0.113.300")), "'value'"),
    ("extension without type", _broken(1, lambda o: o["extensions"][
        "extension-definition--ef765651-680c-498d-9894-99799f2fa126"].pop("extension_type")),
     "extension_type' is required"),
    ("process needs UUIDv4",
     {"type": "process", "id": "process--00000000-0000-1000-8000-000000000001", "pid": 4},
     "version 4"),
    ("selector points nowhere", _broken(2, lambda o: o.update(granular_markings=[{
        "selectors": ["description"], "marking_ref": f"marking-definition--{ID}"}])),
     "selector 'description'"),
    ("artifact media type", {"type": "artifact", "id": f"artifact--{ID}",
                             "mime_type": "application/x-made-up", "payload_bin": "AAAA"},
     "registered with IANA"),
    ("TLP 1.0 with changes", {"type": "marking-definition",
                              "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                              "spec_version": "2.1", "created": "2017-01-20T00:00:00.000Z",
                              "name": "TLP:GREEN", "definition_type": "tlp",
                              "definition": {"tlp": "amber"}}, "TLP 1.0"),
]


@pytest.mark.parametrize("name, obj, fragment", INVALID, ids=[i[0] for i in INVALID])
def test_each_defect_is_reported(name, obj, fragment):
    problem = validate(obj)
    assert problem is not None and fragment in problem, problem


# stix2-validator accepts these (it checks no reference target types outside the SROs and
# observed-data, allows upper-case UUIDs and a 'modified' on marking definitions), so the hub
# accepts them too: validate() is equivalent to it.
ACCEPTED_LIKE_STIX2_VALIDATOR = [
    ("upper-case uuid",
     _broken(0, lambda o: o.update(id="indicator--0000000A-0000-4000-8000-00000000000B"))),
    ("created_by_ref to malware", _broken(2, lambda o: o.update(created_by_ref=f"malware--{ID}"))),
    ("marking ref to identity",
     _broken(2, lambda o: o.update(object_marking_refs=[f"identity--{ID}"]))),
    ("sighting of SCO", _broken(4, lambda o: o.update(sighting_of_ref=f"ipv4-addr--{ID}"))),
    ("marking with modified", _broken(12, lambda o: o.update(modified=TS))),
    ("custom nested ref", _broken(2, lambda o: o.update(x_extra={"owner_ref": "nobody"}))),
]


@pytest.mark.parametrize("name, obj", ACCEPTED_LIKE_STIX2_VALIDATOR,
                         ids=[i[0] for i in ACCEPTED_LIKE_STIX2_VALIDATOR])
def test_what_stix2_validator_accepts_is_accepted(name, obj):
    assert validate(obj) is None

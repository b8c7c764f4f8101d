"""MISP events made by misp-stix, read back with PyMISP as MISP would load them."""

from __future__ import annotations

import pytest
from pymisp import MISPEvent

from cyberhub.core import timestamps
from cyberhub.hub.exports import misp, service, sources
from hub.exports.conftest import SHA256


def _event(db, kind="collection", name="indicators", **options) -> MISPEvent:
    with db.session() as session:
        made = service.export(session, sources.OPERATOR, kind, name, "misp",
                              service.Options(now_us=timestamps.now_us(), **options))
    assert made.media_type == "application/json"
    event = MISPEvent()
    event.load(made.content)
    return event


def test_the_event_holds_the_indicators_in_force(db, stored_indicators):
    event = _event(db)
    attributes = {(a.type, a.value): a for a in event.attributes}
    assert set(attributes) == {("ip-dst", "51.75.72.240"), ("sha256", SHA256),
                               ("ip-dst", "2a01:4f8:1c17:9a2b::7"), ("ip-dst", "80.66.88.10")}
    c2 = attributes[("ip-dst", "51.75.72.240")]
    assert c2.uuid == stored_indicators["c2"]["id"].split("--")[1]
    assert c2.to_ids is True
    assert "tlp:green" in {tag.name for tag in c2.tags}
    assert "tlp:red" in {tag.name for tag in attributes[("ip-dst", "80.66.88.10")].tags}
    # A combination stays together: one MISP object, never loose attributes to block.
    objects = {o.uuid: o for o in event.objects}
    combined = objects[stored_indicators["combination"]["id"].split("--")[1]]
    assert {(a.type, a.value) for a in combined.attributes} == {
        ("ip-dst", "193.42.33.9"), ("domain", "combo.example")}
    # What the converter does not map, it keeps as the STIX pattern itself.
    phishing = objects[stored_indicators["phishing"]["id"].split("--")[1]]
    assert {a.value for a in phishing.attributes if a.type == "stix2-pattern"} == {
        stored_indicators["phishing"]["pattern"]}
    everything = str(event.to_json())
    assert "45.9.148.21" not in everything and "91.215.85.17" not in everything
    assert event.info == "cyberhub: collection indicators"


def test_a_later_export_is_the_same_event(db, stored_indicators, amber_advisory):
    first, again = _event(db), _event(db)
    assert first.uuid == again.uuid == misp.event_uuid(
        "collection:" + _collection_id(db, "indicators"))
    advisory_id = amber_advisory[0]
    assert _event(db, "advisory", advisory_id).uuid != first.uuid


def test_campaign_evidence_becomes_attributes(db, campaign):
    campaign_id = campaign[0]
    event = _event(db, "campaign", campaign_id)
    assert {(a.type, a.value) for a in event.attributes} == {
        ("sha256", "ab" * 32), ("domain", "rechnung-stadtwerke.example")}


def test_what_the_converter_cannot_read_is_an_error_not_a_gap():
    broken = {"type": "indicator", "spec_version": "2.1",
              "id": "indicator--00000000-0000-4000-8000-000000000042",
              "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z",
              "pattern_type": "stix", "valid_from": "2026-11-02T08:00:00Z"}  # no pattern
    with pytest.raises(misp.MispError, match="indicator--00000000-0000-4000-8000-000000000042"):
        misp.render([broken], key="test", title="test")


def _collection_id(db, alias: str) -> str:
    from cyberhub.hub import collections

    with db.session() as session:
        return collections.find(session, alias).id

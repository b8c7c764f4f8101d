"""Sightings: advisory indicators matched with stix2-matcher against what the collectors saw."""

from __future__ import annotations

from datetime import datetime, timezone

from cyberhub.agent import sightings
from cyberhub.agent.collectors.common import Observation

from .test_polling import ADVISORY, _advisory, _apply, _signed

T0 = datetime(2026, 11, 21, 7, 0, tzinfo=timezone.utc)


def _seen(kind: str, value: str, count: int = 3) -> Observation:
    return Observation(kind=kind, value=value, first_seen=T0, last_seen=T0, count=count,
                       source="auth.log")


def test_a_matching_observation_becomes_one_signed_sighting(local_agent):
    sightings.record(local_agent, [_seen("ipv4", "192.0.2.9", 12), _seen("ipv4", "192.0.2.50"),
                                   _seen("domain", "harmless.example")])
    assert sightings.check(local_agent) == []  # no advisory yet
    _apply(local_agent, _signed(local_agent, _advisory(
        local_agent.hub_identity, ADVISORY, "192.0.2.9", version="2026-11-21T08:00:00.000Z")))
    queued = sightings.check(local_agent)
    assert len(queued) == 1
    report = local_agent.store.reports()[0]
    sighting = next(o for o in report.objects if o["type"] == "sighting")
    assert sighting["sighting_of_ref"] == "indicator--7d3c1b52-5f3f-4c4e-9d7a-1b2c3d4e5f60"
    assert sighting["count"] == 12
    assert sighting["where_sighted_refs"] == [local_agent.identity_id]
    observed = next(o for o in report.objects if o["type"] == "ipv4-addr")
    assert observed["value"] == "192.0.2.9"
    # Reported once: neither a second check nor a repeated observation queues it again.
    sightings.record(local_agent, [_seen("ipv4", "192.0.2.9")])
    assert sightings.check(local_agent) == []
    assert local_agent.store.read("SELECT count FROM observations WHERE value = '192.0.2.9'"
                                  ) == [(15,)]


def test_network_indicators_match_addresses_inside(local_agent):
    objects = _advisory(local_agent.hub_identity, ADVISORY, "x", version="2026-11-21T08:00:00.000Z")
    objects[0]["pattern"] = "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"
    _apply(local_agent, _signed(local_agent, objects))
    sightings.record(local_agent, [_seen("ipv4", "198.51.100.77"), _seen("ipv4", "198.51.101.1")])
    assert len(sightings.check(local_agent)) == 1
    value = next(o for o in local_agent.store.reports()[0].objects if o["type"] == "ipv4-addr")
    assert value["value"] == "198.51.100.77"

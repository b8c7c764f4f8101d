"""Sightings: advisory indicators matched with stix2-matcher against what the collectors saw."""

from __future__ import annotations

from datetime import datetime, timezone

from click.testing import CliRunner

from cyberhub.agent import sightings
from cyberhub.agent.cli import main
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


def _remove(agent, seq: int):
    env = {"CYBERHUB_AGENT_HOME": str(agent.settings.home), "LANG": "C.UTF-8", "LC_ALL": "",
           "LC_MESSAGES": "", "CYBERHUB_LANGUAGE": ""}
    return CliRunner(env=env).invoke(main, ["queue", "remove", str(seq), "--yes"])


def test_a_removed_sighting_report_may_be_reported_again(local_agent):
    """`queue remove` takes a sighting back before it is sent: it was never reported, so the
    next check queues it again."""
    _apply(local_agent, _signed(local_agent, _advisory(
        local_agent.hub_identity, ADVISORY, "192.0.2.9", version="2026-11-21T08:00:00.000Z")))
    sightings.record(local_agent, [_seen("ipv4", "192.0.2.9"), _seen("ipv4", "192.0.2.10")])
    [first] = sightings.check(local_agent)
    report = local_agent.store.report(first)
    # The title is the administrator's (German here), the description the analysts' (German).
    assert report.title.startswith("Sichtung von ") and report.title.endswith(": 192.0.2.9")
    sighting = next(o for o in report.objects if o["type"] == "sighting")
    assert sighting["description"] == "192.0.2.9 wurde hier in 3 Ereignis(sen) gesehen."
    assert sightings.check(local_agent) == []

    removed = _remove(local_agent, first)
    assert removed.exit_code == 0, removed.output
    assert local_agent.store.read("SELECT count(*) FROM sightings") == [(0,)]
    [again] = sightings.check(local_agent)
    assert again != first and local_agent.store.report(again).state == "queued"
    assert sightings.check(local_agent) == []  # and once only, as before

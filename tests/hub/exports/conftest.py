"""Indicators for the export tests, stored through the hub's own TAXII write path, and a
published advisory that reaches some towns and not others."""

from __future__ import annotations

import uuid

import pytest
from conftest import post_objects

from cyberhub.core import tlp
from cyberhub.hub.advisories import drafting
from hub.advisories.conftest import campaign, people, publish_advisory  # noqa: F401 - fixtures

SHA256 = "5f2b7c0d9e4a1b3c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
FORMULA_NAME = '=HYPERLINK("http://evil.example/x","Rechnung")'


def _indicator(n: int, pattern: str, **extra) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--{uuid.UUID(int=0xE0000 + n, version=4)}",
           "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z",
           "name": f"indicator {n}", "pattern": pattern, "pattern_type": "stix",
           "pattern_version": "2.1", "valid_from": "2026-11-02T08:00:00Z",
           "indicator_types": ["malicious-activity"]}
    obj.update(extra)
    return obj


FEODO = {"source_name": "abuse.ch Feodo Tracker",
         "url": "https://feodotracker.abuse.ch/browse/host/51.75.72.240/"}
INDICATORS = {
    "c2": _indicator(1, "[ipv4-addr:value = '51.75.72.240']", name="Emotet C2",
                     labels=["botnet-c2", "emotet"], external_references=[FEODO],
                     valid_until="2027-06-01T00:00:00Z",
                     object_marking_refs=[tlp.IDS["green"]]),
    "phishing": _indicator(2, "[domain-name:value = 'rechnung-download.example'] OR "
                           "[url:value = 'http://rechnung-download.example/invoice.php?id=7']",
                           name="Phishing-Seite", labels=["phishing"]),
    "dropper": _indicator(3, f"[file:hashes.'SHA-256' = '{SHA256}']", name="Dropper"),
    "formula": _indicator(4, "[ipv6-addr:value = '2a01:4f8:1c17:9a2b::7']",
                          name=FORMULA_NAME, labels=["+49 fraud", "@team", "-x"]),
    "revoked": _indicator(5, "[ipv4-addr:value = '45.9.148.21']", revoked=True),
    "expired": _indicator(6, "[ipv4-addr:value = '91.215.85.17']",
                          valid_until="2026-11-30T00:00:00Z"),
    "red": _indicator(7, "[ipv4-addr:value = '80.66.88.10']", name="Nur fuer Analysten",
                      object_marking_refs=[tlp.IDS["red"]]),
    "combination": _indicator(8, "[ipv4-addr:value = '193.42.33.9'] AND "
                              "[domain-name:value = 'combo.example']"),
}
IN_FORCE_VALUES = {"51.75.72.240", "rechnung-download.example",
                   "http://rechnung-download.example/invoice.php?id=7", SHA256,
                   "2a01:4f8:1c17:9a2b::7"}


@pytest.fixture
def stored_indicators(client, admin, collection_ids) -> dict[str, dict]:
    """The indicators above in the `indicators` collection, written through TAXII."""
    response = post_objects(client, admin, collection_ids["indicators"],
                            list(INDICATORS.values()))
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["success_count"] == len(INDICATORS)
    return INDICATORS


@pytest.fixture
def amber_advisory(db, people, signer, campaign):  # noqa: F811 - fixtures
    """An AMBER advisory drafted from the campaign: it reaches the campaign's three towns and
    not the fourth. Returns (advisory id, campaign id, towns, outside town)."""
    campaign_id, towns, outside = campaign
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    return publish_advisory(db, people, signer, proposal), campaign_id, towns, outside

"""The STIX of one advisory version: patterns that mean exactly the analyst's value, stable
ids across versions, and everything the hub's own checks accept."""

from __future__ import annotations

import json

import pytest

from cyberhub.core import stix
from cyberhub.core.pattern_values import equality_values
from cyberhub.hub.advisories import content, document
from cyberhub.hub.services import admission

HUB = "identity--11111111-1111-4111-8111-111111111111"
TRICKY_URL = "http://a.example/pfad');[ipv4-addr:value='0.0.0.0/0']\\x"


def _doc(**changes) -> document.Document:
    return document.parse({
        "title": {"de": "Titel", "en": "Title"}, "summary": {"de": "Text", "en": "Text"},
        "severity": "high", "tlp": "amber",
        "indicators": [{"kind": "url", "value": TRICKY_URL},
                       {"kind": "sha256", "value": "AB" * 32},
                       {"kind": "email", "value": "Buchhaltung@Rechnung.example"}],
        **changes})


def test_a_value_with_quotes_and_brackets_stays_one_value():
    item = _doc().indicators[0]
    values = equality_values(content.pattern(item))
    assert values == [("url", ["value"], item.value)]


@pytest.mark.parametrize("revoked", [False, True])
def test_every_object_passes_the_hubs_checks(revoked):
    objects = content.build("report--22222222-2222-4222-8222-222222222222", _doc(),
                            created="2026-11-23T08:00:00.000Z",
                            modified="2026-11-23T09:00:00.000Z", hub_identity=HUB,
                            revoked=revoked)
    raws = [stix.RawObject(o, json.dumps(o)) for o in objects]
    _, failures = admission.check_objects(raws, max_object_size=1024 * 1024)
    assert failures == []
    versioned = [o for o in objects if o["type"] != "marking-definition"]
    assert all(o.get("revoked", False) is revoked for o in versioned)


def test_ids_are_stable_across_versions_and_differ_between_advisories():
    first = content.build("report--22222222-2222-4222-8222-222222222222", _doc(),
                          created="2026-11-23T08:00:00.000Z",
                          modified="2026-11-23T09:00:00.000Z", hub_identity=HUB)
    second = content.build("report--22222222-2222-4222-8222-222222222222", _doc(),
                           created="2026-11-23T08:00:00.000Z",
                           modified="2026-11-24T09:00:00.000Z", hub_identity=HUB)
    other = content.build("report--33333333-3333-4333-8333-333333333333", _doc(),
                          created="2026-11-23T08:00:00.000Z",
                          modified="2026-11-23T09:00:00.000Z", hub_identity=HUB)
    assert [o["id"] for o in first] == [o["id"] for o in second]
    indicators = {o["id"] for o in first if o["type"] == "indicator"}
    assert indicators.isdisjoint(o["id"] for o in other)

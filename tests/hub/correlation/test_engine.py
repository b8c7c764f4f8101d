"""The engine on generated scenarios: accuracy, and a full pass that agrees with the incremental
runs; noise alone makes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from cyberhub.demo import scenarios
from cyberhub.hub.storage.models import CampaignRecord

from .conftest import active_campaigns, score_against_truth


@pytest.mark.parametrize("seed", [1, 2])
def test_injected_campaigns_are_found_and_nothing_else_and_a_full_pass_agrees(
        db, correlator, seed):
    """The incremental runs find the injected campaigns; a full pass over the same data then
    changes nothing, and from scratch finds the same campaigns (one replay for both: each
    costs seconds)."""
    scenario = scenarios.generate(seed)
    names = scenarios.replay(db, scenario, correlator)
    recall, precision = score_against_truth(db, names, scenario.truth())
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)

    incremental = active_campaigns(db)
    assert len(incremental) >= 6
    _, written = correlator.full_pass(db)
    assert written == []  # nothing to change
    with db.writing() as session:
        session.execute(delete(CampaignRecord))
    correlator.full_pass(db)
    assert active_campaigns(db) == incremental


def test_noise_alone_makes_no_campaign(db, correlator):
    scenario = scenarios.generate(11, campaigns=0)
    scenarios.replay(db, scenario, correlator)
    assert active_campaigns(db) == []


def test_scenarios_are_reproducible():
    a, b = scenarios.generate(5), scenarios.generate(5)
    assert [r.description for r in a.reports] == [r.description for r in b.reports]
    assert scenarios.generate(6).reports[0].description != a.reports[0].description

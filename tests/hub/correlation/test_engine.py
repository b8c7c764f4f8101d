"""The engine on generated scenarios: accuracy, and a full pass that agrees with the incremental
runs; noise alone makes nothing."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import delete, select

from cyberhub.core import timestamps
from cyberhub.demo import scenarios
from cyberhub.hub.correlation import engine, index
from cyberhub.hub.correlation.campaigns import ActiveCampaigns
from cyberhub.hub.correlation.index_keys import LINKING
from cyberhub.hub.correlation.warninglists import Warninglists
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


def test_every_incident_the_index_step_skips_would_change_nothing(db, correlator, monkeypatch):
    """`engine.may_link` lets detection skip most reports. Detecting each skipped incident
    anyway, right after its report, must write nothing; the skip must still spare most."""
    gained: list[set[str]] = []
    real_add_rows = index.add_rows

    def recording(session, rows):
        added = real_add_rows(session, rows)
        gained.append({row.incident_id for row in added.rows})
        return added

    monkeypatch.setattr(index, "add_rows", recording)
    scenario = scenarios.generate(3)
    identities = scenarios.add_towns(db, scenario)
    skipped = 0
    for report in scenario.reports:
        objects = scenarios.stix_report(report, identities[report.town])
        with db.writing() as session:
            chosen = correlator.index(session, [(identities[report.town]["id"], objects)],
                                      timestamps.now_us())
        correlator.detect(db, chosen)
        left_out = gained[-1] - chosen
        skipped += len(left_out)
        assert correlator.detect(db, left_out) == [], report.description
    assert skipped >= len(scenario.reports) // 2, (skipped, len(scenario.reports))
    names = {}
    for report in scenario.reports:
        objects = scenarios.stix_report(report, identities[report.town])
        incident = next(o["id"] for o in objects if o["type"] == "incident")
        names[incident] = f"{report.town}/{report.description['incident']}"
    recall, precision = score_against_truth(db, names, scenario.truth())
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)


def test_a_run_still_holds_until_an_index_count_it_read_moves(db, correlator):
    """Detection under the lock reuses the lock-free run only while `Reads.still_current`:
    a new posting of a key it read, or a new key of an incident it read, ends that."""
    scenario = scenarios.generate(1)
    scenarios.replay(db, scenario, correlator)
    with db.session() as session:
        incident = json.loads(session.scalars(select(CampaignRecord.incidents)).first())[0]
        found, _ = engine.incremental(session, {incident}, correlator.rules)
        assert found.reads.still_current(session)
        row = next(r for r in index.keys_of(session, {incident}) if r.kind in LINKING)
    stranger = dataclasses.replace(
        row, incident_id="incident--00000000-0000-4000-8000-0000000000aa")
    with db.writing() as session:
        index.add_rows(session, [stranger])
    with db.session() as session:
        assert not found.reads.still_current(session)  # a key it read has one posting more
        found, _ = engine.incremental(session, {incident}, correlator.rules)
        assert found.reads.still_current(session)
    later = dataclasses.replace(row, key="domain:later-stage.example", kind="domain")
    with db.writing() as session:
        index.add_rows(session, [later])
    with db.session() as session:
        assert not found.reads.still_current(session)  # an incident it read has a row more


def test_each_worker_s_copy_of_the_active_campaigns_follows_every_change(db, correlator):
    """Another worker's copy (`ActiveCampaigns`) reads again exactly the campaigns that
    changed, and drops one that is no longer active."""
    scenarios.replay(db, scenarios.generate(2), correlator)
    other_worker = ActiveCampaigns()
    with db.session() as session:
        before = dict(other_worker.get(session))
    assert len(before) >= 2
    grown, gone = sorted(before)[:2]
    with db.writing() as session:
        record = session.get(CampaignRecord, grown)
        record.incidents = json.dumps(sorted(before[grown][0] | {"incident--new"}))
        record.updated += 1
        session.get(CampaignRecord, gone).state = "dissolved"
    with db.session() as session:
        after = other_worker.get(session)
    assert after[grown][0] == before[grown][0] | {"incident--new"}
    assert gone not in after
    assert {cid: after[cid] for cid in after if cid != grown} == {
        cid: before[cid] for cid in before if cid not in (grown, gone)}


def test_a_run_no_longer_holds_once_the_warning_lists_were_applied_again(db, correlator):
    """Relisting changes rows without adding any: the key that linked a campaign may now be
    on a warning list, so the run must be done again."""
    scenarios.replay(db, scenarios.generate(1), correlator)
    with db.session() as session:
        incident = json.loads(session.scalars(select(CampaignRecord.incidents)).first())[0]
        found, _ = engine.incremental(session, {incident}, correlator.rules)
        assert found.reads.still_current(session)
        evidence = [r for r in index.keys_of(session, {incident}) if r.kind in LINKING]
    lists = Warninglists(values={(row.kind, row.key.split(":", 1)[1]): "test list"
                                 for row in evidence})
    with db.writing() as session:
        assert index.relist(session, lists) > 0
    with db.session() as session:
        assert not found.reads.still_current(session)
        again, _ = engine.incremental(session, {incident}, correlator.rules)
    assert not any(c.is_campaign for c in again.components)

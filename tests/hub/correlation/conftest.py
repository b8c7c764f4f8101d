"""Fixtures for correlation: the engine as the hub builds it, and how to score what it found."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cyberhub.hub.storage.models import CampaignRecord


@pytest.fixture
def correlator(hub):
    """The engine as the hub's bootstrap builds it (the same one the test app uses)."""
    return hub.correlator


def active_campaigns(db) -> list[tuple[tuple[str, ...], float]]:
    with db.session() as session:
        return sorted((tuple(sorted(json.loads(r.incidents))), r.score) for r in session.scalars(
            select(CampaignRecord).where(CampaignRecord.state == "active")))


def score_against_truth(db, names: dict[str, str], truth: dict[str, set[str]]
                        ) -> tuple[float, float]:
    """(recall, precision) of campaigns: a detected campaign matches the injected one that most
    of its incidents belong to, if it holds at least K... of them and nothing else dominates."""
    matched: set[str] = set()
    correct = 0
    detected = active_campaigns(db)
    for incidents, _ in detected:
        labels = [names.get(i, i) for i in incidents]
        best = max(truth, key=lambda c: len(truth[c] & set(labels)), default=None)
        if best is None:
            continue
        inside = len(truth[best] & set(labels))
        if inside / len(labels) >= 0.8 and inside / len(truth[best]) >= 0.8:
            correct += 1
            matched.add(best)
    recall = len(matched) / len(truth) if truth else 1.0
    precision = correct / len(detected) if detected else 1.0
    return recall, precision

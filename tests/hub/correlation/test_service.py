"""Detection as the hub runs it: a look without the write lock first, kept when it still holds,
and looks under the lock at once while they keep going stale (a wave)."""

from __future__ import annotations

import contextlib
import uuid

from cyberhub.demo import scenarios

from .conftest import active_campaigns, score_against_truth

HASH_X, HASH_Z, HASH_W = "ab" * 32, "ef" * 32, "12" * 32


def _report(town, digest: str) -> list[dict]:
    stamp = "2026-11-20T07:15:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": f"incident--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                "name": "Phishing"}
    return [town.identity_object, incident, {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created_by_ref": town.identity, "created": stamp, "modified": stamp,
        "name": "Anhang", "pattern": f"[file:hashes.'SHA-256' = '{digest}']",
        "pattern_type": "stix", "valid_from": stamp}]


def _index(db, correlator, town, digest: str) -> set[str]:
    with db.writing() as session:
        return correlator.index(session, [(town.identity, _report(town, digest))], 0)


class _Meanwhile:
    """The hub's database, where another worker indexes a report of its own right before this
    one takes the write lock: what the look without the lock read has moved by then."""

    def __init__(self, db, other) -> None:
        self.db, self.other, self.writes = db, other, 0

    def session(self):
        return self.db.session()

    @contextlib.contextmanager
    def writing(self):
        self.writes += 1
        if self.other is not None:
            self.other()
            self.other = None
        with self.db.writing() as session:
            yield session


def test_after_a_stale_look_the_next_runs_look_under_the_lock_until_one_finds_nothing(
        db, correlator, make_town):
    towns = [make_town(f"ort-{n}") for n in range(6)]
    for town in towns[:3]:
        correlator.detect(db, _index(db, correlator, town, HASH_X))
    assert [len(members) for members, _ in active_campaigns(db)] == [3]
    assert not correlator._hot

    # The fourth town's look is made stale by the fifth town's report, indexed meanwhile.
    touched = _index(db, correlator, towns[3], HASH_X)
    meanwhile = _Meanwhile(db, lambda: _index(db, correlator, towns[4], HASH_X))
    assert correlator.detect(meanwhile, touched)
    assert correlator._hot
    # Looked again under the lock, on what was committed: the fifth town's report is in it.
    assert [len(members) for members, _ in active_campaigns(db)] == [5]

    # A pair of reports that share a hash (two towns: no campaign) is looked at under the lock
    # too; finding nothing to write, the next run looks without the lock again.
    lonely = _Meanwhile(db, None)
    assert _index(db, correlator, towns[5], HASH_Z) == set()  # alone: nothing to detect
    assert correlator.detect(lonely, _index(db, correlator, towns[0], HASH_Z)) == []
    assert lonely.writes == 1 and not correlator._hot
    _index(db, correlator, towns[5], HASH_W)
    assert correlator.detect(lonely, _index(db, correlator, towns[1], HASH_W)) == []
    assert lonely.writes == 1  # no write lock for a look that found nothing


def test_looking_under_the_lock_at_once_finds_the_same_campaigns(db, correlator):
    """Every run made as a hot one (no look without the lock) finds the injected campaigns,
    and a full pass afterwards has nothing to change."""

    class AlwaysUnderTheLock:
        def index(self, *args, **kwargs):
            return correlator.index(*args, **kwargs)

        def detect(self, db, incidents):
            correlator._hot = True
            return correlator.detect(db, incidents)

    scenario = scenarios.generate(3)
    names = scenarios.replay(db, scenario, AlwaysUnderTheLock())
    recall, precision = score_against_truth(db, names, scenario.truth())
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)
    _, written = correlator.full_pass(db)
    assert written == []

"""Detection in rounds: callers that arrive while a run is under way share the next one, and
each returns only after a run that began after it arrived."""

from __future__ import annotations

import threading

from cyberhub.hub.correlation.rounds import LIMIT, Rounds


class Recorder:
    """A detection run that records what it was given, and can be held at its start."""

    def __init__(self) -> None:
        self.runs: list[set[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_next = False

    def __call__(self, incidents: set[str]) -> list[str]:
        self.runs.append(set(incidents))
        self.started.set()
        assert self.release.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the run failed")
        return sorted(f"campaign-of-{i}" for i in incidents)


def _in_thread(rounds: Rounds, incidents: set[str], run, results: dict, key: str):
    def call():
        try:
            results[key] = rounds.join(incidents, run)
        except Exception as exc:
            results[key] = exc
    thread = threading.Thread(target=call)
    thread.start()
    return thread


def _wait_queued(rounds: Rounds, count: int) -> None:
    for _ in range(1000):
        if len(rounds._queue) >= count:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} callers never queued")


def test_a_caller_alone_runs_for_its_own_incidents():
    rounds, run = Rounds(), Recorder()
    assert rounds.join({"i1", "i2"}, run) == ["campaign-of-i1", "campaign-of-i2"]
    assert rounds.join({"i3"}, run) == ["campaign-of-i3"]
    assert run.runs == [{"i1", "i2"}, {"i3"}]


def test_callers_arriving_during_a_run_share_the_next_one():
    rounds, run, results = Rounds(), Recorder(), {}
    run.release.clear()
    first = _in_thread(rounds, {"a"}, run, results, "a")
    assert run.started.wait(5)
    later = [_in_thread(rounds, {name}, run, results, name) for name in ("b", "c", "d")]
    _wait_queued(rounds, 3)
    assert "b" not in results  # they wait for a run that begins after they arrived
    run.release.set()
    for thread in [first, *later]:
        thread.join(10)
    assert run.runs == [{"a"}, {"b", "c", "d"}]
    assert results["a"] == ["campaign-of-a"]
    assert results["b"] == results["c"] == results["d"] == \
        ["campaign-of-b", "campaign-of-c", "campaign-of-d"]


def test_a_failed_run_fails_its_callers_only():
    rounds, run, results = Rounds(), Recorder(), {}
    run.release.clear()
    run.fail_next = True
    first = _in_thread(rounds, {"a"}, run, results, "a")
    assert run.started.wait(5)
    second = _in_thread(rounds, {"b"}, run, results, "b")
    _wait_queued(rounds, 1)
    run.release.set()
    first.join(10)
    second.join(10)
    assert isinstance(results["a"], RuntimeError)
    assert results["b"] == ["campaign-of-b"]
    # The rounds go on after a failure.
    assert rounds.join({"c"}, run) == ["campaign-of-c"]


def test_a_round_takes_at_most_the_limit():
    rounds, run, results = Rounds(), Recorder(), {}
    run.release.clear()
    first = _in_thread(rounds, {"first"}, run, results, "first")
    assert run.started.wait(5)
    names = [f"i{n:03d}" for n in range(LIMIT + 3)]
    threads = []
    for name in names:  # one by one, so the queue keeps their order
        threads.append(_in_thread(rounds, {name}, run, results, name))
        _wait_queued(rounds, len(threads))
    run.release.set()
    for thread in [first, *threads]:
        thread.join(10)
    assert run.runs == [{"first"}, set(names[:LIMIT]), set(names[LIMIT:])]
    last = sorted(f"campaign-of-{name}" for name in names[LIMIT:])
    assert all(results[name] == last for name in names[LIMIT:])


def test_every_caller_is_covered_under_contention():
    callers = 16
    rounds, run, results = Rounds(), Recorder(), {}
    threads = [_in_thread(rounds, {f"x{n}"}, run, results, f"x{n}") for n in range(callers)]
    for thread in threads:
        thread.join(10)
    assert all(f"campaign-of-x{n}" in results[f"x{n}"] for n in range(callers))
    assert set().union(*run.runs) == {f"x{n}" for n in range(callers)}
    assert not rounds._busy and not rounds._queue

#!/usr/bin/env python3
"""What `PRAGMA synchronous=FULL` costs a SQLite commit, beside NORMAL (issue 12).

The hub's own engine (`Database`: WAL, `BEGIN IMMEDIATE` for writes), a fresh database file per
mode in `benchmarks/.work/` (the disk the benchmarks use); one sample is one small write
transaction, as every POST makes one: a row inserted, committed. The modes alternate in rounds,
so that whatever else the machine does falls on both alike. The end-to-end figure is
`signed_ingest_bench.py`; this one isolates the commit, where the two modes differ.

Run:  .venv/bin/python benchmarks/sqlite_sync_bench.py [--commits N] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import text  # noqa: E402

from cyberhub.hub.storage import database  # noqa: E402

RESULTS_DIR = HERE / "results"
WORK = HERE / ".work"
MODES = ("NORMAL", "FULL")


def commits(mode: str, directory: Path, count: int) -> list[float]:
    """Seconds per write transaction, `count` of them, on a fresh file in `mode`."""
    database.SQLITE_SYNCHRONOUS = mode  # read by the engine's connect hook
    db = database.Database(f"sqlite:///{directory / f'{mode.lower()}.db'}")
    try:
        with db.writing() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER, body TEXT)"))
        with db.engine.connect() as connection:
            got = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            assert got == {"NORMAL": 1, "FULL": 2}[mode], got
        latencies = []
        for n in range(count):
            start = time.perf_counter()
            with db.writing() as session:
                session.execute(text("INSERT INTO probe VALUES (:n, :body)"),
                                {"n": n, "body": "x" * 2000})
            latencies.append(time.perf_counter() - start)
        return latencies
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=500, help="commits per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", help="results name (default: sqlite-synchronous-<date>)")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    samples: dict[str, list[float]] = {mode: [] for mode in MODES}
    rounds = []
    load_start = os.getloadavg()
    for round_ in range(args.rounds):
        for mode in MODES:
            with tempfile.TemporaryDirectory(dir=WORK, prefix="sqlite-sync-") as tmp:
                latencies = commits(mode, Path(tmp), args.commits)
            samples[mode] += latencies
            rounds.append({"round": round_ + 1, "mode": mode,
                           "commits_per_s": round(len(latencies) / sum(latencies), 1),
                           "median_ms": round(statistics.median(latencies) * 1000, 3)})
            print(json.dumps(rounds[-1]), flush=True)
    summary = {}
    for mode, latencies in samples.items():
        ordered = sorted(latencies)
        summary[mode] = {
            "commits": len(latencies),
            "commits_per_s": round(len(latencies) / sum(latencies), 1),
            "median_ms": round(statistics.median(latencies) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
        }
    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
        "commits_per_round": args.commits, "rounds": rounds, "summary": summary,
    }
    name = args.name or f"sqlite-synchronous-{results['date'][:10]}"
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| synchronous | commits | commits/s | median / p95 ms |")
    print("|---|---:|---:|---:|")
    for mode, row in summary.items():
        print(f"| {mode} | {row['commits']:,} | {row['commits_per_s']:,.0f} | "
              f"{row['median_ms']} / {row['p95_ms']} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Issue 18 ("speed where it costs"): signed ingest and reads, before and after, one command.

One run measures, on this machine and with this code:

* **signed ingest**, the full path with correlation (`signed_ingest_bench.run_backend`): 8-object
  town reports, `cyberhub serve --workers 2`, SQLite (the hub's `synchronous=FULL`) and
  PostgreSQL, for the `realistic` mix (most reports share nothing; common ATT&CK techniques on
  most) and the `worst` mix (every report links to a wave of 40); objects/s, server CPU per
  report from the workers' own CPU counters (and the PostgreSQL backends' beside it), the
  clients' CPU, latency, objects/s per quarter of the run, campaigns made;
* **reads** (`taxii_bench` helpers): a collection of `--big` indicators, one client's GET of a
  first page of 100 (latency, server CPU), then 8 client processes paging it for `--duration`
  s: pages/s, latency median / p99, server CPU per page (workers; PostgreSQL backends beside it)
  and the clients' CPU per page;
* this machine's Ed25519 verifications per second on one core, 1 s before and 1 s after every
  measurement (the higher counts), and every figure also normalised to 9,700 verifications/s
  (throughput × 9,700 / measured; CPU time and latency × measured / 9,700).

Before each measurement the harness waits (up to `--wait-load` s) until the 1-minute load
average is at most `--max-load` (1.5) and the machine is mostly idle; a run that still starts
above it is repeated once after another wait, and both attempts are kept (the quieter one
counts).

Run:  .venv/bin/python benchmarks/speed_bench.py --label before [--record]
      .venv/bin/python benchmarks/speed_bench.py --label after --record   # after the work
Results: benchmarks/results/speed-<label>-<date>.json; `--record` writes the block of the
section "## Issue 18: <label>" at the end of benchmarks/RESULTS.md (made on first use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import signed_ingest_bench
from taxii_bench import (
    DEFAULT_PG_URL,
    REFERENCE_VERIFY,
    REPO,
    RESULTS_DIR,
    RESULTS_MD,
    WORK,
    Cyberhub,
    IndicatorFactory,
    Scale,
    add_normalised,
    analyze_postgres,
    busy_percent,
    ed25519_verifications_per_second,
    get_stamps,
    git_info,
    group_pids,
    loadavg,
    machine_info,
    measure_concurrent,
    measure_get,
    normalised_cost,
    package_versions,
    pg_backend_pids,
    reset_postgres,
    summary_ms,
)

# Issue 18's targets (objects/s: SQLite with synchronous=FULL; PostgreSQL).
INGEST_TARGETS = {("sqlite", "realistic"): 2500.0, ("sqlite", "worst"): 1500.0,
                  ("postgresql", "realistic"): 1800.0, ("postgresql", "worst"): 1000.0}
READ_CPU_TARGET_MS = 1.0    # server CPU per page of 100, normalised
READ_P99_TARGET_MS = 30.0   # p99 under 8 clients


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for_load(max_load: float, max_wait: float) -> dict[str, Any]:
    """Wait until the 1-minute load average is at most max_load and the CPUs are mostly idle
    (at most max_wait s); what was seen."""
    start = time.perf_counter()
    while True:
        load = loadavg()[0] if loadavg() else 0.0
        busy = busy_percent(1.0)
        waited = time.perf_counter() - start
        if (load <= max_load and busy <= 25.0) or waited >= max_wait:
            return {"loadavg_1m": round(load, 2), "busy_pct": busy, "waited_s": round(waited, 1)}
        time.sleep(4.0)


def short_commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


def with_retry(what: str, args: argparse.Namespace,
               run: Callable[[], dict[str, Any]],
               start_load: Callable[[dict[str, Any]], float]) -> dict[str, Any]:
    """Run after waiting for a quiet machine; once more if it started above --max-load."""
    attempts = []
    for attempt in (1, 2):
        # Each run also waits for a low load right before its timed part (its own set-up loads
        # the machine); a second attempt first lets the machine calm down as well.
        wait = wait_for_load(args.max_load, args.wait_load) if attempt == 2 else None
        log(f"{what}: attempt {attempt}" + (f", load {wait['loadavg_1m']}, busy "
                                            f"{wait['busy_pct']}% after {wait['waited_s']} s"
                                            if wait else ""))
        result = run()
        result["wait"] = wait
        result["attempt"] = attempt
        attempts.append(result)
        load = start_load(result)
        if load <= args.max_load or attempt == 2:
            break
        log(f"{what}: started at load {load} (> {args.max_load}): waiting and trying once more")
    best = min(attempts, key=start_load)
    if len(attempts) > 1:
        best["other_attempts"] = [{k: v for k, v in a.items() if k != "other_attempts"}
                                  for a in attempts if a is not best]
    best["disturbed"] = start_load(best) > args.max_load
    return best


# --- signed ingest -------------------------------------------------------------------------

def ingest(backend: str, mix: str, args: argparse.Namespace) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(dir=WORK, prefix=f"speed-ingest-{backend}-") as tmp:
            result = signed_ingest_bench.run_backend(
                backend, args.pg_url if backend == "postgresql" else None, args.reports,
                clients=args.clients, profile=False, workdir=Path(tmp), mix=mix,
                seed=args.seed, towns_count=args.towns, wave=args.wave,
                wait_idle=args.wait_idle,
                settle=lambda: wait_for_load(args.max_load, args.wait_load))
        target = INGEST_TARGETS.get((backend, mix))
        result["issue18_target_objects_per_s"] = target
        # The verdict of issue 18 is on the normalised figure.
        result["issue18_pass"] = (result["normalised"]["objects_per_s"] >= target
                                  if target else None)
        # signed_ingest_bench's own (older) target of 1,000 obj/s is not this issue's.
        result.pop("target_objects_per_s", None)
        result.pop("pass", None)
        return result

    log(f"ingest {backend} {mix}: {args.reports} reports, {args.clients} clients")
    result = with_retry(f"ingest {backend} {mix}", args, run,
                        lambda r: (r.get("loadavg_before") or [0.0])[0])
    log(f"ingest {backend} {mix}: {result['objects_per_s']} objects/s "
        f"({result['normalised']['objects_per_s']} normalised), "
        f"{result['server_cpu_ms_per_report']} ms server CPU per report, "
        f"campaigns {result['campaigns_after']}")
    return result


# --- reads ----------------------------------------------------------------------------------

def reads(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(dir=WORK, prefix=f"speed-reads-{backend}-") as tmp:
            return _reads(backend, args, Path(tmp))

    log(f"reads {backend}: {args.big} objects, 8 clients x {args.duration} s")
    result = with_retry(f"reads {backend}", args, run,
                        lambda r: (r.get("loadavg_before") or [0.0])[0])
    c = result["concurrent"]
    log(f"reads {backend}: {c['pages_per_s']} pages/s, p99 {c['latency']['p99_ms']} ms, "
        f"workers CPU {c['workers_cpu_ms_per_page']} ms/page "
        f"({c['normalised']['workers_cpu_ms_per_page']} normalised)")
    return result


def _reads(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    db_url = args.pg_url if backend == "postgresql" else None
    result: dict[str, Any] = {"backend": backend, "workers": 2, "threads_per_worker": 4,
                              "big": args.big}
    if db_url:
        result["postgres_version"] = reset_postgres(db_url)
    scale = Scale(big=args.big, compare_sizes=(), post_objects=0, compare_reps=0,
                  samples=200, warmup=20, metric_budget_s=15.0, concurrent_s=args.duration)
    hub = Cyberhub(workdir, backend, db_url, workers=2)
    try:
        hub.init()
        collection = hub.add_collection("big", "benchmark big")
        hub.start()
        client = hub.client()
        pgid = hub.proc.pid

        def server_pids() -> list[int]:
            return group_pids(pgid) + (pg_backend_pids(db_url) if db_url else [])

        db_pids = (lambda: pg_backend_pids(db_url)) if db_url else None
        factory = IndicatorFactory(args.seed)
        start = time.perf_counter()
        latencies = []
        for count, body in factory.envelopes(args.big, 1000):
            elapsed, status = client.post(collection, body)
            if status.get("success_count") != count:
                raise RuntimeError(f"fill: stored {status.get('success_count')} of {count}")
            latencies.append(elapsed)
        result["fill"] = {"objects": args.big, "wall_s": round(time.perf_counter() - start, 2),
                          "envelope_latency": summary_ms(latencies)}
        if db_url:
            result["analyze_s"] = round(analyze_postgres(db_url), 2)
        stamps = get_stamps(client, collection)  # also warms every page path up
        # The fill loaded the machine: let the load average settle before measuring.
        result["settle"] = wait_for_load(args.max_load, args.wait_load)
        result["loadavg_before"] = loadavg()
        verify_before = ed25519_verifications_per_second()
        result["get"] = measure_get(client, collection, args.big, scale, seed=1,
                                    server_pids=server_pids)
        result["concurrent"] = measure_concurrent(
            hub.api_root, hub.user, hub.password, collection, stamps, scale, seed=100,
            server_pids=server_pids, db_pids=db_pids)
        verify_after = ed25519_verifications_per_second()
        result["loadavg_after"] = loadavg()
        client.close()
    finally:
        hub.stop()
    verify = max(verify_before, verify_after)
    result["ed25519_verify_per_s"] = round(verify)
    result["ed25519_verify_per_s_samples"] = [round(verify_before), round(verify_after)]
    add_normalised(result["concurrent"], verify)
    first = result["get"]["first_page"]
    first["normalised"] = {"median_ms": normalised_cost(first.get("median_ms"), verify, 2),
                           "server_cpu_ms": normalised_cost(first.get("server_cpu_ms"), verify)}
    norm = result["concurrent"]["normalised"]
    result["issue18"] = {
        "workers_cpu_ms_per_page_normalised": norm["workers_cpu_ms_per_page"],
        "cpu_pass": (norm["workers_cpu_ms_per_page"] <= READ_CPU_TARGET_MS
                     if norm["workers_cpu_ms_per_page"] is not None else None),
        "p99_ms": result["concurrent"]["latency"].get("p99_ms"),
        "p99_pass": (result["concurrent"]["latency"].get("p99_ms", 1e9) <= READ_P99_TARGET_MS),
    }
    return result


# --- report ---------------------------------------------------------------------------------

def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _verdict(ok: bool | None) -> str:
    return {True: "pass", False: "**miss**", None: "-"}[ok]


def render(results: dict[str, Any]) -> str:
    label = results["label"]
    git = results["git"]
    lines = [
        (f"Written by `speed_bench.py --label {label} --record` on {results['date'][:16]} UTC, "
        f"commit `{git['short']}`{' (cyberhub/ modified)' if git['cyberhub_dirty'] else ''}; "
        f"Python {results['python']}, SQLite {results['sqlite']} (the hub sets "
        f"`synchronous={results['sqlite_synchronous']}`), {results['nproc']} cores "
        f"({results['machine']['cpu_model']}); `cyberhub serve --workers 2`. "
        f"Normalised = at {REFERENCE_VERIFY:,.0f} Ed25519 verifications/s per core, from this "
        "machine's rate measured 1 s before and 1 s after each measurement (the higher): "
        "throughput × 9,700 / rate, CPU time and latency × rate / 9,700. Load = 1-minute load "
        "average at the start of the timed part. Server CPU = the gunicorn workers' own CPU "
        "counters; PostgreSQL's backends for the hub are given beside it."),
        "",
    ]
    if results.get("ingest"):
        cfg = results["config"]
        lines += [
            (f"**Signed ingest**, full path with correlation: {cfg['reports']:,} town reports of "
            f"8 objects (+ signature) per run from {cfg['towns'] or 4 * cfg['clients']} towns, "
            f"{cfg['clients']} client threads, signed before timing; a fresh hub per run. "
            "`realistic`: unique addresses (own /24), domains and hashes, 5 % from a pool of 25 "
            "attacker domains, 85 % with one of 10 common ATT&CK techniques; `worst`: waves of "
            "reports sharing domain and hash (each wave one growing campaign; beyond 40 "
            "incidents a key stops linking, so a wave of 50 dissolves its campaign at its 41st "
            "report)."),
            "",
            ("| database | mix | objects/s | normalised | target (normalised) | server CPU ms "
            "per report (normalised) | PostgreSQL CPU ms per report | clients' CPU ms per "
            "report | latency median / p99 ms | objects/s by quarter of the run | campaigns "
            "(most towns) | Ed25519/s | load |"),
            "|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for r in results["ingest"]:
            n = r["normalised"]
            camp = r["campaigns_after"]
            lines.append(
                f"| {r['backend']} | {r['mix']['mix']}"
                f"{', waves of ' + str(r['mix']['wave']) if r['mix'].get('wave') else ''} | "
                f"{_f(r['objects_per_s'])} | "
                f"**{_f(n['objects_per_s'])}** | ≥ {_f(r['issue18_target_objects_per_s'])}: "
                f"{_verdict(r['issue18_pass'])} | {r['server_cpu_ms_per_report']} "
                f"({n['server_cpu_ms_per_report']}) | {_f(r['database_cpu_ms_per_report'], 2)} | "
                f"{r['client_cpu_ms_per_report']} | {r['latency_ms']['median']} / "
                f"{r['latency_ms']['p99']} | "
                f"{' / '.join(_f(q) for q in r['objects_per_s_by_quarter'])} | "
                f"{camp.get('active', '?')} ({camp.get('max_towns', '?')}) | "
                f"{_f(r['ed25519_verify_per_s'])} | {r['loadavg_before'][0]}"
                f"{' (disturbed)' if r.get('disturbed') else ''} |")
        lines.append("")
    if results.get("reads"):
        big = results["config"]["big"]
        lines += [
            (f"**Reads**: a collection of {big:,} indicators (unsigned, envelopes of 1,000"
            "; on PostgreSQL `ANALYZE` after the fill); 8 client processes (one keep-alive "
            f"session each) page it from random `added_after` points with `next` for "
            f"{results['config']['duration']:.0f} s; one client's first page (200 samples) "
            "beside it."),
            "",
            ("| database | 8 clients: pages/s (normalised) | p99 ms (normalised) | p99 ≤ 30 ms | "
            "workers' CPU ms per page (normalised) | ≤ 1.0 ms normalised | PostgreSQL CPU ms "
            "per page | clients' CPU ms per page (normalised) | median ms | one client: first "
            "page median ms, server CPU ms | Ed25519/s | load |"),
            "|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results["reads"]:
            c = r["concurrent"]
            n = c["normalised"]
            first = r["get"]["first_page"]
            db = (c["of_which_database_cpu_s"] * 1000 / c["pages"]
                  if c.get("of_which_database_cpu_s") is not None and c["pages"] else None)
            lines.append(
                f"| {r['backend']} | {_f(c['pages_per_s'], 1)} ({_f(n['pages_per_s'], 1)}) | "
                f"{_f(c['latency']['p99_ms'], 1)} ({_f(n['latency_p99_ms'], 1)}) | "
                f"{_verdict(r['issue18']['p99_pass'])} | {_f(c['workers_cpu_ms_per_page'], 2)} "
                f"(**{_f(n['workers_cpu_ms_per_page'], 2)}**) | "
                f"{_verdict(r['issue18']['cpu_pass'])} | {_f(db, 2)} | "
                f"{_f(c['client_cpu_ms_per_page'], 2)} ({_f(n['client_cpu_ms_per_page'], 2)}) | "
                f"{_f(c['latency']['median_ms'], 1)} | {_f(first['median_ms'], 2)}, "
                f"{_f(first.get('server_cpu_ms'), 2)} | {_f(r['ed25519_verify_per_s'])} | "
                f"{r['loadavg_before'][0]}{' (disturbed)' if r.get('disturbed') else ''} |")
        lines.append("")
    lines.append(f"Raw figures: `results/{results['name']}.json`.")
    return "\n".join(lines) + "\n"


def record(results: dict[str, Any], markdown: str) -> None:
    label = results["label"]
    begin = f"<!-- speed_bench:{label}:begin (generated by benchmarks/speed_bench.py) -->"
    end = f"<!-- speed_bench:{label}:end -->"
    block = f"{begin}\n{markdown}{end}"
    text = RESULTS_MD.read_text()
    if begin in text and end in text:
        text = text.split(begin, 1)[0] + block + text.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## Issue 18: {label}\n\n{block}\n"
    RESULTS_MD.write_text(text)


def combine(args: argparse.Namespace) -> None:
    parts = [json.loads(Path(name).read_text()) for name in args.combine]
    results = dict(parts[0])
    for key in ("ingest", "reads", "errors"):
        results[key] = [item for part in parts for item in part.get(key, [])]
    order = {"sqlite": 0, "postgresql": 1}
    results["ingest"].sort(key=lambda r: (order.get(r["backend"], 9),
                                          r["mix"]["mix"] != "realistic",
                                          r["mix"].get("wave") or 0))
    results["name"] = args.name or f"{results['name']}-combined"
    results["combined_from"] = [part["name"] for part in parts]
    results["loadavg_end"] = parts[-1].get("loadavg_end")
    commits = {part["git"]["short"] for part in parts}
    if len(commits) > 1:
        raise SystemExit(f"the files are of different commits: {sorted(commits)}")
    (RESULTS_DIR / f"{results['name']}.json").write_text(json.dumps(results, indent=1) + "\n")
    markdown = render(results)
    print(markdown)
    if args.record:
        record(results, markdown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="before", help="before / after (the section name)")
    parser.add_argument("--parts", default="ingest,reads", help="ingest,reads (any subset)")
    parser.add_argument("--servers", default="sqlite,postgresql")
    parser.add_argument("--mixes", default="realistic,worst")
    parser.add_argument("--reports", type=int, default=2000, help="reports per ingest run")
    parser.add_argument("--clients", type=int, default=4, help="ingest client threads")
    parser.add_argument("--towns", type=int, help="towns enrolled (default 4 per client)")
    parser.add_argument("--wave", type=int, default=40,
                        help="reports per wave of the worst mix (40: all keep linking)")
    parser.add_argument("--big", type=int, default=100_000, help="objects in the read test")
    parser.add_argument("--duration", type=float, default=20.0, help="s of the 8-client test")
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument("--wait-load", type=float, default=120.0,
                        help="wait up to S s for load <= --max-load before each measurement")
    parser.add_argument("--wait-idle", type=float, default=0.0,
                        help="also wait up to S s for idle CPUs right before the ingest timing")
    parser.add_argument("--pg-url", default=os.environ.get("CYBERHUB_BENCH_PG_URL",
                                                           DEFAULT_PG_URL))
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--name", help="results name (default speed-<label>-<date>)")
    parser.add_argument("--record", action="store_true", help="write the RESULTS.md block")
    parser.add_argument("--combine", nargs="+", metavar="JSON",
                        help="measure nothing: join the runs of these results files (of one "
                             "label, e.g. a run with --wave 50 beside the default one) into "
                             "--name, print and (--record) record them")
    args = parser.parse_args()
    if args.combine:
        combine(args)
        return
    parts = [p for p in args.parts.split(",") if p]
    servers = [s for s in args.servers.split(",") if s]
    mixes = [m for m in args.mixes.split(",") if m]
    now = dt.datetime.now(dt.UTC)
    from cyberhub.hub.storage import database

    results: dict[str, Any] = {
        "name": args.name or f"speed-{args.label}-{now:%Y-%m-%d-%H%M}",
        "label": args.label, "date": now.isoformat(timespec="seconds"),
        "git": {**git_info(), "short": short_commit()},
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "sqlite_synchronous": database.SQLITE_SYNCHRONOUS, "nproc": os.cpu_count(),
        "machine": machine_info(), "packages": package_versions(),
        "reference_verify_per_s": REFERENCE_VERIFY, "loadavg_start": loadavg(),
        "config": {"reports": args.reports, "clients": args.clients, "towns": args.towns,
                   "wave": args.wave, "big": args.big, "duration": args.duration,
                   "max_load": args.max_load, "seed": args.seed, "servers": servers,
                   "mixes": mixes, "parts": parts,
                   "pg_url": re.sub(r":[^:@/]*@", ":***@", args.pg_url)},
        "ingest": [], "reads": [], "errors": [],
    }
    WORK.mkdir(exist_ok=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"{results['name']}.json"

    def save() -> None:
        out.write_text(json.dumps(results, indent=1) + "\n")

    for backend in servers:
        if "ingest" in parts:
            for mix in mixes:
                try:
                    results["ingest"].append(ingest(backend, mix, args))
                except Exception as exc:  # noqa: BLE001 - record and go on
                    log(f"ingest {backend} {mix} FAILED: {type(exc).__name__}: {exc}")
                    results["errors"].append(f"ingest {backend} {mix}: {exc}"[:500])
                save()
        if "reads" in parts:
            try:
                results["reads"].append(reads(backend, args))
            except Exception as exc:  # noqa: BLE001
                log(f"reads {backend} FAILED: {type(exc).__name__}: {exc}")
                results["errors"].append(f"reads {backend}: {exc}"[:500])
            save()
    results["loadavg_end"] = loadavg()
    save()
    markdown = render(results)
    print(markdown)
    if args.record:
        record(results, markdown)
        log(f"recorded in {RESULTS_MD.relative_to(REPO)}")
    log(f"results in {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Forwarding between two hubs (issue 16): objects per second from a Land hub to the federal
hub on loopback, signed, end to end.

Target: >= 1,000 objects/s forwarded on SQLite (2 cores, both hubs `cyberhub serve --workers 2`).

Two hubs in a scratch directory under `benchmarks/.work/` (SQLite each in its own home; with
`--postgres URL` two schemas of that database), each `cyberhub init` and served by a real
`cyberhub serve --workers 2` on a free loopback port. They are peered with the CLI as an
operator does (`cyberhub peers add ... --role downstream --land SN --thumbprint KID` on the
federal hub, `cyberhub peers add ... --role upstream --token T --thumbprint KID` on the Land
hub). Towns are added in process (`nodes.add_node`, as `cyberhub nodes add` does) and enrol
over HTTP with their own Ed25519 keys; their reports come from `cyberhub.demo.scenarios`
(`generate` + `stix_report`: what a town's agent builds: identity, TLP marking, incident with
the incident-core extension, observed-data and SCOs, indicators, sightings, attack-pattern,
relationships), TLP mostly GREEN, some AMBER and CLEAR, each signed by its town for the Land
hub and POSTed to the Land hub's `reports` collection, one report per envelope.

Then the measured part: everything pending goes up in one forwarding run, in this process
(`bootstrap(settings).forwarder.run(peer)`, the job `cyberhub scheduler` and `cyberhub peers
forward` run) or with `--via cli` as a `cyberhub peers forward NAME --json` process. The rate is
the objects the federal hub stored in its `reports` collection during the run (counted in its
database) per second of wall time. Recorded beside it: forwards, groups, objects sent,
refused (must be 0), CPU of the forwarding process and of the federal hub's server, this
machine's Ed25519 verifications per second (one core, 1 s before and 1 s after the run; the
higher counts) and the rate normalised to 9,700 verifications/s, load average, commit, Python
and SQLite versions.

Run:  .venv/bin/python benchmarks/federation_bench.py [--reports 2000] [--towns 50] [--record]
      [--postgres postgresql://cyberhub:cyberhub@localhost:5432/cyberhub_bench]
      [--via inprocess|cli] [--profile] [--keep]
Writes benchmarks/results/federation-<sqlite|postgresql>[-profile].json (a profiled run's JSON
holds both listings); `--record` rewrites the federation block of benchmarks/RESULTS.md (not
with --profile).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from taxii_bench import (  # the shared harness of the TAXII benchmark
    REFERENCE_VERIFY,  # Ed25519 verifications/s per core the figures are normalised to
    RESULTS_DIR,
    RESULTS_MD,
    TAXII,
    WORK,
    CpuMeter,
    Cyberhub,
    ed25519_verifications_per_second,
    group_pids,
    loadavg,
    machine_cpu_seconds,
    pg_backend_pids,
    wait_until_quiet,
)

TARGET = 1000.0  # objects/s forwarded, SQLite
BEGIN, END = "<!-- federation_bench:begin -->", "<!-- federation_bench:end -->"
SECTION = "## Federation: forwarding between two hubs (issue 16)"
LAND = "SN"
UPSTREAM_PEER, DOWNSTREAM_PEER = "bund", "sachsen"
SCHEMAS = {"federal": "fedbench_federal", "land": "fedbench_land"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the machine --------------------------------------------------------------------------

def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "cyberhub")
    return {"commit": git("rev-parse", "--short", "HEAD"), "cyberhub_modified": bool(dirty),
            "cyberhub_changed_files": len(dirty.splitlines()) if dirty else 0}


# --- databases ----------------------------------------------------------------------------

def schema_url(url: str, schema: str) -> str:
    """The URL with every connection's search_path set to `schema`."""
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode(
        {"options": f"-csearch_path={schema}"})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def prepare_postgres(url: str) -> str:
    """Empty this benchmark's two schemas (only those); returns the server version."""
    import psycopg

    dbname = urlsplit(url).path.lstrip("/")
    if "bench" not in dbname:
        raise SystemExit(f"refusing to use {dbname!r}: the database's name must contain "
                         "'bench'")
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in SCHEMAS.values():
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for schema in SCHEMAS.values():
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def open_hub_db(home: Path, url: str | None):
    from cyberhub.hub.settings import load_settings
    from cyberhub.hub.storage.database import Database

    values = {"home": str(home)}
    if url:
        values["database_url"] = url
    settings = load_settings(values, environ={})
    return settings, Database(settings.effective_database_url)


def count_reports(db) -> dict[str, int]:
    """Objects in the hub's `reports` collection: all, and the signature objects."""
    from sqlalchemy import func, select

    from cyberhub.core import signing
    from cyberhub.hub.storage.models import Collection, StoredObject

    with db.session() as session:
        collection = session.scalar(select(Collection.id).where(Collection.alias == "reports"))
        total = session.scalar(select(func.count()).select_from(StoredObject).where(
            StoredObject.collection_id == collection))
        signatures = session.scalar(select(func.count()).select_from(StoredObject).where(
            StoredObject.collection_id == collection,
            StoredObject.type == signing.SIGNATURE_TYPE))
    return {"objects": int(total), "signatures": int(signatures)}


# --- towns and their reports --------------------------------------------------------------

class Town:
    def __init__(self, slug: str, key, enrolled: dict[str, Any]) -> None:
        self.slug = slug
        self.key = key
        self.identity = enrolled["identity"]
        self.identity_object = enrolled["identity_object"]
        self.hub_identity = enrolled["hub_identity"]
        self.auth = (enrolled["username"], enrolled["password"])


def enrol_towns(db, base_url: str, slugs: list[str]) -> dict[str, Town]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.core import signing, timestamps
    from cyberhub.hub import nodes

    towns = {}
    for slug in slugs:
        with db.writing() as session:
            added = nodes.add_node(session, slug, f"Stadt {slug.split('-')[-1].title()}", LAND,
                                   now=timestamps.now_us(), token_ttl_hours=1)
        key = Ed25519PrivateKey.generate()
        response = requests.post(f"{base_url}nodes/enroll", json={
            "token": added["enrollment_token"], "jwk": signing.public_jwk(key)}, timeout=60)
        if response.status_code != 201:
            raise RuntimeError(f"enrolling {slug}: HTTP {response.status_code} "
                               f"{response.text[:300]}")
        towns[slug] = Town(slug, key, response.json())
    return towns


def scenario_reports(count: int, towns: int, seed: int, mix: dict[str, float]) -> list:
    """`count` reports of the demo scenarios (noise and campaigns), TLP set by `mix`."""
    from cyberhub.demo import scenarios

    # The scenario's days run from scenarios.START; none may lie in the future (an agent
    # refuses a detection time to come), so a larger count means more reports per town-day.
    days = max(1, min(56, (dt.datetime.now(dt.UTC) - scenarios.START).days - 2))
    per_town_day = min(5.0, 1.1 * count / (towns * days))
    scenario = scenarios.generate(seed, towns=towns, days=days, campaigns=max(8, towns // 6),
                                  noise_per_town_day=per_town_day)
    reports = scenario.reports[:count]
    if len(reports) < count:
        raise RuntimeError(f"the scenario has only {len(reports)} reports")
    rng = random.Random(seed)
    levels, weights = list(mix), list(mix.values())
    for report in reports:
        report.description["tlp"] = rng.choices(levels, weights)[0]
        # The spraying shape may pick one address twice, and the agent's bundle then lists
        # its indicator twice, which the hub refuses: give each value once.
        observables = report.description.get("observables") or {}
        for kind, values in observables.items():
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                observables[kind] = list(dict.fromkeys(values))
    return reports


def signed_envelope(town: Town, objects: list[dict[str, Any]]) -> bytes:
    from cyberhub.core import signing, timestamps

    token = signing.sign_manifest(town.key, issuer=town.identity, audience=town.hub_identity,
                                  objects=objects, issued_at=timestamps.now_us() // 1_000_000,
                                  ttl=600)
    stamp = next(o["created"] for o in objects if o["type"] == "incident")
    carrier = signing.signature_object(token, issuer=town.identity,
                                       object_ids=[o["id"] for o in objects], created=stamp)
    return json.dumps({"objects": [*objects, carrier]}, ensure_ascii=False).encode()


def fill_land_hub(collection_url: str, towns: dict[str, Town], reports: list,
                  clients: int) -> dict[str, Any]:
    """POST every report, signed by its town, one envelope each; `clients` threads."""
    from cyberhub.demo import scenarios

    jobs = [[] for _ in range(clients)]
    for n, report in enumerate(reports):
        jobs[n % clients].append(report)
    errors: list[str] = []
    posted = [0]
    lock = threading.Lock()

    def client(mine: list) -> None:
        session = requests.Session()
        session.headers.update({"Accept": TAXII, "Content-Type": TAXII})
        try:
            for report in mine:
                town = towns[report.town]
                objects = scenarios.stix_report(report, town.identity_object)
                response = session.post(collection_url, data=signed_envelope(town, objects),
                                        auth=town.auth, timeout=120)
                with lock:
                    if response.status_code != 202 or response.json().get("failure_count"):
                        errors.append(response.text[:400])
                    else:
                        posted[0] += len(objects) + 1
        except Exception as exc:  # noqa: BLE001 - reported below, the run stops
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            session.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(mine,)) for mine in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(reports)} reports were not fully accepted "
                           f"by the Land hub: {errors[0]}")
    return {"reports": len(reports), "objects_posted": posted[0], "seconds": round(seconds, 2),
            "reports_per_s": round(len(reports) / seconds, 1)}


# --- the hubs -----------------------------------------------------------------------------

def kid_of(hub: Cyberhub) -> str:
    response = requests.get(f"http://127.0.0.1:{hub.port}/.well-known/cyberhub/jwks.json",
                            timeout=10)
    response.raise_for_status()
    return response.json()["keys"][0]["kid"]


def base_url(hub: Cyberhub) -> str:
    return f"http://127.0.0.1:{hub.port}/"


def warm_up_upstream(land_settings, land_db, federal: Cyberhub) -> None:
    """Each federal worker checks the Land hub's password once (Argon2, deliberately slow) and
    imports what a first request needs; done before the clock starts, over fresh connections
    so both workers get some."""
    from cyberhub.hub.federation import peers as peer_module
    from cyberhub.hub.storage.models import Peer

    with land_db.session() as session:
        peer = session.get(Peer, UPSTREAM_PEER)
        password = peer_module.password_of(peer, land_settings.secret())
        username = peer.username
    for _ in range(6):
        requests.get(federal.api_root + "collections/", auth=(username, password),
                     headers={"Accept": TAXII, "Connection": "close"}, timeout=60)


def forward_in_process(land_settings, land_db, profile: bool
                       ) -> tuple[dict[str, Any], float, float, str | None]:
    from cyberhub.hub.bootstrap import bootstrap

    hub = bootstrap(land_settings, land_db)
    profiler = cProfile.Profile() if profile else None
    cpu0 = time.process_time()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    seen: list[tuple[int, int]] = []  # (groups, forwards) after each batch

    def progress(r) -> None:
        seen.append((r.groups, r.forwards))

    result = hub.forwarder.run(UPSTREAM_PEER, progress=progress)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    listing = None
    if profiler:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(35)
        listing = stream.getvalue()
    figures = result.as_dict()
    if seen:
        # One progress call per batch of up to 200 groups read (one forward each in older
        # code; as many as the objects' variants need since the batch is packed).
        per_batch = [(g - g0, f - f0) for (g, f), (g0, f0) in zip(seen, [(0, 0), *seen])]
        forwards = sorted(f for _, f in per_batch)
        figures["batches"] = {
            "batches": len(per_batch),
            "forwards_per_batch_median": forwards[len(forwards) // 2],
            "forwards_per_batch_max": forwards[-1],
            "groups_per_forward_mean": round(result.groups / max(1, result.forwards), 1)}
    return figures, seconds, cpu, listing


def forward_cli(land: Cyberhub) -> tuple[dict[str, Any], float, float]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cyberhub", "peers", "forward", UPSTREAM_PEER,
                           "--json"], env=land.env, capture_output=True, text=True, timeout=3600,
                          check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"cyberhub peers forward failed: {done.stderr.strip()[-800:]}")
    data = json.loads(done.stdout)
    result = data[0] if isinstance(data, list) else data
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, seconds, cpu


def log_tail(hub: Cyberhub, lines: int = 30) -> list[str]:
    if hub.log_path is None or not hub.log_path.exists():
        return []
    return hub.log_path.read_text(errors="replace").splitlines()[-lines:]


def log_problems(hub: Cyberhub) -> list[str]:
    if hub.log_path is None or not hub.log_path.exists():
        return []
    return [line for line in hub.log_path.read_text(errors="replace").splitlines()
            if any(w in line for w in ("ERROR", "Traceback", "WARNING", "CRITICAL"))][:20]


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    backend = "postgresql" if args.postgres else "sqlite"
    urls = {name: schema_url(args.postgres, schema) if args.postgres else None
            for name, schema in SCHEMAS.items()}
    pg_version = prepare_postgres(args.postgres) if args.postgres else None
    federal = Cyberhub(workdir / "federal", backend, urls["federal"], workers=2,
                       profile_dir=(workdir / "profile") if args.profile else None)
    land = Cyberhub(workdir / "land", backend, urls["land"], workers=2)
    for hub in (federal, land):
        hub.workdir.mkdir(parents=True)
    figures: dict[str, Any] = {"database": backend, "postgresql_version": pg_version}
    try:
        log(f"{backend}: cyberhub init and serve, two hubs")
        for hub in (federal, land):
            hub.init()
            hub.start()
        land_kid, federal_kid = kid_of(land), kid_of(federal)
        added = federal.cli("peers", "add", DOWNSTREAM_PEER, "--url", base_url(land),
                            "--role", "downstream", "--land", LAND, "--thumbprint", land_kid)
        land.cli("peers", "add", UPSTREAM_PEER, "--url", base_url(federal), "--role",
                 "upstream", "--token", added["enrollment_token"], "--thumbprint", federal_kid)
        log("peered; enrolling towns")
        land_settings, land_db = open_hub_db(land.home, urls["land"])
        _, federal_db = open_hub_db(federal.home, urls["federal"])
        mix = {"green": args.green, "amber": args.amber, "clear": args.clear}
        reports = scenario_reports(args.reports, args.towns, args.seed, mix)
        slugs = sorted({report.town for report in reports})
        towns = enrol_towns(land_db, base_url(land), slugs)
        reports_id = land.cli("info")["collections"]
        reports_id = next(c["id"] for c in reports_id if c.get("alias") == "reports")
        log(f"{len(towns)} towns enrolled; posting {len(reports)} signed reports to the "
            "Land hub")
        figures["fill"] = fill_land_hub(f"{land.api_root}collections/{reports_id}/objects/",
                                        towns, reports, args.clients)
        figures["fill"]["tlp"] = {level: sum(1 for r in reports
                                             if r.description["tlp"] == level)
                                  for level in mix}
        figures["land_reports"] = count_reports(land_db)
        log(f"filled: {figures['fill']}")
        warm_up_upstream(land_settings, land_db, federal)
        figures["idle_wait"] = wait_until_quiet(args.wait_idle)
        # Measured here, after the wait, so that it sees the machine the forwarding sees.
        figures["ed25519_verify_per_s"] = round(ed25519_verifications_per_second())
        before = count_reports(federal_db)
        figures["load_before"] = loadavg()
        machine0 = machine_cpu_seconds()
        meter = CpuMeter(lambda: group_pids(federal.proc.pid))
        land_meter = CpuMeter(lambda: group_pids(land.proc.pid))
        pg_meter = CpuMeter(lambda: pg_backend_pids(args.postgres)) if args.postgres else None
        meter.start()
        land_meter.start()
        if pg_meter:
            pg_meter.start()
        log(f"forwarding ({args.via})")
        listing = None
        if args.via == "cli":
            result, seconds, cpu = forward_cli(land)
        else:
            result, seconds, cpu, listing = forward_in_process(land_settings, land_db,
                                                               args.profile)
        figures["federal_server_cpu_s"] = round(meter.stop(), 2)
        figures["land_server_cpu_s"] = round(land_meter.stop(), 2)
        figures["machine_cpu_s"] = round(machine_cpu_seconds() - machine0, 2)
        # Both hubs' PostgreSQL backends (one database): their CPU is not the servers'.
        figures["postgres_backends_cpu_s"] = round(pg_meter.stop(), 2) if pg_meter else 0.0
        figures["load_after"] = loadavg()
        figures["ed25519_verify_per_s_after"] = round(ed25519_verifications_per_second())
        after = count_reports(federal_db)
        stored = after["objects"] - before["objects"]
        # CPU of whatever else ran on the machine meanwhile (another user's tests, say)
        figures["other_cpu_s"] = round(figures["machine_cpu_s"] - figures["federal_server_cpu_s"]
                                       - figures["land_server_cpu_s"] - cpu
                                       - figures["postgres_backends_cpu_s"], 2)
        figures.update({
            "via": args.via, "forward_seconds": round(seconds, 3),
            "forwarder_cpu_s": round(cpu, 2), "result": result,
            "federal_before": before, "federal_after": after, "stored_objects": stored,
            "stored_signatures": after["signatures"] - before["signatures"],
            "objects_per_s": round(stored / seconds, 1),
            "sent_objects_per_s": round(result["objects"] / seconds, 1),
            "groups_per_s": round(result["groups"] / seconds, 1),
        })
        # The forwarder waits while the upstream works: the run is one chain of CPU work.
        # Objects per second of that chain's CPU is what a quiet machine would come close to.
        chain = cpu + figures["federal_server_cpu_s"] + figures["postgres_backends_cpu_s"]
        figures["objects_per_chain_cpu_s"] = round(stored / chain, 1) if chain else None
        # Nothing may be left: a second run finds no pending group.
        _, land_db2 = open_hub_db(land.home, urls["land"])
        from cyberhub.hub.bootstrap import bootstrap
        again = bootstrap(land_settings, land_db2).forwarder.run(UPSTREAM_PEER).as_dict()
        figures["second_run"] = {k: again[k] for k in ("forwards", "groups", "objects",
                                                       "refused", "errors")}
        land_db2.dispose()
        figures["federal_log_problems"] = log_problems(federal)
        figures["land_log_problems"] = log_problems(land)
        if listing:
            figures["forwarder_profile"] = _relative_paths(listing).splitlines()
        land_db.dispose()
        federal_db.dispose()
    except BaseException:
        for hub in (federal, land):
            tail = log_tail(hub)
            if tail:
                print(f"--- {hub.workdir.name} server log (end) ---", file=sys.stderr)
                print("\n".join(tail), file=sys.stderr)
        raise
    finally:
        for hub in (federal, land):
            hub.stop()
    if args.profile:
        figures["federal_profile"] = summarise_server_profile(workdir / "profile")
    if args.postgres and not args.keep:
        drop_postgres(args.postgres)
    return figures


def summarise_server_profile(profile_dir: Path) -> list[str] | None:
    """The federal server's requests (CPU time of the serving threads), merged."""
    files = sorted(profile_dir.glob("POST-*.prof")) + sorted(profile_dir.glob("GET-*.prof"))
    files = [f for f in files if f.stat().st_size]
    if not files:
        return None
    stream = io.StringIO()
    stats = pstats.Stats(str(files[0]), stream=stream)
    for extra in files[1:]:
        stats.add(str(extra))
    stats.sort_stats("cumulative").print_stats(50)
    stats.sort_stats("tottime").print_stats(35)
    return _relative_paths(stream.getvalue()).splitlines()


def _relative_paths(listing: str) -> str:
    """A pstats listing without this machine's paths (the repository, site-packages, the
    standard library, the scratch directory)."""
    import sysconfig

    prefixes = sorted({str(REPO) + "/", sysconfig.get_paths()["purelib"] + "/",
                       sysconfig.get_paths()["stdlib"] + "/", str(WORK) + "/"},
                      key=len, reverse=True)
    for prefix in prefixes:
        listing = listing.replace(prefix, "")
    return listing


# --- results ------------------------------------------------------------------------------

def verdict(run: dict[str, Any]) -> str:
    if run["database"] != "sqlite":
        return "(recorded, no target)"
    ok = run["objects_per_s"] >= TARGET and run["result"]["refused"] == 0 \
        and not run["result"]["errors"]
    return "**PASS**" if ok else "**FAIL**"


def record(results_by_db: dict[str, dict[str, Any]]) -> None:
    rows = []
    for name in ("sqlite", "postgresql"):
        found = results_by_db.get(name)
        if not found:
            continue
        r = found["run"]
        res = r["result"]
        median = (f" ({res['groups'] / res['forwards']:.0f} per forward)"
                  if res["forwards"] else "")
        rows.append(
            f"| {name} | {found['date'][:16].replace('T', ' ')} UTC, {found['git']['commit']}"
            f"{'+' if found['git']['cyberhub_modified'] else ''} | "
            f"{r['fill']['reports']:,} ({found['towns']} towns) | "
            f"{r['stored_objects']:,} | {res['objects']:,} | {res['forwards']} / "
            f"{res['groups']:,}{median} | {res['refused']} | {r['forward_seconds']:.1f} s | "
            f"**{r['objects_per_s']:,.0f}** | {r['objects_per_s_normalised']:,.0f} | "
            f"{r['forwarder_cpu_s']:.1f} / {r['federal_server_cpu_s']:.1f} / "
            f"{r.get('postgres_backends_cpu_s', 0):.1f} / {r.get('other_cpu_s', 0):.1f} s | "
            f"{r['load_before'][0]:.2f} → {r['load_after'][0]:.2f} | {verdict(r)} |")
    newest = max(results_by_db.values(), key=lambda f: f["date"])
    verify = ", ".join(f"{name} run {found['ed25519_verify_per_s']:,.0f}"
                       for name, found in results_by_db.items())
    header = ("| database | run | reports | stored upstream | sent | forwards / groups "
              "| refused | wall time | objects/s | normalised to 9,700 verif./s | "
              "CPU | load | ≥ 1,000 obj/s (SQLite) |")
    lines = [BEGIN,
             (f"Written by `federation_bench.py --record` (commit+ = cyberhub/ modified in the "
              f"working tree). Python {newest['python']}, SQLite {newest['sqlite']}, "
              f"{newest['nproc']} cores; Ed25519 verifications/s on one core: {verify}. Both "
              "hubs `cyberhub serve --workers 2`, forwarding in the harness's process; CPU "
              "in seconds during the forwarding run: forwarder / federal server / PostgreSQL "
              "backends of both hubs / anything else on the machine."), "",
             header,
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    lines += rows
    sqlite_run = results_by_db.get("sqlite")
    if sqlite_run:
        r = sqlite_run["run"]
        chain = r.get("objects_per_chain_cpu_s")
        lines += ["", (f"Verdict: {r['objects_per_s']:,.0f} objects/s forwarded on SQLite "
                       f"against the target of ≥ {TARGET:,.0f} — {verdict(r)} "
                       f"(load average {r['load_before'][0]:.2f} before, "
                       f"{r['load_after'][0]:.2f} after"
                       + (f"; {chain:,.0f} objects per CPU second of forwarder and federal "
                          "server together, what a quiet machine would come close to"
                          if chain else "") + ").")]
    lines.append(END)
    block = "\n".join(lines)
    text = RESULTS_MD.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + f"\n\n\n{SECTION}\n\n" + block + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--towns", type=int, default=50)
    parser.add_argument("--green", type=float, default=0.75, help="share of TLP:GREEN")
    parser.add_argument("--amber", type=float, default=0.2, help="share of TLP:AMBER")
    parser.add_argument("--clear", type=float, default=0.05, help="share of TLP:CLEAR")
    parser.add_argument("--clients", type=int, default=2, help="threads filling the Land hub")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL instead of SQLite: two schemas of this database "
                        "(its name must contain 'bench'; only the schemas "
                        f"{', '.join(SCHEMAS.values())} are touched)")
    parser.add_argument("--via", choices=("inprocess", "cli"), default="inprocess",
                        help="forward in this process (default) or with `cyberhub peers "
                        "forward --json`")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the forwarder (in process) and the federal server's "
                        "requests; the listings go into results/federation-<db>-profile.json, "
                        "RESULTS.md is not touched")
    parser.add_argument("--wait-idle", type=float, default=60, metavar="S",
                        help="wait up to S seconds for the machine to be idle before "
                        "forwarding (default 60)")
    parser.add_argument("--record", action="store_true", help="update RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the hubs' scratch directory")
    args = parser.parse_args()
    if args.profile and args.via == "cli":
        parser.error("--profile forwards in process")
    import sqlalchemy  # noqa: F401

    WORK.mkdir(exist_ok=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    backend = "postgresql" if args.postgres else "sqlite"
    git = git_state()
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    workdir = Path(tempfile.mkdtemp(dir=WORK, prefix=f"federation-{backend}-"))
    try:
        figures = run(args, workdir)
    finally:
        if args.keep:
            log(f"kept {workdir.relative_to(REPO)}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    # Two 1-s samples (before and after the forwarding run); the higher is the machine's
    # speed with the least other work on it, the lower is what contention did to it.
    verify_rate = max(figures["ed25519_verify_per_s"], figures["ed25519_verify_per_s_after"])
    figures["objects_per_s_normalised"] = round(
        figures["objects_per_s"] * REFERENCE_VERIFY / verify_rate, 1)
    results = {
        "date": date, "git": git, "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "nproc": os.cpu_count(),
        "platform": platform.platform(), "ed25519_verify_per_s": round(verify_rate),
        "reference_verify_per_s": REFERENCE_VERIFY, "target_objects_per_s": TARGET,
        "reports": args.reports, "towns": args.towns, "seed": args.seed,
        "tlp_mix": {"green": args.green, "amber": args.amber, "clear": args.clear},
        "profiled": args.profile, "run": figures,
    }
    suffix = "-profile" if args.profile else ""
    out = RESULTS_DIR / f"federation-{backend}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.record and not args.profile:
        recorded = {}
        for name in ("sqlite", "postgresql"):
            path = RESULTS_DIR / f"federation-{name}.json"
            if path.exists():
                recorded[name] = json.loads(path.read_text(encoding="utf-8"))
        record(recorded)
    res = figures["result"]
    print(f"federation {backend}: {figures['stored_objects']:,} objects stored upstream in "
          f"{figures['forward_seconds']:.2f} s = {figures['objects_per_s']:,.0f} objects/s "
          f"(normalised {figures['objects_per_s_normalised']:,.0f}; sent {res['objects']:,} in "
          f"{res['forwards']} forwards of {res['groups']:,} groups, refused {res['refused']}, "
          f"errors {len(res['errors'])}; Ed25519 {verify_rate:,.0f}/s; load "
          f"{figures['load_before'][0]:.2f}->{figures['load_after'][0]:.2f}) "
          f"{verdict(figures) if not args.profile else '(profiled)'}")


if __name__ == "__main__":
    main()

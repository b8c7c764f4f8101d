#!/usr/bin/env python3
"""Correlation (issue 5): accuracy, incremental latency, full pass, and time to a readable campaign.

Four measurements, each on the database the run is for (SQLite by default, PostgreSQL with
`--database-url`):

1. **Accuracy.** Seeds 1..10 of `cyberhub.demo.scenarios.generate(seed)` (30 towns, 21 days, 8
   campaigns of the 4 shapes) are replayed through a fresh hub each (`hub.initialise`, the
   Correlator built by the hub's bootstrap, `scenarios.replay`: index and detect
   after every report, as the hub does after every POST). Recall and precision of campaigns use
   the matching rule of `score_against_truth` (the test helper itself is called too, and must
   agree). Seeds 101..105 with `campaigns=0` (noise only) must give no campaign at all.
2. **Incremental latency with 1,000,000 index rows.** 300 towns (accounts and nodes inserted
   with SQLAlchemy Core: `nodes.add_node` hashes a password with Argon2 for each), then
   1,000,000 `observations` rows (and their `key_stats` counts) from a seeded generator: about 10
   keys per incident over 90 days, most of them one-off (attacker addresses, hashes, domains,
   e-mail addresses, URLs), 2-6-incident shared keys, a few keys in thousands of incidents
   (internet scanners, famous CVEs, ATT&CK techniques: above `max_postings`), warning-listed keys
   (8.8.8.8, windowsupdate.com), some hosting addresses in 11-45 incidents, and planted campaigns
   (3-8 towns within 4 days). Then 200 new town reports built with `scenarios.stix_report`
   (noise and campaign-shaped, a quarter of the noise and two of the campaigns sharing keys with
   the loaded index) go through the hub's path one by one: `correlator.index` in a write
   transaction, then `correlator.detect(db, touched)`. Median / p95 / max in ms.
3. **Full pass.** `correlator.full_pass(db)` (what `cyberhub campaigns rescan` and the scheduler
   run) in a child process, at 250,000 rows (the first quarter of the same stream) and at
   1,000,000 rows, twice at 1M: the first pass publishes what the new rows changed, the second is
   the steady state. The child reports its own peak RSS (`VmHWM`) and its RSS before the pass.
4. **Readable within 2 s.** `cyberhub serve --workers 2` on the same database (the 1M-row
   index); three towns enrol over HTTP (`/nodes/enroll`, Ed25519 keys) and post signed phishing
   reports that share a fresh attachment hash; the clock runs from the start of the third town's
   POST until a GET of the `campaigns` collection (admin) returns the campaign object and its
   `related-to` relationship to the third town's incident. Repeated with fresh hashes.

Two options (issue 14) run all of it in the conditions the feed sync brings:
- `--misp-lists`: every hub the run builds (each accuracy replay's, the index's, the full-pass
  children's and `cyberhub serve`'s) has the shipped `feeds/misp-warninglists.toml` feed run
  into its database once, right after the database is initialised, so the hub's bootstrap
  loads the community's lists from the database as a hub with the feed does; each asserts
  that they are in force. The generated index rows are marked with those lists too.
- `--feed-entries N`: before the incremental measurement, N `feed_entries` rows of one
  synthetic feed (the issue's figure: 1,000,000) are inserted with Core, keys in the index's
  key form; 2 % of them are keys the loaded index or the new reports carry, so the feed
  context looked up when a campaign's explanation is written (`correlation.context`) hits.
Both are recorded in the results (`options`) and in the generated RESULTS.md block.

Run:  .venv/bin/python benchmarks/correlation_bench.py [--quick] [--record]
                 [--database-url postgresql://cyberhub:cyberhub@127.0.0.1/cyberhub_bench]
                 [--misp-lists] [--feed-entries 1000000]
Writes benchmarks/results/correlation-<database>[-quick].json; `--record` also rewrites the
generated block of benchmarks/RESULTS.md (it shows the newest full run of each database).
The PostgreSQL database's name must contain "bench": it is emptied (DROP SCHEMA) several times.
Targets: recall and precision >= 0.95, no campaign from noise; incremental median <= 20 ms;
full pass <= 120 s with memory that does not grow with the index; readable <= 2 s.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from taxii_bench import (
    DEFAULT_PG_URL,
    RESULTS_DIR,
    RESULTS_MD,
    TAXII,
    WORK,
    Cyberhub,
    busy_percent,
    git_info,
    loadavg,
    machine_info,
    percentile,
    reset_postgres,
)

PY_SPY = str(Path(sys.executable).parent / "py-spy")  # installed beside this interpreter
MARK_BEGIN = "<!-- correlation_bench:begin (generated by benchmarks/correlation_bench.py) -->"
MARK_END = "<!-- correlation_bench:end -->"
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.95
TARGET_INCREMENTAL_MEDIAN_MS = 20.0
TARGET_FULL_PASS_S = 120.0
TARGET_READABLE_S = 2.0
DAY_US = 86_400 * 1_000_000
# The loaded index covers the 90 days before END; the new reports come in the 4 days after it.
END = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
END_US = int(END.timestamp() * 1_000_000)
# --misp-lists: the shipped feed file, and a value only its lists cover (Cloudflare's range).
MISP_LISTS_FEED = REPO / "feeds" / "misp-warninglists.toml"
MISP_PROBE = ("ipv4", "104.16.124.96")
# --feed-entries: the synthetic feed, and the share of its entries that the index or the new
# reports carry (the rest are values no town reported).
BENCH_FEED = "bench-synthetic"
FEED_HIT_SHARE = 0.02
# What each --misp-lists run into a database of this process read and took.
MISP_LOADS: list[dict[str, Any]] = []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def ms_summary(seconds: list[float]) -> dict[str, Any]:
    values = [s * 1000 for s in seconds]
    return {"n": len(values), "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 95), 2), "max_ms": round(max(values), 2),
            "mean_ms": round(statistics.fmean(values), 2), "min_ms": round(min(values), 2)}


def code_version() -> dict[str, Any]:
    """git HEAD, and a hash of the correlation code as it is in the working tree (it may be
    uncommitted, which `git diff` does not show for new files)."""
    digest = hashlib.sha256()
    files = sorted((REPO / "cyberhub" / "hub" / "correlation").glob("*.py")) + [
        REPO / "cyberhub" / "demo" / "scenarios.py",
        REPO / "cyberhub" / "hub" / "services" / "ingest.py",
        REPO / "cyberhub" / "hub" / "bootstrap.py",
        REPO / "cyberhub" / "hub" / "web" / "taxii" / "object_endpoints.py"]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return {**git_info(), "correlation_code_sha256": digest.hexdigest()[:16]}


# ---------------------------------------------------------------------------------------------
# A hub in this process


class LocalHub:
    """A hub's settings, database and Correlator, built by the hub's bootstrap as every entry
    point builds them."""

    def __init__(self, home: Path, database_url: str, *, initialise: bool,
                 misp_lists: bool = False) -> None:
        from cyberhub.core import timestamps
        from cyberhub.hub import setup
        from cyberhub.hub.bootstrap import bootstrap
        from cyberhub.hub.settings import load_settings
        from cyberhub.hub.storage.database import Database

        self.settings = load_settings({"home": str(home), "database_url": database_url},
                                      environ={})
        self.db = Database(self.settings.effective_database_url)
        if initialise:
            setup.initialise(self.settings, self.db, now=timestamps.now_us())
        if misp_lists:
            load_misp_lists(self.db)
        self.correlator = bootstrap(self.settings, self.db).correlator
        if misp_lists:
            assert_misp_lists(self.correlator.lists)

    def close(self) -> None:
        self.db.dispose()


def load_misp_lists(db: Any) -> None:
    """Run the shipped MISP warning-list feed into this database, once (a database that has
    its lists already is left alone), as `cyberhub warninglists update` runs it: the run
    claimed, then the feed's own run. The hub's bootstrap then loads them from the database."""
    from sqlalchemy import func, select

    from cyberhub.core import timestamps
    from cyberhub.hub.feeds import definitions, schedule, warninglist_sync
    from cyberhub.hub.storage.models import WarninglistRecord

    feed = definitions.load_file(MISP_LISTS_FEED)
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(WarninglistRecord).where(
                WarninglistRecord.feed == feed.name)):
            return
    start = time.perf_counter()
    now = timestamps.now_us()
    with db.writing() as session:
        if not schedule.claim(session, feed, now=now, force=True):
            raise RuntimeError(f"feed {feed.name} is held by another process")
    result = warninglist_sync.run(db, feed, now=now)
    if result.failed or not result.added:
        raise RuntimeError(f"the {feed.name} feed did not run: {result.counts()}")
    with db.session() as session:
        entries = session.scalar(select(func.sum(WarninglistRecord.count)).where(
            WarninglistRecord.feed == feed.name))
    MISP_LOADS.append({"lists": result.added, "entries": entries,
                       "lists_or_entries_not_used": result.skipped,
                       "seconds": round(time.perf_counter() - start, 2)})


def assert_misp_lists(lists: Any) -> str:
    """The MISP lists are in force in this hub's Correlator (they cover the probe; the hub's
    own lists do not)."""
    name = lists.listed(*MISP_PROBE)
    if not name:
        raise RuntimeError(f"the MISP warning lists are not in force: {MISP_PROBE} not listed")
    return name


def misp_lists_summary(probe: str) -> dict[str, Any]:
    loads = MISP_LOADS
    return {"feed_file": str(MISP_LISTS_FEED.relative_to(REPO)), "databases": len(loads),
            "lists": sorted({one["lists"] for one in loads}),
            "entries": sorted({one["entries"] for one in loads}),
            "lists_or_entries_not_used": sorted({one["lists_or_entries_not_used"]
                                                 for one in loads}),
            "run_seconds_median": statistics.median(one["seconds"] for one in loads)
            if loads else None,
            "probe": {"key": ":".join(MISP_PROBE), "listed_by": probe}}


def fresh_database(backend: str, pg_url: str | None, workdir: Path) -> str:
    if backend == "postgresql":
        reset_postgres(pg_url)
        return pg_url
    return f"sqlite:///{workdir / 'hub.db'}"


# ---------------------------------------------------------------------------------------------
# 1. Accuracy


def active_campaigns(db: Any) -> list[tuple[tuple[str, ...], float]]:
    from sqlalchemy import select

    from cyberhub.hub.storage.models import CampaignRecord

    with db.session() as session:
        return sorted((tuple(sorted(json.loads(r.incidents))), r.score) for r in session.scalars(
            select(CampaignRecord).where(CampaignRecord.state == "active")))


def score_detail(detected: list[tuple[tuple[str, ...], float]], names: dict[str, str],
                 truth: dict[str, set[str]]) -> dict[str, Any]:
    """The rule of tests/hub/correlation/conftest.py:score_against_truth, keeping the details: a
    detected campaign matches the injected one most of its incidents belong to when at least
    80 % of its incidents are that campaign's and it holds at least 80 % of that campaign."""
    matched: set[str] = set()
    correct = 0
    unmatched = []
    for incidents, score in detected:
        labels = [names.get(i, i) for i in incidents]
        best = max(truth, key=lambda c: len(truth[c] & set(labels)), default=None)
        if best is None:
            unmatched.append({"incidents": len(labels), "score": score, "best": None})
            continue
        inside = len(truth[best] & set(labels))
        if inside / len(labels) >= 0.8 and inside / len(truth[best]) >= 0.8:
            correct += 1
            matched.add(best)
        else:
            unmatched.append({"incidents": len(labels), "score": score, "best": best,
                              "of_best": inside, "best_size": len(truth[best])})
    recall = len(matched) / len(truth) if truth else 1.0
    precision = correct / len(detected) if detected else 1.0
    return {"recall": recall, "precision": precision, "injected": len(truth),
            "detected": len(detected), "correct": correct, "matched": sorted(matched),
            "missed": sorted(set(truth) - matched), "wrong": unmatched}


def describe_error(exc: BaseException) -> str:
    """The exception in one line: the DBAPI error under SQLAlchemy's wrapper, if any."""
    inner = getattr(exc, "orig", None) or exc
    return f"{type(exc).__name__}: {(str(inner).splitlines() or [''])[0][:300]}"


def replay_like_hub(db: Any, scenario: Any, correlator: Any
                    ) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """`scenarios.replay`, except that a failing detect is recorded and the replay goes on, as
    the hub does after a POST (web.Hub.correlate logs the exception; the report stays stored)."""
    from cyberhub.core import timestamps
    from cyberhub.demo import scenarios

    identities = scenarios.add_towns(db, scenario)
    names: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    for number, report in enumerate(scenario.reports):
        identity = identities[report.town]
        objects = scenarios.stix_report(report, identity)
        incident = next(o["id"] for o in objects if o["type"] == "incident")
        names[incident] = f"{report.town}/{report.description['incident']}"
        with db.writing() as session:
            touched = correlator.index(session, [(identity["id"], objects)], timestamps.now_us())
        if touched:
            try:
                correlator.detect(db, touched)
            except Exception as exc:  # noqa: BLE001 - recorded, as the hub logs it
                errors.append({"report": number, "campaign": report.campaign,
                               "incident": names[incident],
                               "error": describe_error(exc)})
    return names, errors


def accuracy(backend: str, pg_url: str | None, seeds: list[int], noise_seeds: list[int],
             workdir: Path, misp_lists: bool = False) -> dict[str, Any]:
    from hub.correlation.conftest import score_against_truth  # the tests' own scorer

    from cyberhub.demo import scenarios

    runs = []
    for seed, campaigns in [(s, 8) for s in seeds] + [(s, 0) for s in noise_seeds]:
        with tempfile.TemporaryDirectory(dir=workdir, prefix=f"accuracy-{seed}-") as tmp:
            url = fresh_database(backend, pg_url, Path(tmp))
            local = LocalHub(Path(tmp) / "home", url, initialise=True,
                             misp_lists=misp_lists)
            try:
                scenario = scenarios.generate(seed, campaigns=campaigns)
                start = time.perf_counter()
                names, errors = replay_like_hub(local.db, scenario, local.correlator)
                seconds = time.perf_counter() - start
                truth = scenario.truth()
                detail = score_detail(active_campaigns(local.db), names, truth)
                recall, precision = score_against_truth(local.db, names, truth)
                if (recall, precision) != (detail["recall"], detail["precision"]):
                    raise RuntimeError(f"seed {seed}: this scorer and the tests' disagree: "
                                       f"{(recall, precision)} vs {detail}")
                # The scheduler's full pass afterwards should find exactly the same campaigns.
                try:
                    _, written = local.correlator.full_pass(local.db)
                    again = score_detail(active_campaigns(local.db), names, truth)
                    after = {"campaigns_written": len(written), "recall": again["recall"],
                             "precision": again["precision"], "detected": again["detected"]}
                except Exception as exc:  # noqa: BLE001 - recorded
                    after = {"error": describe_error(exc)}
            finally:
                local.close()
        run = {"seed": seed, "campaigns_injected": campaigns, "reports": len(scenario.reports),
               "replay_seconds": round(seconds, 1), **detail, "detect_errors": len(errors),
               "detect_error_examples": errors[:3], "after_full_pass": after}
        runs.append(run)
        log(f"accuracy seed {seed} ({'noise only' if not campaigns else '8 campaigns'}): "
            f"{len(scenario.reports)} reports in {seconds:.1f} s; detected "
            f"{detail['detected']}, recall {detail['recall']:.3f}, precision "
            f"{detail['precision']:.3f}" + (f"; missed {detail['missed']}" if detail['missed']
                                             else "")
            + (f"; wrong {detail['wrong']}" if detail["wrong"] else "")
            + (f"; {len(errors)} detect error(s), first: {errors[0]}" if errors else "")
            + f"; full pass afterwards: {after}")
    with_campaigns = [r for r in runs if r["campaigns_injected"]]
    noise = [r for r in runs if not r["campaigns_injected"]]
    injected = sum(r["injected"] for r in with_campaigns)
    matched = sum(len(r["matched"]) for r in with_campaigns)
    detected = sum(r["detected"] for r in with_campaigns)
    correct = sum(r["correct"] for r in with_campaigns)
    shapes: dict[str, list[int]] = {shape: [0, 0] for shape in scenarios.SHAPES}
    for run in with_campaigns:
        for name in run["matched"] + run["missed"]:
            shape = name.split("-", 2)[2]
            shapes[shape][1] += 1
            shapes[shape][0] += name in run["matched"]
    return {
        "seeds": seeds, "noise_seeds": noise_seeds, "runs": runs,
        "recall": round(matched / injected, 4) if injected else None,
        "precision": round(correct / detected, 4) if detected else None,
        "injected": injected, "matched": matched, "detected": detected, "correct": correct,
        "recall_by_shape": {s: {"found": f, "injected": n, "recall": round(f / n, 4) if n
                                else None} for s, (f, n) in shapes.items()},
        "noise_campaigns": sum(r["detected"] for r in noise),
        "detect_errors": sum(r["detect_errors"] for r in runs),
        "seeds_with_detect_errors": [r["seed"] for r in runs if r["detect_errors"]],
        "full_pass_afterwards_wrote": sum(r["after_full_pass"].get("campaigns_written", 0)
                                          for r in runs),
        "full_pass_afterwards_errors": [r["seed"] for r in runs
                                        if "error" in r["after_full_pass"]],
        "min_seed_recall": min((r["recall"] for r in with_campaigns), default=None),
        "min_seed_precision": min((r["precision"] for r in with_campaigns), default=None),
    }


# ---------------------------------------------------------------------------------------------
# 2./3. A large index


SYLLABLES = ("rech", "nung", "post", "stadt", "werk", "kasse", "amt", "portal", "zahl", "info",
             "mail", "konto", "sich", "daten", "bank", "cloud", "login", "netz")
TLDS = ("com", "net", "info", "xyz", "top", "ru", "cn", "de", "org", "biz")
# First octets of ordinary public address space (no warning-listed range among them).
PUBLIC_OCTETS = (5, 31, 37, 45, 46, 62, 77, 78, 79, 81, 83, 84, 85, 87, 88, 89, 91, 92, 93, 94,
                 95, 103, 104, 109, 141, 146, 176, 178, 188, 193, 194, 195, 212, 213, 217)
TECHNIQUES = ("T1110", "T1566.001", "T1595.002", "T1190", "T1204.002", "T1071.001", "T1110.003",
              "T1078", "T1059.001", "T1486", "T1021.001", "T1133", "T1003.001", "T1055",
              "T1105", "T1547.001", "T1027", "T1036", "T1218", "T1562.001", "T1046", "T1083",
              "T1082", "T1018", "T1490", "T1567", "T1048", "T1114", "T1098", "T1136")
MALWARE = ("emotet", "agenttesla", "formbook", "qakbot", "lockbit", "cobaltstrike", "asyncrat",
           "remcos", "redline", "icedid", "njrat", "lokibot")


class Keys:
    """Key texts in the canonical form of cyberhub.hub.correlation.index_keys (checked by
    self_check)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def ip(self) -> str:
        r = self.rng
        return (f"{r.choice(PUBLIC_OCTETS)}.{r.randrange(256)}.{r.randrange(256)}."
                f"{r.randrange(1, 255)}")

    @staticmethod
    def ip_keys(ip: str) -> list[tuple[str, str]]:
        return [("ipv4", ip), ("ipv4-24", ip.rsplit(".", 1)[0] + ".0/24")]

    def domain(self) -> str:
        self.counter += 1
        name = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 3)))
        return f"{name}-{self.counter}.{self.rng.choice(TLDS)}"

    @staticmethod
    def domain_keys(domain: str) -> list[tuple[str, str]]:
        return [("domain", domain), ("regdomain", domain)]

    @staticmethod
    def email_keys(address: str) -> list[tuple[str, str]]:
        domain = address.split("@", 1)[1]
        return [("email", address)] + Keys.domain_keys(domain)

    def url_keys(self) -> list[tuple[str, str]]:
        domain = self.domain()
        host = f"cdn{self.rng.randrange(100)}.{domain}"
        url = f"https://{host}/{self.rng.getrandbits(48):012x}/invoice.php"
        return [("url", url), ("domain", host), ("regdomain", domain)]

    def sha256(self) -> str:
        return "%064x" % self.rng.getrandbits(256)

    def md5(self) -> str:
        return "%032x" % self.rng.getrandbits(128)

    def one_off(self) -> list[tuple[str, str]]:
        kind = self.rng.choices(("ipv4", "sha256", "domain", "email", "url", "md5"),
                                weights=(35, 25, 15, 10, 10, 5))[0]
        if kind == "ipv4":
            return self.ip_keys(self.ip())
        if kind == "sha256":
            return [("hash", f"SHA-256:{self.sha256()}")]
        if kind == "md5":
            return [("hash", f"MD5:{self.md5()}")]
        if kind == "domain":
            return self.domain_keys(self.domain())
        if kind == "email":
            return self.email_keys(f"{self.rng.choice(('info', 'rechnung', 'hr'))}@"
                                   f"{self.domain()}")
        return self.url_keys()


def self_check_key_forms() -> None:
    """The generator's key texts are what the hub's own extraction gives for the same values."""
    from cyberhub.hub.correlation import index_keys as extract

    gen = Keys(random.Random(1))
    ip = gen.ip()
    assert extract.ip_keys(ip) == Keys.ip_keys(ip), (extract.ip_keys(ip), Keys.ip_keys(ip))
    domain = gen.domain()
    assert extract.domain_keys(domain) == Keys.domain_keys(domain), extract.domain_keys(domain)
    assert extract.email_keys(f"info@{domain}") == Keys.email_keys(f"info@{domain}")
    url_keys = gen.url_keys()
    assert extract.url_keys(url_keys[0][1]) == url_keys, (extract.url_keys(url_keys[0][1]),
                                                          url_keys)
    digest = gen.sha256()
    assert extract.hash_key("SHA-256", digest) == ("hash", f"SHA-256:{digest}")
    # The synthetic feed's keys (--feed-entries) too.
    rng = random.Random(1)
    for prefix, _ in FEED_KINDS:
        key = feed_key(rng, prefix, 1)
        kind, value = key.split(":", 1)
        made = {"ipv4": extract.ip_keys, "domain": extract.domain_keys,
                "url": extract.url_keys}[kind](value)[0] if kind != "hash" else \
            extract.hash_key("SHA-256", value.split(":", 1)[1])
        assert made == (kind, value), (made, key)


class IndexData:
    """A seeded stream of index rows (dicts for `observations`), with what it is made of."""

    def __init__(self, seed: int, total_rows: int, node_ids: list[int], lists: Any) -> None:
        from cyberhub.demo.scenarios import SCANNERS

        self.rng = rng = random.Random(seed)
        self.keys = Keys(rng)
        self.total_rows = total_rows
        self.node_ids = node_ids
        self.lists = lists
        self.incidents = int(total_rows / 10.2) + 1
        n = self.incidents
        self.node_of = [rng.choice(node_ids) for _ in range(n)]
        self.seen_of = [END_US - rng.randrange(90 * DAY_US) for _ in range(n)]
        self.extra: dict[int, list[tuple[str, str]]] = defaultdict(list)
        self.stats: Counter = Counter()
        self.pools: dict[str, list[Any]] = defaultdict(list)
        self._listed: dict[tuple[str, str], str | None] = {}
        # The scenarios' scanners (the new reports carry them) and 32 more in four /24s.
        self.scanners = list(SCANNERS) + [f"{a}.{b}.{c}.{d}" for a, b, c in (
            (45, 83, 64), (89, 248, 165), (193, 163, 125), (146, 88, 240))
            for d in (1, 11, 21, 31, 41, 51, 61, 71)]
        self.famous_cves = ("CVE-2021-44228", "CVE-2023-4966")
        self.rare_cves = [f"CVE-2024-{20000 + i}" for i in range(100)]
        self._plan_shared(n)
        self._plan_mid(n)
        self._plan_campaigns(n)

    # -- plans: keys that several incidents share ------------------------------------------
    def _shared_value(self, kind: str) -> list[tuple[str, str]]:
        k = self.keys
        if kind == "ipv4":
            ip = k.ip()
            self.pools["shared_ipv4"].append(ip)
            return k.ip_keys(ip)
        if kind == "hash":
            digest = k.sha256()
            self.pools["shared_hash"].append(digest)
            return [("hash", f"SHA-256:{digest}")]
        if kind == "domain":
            domain = k.domain()
            self.pools["shared_domain"].append(domain)
            return k.domain_keys(domain)
        return k.email_keys(f"noreply@{k.domain()}")

    def _plan_shared(self, n: int) -> None:
        """Keys in 2-6 incidents: the same town's follow-ups; towns at random times; towns
        weeks apart (never linked); two towns within a week (a linked pair, no campaign)."""
        rng = self.rng
        by_node: dict[int, list[int]] = defaultdict(list)
        for i, node in enumerate(self.node_of):
            by_node[node].append(i)
        for _ in range(int(n * 0.12)):
            size = rng.choices((2, 3, 4, 5, 6), weights=(45, 25, 15, 10, 5))[0]
            how = rng.choices(("same-town", "spread", "spaced", "pair-in-week"),
                              weights=(45, 15, 25, 15))[0]
            kind = rng.choices(("ipv4", "hash", "domain", "email"), weights=(40, 30, 20, 10))[0]
            if how == "same-town":
                pool = by_node[rng.choice(self.node_ids)]
                members = rng.sample(pool, min(size, len(pool)))
            elif how == "spread":
                members = rng.sample(range(n), size)
            elif how == "spaced":  # the same infrastructure again weeks later: never linked
                members = rng.sample(range(n), size)
                at = END_US - 90 * DAY_US + rng.randrange((90 - 15 * (size - 1)) * DAY_US)
                for member in members:
                    self.seen_of[member] = at
                    at += rng.randrange(8 * DAY_US, 15 * DAY_US)
            else:
                first = rng.randrange(n)
                other = rng.randrange(n)
                self.seen_of[other] = self.seen_of[first] + rng.randrange(-5 * DAY_US,
                                                                           5 * DAY_US)
                members = [first, other]
            keys = self._shared_value(kind)
            for member in members:
                self.extra[member] += keys
            self.stats[f"shared_keys_{how}"] += 1
            self.stats["shared_postings"] += len(members)

    def _plan_mid(self, n: int) -> None:
        """Hosting addresses and networks in 11-45 incidents: they link while rare enough."""
        rng = self.rng
        count = max(2, round(40 * n / 98_000))  # 40 per 1,000,000 rows
        for number in range(count):
            size = rng.randint(11, 45)
            ip = self.keys.ip()
            keys = [("ipv4", ip)] if number % 8 < 5 else [("ipv4-24",
                                                        ip.rsplit(".", 1)[0] + ".0/24")]
            if number % 8 < 5:
                self.pools["mid_ipv4"].append(ip)
            for member in rng.sample(range(n), size):
                self.extra[member] += keys
            self.stats["mid_keys"] += 1
            self.stats["mid_postings"] += size

    def _plan_campaigns(self, n: int) -> None:
        """Campaigns: 3-8 towns within 4 days sharing a C2 address and domain, an attachment,
        addresses of one /24, or a rare CVE. The last 8 end in the days before END."""
        rng = self.rng
        shapes = ("shared-c2", "phishing", "spraying", "cve")
        count = max(12, round(60 * n / 98_000))  # 60 per 1,000,000 rows
        for number in range(count):
            shape = shapes[number % 4]
            towns = rng.sample(self.node_ids, rng.randint(3, 8))
            members = rng.sample(range(n), len(towns))
            start = (END_US - rng.randrange(3 * DAY_US, 5 * DAY_US) if number >= count - 8
                     else END_US - rng.randrange(5 * DAY_US, 88 * DAY_US))
            subnet = self.keys.ip().rsplit(".", 1)[0]
            c2_ip, c2_domain, attachment = self.keys.ip(), self.keys.domain(), self.keys.sha256()
            cve = f"CVE-2025-{30000 + number}"
            for town, member in zip(towns, members):
                self.node_of[member] = town
                self.seen_of[member] = start + rng.randrange(4 * DAY_US)
                if shape == "shared-c2":
                    keys = self.keys.ip_keys(c2_ip) + self.keys.domain_keys(c2_domain)
                elif shape == "phishing":
                    keys = [("hash", f"SHA-256:{attachment}")]
                elif shape == "spraying":
                    keys = self.keys.ip_keys(f"{subnet}.{rng.randrange(1, 255)}")
                else:
                    keys = [("cve", cve)]
                self.extra[member] += keys
            if number >= count - 8:
                self.pools[f"recent_{shape}"].append(
                    {"ip": c2_ip, "domain": c2_domain, "hash": attachment}[
                        {"shared-c2": "ip", "phishing": "hash"}.get(shape, "ip")])
            self.stats["planted_campaigns"] += 1

    # -- the stream --------------------------------------------------------------------------
    def listed(self, kind: str, value: str) -> str | None:
        if (kind, value) not in self._listed:
            self._listed[(kind, value)] = self.lists.listed(kind, value)
        return self._listed[(kind, value)]

    def incident_keys(self, i: int) -> list[tuple[str, str]]:
        rng, k = self.rng, self.keys
        found: list[tuple[str, str]] = [("technique", rng.choices(
            TECHNIQUES, weights=[1 / (r + 1) for r in range(len(TECHNIQUES))])[0])]
        if rng.random() < 0.15:
            found.append(("malware", rng.choice(MALWARE)))
        if rng.random() < 0.2:
            found.append(("cve", rng.choice(self.famous_cves) if rng.random() < 0.7
                          else rng.choice(self.rare_cves)))
        if rng.random() < 0.3:
            for ip in rng.sample(self.scanners, 2):
                found += k.ip_keys(ip)
        if rng.random() < 0.25:
            found += k.ip_keys("8.8.8.8")
        if rng.random() < 0.15:
            found += [("domain", "ctldl.windowsupdate.com"), ("regdomain", "windowsupdate.com")]
        found += self.extra.get(i, [])
        target = rng.randint(6, 14)
        while len(found) < target:
            found += k.one_off()
        return list(dict.fromkeys(found))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Exactly total_rows rows; more plain incidents are made if the plan ran short."""
        emitted = 0
        i = 0
        while emitted < self.total_rows:
            if i >= len(self.node_of):
                self.node_of.append(self.rng.choice(self.node_ids))
                self.seen_of.append(END_US - self.rng.randrange(90 * DAY_US))
            incident = f"incident--{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
            node, seen = self.node_of[i], self.seen_of[i]
            objects: dict[str, str] = {}
            for kind, value in self.incident_keys(i):
                if emitted >= self.total_rows:
                    break
                prefix = {"technique": "attack-pattern", "malware": "malware",
                          "cve": "vulnerability"}.get(kind, "indicator")
                group = value if prefix == "indicator" else kind
                if group not in objects:
                    number = uuid.UUID(int=self.rng.getrandbits(128), version=4)
                    objects[group] = f"{prefix}--{number}"
                yield {"key": f"{kind}:{value}", "kind": kind, "node_id": node,
                       "incident_id": incident, "object_id": objects[group], "seen": seen,
                       "tlp": "amber", "listed": self.listed(kind, value)}
                emitted += 1
            i += 1
        self.stats["incidents"] = i


def add_bulk_towns(db: Any, count: int) -> dict[str, dict[str, Any]]:
    """`count` member towns stadt-000.. (the slugs the scenarios use), inserted with Core.
    Their accounts get an unusable password hash: these towns never log in."""
    from sqlalchemy import insert, select

    from cyberhub.core import timestamps
    from cyberhub.demo import scenarios
    from cyberhub.hub.storage.models import Account, Node

    now = timestamps.now_us()
    stamp = timestamps.format_us(now)[:-4] + "Z"
    identities = {}
    with db.engine.begin() as connection:
        connection.execute(insert(Account), [
            {"username": f"node-stadt-{i:03d}", "password_hash": "!", "is_admin": False,
             "disabled": False, "created": now} for i in range(count)])
        accounts = dict(connection.execute(select(Account.username, Account.id).where(
            Account.username.like("node-stadt-%"))).all())
        rows = []
        for i in range(count):
            slug = f"stadt-{i:03d}"
            number = uuid.UUID(int=random.Random(i).getrandbits(128), version=4)
            identity = {"type": "identity", "spec_version": "2.1", "id": f"identity--{number}",
                        "created": stamp, "modified": stamp, "name": f"Stadt {slug}",
                        "identity_class": "organization", "sectors": ["government-local"]}
            identities[slug] = identity
            rows.append({"slug": slug, "name": f"Stadt {slug}",
                         "land": scenarios.LANDS[i % len(scenarios.LANDS)],
                         "identity_id": identity["id"], "identity": json.dumps(identity),
                         "account_id": accounts[f"node-{slug}"], "disabled": False,
                         "created": now})
        connection.execute(insert(Node), rows)
    return identities


def load_rows(db: Any, rows: Iterator[dict[str, Any]], count: int, batch: int = 50_000) -> float:
    """Insert `count` rows from the stream in one transaction; recount key_stats exactly."""
    from sqlalchemy import text

    from cyberhub.hub.storage.models import Observation

    table = Observation.__table__
    start = time.perf_counter()
    with db.engine.begin() as connection:
        chunk: list[dict[str, Any]] = []
        for _ in range(count):
            chunk.append(next(rows))
            if len(chunk) == batch:
                connection.execute(table.insert(), chunk)
                chunk = []
        if chunk:
            connection.execute(table.insert(), chunk)
        connection.execute(text("DELETE FROM key_stats"))
        connection.execute(text("INSERT INTO key_stats (key, postings) "
                                "SELECT key, COUNT(*) FROM observations GROUP BY key"))
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE observations"))
            connection.execute(text("ANALYZE key_stats"))
    return time.perf_counter() - start


def index_size(db: Any, settings: Any) -> dict[str, Any]:
    from sqlalchemy import text

    with db.engine.connect() as connection:
        found = {
            "rows": connection.execute(text("SELECT COUNT(*) FROM observations")).scalar(),
            "keys": connection.execute(text("SELECT COUNT(*) FROM key_stats")).scalar(),
            "incidents": connection.execute(text(
                "SELECT COUNT(DISTINCT incident_id) FROM observations")).scalar(),
            "keys_above_max_postings": connection.execute(text(
                "SELECT COUNT(*) FROM key_stats WHERE postings > :m"),
                {"m": settings.correlation_max_postings}).scalar(),
            "keys_in_2_to_max_postings": connection.execute(text(
                "SELECT COUNT(*) FROM key_stats WHERE postings BETWEEN 2 AND :m"),
                {"m": settings.correlation_max_postings}).scalar(),
            "rows_listed": connection.execute(text(
                "SELECT COUNT(*) FROM observations WHERE listed IS NOT NULL")).scalar(),
        }
        if db.dialect == "postgresql":
            found["observations_bytes"] = connection.execute(text(
                "SELECT pg_total_relation_size('observations')")).scalar()
            found["key_stats_bytes"] = connection.execute(text(
                "SELECT pg_total_relation_size('key_stats')")).scalar()
            found["server_version"] = connection.execute(text("SHOW server_version")).scalar()
        else:
            path = Path(db.url.split("sqlite:///", 1)[1])
            found["database_file_bytes"] = path.stat().st_size
            found["sqlite_version"] = connection.execute(text(
                "SELECT sqlite_version()")).scalar()
    return found


def campaign_counts(db: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from cyberhub.hub.storage.models import CampaignRecord

    with db.session() as session:
        return dict(session.execute(select(CampaignRecord.state, func.count()).group_by(
            CampaignRecord.state)).all())


# -- feed entries (--feed-entries) -----------------------------------------------------------

# Kinds a feed lists, as index key prefixes (`index.key_text`), and their share of a feed.
FEED_KINDS = (("ipv4:", 40), ("url:", 30), ("domain:", 15), ("hash:SHA-256:", 15))
# First octets of public space the generated index does not use: a value the feed lists
# meets a town's report only where the 2 % share says it does.
FEED_OCTETS = (2, 36, 39, 42, 49, 58, 59, 60, 61, 101, 110, 111, 112, 113, 114, 115, 116, 117,
               118, 119, 120, 175, 180, 182, 183, 186, 187, 189, 190, 200, 201)
FEED_NAMES = {"ipv4:": "{malware} C2 {value}:443", "url:": "{malware} payload URL {value}",
              "domain:": "{malware} C2 domain {value}", "hash:SHA-256:": "{malware} sample"}


def report_keys(reports: list[Any], identities: dict[str, dict[str, Any]]) -> list[str]:
    """The keys (as the index writes them) of the kinds a feed lists that the new reports
    carry, in order of first appearance."""
    from cyberhub.demo import scenarios
    from cyberhub.hub.correlation.index import key_text
    from cyberhub.hub.correlation.index_keys import object_keys

    found: dict[str, None] = {}
    for report in reports:
        for obj in scenarios.stix_report(report, identities[report.town]):
            for kind, value in object_keys(obj):
                key = key_text(kind, value)
                if key.startswith(tuple(prefix for prefix, _ in FEED_KINDS)):
                    found[key] = None
    return list(found)


def feed_key(rng: random.Random, prefix: str, n: int) -> str:
    """A value no town reported, in the index's key form (the forms self_check_key_forms
    confirms for the index generator's values)."""
    if prefix == "ipv4:":
        return (f"ipv4:{rng.choice(FEED_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}."
                f"{rng.randrange(1, 255)}")
    if prefix == "hash:SHA-256:":
        return f"hash:SHA-256:{rng.getrandbits(256):064x}"
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    domain = f"{name}-f{n}.{rng.choice(TLDS)}"
    if prefix == "domain:":
        return f"domain:{domain}"
    return f"url:https://{domain}/{rng.getrandbits(48):012x}/invoice.php"


def load_feed_entries(db: Any, lists: Any, count: int, new_report_keys: list[str], seed: int,
                      max_postings: int, batch: int = 50_000) -> dict[str, Any]:
    """`count` entries of one synthetic feed (a `feeds` row first), inserted with Core in one
    transaction. FEED_HIT_SHARE of them list keys that are indexed or that the new reports
    carry: every such key of the new reports, then keys shared by 2..max_postings incidents
    (evidence a campaign can cite), then keys of one incident. The rest are values no town
    reported. Values on a warning list are left out, as the feed sync refuses them."""
    from sqlalchemy import or_, select, text

    from cyberhub.hub.storage.models import FeedEntry, FeedState, KeyStat

    rng = random.Random(seed)
    start = time.perf_counter()

    def unlisted(key: str) -> bool:  # as index.relist asks it
        kind, _, value = key.partition(":")
        return lists.listed(kind, value) is None

    wanted = round(count * FEED_HIT_SHARE)
    hits = [key for key in new_report_keys if unlisted(key)][:wanted]
    from_reports = len(hits)
    taken = set(hits)
    with db.engine.connect() as connection:
        prefixes = or_(*(KeyStat.key.startswith(prefix) for prefix, _ in FEED_KINDS))
        shared = sorted(k for k in connection.execute(select(KeyStat.key).where(
            prefixes, KeyStat.postings.between(2, max_postings))).scalars() if k not in taken)
        single = sorted(k for k in connection.execute(select(KeyStat.key).where(
            prefixes, KeyStat.postings == 1)).scalars() if k not in taken)
    shared_part = [k for k in rng.sample(shared, min(len(shared), (wanted - len(hits)) // 2))
                   if unlisted(k)]
    hits += shared_part
    hits += [k for k in rng.sample(single, min(len(single), wanted - len(hits))) if unlisted(k)]
    choose_at = set(rng.sample(range(count), min(len(hits), count)))
    hit_iter = iter(hits)
    prefixes_, weights = zip(*FEED_KINDS)
    now = END_US
    made: Counter = Counter()
    table = FeedEntry.__table__
    with db.engine.begin() as connection:
        connection.execute(FeedState.__table__.insert(), [{
            "name": BENCH_FEED, "title": "Synthetic feed (correlation benchmark)",
            "enabled": True, "cursor": "{}", "failures": 0, "last_attempt": now,
            "last_success": now, "next_due": now + DAY_US}])
        chunk: list[dict[str, Any]] = []
        for n in range(count):
            key = next(hit_iter, None) if n in choose_at else None
            if key is not None:
                state = "active"
                made["hits"] += 1
            else:
                while True:
                    key = feed_key(rng, rng.choices(prefixes_, weights)[0], n)
                    if unlisted(key):
                        break
                # An entry that left the feed stays, expired (the lookup skips it).
                state = "active" if rng.random() < 0.9 else "expired"
            made[f"{state}"] += 1
            made[key.split(":", 1)[0]] += 1
            prefix = next(p for p in prefixes_ if key.startswith(p))
            value = key[len(prefix):]
            created = now - rng.randrange(180 * DAY_US)
            chunk.append({
                "feed": BENCH_FEED,
                "object_id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                "collection": "indicators", "key": key,
                "name": FEED_NAMES[prefix].format(malware=rng.choice(MALWARE).title(),
                                                  value=value)[:300],
                "grp": None, "digest": f"{rng.getrandbits(256):064x}", "created": created,
                "modified": created, "last_seen": now - rng.randrange(2 * DAY_US),
                "state": state})
            if len(chunk) == batch:
                connection.execute(table.insert(), chunk)
                chunk = []
        if chunk:
            connection.execute(table.insert(), chunk)
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE feed_entries"))
            connection.execute(text("ANALYZE feeds"))
    seconds = time.perf_counter() - start
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT COUNT(*) FROM feed_entries")).scalar()
    return {"entries": count, "rows_in_feed_entries": rows, "load_seconds": round(seconds, 1),
            "hit_share_target": FEED_HIT_SHARE, "hits": made["hits"],
            "hits_from_new_reports": from_reports, "hits_shared_index_keys": len(shared_part),
            "hits_single_index_keys": made["hits"] - from_reports - len(shared_part),
            "new_report_keys": len(new_report_keys), "active": made["active"],
            "expired": made["expired"],
            "by_kind": {k: made[k] for k in ("ipv4", "url", "domain", "hash")}}


def feed_citations(db: Any, since: int) -> dict[str, int]:
    """Campaigns updated since `since` whose stored explanation cites a feed entry."""
    from sqlalchemy import select

    from cyberhub.hub.storage.models import CampaignRecord

    updated = citing = items = 0
    with db.session() as session:
        for explanation in session.scalars(select(CampaignRecord.explanation).where(
                CampaignRecord.updated >= since)):
            explained = json.loads(explanation)
            cited = [item for item in explained.get("evidence", []) + explained.get(
                "ignored", []) if item.get("feeds")]
            updated += 1
            citing += bool(cited)
            items += len(cited)
    return {"campaigns_updated": updated, "campaigns_citing_a_feed_entry": citing,
            "evidence_items_citing": items}


# -- full pass in a child process ------------------------------------------------------------


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child_full_pass(home: str, database_url: str, misp_lists: bool = False) -> None:
    """Run in the child: one full pass; print its figures as JSON on the last line. Peak RSS
    is the child's VmHWM (reset by exec; ru_maxrss would still count the parent's pages from
    before the exec)."""
    # With --misp-lists the database has them already: the bootstrap loads them from there,
    # and LocalHub asserts that they are in force.
    local = LocalHub(Path(home), database_url, initialise=False, misp_lists=misp_lists)
    before = _vm("VmRSS")
    start = time.perf_counter()
    cpu = time.process_time()
    rows, written = local.correlator.full_pass(local.db)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(time.process_time()
                                                                          - cpu, 2),
                      "index_rows": rows, "campaigns_written": len(written),
                      "rss_before_kib": before, "peak_rss_kib": _vm("VmHWM")}))


def full_pass(home: Path, database_url: str, label: str, py_spy: Path | None,
              misp_lists: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-full-pass", str(home),
           database_url] + (["--misp-lists"] if misp_lists else [])
    if py_spy is not None:
        cmd = [PY_SPY, "record", "--rate", "50", "--format", "raw", "-o",
               str(py_spy), "--"] + cmd
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["?"])[-1][:400]
        log(f"full pass {label} FAILED: {error}")
        return {"label": label, "error": error, "seconds": None, "cpu_seconds": None,
                "index_rows": None, "campaigns_written": None, "rss_before_kib": None,
                "peak_rss_kib": None}
    result = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    result["label"] = label
    log(f"full pass {label}: {result['seconds']} s ({result['cpu_seconds']} s CPU), "
        f"{result['index_rows']:,} rows, {result['campaigns_written']} campaigns written, peak "
        f"RSS {result['peak_rss_kib'] / 1024:.0f} MiB (before the pass "
        f"{result['rss_before_kib'] / 1024:.0f} MiB)")
    return result


# -- the new reports -------------------------------------------------------------------------


def new_reports(data: IndexData, count: int, seed: int) -> tuple[list[Any], dict[str, int]]:
    """`count` town reports after END: scenario noise and campaigns over the 300 towns, a
    quarter of the noise and two campaigns changed to share keys with the loaded index."""
    from cyberhub.demo import scenarios

    rng = random.Random(seed)
    scenario = scenarios.generate(seed, towns=300, days=4, campaigns=8,
                                  noise_per_town_day=0.25)
    campaign = [r for r in scenario.reports if r.campaign]
    noise = rng.sample([r for r in scenario.reports if not r.campaign], count - len(campaign))
    made: Counter = Counter()
    for report in noise:
        if rng.random() >= 0.25:
            continue
        report.description = description = copy.deepcopy(report.description)
        observables = description.setdefault("observables", {})
        choice = rng.choice(("ipv4", "mid_ipv4", "hash", "domain"))
        if choice in ("ipv4", "mid_ipv4"):
            pool = data.pools["shared_ipv4" if choice == "ipv4" else "mid_ipv4"]
            observables["ipv4"] = [rng.choice(pool)] + [
                ip for ip in observables.get("ipv4", []) if ip not in scenarios.SCANNERS][:1]
        elif choice == "hash":
            observables["files"] = [{"sha256": rng.choice(data.pools["shared_hash"])}]
        else:
            observables["domains"] = [rng.choice(data.pools["shared_domain"])]
        made[f"noise_sharing_{choice}"] += 1
    extended = 0
    for name in sorted({r.campaign for r in campaign}):
        shape = name.split("-", 2)[2]
        pool = data.pools.get(f"recent_{shape}")
        if shape not in ("shared-c2", "phishing") or not pool or extended >= 2:
            continue
        value = pool[0]
        for report in (r for r in campaign if r.campaign == name):
            report.description = description = copy.deepcopy(report.description)
            if shape == "shared-c2":
                description["observables"]["ipv4"] = [value]
            else:
                description["observables"]["files"][0]["sha256"] = value
        extended += 1
        made["campaigns_extending_loaded_ones"] += 1
    reports = sorted(noise + campaign, key=lambda r: (r.at, r.town))
    for report in reports:
        report.at = END + (report.at - scenarios.START)
    made["campaign_reports"] = len(campaign)
    made["noise_reports"] = len(noise)
    return reports, dict(made)


def incremental(local: LocalHub, identities: dict[str, dict[str, Any]], reports: list[Any],
                py_spy: Path | None) -> dict[str, Any]:
    from cyberhub.core import timestamps
    from cyberhub.demo import scenarios

    prepared = [(identities[r.town], scenarios.stix_report(r, identities[r.town]))
                for r in reports]
    spy = None
    if py_spy is not None:
        spy = subprocess.Popen([PY_SPY, "record", "--rate", "200", "--format",
                                "raw", "-o", str(py_spy), "--pid", str(os.getpid())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
    # Watch engine.incremental (the Correlator calls it through the module) to record, per
    # report, how many campaigns it re-examined and how many incidents it walked.
    from cyberhub.hub.correlation import engine

    original = engine.incremental
    seen_calls: list[tuple[int, int, int]] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        found, affected = original(*args, **kwargs)
        seen_calls.append((len(affected), found.examined, len(found.components)))
        return found, affected

    engine.incremental = watched
    totals, indexing, detecting = [], [], []
    written: list[str] = []
    touched_counts = []
    walks: list[list[tuple[int, int, int]]] = []
    errors: list[str] = []
    db, correlator = local.db, local.correlator
    for identity, objects in prepared:
        seen_calls.clear()
        start = time.perf_counter()
        with db.writing() as session:
            touched = correlator.index(session, [(identity["id"], objects)],
                                       timestamps.now_us())
        middle = time.perf_counter()
        if touched:
            try:
                written += correlator.detect(db, touched)
            except Exception as exc:  # noqa: BLE001 - the hub logs it and goes on
                errors.append(describe_error(exc))
        end = time.perf_counter()
        totals.append(end - start)
        indexing.append(middle - start)
        detecting.append(end - middle)
        touched_counts.append(len(touched))
        walks.append(list(seen_calls))
    engine.incremental = original
    if spy is not None:
        spy.send_signal(2)
        spy.wait(60)
    slowest = sorted(range(len(totals)), key=lambda i: -totals[i])[:8]
    affected = [max((c[0] for c in w), default=0) for w in walks]
    examined = [max((c[1] for c in w), default=0) for w in walks]
    quiet = [totals[i] for i in range(len(totals)) if affected[i] == 0]
    busy = [totals[i] for i in range(len(totals)) if affected[i] > 0]
    return {
        "reports": len(prepared), "total": ms_summary(totals), "index": ms_summary(indexing),
        "detect": ms_summary(detecting), "campaign_versions_written": len(written),
        "campaigns_touched": len(set(written)),
        "detect_errors": len(errors), "detect_error_examples": errors[:3],
        "engine_runs_per_report": dict(Counter(len(w) for w in walks)),
        "campaigns_reexamined": {"median": statistics.median(affected), "max": max(affected),
                                 "reports_with_any": sum(1 for a in affected if a)},
        "incidents_examined": {"median": statistics.median(examined), "max": max(examined)},
        "total_when_no_campaign_reexamined": ms_summary(quiet) if quiet else None,
        "total_when_campaigns_reexamined": ms_summary(busy) if busy else None,
        "slowest": [{"report": reports[i].description.get("title"),
                     "campaign": reports[i].campaign, "ms": round(totals[i] * 1000, 1),
                     "detect_ms": round(detecting[i] * 1000, 1),
                     "campaigns_reexamined": affected[i], "incidents_examined": examined[i],
                     "keys": sorted({f"{k}" for k in _report_keys(reports[i])})[:12]}
                    for i in slowest],
    }


def _report_keys(report: Any) -> list[str]:
    observables = report.description.get("observables", {})
    return ([f"ipv4:{x}" for x in observables.get("ipv4", [])]
            + [f"domain:{x}" for x in observables.get("domains", [])]
            + [f"sha256:{f.get('sha256', '')[:12]}" for f in observables.get("files", [])]
            + [f"cve:{x}" for x in report.description.get("vulnerabilities", [])])


def spy_summary(path: Path, top: int = 25) -> dict[str, Any]:
    """Inclusive and self shares per function from a py-spy raw (folded) profile."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.split(" (", 1)[0] + " (" + f.rsplit("/", 1)[-1].split(":", 1)[0]
                  + ")" if " (" in f else f for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    share = lambda c: [(f, round(n / total, 3)) for f, n in c.most_common(top)]
    return {"samples": total, "inclusive": share(inclusive), "self": share(own)}


# ---------------------------------------------------------------------------------------------
# 4. Readable after the POST


def readable_after_post(server: Cyberhub, repetitions: int) -> dict[str, Any]:
    import requests
    from signed_ingest_bench import enrol_towns

    from cyberhub.core import signing
    from cyberhub.demo import scenarios

    info = server.cli("info")
    ids = {c["alias"]: c["id"] for c in info["collections"]}
    towns = enrol_towns(server, 3)
    hub_identity = towns[0]["hub_identity"]
    admin = (server.user, server.password)
    session = requests.Session()
    session.headers.update({"Accept": TAXII})
    campaigns_url = f"{server.api_root}collections/{ids['campaigns']}/objects/"
    reports_url = f"{server.api_root}collections/{ids['reports']}/objects/"
    # Warm up: each account's password check (Argon2) happens once per worker; fresh
    # connections spread the requests over both workers.
    for _ in range(4):
        for who in [admin] + [t["auth"] for t in towns]:
            requests.get(f"{server.api_root}collections/", auth=who,
                         headers={"Accept": TAXII, "Connection": "close"}, timeout=60)
    rng = random.Random(5)

    def envelope(town: dict[str, Any], n: int, attachment: str) -> tuple[bytes, str]:
        at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        report = scenarios.Report(town["identity"], "SN", at, {
            "incident": f"bench-phishing-{n}", "stage": "early-warning",
            "title": "Phishing-Welle mit Rechnungsanhang", "detected":
                at.strftime("%Y-%m-%dT%H:%M:%SZ"), "determination": "suspected",
            "status": "open", "tlp": "amber", "types": ["dissemination-phishing-emails"],
            "observables": {"domains": [f"rechnung-{uuid.uuid4().hex[:10]}.example.net"],
                            "files": [{"name": "Rechnung.zip", "sha256": attachment}]},
            "techniques": ["T1566.001"]})
        objects = scenarios.stix_report(report, town["identity_object"])
        token = signing.sign_manifest(town["key"], issuer=town["identity"], audience=hub_identity,
                                      objects=objects, issued_at=int(time.time()), ttl=600)
        carrier = signing.signature_object(token, issuer=town["identity"],
                                           object_ids=[o["id"] for o in objects],
                                           created=objects[2]["created"])
        incident = next(o["id"] for o in objects if o["type"] == "incident")
        return json.dumps({"objects": objects + [carrier]}).encode(), incident

    def post(town: dict[str, Any], body: bytes) -> float:
        start = time.perf_counter()
        response = session.post(reports_url, data=body, auth=town["auth"],
                                headers={"Content-Type": TAXII}, timeout=120)
        elapsed = time.perf_counter() - start
        status = response.json()
        if response.status_code != 202 or status.get("failure_count"):
            raise RuntimeError(f"POST refused: {response.status_code} {response.text[:500]}")
        return elapsed

    def new_objects(added_after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Everything added to the campaigns collection after the mark, as an analyst's
        client reads it: GET with added_after, then every `next` page."""
        found: list[dict[str, Any]] = []
        last, token = added_after, None
        while True:
            params = {"match[type]": "campaign,relationship", "limit": "1000"}
            if added_after:
                params["added_after"] = added_after
            if token:
                params["next"] = token
            response = session.get(campaigns_url, params=params, auth=admin, timeout=60)
            response.raise_for_status()
            last = response.headers.get("X-TAXII-Date-Added-Last") or last
            data = response.json() if response.content else {}
            found += data.get("objects", [])
            token = data.get("next") if data.get("more") else None
            if not token:
                return found, last

    def campaign_for(incident: str, added_after: str | None) -> tuple[str | None, str | None]:
        objects, last = new_objects(added_after)
        campaigns = {o["id"] for o in objects if o["type"] == "campaign"}
        for obj in objects:
            if (obj["type"] == "relationship" and obj.get("relationship_type") == "related-to"
                    and obj.get("target_ref") == incident and obj["source_ref"] in campaigns):
                return obj["source_ref"], last
        return None, last

    _, mark = campaign_for("none", None)
    readable, third_post, polls = [], [], []
    for n in range(repetitions):
        attachment = "%064x" % rng.getrandbits(256)
        bodies = [envelope(town, n, attachment) for town in towns]
        post(towns[0], bodies[0][0])
        post(towns[1], bodies[1][0])
        incident = bodies[2][1]
        start = time.perf_counter()
        third_post.append(post(towns[2], bodies[2][0]))
        tries = 0
        while True:
            tries += 1
            found, last = campaign_for(incident, mark)
            if found:
                break
            if time.perf_counter() - start > 30:
                raise RuntimeError(f"repetition {n}: no campaign for {incident} after 30 s")
            time.sleep(0.02)
        readable.append(time.perf_counter() - start)
        polls.append(tries)
        mark = last or mark
        log(f"readable #{n + 1}: {readable[-1] * 1000:.0f} ms (third POST "
            f"{third_post[-1] * 1000:.0f} ms, {tries} GET(s))")
    session.close()
    return {"repetitions": repetitions,
            "readable_s": {"median": round(statistics.median(readable), 3),
                           "max": round(max(readable), 3), "all": [round(x, 3) for x in readable]},
            "third_post_ms": ms_summary(third_post), "gets_needed": polls}


# ---------------------------------------------------------------------------------------------
# The run


def run(args: argparse.Namespace) -> dict[str, Any]:
    from cyberhub.core import timestamps
    from cyberhub.hub.correlation import warninglists

    backend = "postgresql" if args.database_url else "sqlite"
    pg_url = args.database_url
    quick = args.quick
    seeds = list(range(1, 4)) if quick else list(range(1, 11))
    noise_seeds = [101, 102] if quick else list(range(101, 106))
    total = args.rows or (100_000 if quick else 1_000_000)
    quarter = total // 4
    new_count = 50 if quick else 200
    reps = 3 if quick else 10
    WORK.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick, "database": backend, "profiled": bool(args.py_spy),
        "machine": machine_info(),
        "python": sys.version.split()[0], "code": code_version(), "load_average_start": loadavg(),
        "options": {"misp_lists": bool(args.misp_lists), "feed_entries": args.feed_entries},
    }
    misp = bool(args.misp_lists)
    self_check_key_forms()
    workdir = Path(tempfile.mkdtemp(dir=WORK, prefix=f"correlation-{backend}-"))
    try:
        if not args.skip_accuracy:
            log(f"1. accuracy: seeds {seeds}, noise-only seeds {noise_seeds} ({backend})")
            results["accuracy"] = accuracy(backend, pg_url, seeds, noise_seeds, workdir,
                                           misp_lists=misp)
        log(f"2./3. index of {total:,} rows ({backend})")
        if backend == "postgresql":
            reset_postgres(pg_url)
        server = Cyberhub(workdir / "server", backend, pg_url, workers=2)
        server.workdir.mkdir(parents=True)
        server.init()
        local = LocalHub(server.home, pg_url or f"sqlite:///{server.home / 'cyberhub.db'}",
                         initialise=False, misp_lists=misp)
        misp_probe = assert_misp_lists(local.correlator.lists) if misp else None
        settings = local.settings
        build: dict[str, Any] = {}
        start = time.perf_counter()
        identities = add_bulk_towns(local.db, 300)
        build["towns_seconds"] = round(time.perf_counter() - start, 2)
        node_ids = sorted(_node_ids(local.db).values())
        # With --misp-lists the rows are marked with the hub's lists (its files and the
        # database's), as the hub marks what it indexes; otherwise with the files.
        data = IndexData(args.seed, total, node_ids,
                         local.correlator.lists if misp
                         else warninglists.load(settings.warninglists_dir))
        stream = data.rows()
        build["quarter_load_seconds"] = round(load_rows(local.db, stream, quarter), 1)
        sizes = {"quarter": index_size(local.db, settings)}
        log(f"loaded {quarter:,} rows in {build['quarter_load_seconds']} s: {sizes['quarter']}")
        spy_dir = RESULTS_DIR if args.py_spy else None
        passes = [full_pass(server.home, local.db.url, f"{quarter:,} rows", None, misp)]
        build["rest_load_seconds"] = round(load_rows(local.db, stream, total - quarter), 1)
        sizes["full"] = index_size(local.db, settings)
        log(f"loaded {total:,} rows (+{build['rest_load_seconds']} s): {sizes['full']}")
        passes.append(full_pass(server.home, local.db.url, f"{total:,} rows, first", None,
                                misp))
        passes.append(full_pass(
            server.home, local.db.url, f"{total:,} rows, steady state",
            spy_dir / f"correlation-{backend}-full-pass.pyspy.txt" if spy_dir else None, misp))
        results["index"] = {"generator": {**dict(data.stats), "seed": args.seed,
                                          "towns": len(node_ids)},
                            "load": build, "size": sizes,
                            "campaigns_after_full_pass": campaign_counts(local.db)}
        if spy_dir:
            results["profile_full_pass"] = spy_summary(
                spy_dir / f"correlation-{backend}-full-pass.pyspy.txt")
        ok = all(one["peak_rss_kib"] for one in passes[:2])
        results["full_pass"] = {
            "passes": passes,
            "peak_rss_ratio_full_vs_quarter": round(
                passes[1]["peak_rss_kib"] / passes[0]["peak_rss_kib"], 3) if ok else None,
            "pass_rss_growth_ratio": round(
                (passes[1]["peak_rss_kib"] - passes[1]["rss_before_kib"])
                / max(1, passes[0]["peak_rss_kib"] - passes[0]["rss_before_kib"]), 3)
            if ok else None,
        }
        log(f"2. incremental: {new_count} new reports on the {total:,}-row index")
        reports, made = new_reports(data, new_count, args.seed + 1)
        if args.feed_entries:
            log(f"loading {args.feed_entries:,} feed entries ({FEED_HIT_SHARE:.0%} of them "
                "keys the index or the new reports carry)")
            results["feed_entries"] = load_feed_entries(
                local.db, local.correlator.lists, args.feed_entries,
                report_keys(reports, identities), args.seed + 2,
                settings.correlation_max_postings)
            log(f"feed entries: {results['feed_entries']}")
        busy = {"incremental": busy_percent(2.0)}
        incremental_from = timestamps.now_us()
        inc = incremental(local, identities, reports,
                          spy_dir / f"correlation-{backend}-incremental.pyspy.txt"
                          if spy_dir else None)
        inc["mix"] = made
        if spy_dir:
            results["profile_incremental"] = spy_summary(
                spy_dir / f"correlation-{backend}-incremental.pyspy.txt")
        inc["campaigns_after"] = campaign_counts(local.db)
        results["incremental"] = inc
        if args.feed_entries:
            results["feed_entries"]["citations_by_new_reports"] = cited = feed_citations(
                local.db, incremental_from)
            log(f"feed context in the campaigns the new reports wrote: {cited}")
        log(f"incremental: {inc['total']}")
        local.close()
        log(f"4. readable after POST: cyberhub serve --workers 2 on the {total:,}-row index")
        if misp:  # a hub process of its own, bootstrapped as `cyberhub serve` is
            covering = server.cli("warninglists", "check", MISP_PROBE[1])
            if not any(row.get("list") for row in covering):
                raise RuntimeError(f"cyberhub's own processes do not see the MISP lists: "
                                   f"{covering}")
        server.start()
        busy["readable"] = busy_percent(2.0)
        results["machine_busy_percent_before"] = busy
        try:
            results["readable"] = readable_after_post(server, reps)
            results["readable"]["index_rows"] = total
        finally:
            server.stop()
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    results["load_average_end"] = loadavg()
    if misp:
        results["misp_lists"] = misp_lists_summary(misp_probe)
    results["checks"] = checks(results)
    return results


def _node_ids(db: Any) -> dict[str, int]:
    from sqlalchemy import select

    from cyberhub.hub.storage.models import Node

    with db.session() as session:
        return {slug: i for slug, i in session.execute(select(Node.slug, Node.id)).all()
                if slug.startswith("stadt-")}


def checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = []

    def add(name: str, value: Any, target: str, ok: bool | None) -> None:
        found.append({"name": name, "value": value, "target": target, "pass": ok})

    acc = results.get("accuracy")
    if acc:
        add("campaign recall, all seeds", acc["recall"], f">= {TARGET_RECALL}",
            acc["recall"] >= TARGET_RECALL)
        add("campaign precision, all seeds", acc["precision"], f">= {TARGET_PRECISION}",
            acc["precision"] >= TARGET_PRECISION)
        add("campaigns from noise-only seeds", acc["noise_campaigns"], "0",
            acc["noise_campaigns"] == 0)
        add("detect failures during the replays (exceptions)", acc["detect_errors"], "0",
            acc["detect_errors"] == 0)
    inc = results["incremental"]["total"]
    rows = results["index"]["size"]["full"]["rows"]
    add(f"incremental index+detect, {rows:,} rows: median ms", inc["median_ms"],
        f"<= {TARGET_INCREMENTAL_MEDIAN_MS:g}", inc["median_ms"] <= TARGET_INCREMENTAL_MEDIAN_MS)
    passes = results["full_pass"]["passes"]
    for one in passes:
        if "error" in one:
            add(f"full pass, {one['label']}: s", "failed: " + one["error"][:120],
                f"<= {TARGET_FULL_PASS_S:g}", False)
        elif one is not passes[0]:
            add(f"full pass, {one['label']}: s", one["seconds"], f"<= {TARGET_FULL_PASS_S:g}",
                one["seconds"] <= TARGET_FULL_PASS_S)
    ratio = results["full_pass"]["peak_rss_ratio_full_vs_quarter"]
    add("full pass peak RSS, 4x the rows: ratio", ratio, "<= 1.5 (4.0 = linear)",
        ratio <= 1.5 if ratio is not None else None)
    errors = results["incremental"]["detect_errors"]
    add("incremental: detect failures (exceptions)", errors, "0", errors == 0)
    readable = results["readable"]["readable_s"]
    add("campaign readable after the third POST: median s", readable["median"],
        f"<= {TARGET_READABLE_S:g}", readable["median"] <= TARGET_READABLE_S)
    add("campaign readable after the third POST: max s", readable["max"],
        f"<= {TARGET_READABLE_S:g}", readable["max"] <= TARGET_READABLE_S)
    return found


# ---------------------------------------------------------------------------------------------
# Report


def _name(backend: str, quick: bool, profiled: bool = False) -> str:
    return f"correlation-{backend}{'-quick' if quick else ''}{'-profile' if profiled else ''}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def ran_with(r: dict[str, Any]) -> str:
    """The options of a run in words (runs from before the options had neither)."""
    options = r.get("options") or {}
    parts = []
    if options.get("misp_lists"):
        misp = r.get("misp_lists") or {}
        parts.append(f"the MISP warning lists (`--misp-lists`: {misp.get('feed_file')} run into "
                     f"each of its {misp.get('databases')} hub databases, "
                     f"{', '.join(map(str, misp.get('lists', [])))} lists of "
                     f"{', '.join(f'{n:,}' for n in misp.get('entries', []))} entries; "
                     f"{misp.get('probe', {}).get('key')} listed by "
                     f"\"{misp.get('probe', {}).get('listed_by')}\")")
    else:
        parts.append("the hub's own warning lists only")
    if options.get("feed_entries"):
        feed = r.get("feed_entries") or {}
        cited = feed.get("citations_by_new_reports") or {}
        parts.append(f"{options['feed_entries']:,} feed entries (`--feed-entries`, loaded in "
                     f"{feed.get('load_seconds')} s before the incremental phase; "
                     f"{feed.get('hits', 0):,} of them keys the index or the new reports carry; "
                     f"{cited.get('campaigns_citing_a_feed_entry')} of the "
                     f"{cited.get('campaigns_updated')} campaigns the new reports updated cite "
                     "one)")
    else:
        parts.append("no feed entries")
    return "; ".join(parts)


def block(runs: list[dict[str, Any]]) -> str:
    verdict = {True: "PASS", False: "**FAIL**", None: "-"}
    lines = [MARK_BEGIN, "", "### Correlation runs", ""]
    for r in runs:
        m = r["machine"]
        lines.append(
            f"- **{r['database']}** run {r['date']} ({'quick' if r['quick'] else 'full'}); "
            f"{m['nproc']} cores ({m['cpu_model']}), Python {r['python']}; commit "
            f"`{r['code']['commit'][:12]}`, correlation code sha256 "
            f"`{r['code']['correlation_code_sha256']}`; load average at start "
            f"{r['load_average_start']}, at end {r['load_average_end']}; whole machine CPU "
            f"busy just before the incremental / readable phases: "
            f"{r['machine_busy_percent_before']['incremental']} / "
            f"{r['machine_busy_percent_before']['readable']} %")
        lines.append(f"  - ran with: {ran_with(r)}")
    lines += ["", "| check | " + " | ".join(r["database"] for r in runs) + " | target |",
              "|---|" + "---:|" * len(runs) + "---|"]
    names = list(dict.fromkeys(c["name"] for r in runs for c in r["checks"]))
    for name in names:
        cells, target = [], ""
        for r in runs:
            check = next((c for c in r["checks"] if c["name"] == name), None)
            if check is None:
                cells.append("-")
                continue
            target = check["target"]
            cells.append(f"{check['value']} {verdict[check['pass']]}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    first = runs[0].get("accuracy") or {"seeds": [], "noise_seeds": []}
    lines += ["", (f"**Accuracy** (seeds {first['seeds']}: 30 towns, 21 days, 8 campaigns of "
                   f"4 shapes each; noise-only seeds {first['noise_seeds']})"), "",
              "| | " + " | ".join(r["database"] for r in runs) + " |",
              "|---|" + "---:|" * len(runs)]

    def row(label: str, fn: Any) -> None:
        cells = []
        for r in runs:
            try:
                cells.append(str(fn(r)))
            except (KeyError, TypeError, IndexError, ZeroDivisionError):
                cells.append("-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("campaigns injected / matched / detected / correct", lambda r: "{injected} / {matched} / "
        "{detected} / {correct}".format(**r["accuracy"]))
    row("recall / precision (all seeds)",
        lambda r: f"{r['accuracy']['recall']} / {r['accuracy']['precision']}")
    row("lowest recall / precision of one seed", lambda r: f"{r['accuracy']['min_seed_recall']}"
        f" / {r['accuracy']['min_seed_precision']}")
    for shape in ("shared-c2", "phishing", "spraying", "cve"):
        row(f"recall, {shape}", lambda r, s=shape: "{found}/{injected} = {recall}".format(
            **r["accuracy"]["recall_by_shape"][s]))
    row("per seed recall", lambda r: " ".join(
        f"{x['recall']:.2f}" for x in r["accuracy"]["runs"] if x["campaigns_injected"]))
    row("per seed precision", lambda r: " ".join(
        f"{x['precision']:.2f}" for x in r["accuracy"]["runs"] if x["campaigns_injected"]))
    row("campaigns from noise-only seeds", lambda r: r["accuracy"]["noise_campaigns"])
    row("detect exceptions during the replays (seeds)",
        lambda r: f"{r['accuracy']['detect_errors']} "
        f"({r['accuracy']['seeds_with_detect_errors']})")
    row("full pass after each replay: campaign versions written (seeds where it failed)",
        lambda r: f"{r['accuracy']['full_pass_afterwards_wrote']} "
        f"({r['accuracy']['full_pass_afterwards_errors']})")
    row("replay time per seed (s, median)", lambda r: statistics.median(
        x["replay_seconds"] for x in r["accuracy"]["runs"]))

    lines += ["", "**Index, incremental correlation, full pass, readable after POST**", "",
              "| | " + " | ".join(r["database"] for r in runs) + " |",
              "|---|" + "---:|" * len(runs)]
    row("index rows / distinct keys / incidents", lambda r: "{rows:,} / {keys:,} / "
        "{incidents:,}".format(**r["index"]["size"]["full"]))
    row("keys above max_postings / keys in 2..max_postings / listed rows",
        lambda r: "{keys_above_max_postings:,} / {keys_in_2_to_max_postings:,} / "
        "{rows_listed:,}".format(**r["index"]["size"]["full"]))
    row("on disk", lambda r: _mib(r["index"]["size"]["full"].get("database_file_bytes") // 1024)
        + " (SQLite file)" if "database_file_bytes" in r["index"]["size"]["full"] else
        _mib((r["index"]["size"]["full"]["observations_bytes"]
              + r["index"]["size"]["full"]["key_stats_bytes"]) // 1024)
        + " (observations + key_stats)")
    row("bulk load of the rows (s)", lambda r: round(r["index"]["load"]["quarter_load_seconds"]
        + r["index"]["load"]["rest_load_seconds"], 1))
    row("active campaigns after the full passes", lambda r: r["index"][
        "campaigns_after_full_pass"].get("active", 0))
    row("incremental: reports", lambda r: r["incremental"]["reports"])
    row("incremental, index+detect per report: median / p95 / max ms",
        lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["incremental"]["total"]))
    row("... of which index (write transaction) median / p95 ms",
        lambda r: "{median_ms} / {p95_ms}".format(**r["incremental"]["index"]))
    row("... of which detect median / p95 / max ms",
        lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["incremental"]["detect"]))
    row("... median ms when no campaign was re-examined / when some were",
        lambda r: " / ".join(
            str((r["incremental"][k] or {}).get("median_ms", "- (none)"))
            for k in ("total_when_no_campaign_reexamined", "total_when_campaigns_reexamined")))
    row("... engine runs per report (0 = none, the index step found nothing that could "
        "link; 1 = one pass, read only or still current under the lock; 2 = read pass and "
        "write pass): reports",
        lambda r: ", ".join(f"{k}: {v}" for k, v in
                            r["incremental"]["engine_runs_per_report"].items()))
    row("... campaigns re-examined per report: median / max (reports with any)",
        lambda r: "{median} / {max} ({reports_with_any})".format(
            **r["incremental"]["campaigns_reexamined"]))
    row("campaign versions written by the new reports",
        lambda r: r["incremental"]["campaign_versions_written"])
    for i, label in enumerate(("full pass, first quarter of the rows (first pass)",
                               "full pass, all rows (publishes what the rest changed)",
                               "full pass, all rows (steady state)")):
        row(label + ": rows / s / CPU s / campaigns written",
            lambda r, i=i: "{index_rows:,} / {seconds} / {cpu_seconds} / "
            "{campaigns_written}".format(**r["full_pass"]["passes"][i]))
        row(label + ": peak RSS (RSS before the pass)", lambda r, i=i: _mib(
            r["full_pass"]["passes"][i]["peak_rss_kib"]) + " (" + _mib(
            r["full_pass"]["passes"][i]["rss_before_kib"]) + ")")
    row("peak RSS all rows / quarter; growth during the pass all / quarter",
        lambda r: f"{r['full_pass']['peak_rss_ratio_full_vs_quarter']}; "
        f"{r['full_pass']['pass_rss_growth_ratio']}")
    row("readable after the third POST: repetitions; median / max s",
        lambda r: f"{r['readable']['repetitions']}; {r['readable']['readable_s']['median']} / "
        f"{r['readable']['readable_s']['max']}")
    row("the third POST itself: median / max ms",
        lambda r: f"{r['readable']['third_post_ms']['median_ms']} / "
        f"{r['readable']['third_post_ms']['max_ms']}")
    lines += ["", MARK_END]
    return "\n".join(lines)


def write_results(results: dict[str, Any], record: bool) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    name = _name(results["database"], results["quick"], results["profiled"])
    if results["profiled"]:  # py-spy slows the process it samples: not for RESULTS.md
        record = False
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    runs = []
    for backend in ("sqlite", "postgresql"):
        if backend == results["database"]:
            runs.append(results)
            continue
        other = RESULTS_DIR / f"{_name(backend, False)}.json"
        if other.exists():
            runs.append(json.loads(other.read_text()))
    text = block(runs)
    print(text)
    if record:
        current = RESULTS_MD.read_text()
        if MARK_BEGIN in current:
            before, rest = current.split(MARK_BEGIN, 1)
            current = before + text + rest.split(MARK_END, 1)[1]
        else:
            current = current.rstrip() + "\n\n## Correlation (issue 5)\n\n" + text + "\n"
        RESULTS_MD.write_text(current)


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child-full-pass":
        child_full_pass(sys.argv[2], sys.argv[3], misp_lists=sys.argv[4:] == ["--misp-lists"])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3+2 seeds, 100,000 index rows, 50 reports, 3 repetitions")
    parser.add_argument("--record", action="store_true", help="update RESULTS.md")
    parser.add_argument("--database-url", default=None,
                        help="run on this PostgreSQL database (its name must contain 'bench'; "
                             f"it is emptied), e.g. {DEFAULT_PG_URL}")
    parser.add_argument("--rows", type=int, default=0, help="index rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the index generator")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--py-spy", action="store_true",
                        help="record py-spy profiles (raw) of the steady full pass and of the "
                             "incremental runs into benchmarks/results/ (a profiled run writes "
                             "correlation-<db>-profile.json and never touches RESULTS.md)")
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/.work/correlation-*")
    parser.add_argument("--misp-lists", action="store_true",
                        help="run the shipped MISP warning-list feed into every hub database "
                             "the run builds, so every hub works with those lists (issue 14)")
    parser.add_argument("--feed-entries", type=int, default=0, metavar="N",
                        help="load N feed entries (2 %% of them keys the index or the new "
                             "reports carry) before the incremental measurement; the issue's "
                             "figure is 1,000,000 (default 0)")
    args = parser.parse_args()
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url takes a PostgreSQL URL (SQLite is the default)")
    if args.feed_entries < 0:
        parser.error("--feed-entries takes a count >= 0")
    results = run(args)
    write_results(results, args.record)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""STIX validation throughput on one core: cyberhub.core.validation.validate against
stix2-validator.

The workload is what towns send: report bundles of an identity, an incident (with the OASIS
incident-core extension), a report, observed-data, IPv4 / domain / URL / file observables,
indicators with varied STIX patterns, relationships, a sighting and an x-cyberhub-signature, all
marked TLP:AMBER (TLP 2.0). Objects are generated from a fixed seed, so runs are comparable.

Measured, each in this one process (so on one core):

* cyberhub `validate()` per object: objects/s over the whole mix (best of several rounds);
* stix2-validator 3.x `validate_instance(obj, ValidationOptions(version="2.1"))` per object,
  and per report bundle (`validate_instance` on the bundle) in bundles/s;
* the pattern check alone: cyberhub.core.patterns against stix2-patterns' `run_validator`.

Both validators must agree on every generated object (they are all valid); the run stops if not.

Run:  .venv/bin/python benchmarks/validation_bench.py [--reports N] [--record]
Writes benchmarks/results/validation.json; `--record` also rewrites the "## STIX validation"
section of benchmarks/RESULTS.md (the rest of that file is left alone).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from taxii_bench import cpu_model  # noqa: E402  (the shared benchmark harness)

from cyberhub.core.patterns import pattern_problem
from cyberhub.core.validation import validate

RESULTS_JSON = HERE / "results" / "validation.json"
RESULTS_MD = HERE / "RESULTS.md"
SECTION = "## STIX validation"
TARGET = 2000.0  # objects/s on one core

TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
SIGNATURE_EXT = "extension-definition--f9d5d3ff-46d3-450a-9622-9548756a2667"
TOWNS = ["Musterstadt", "Beispielhausen", "Neudorf", "Altenburg", "Kleinwald", "Seeheim"]


def _id(rng: random.Random, kind: str) -> str:
    return f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _ts(base: dt.datetime, seconds: int, millis: bool = True) -> str:
    moment = base + dt.timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if millis else "Z")


def _ip(rng: random.Random) -> str:
    first = rng.choice([198, 203, 192])
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _domain(rng: random.Random) -> str:
    name = rng.choice(["rechnung", "update", "login", "cdn", "mail"])
    return f"{name}-{rng.randrange(10**6)}." + rng.choice(["example", "example.net", "test"])


def _pattern(rng: random.Random, ip: str, domain: str, url: str, sha: str) -> str:
    return rng.choice([
        f"[ipv4-addr:value = '{ip}']",
        f"[ipv4-addr:value ISSUBSET '{ip.rsplit('.', 1)[0]}.0/24']",
        f"[domain-name:value = '{domain}']",
        f"[url:value = '{url}']",
        f"[url:value LIKE 'https://{domain}/%']",
        f"[file:hashes.'SHA-256' = '{sha}']",
        f"[file:hashes.'SHA-256' = '{sha}'] OR "
        f"[file:name = 'rechnung_{rng.randrange(999)}.pdf.exe']",
        f"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '{ip}' "
        f"AND network-traffic:dst_port = {rng.choice([443, 445, 3389, 8080])}]",
        f"[email-message:from_ref.value MATCHES '.+@{domain}$'] FOLLOWEDBY "
        f"[file:name = 'anhang.zip'] WITHIN 600 SECONDS",
        f"([domain-name:value = '{domain}'] AND [ipv4-addr:value = '{ip}']) REPEATS 3 TIMES "
        f"START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'",
    ])


def report_bundle(rng: random.Random, index: int) -> list[dict[str, Any]]:
    """One town's report: 16 objects."""
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=index)
    town = rng.choice(TOWNS)
    common = {"spec_version": "2.1", "object_marking_refs": [TLP_AMBER]}
    identity_id = _id(rng, "identity")
    sdo = lambda kind, seconds=0: {  # noqa: E731
        "type": kind, "id": _id(rng, kind), **common, "created_by_ref": identity_id,
        "created": _ts(base, seconds), "modified": _ts(base, seconds + 60),
    }
    ip, domain = _ip(rng), _domain(rng)
    url = f"https://{domain}/{rng.choice(['gate.php', 'login', 'invoice/download'])}"
    sha = f"{rng.getrandbits(256):064x}"
    identity = {"type": "identity", "id": identity_id, **common, "created": _ts(base, 0),
                "modified": _ts(base, 0), "name": f"Stadt {town}", "identity_class": "organization",
                "sectors": ["government-local"]}
    incident = {**sdo("incident"), "name": f"Verdacht auf Ransomware ({town})",
                "description": "Auffällige Verschlüsselung auf dem Dateiserver",
                "extensions": {INCIDENT_CORE: {
                    "extension_type": "property-extension",
                    "determination": rng.choice(["suspected", "confirmed"]),
                    "investigation_status": "open", "criticality": rng.randrange(0, 101),
                    "impacts": [{"impact_category": "availability",
                                 "criticality": rng.randrange(0, 101)}]}}}
    scos = [
        {"type": "ipv4-addr", "id": _id(rng, "ipv4-addr"), "value": ip},
        {"type": "domain-name", "id": _id(rng, "domain-name"), "value": domain},
        {"type": "url", "id": _id(rng, "url"), "value": url},
        {"type": "file", "id": _id(rng, "file"), "name": f"rechnung_{rng.randrange(999)}.pdf.exe",
         "hashes": {"SHA-256": sha}, "size": rng.randrange(10**4, 10**7)},
    ]
    observed = {**sdo("observed-data", 30), "first_observed": _ts(base, -3600, False),
                "last_observed": _ts(base, -60, False), "number_observed": rng.randrange(1, 50),
                "object_refs": [o["id"] for o in scos]}
    indicators = [{**sdo("indicator", 90), "name": f"IoC {n}",
                   "indicator_types": ["malicious-activity"],
                   "pattern": _pattern(rng, ip, domain, url, sha), "pattern_type": "stix",
                   "pattern_version": "2.1", "valid_from": _ts(base, 90, False)} for n in range(3)]
    relationships = [{**sdo("relationship", 120), "relationship_type": "indicates",
                      "source_ref": indicator["id"], "target_ref": incident["id"]}
                     for indicator in indicators[:2]]
    relationships.append({**sdo("relationship", 120), "relationship_type": "related-to",
                          "source_ref": observed["id"], "target_ref": incident["id"]})
    sighting = {**sdo("sighting", 150), "sighting_of_ref": indicators[0]["id"],
                "where_sighted_refs": [identity_id], "observed_data_refs": [observed["id"]],
                "count": rng.randrange(1, 20), "first_seen": _ts(base, -3600, False),
                "last_seen": _ts(base, -60, False)}
    objects = [identity, incident, observed, *scos, *indicators, *relationships, sighting]
    report = {**sdo("report", 180), "name": f"Lagebericht {town}", "published": _ts(base, 180),
              "report_types": ["threat-report"], "object_refs": [o["id"] for o in objects]}
    signature = {**sdo("x-cyberhub-signature", 200),
                 "jws": f"eyJhbGciOiJFZERTQSJ9.e30.{rng.getrandbits(160):043x}",
                 "extensions": {SIGNATURE_EXT: {"extension_type": "new-sdo"}}}
    return objects + [report, signature]


def rates(function: Callable[[Any], Any], items: list[Any], rounds: int,
          budget: float) -> list[float]:
    """Items per second of each of `rounds` passes (a pass stops after `budget` seconds)."""
    out = []
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        for item in items:
            function(item)
            done += 1
            if time.perf_counter() - start > budget:
                break
        out.append(done / (time.perf_counter() - start))
    return out


def rate(function: Callable[[Any], Any], items: list[Any], rounds: int, budget: float) -> float:
    """The median of `rounds` passes: shared cloud cores vary a lot from second to second."""
    return statistics.median(rates(function, items, rounds, budget))


def machine() -> dict[str, Any]:
    cpu = cpu_model() or platform.processor() or ""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count(), "load_average": list(os.getloadavg())}


def versions() -> dict[str, str]:
    out = {}
    for name in ("stix2-validator", "stix2-patterns", "jsonschema", "antlr4-python3-runtime",
                 "idna"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=400, help="report bundles (16 objects each)")
    parser.add_argument("--stock-reports", type=int, default=60,
                        help="bundles also validated with stix2-validator (it is slow)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--record", action="store_true", help="rewrite the RESULTS.md section")
    args = parser.parse_args()

    from stix2patterns.validator import run_validator
    from stix2validator import ValidationOptions, validate_instance
    logging.disable(logging.WARNING)
    options = ValidationOptions(version="2.1", silent=True)

    rng = random.Random(args.seed)
    bundles = [report_bundle(rng, index) for index in range(args.reports)]
    objects = [obj for bundle in bundles for obj in bundle]
    stock_bundles = bundles[:args.stock_reports]
    stock_objects = [obj for bundle in stock_bundles for obj in bundle]
    patterns = [obj["pattern"] for obj in objects if obj["type"] == "indicator"]
    mix: dict[str, int] = {}
    for obj in objects:
        mix[obj["type"]] = mix.get(obj["type"], 0) + 1

    # Agreement first: every generated object is valid for both validators.
    for obj in stock_objects:
        problem = validate(obj)
        stock = validate_instance(copy.deepcopy(obj), options)
        if problem is not None or not stock.is_valid:
            print("validators disagree or object invalid:", obj, problem,
                  [str(e) for e in stock.errors], file=sys.stderr)
            return 1
    for obj in objects:
        if validate(obj) is not None:
            print("generated object rejected:", obj, validate(obj), file=sys.stderr)
            return 1

    print(f"{len(objects)} objects in {len(bundles)} report bundles; "
          f"stix2-validator on {len(stock_objects)} objects", flush=True)
    our_rounds = rates(validate, objects, args.rounds, 30.0)
    ours = statistics.median(our_rounds)
    print(f"cyberhub validate: {ours:,.0f} objects/s (median of {args.rounds} passes; "
          f"min {min(our_rounds):,.0f}, max {max(our_rounds):,.0f})", flush=True)
    by_type = {}
    for kind in sorted(mix):
        sample = [obj for obj in objects if obj["type"] == kind]
        by_type[kind] = round(rate(validate, sample, 3, 5.0), 1)
    stock_objects_rate = rate(lambda o: validate_instance(o, options), stock_objects, 3, 60.0)
    print(f"stix2-validator per object: {stock_objects_rate:,.1f} objects/s", flush=True)
    bundle_docs = [{"type": "bundle", "id": f"bundle--{uuid.UUID(int=n, version=4)}",
                    "objects": bundle} for n, bundle in enumerate(stock_bundles)]
    stock_bundles_rate = rate(lambda b: validate_instance(b, options), bundle_docs, 3, 60.0)
    print(f"stix2-validator per bundle of {len(stock_bundles[0])}: "
          f"{stock_bundles_rate:,.1f} bundles/s", flush=True)
    our_patterns = rate(pattern_problem, patterns, args.rounds, 20.0)
    stock_patterns = rate(lambda p: run_validator(p, "2.1"), patterns[:600], 3, 30.0)
    print(f"patterns: cyberhub {our_patterns:,.0f}/s, stix2-patterns {stock_patterns:,.0f}/s")

    result = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "workload": {"reports": len(bundles), "objects": len(objects), "objects_per_report":
                     len(bundles[0]), "mix": mix, "indicator_patterns": len(patterns),
                     "stock_objects": len(stock_objects), "seed": args.seed},
        "cyberhub_objects_per_s": round(ours, 1),
        "cyberhub_objects_per_s_min_max": [round(min(our_rounds), 1), round(max(our_rounds), 1)],
        "cyberhub_objects_per_s_by_type": by_type,
        "stix2_validator_objects_per_s": round(stock_objects_rate, 1),
        "stix2_validator_bundles_per_s": round(stock_bundles_rate, 2),
        "speedup": round(ours / stock_objects_rate, 1),
        "cyberhub_patterns_per_s": round(our_patterns, 1),
        "stix2_patterns_per_s": round(stock_patterns, 1),
        "target_objects_per_s": TARGET,
        "target_met": min(our_rounds) >= TARGET,
    }
    RESULTS_JSON.parent.mkdir(exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS_JSON.relative_to(REPO)}")
    if args.record:
        record(result)
        print(f"rewrote the '{SECTION}' section of {RESULTS_MD.relative_to(REPO)}")
    return 0 if result["target_met"] else 2


def record(result: dict[str, Any]) -> None:
    work = result["workload"]
    slowest = min(result["cyberhub_objects_per_s_by_type"].items(), key=lambda kv: kv[1])
    bundles = result["cyberhub_objects_per_s"] / work["objects_per_report"]
    lines = [
        SECTION,
        "",
        "Written by `benchmarks/validation_bench.py --record` (raw figures in "
        "`results/validation.json`).",
        "",
        f"- date: {result['date']}; machine: {result['machine']['cores']} cores "
        f"({result['machine']['cpu']}), Python {result['machine']['python']}, load average at "
        f"start {[round(x, 2) for x in result['machine']['load_average']]}",
        "- " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()),
        f"- workload: {work['reports']} generated town report bundles of "
        f"{work['objects_per_report']} objects ({work['objects']} objects: identity, incident "
        "with incident-core, report, observed-data, ipv4-addr, domain-name, url, file, 3 "
        "indicators with varied patterns, 3 relationships, sighting, x-cyberhub-signature; "
        "TLP:AMBER 2.0 markings); all valid for both validators; one process, one core",
        "",
        "| figure | cyberhub | stix2-validator 3 | ratio |",
        "|---|---:|---:|---:|",
        f"| objects/s (one object at a time; median pass) | "
        f"{result['cyberhub_objects_per_s']:,.0f} | "
        f"{result['stix2_validator_objects_per_s']:,.1f} | {result['speedup']:,.0f}x |",
        f"| report bundles/s ({work['objects_per_report']} objects) | {bundles:,.0f} | "
        f"{result['stix2_validator_bundles_per_s']:,.1f} | "
        f"{bundles / result['stix2_validator_bundles_per_s']:,.0f}x |",
        f"| STIX patterns/s (pattern check only) | {result['cyberhub_patterns_per_s']:,.0f} | "
        f"{result['stix2_patterns_per_s']:,.0f} (stix2-patterns) | "
        f"{result['cyberhub_patterns_per_s'] / result['stix2_patterns_per_s']:,.0f}x |",
        "",
        f"Target: >= {TARGET:,.0f} objects/s on one core: "
        f"**{'PASS' if result['target_met'] else 'FAIL'}** (slowest pass "
        f"{result['cyberhub_objects_per_s_min_max'][0]:,.0f} objects/s; slowest type: "
        f"{slowest[0]}, {slowest[1]:,.0f} objects/s). Rates are medians of several passes; on "
        "this shared 2-core VM single passes vary by about +-30 %.",
        "",
    ]
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n"
    start = text.find("\n" + SECTION + "\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start + 1] + "\n".join(lines) + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    RESULTS_MD.write_text(text)


if __name__ == "__main__":
    sys.exit(main())

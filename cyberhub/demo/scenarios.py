"""Seeded, reproducible scenarios of towns reporting: background noise and injected campaigns.

Used by the correlation tests and the accuracy and speed benchmarks. A scenario is a
list of incident descriptions (the agent's file format) per town and day, with the truth: which
reports belong to which injected campaign. Reports are turned into STIX exactly as an agent
does (cyberhub.agent.bundle), so the hub sees what real towns would send.

Noise is what every town sees: lookups of public resolvers, update downloads, the same
internet-wide scanners, one-off brute-force and phishing from addresses nobody else sees,
commodity malware, and the exploitation of famous CVEs. Campaigns come in four shapes:
  shared-c2   towns infected by the same malware calling the same C2 address and domain
  phishing    a wave with rotating sender domains but one attachment (same SHA-256)
  spraying    password spraying from different addresses of one /24
  cve         one CVE exploited with different payloads from different addresses
"""

from __future__ import annotations

import ipaddress
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from cyberhub.agent import bundle
from cyberhub.agent.description import parse
from cyberhub.core import timestamps
from cyberhub.hub import nodes
from cyberhub.hub.storage.models import Node

LANDS = ("BW", "BY", "HE", "NI", "NW", "RP", "SH", "SN", "ST", "TH")
SHAPES = ("shared-c2", "phishing", "spraying", "cve")
SCANNERS = ("162.142.125.10", "167.94.138.35", "71.6.199.23", "185.142.236.34", "80.82.77.139")
# Exploited by the internet-wide scanners against everybody, every day.
FAMOUS_CVES = ("CVE-2021-44228", "CVE-2023-4966")
COMMODITY = ("Emotet", "AgentTesla", "Formbook", "QakBot")
RARE_CVES = ("CVE-2024-3400", "CVE-2024-21887", "CVE-2023-46604", "CVE-2024-1709",
             "CVE-2023-22518", "CVE-2024-24919")
START = datetime(2026, 10, 5, 6, 0, tzinfo=timezone.utc)


@dataclass
class Report:
    town: str
    land: str
    at: datetime
    description: dict[str, Any]
    campaign: str | None = None


@dataclass
class Scenario:
    seed: int
    towns: list[tuple[str, str]]
    reports: list[Report] = field(default_factory=list)

    def truth(self) -> dict[str, set[str]]:
        """Injected campaign → the incident keys ("town/incident") that belong to it."""
        found: dict[str, set[str]] = {}
        for report in self.reports:
            if report.campaign:
                found.setdefault(report.campaign, set()).add(
                    f"{report.town}/{report.description['incident']}")
        return found


def _public_ipv4(rng: random.Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.randrange(1 << 24, 223 << 24))
        if address.is_global and not address.is_multicast:
            return str(address)


def _domain(rng: random.Random) -> str:
    syllables = ("rech", "nung", "post", "stadt", "werk", "kasse", "amt", "portal", "zahl",
                 "info", "mail", "konto", "sich", "daten", "bank", "cloud", "login", "netz")
    name = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))
    return f"{name}-{rng.randint(10, 999)}.{rng.choice(('com', 'net', 'info', 'xyz', 'top'))}"


def _sha256(rng: random.Random) -> str:
    return "%064x" % rng.getrandbits(256)


def _description(key: str, title: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"incident": key, "stage": "early-warning", "title": title,
            "detected": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "determination": "suspected",
            "status": "open", "tlp": "amber", **fields}


def _noise(rng: random.Random, town: str, at: datetime, n: int) -> dict[str, Any]:
    kind = rng.choices(("scan", "bruteforce", "phishing", "malware", "exploit"),
                       weights=(4, 3, 2, 1, 3))[0]
    background = {"ipv4": ["8.8.8.8"] if rng.random() < 0.3 else [],
                  "domains": ["ctldl.windowsupdate.com"] if rng.random() < 0.3 else []}
    key = f"{town}-noise-{n}"
    if kind == "scan":
        return _description(key, "Scans gegen das Bürgerportal", at, types=["network-scanning"],
                            observables={"ipv4": rng.sample(SCANNERS, 2) + background["ipv4"]},
                            techniques=["T1595.002"])
    if kind == "bruteforce":
        return _description(key, "SSH-Anmeldeversuche", at, types=["brute-force-attempt"],
                            observables={"ipv4": [_public_ipv4(rng)]}, techniques=["T1110"])
    if kind == "phishing":
        return _description(
            key, "Phishing-Mail", at, types=["dissemination-phishing-emails"],
            observables={"domains": [_domain(rng)] + background["domains"],
                         "email_addresses": [f"info@{_domain(rng)}"]},
            techniques=["T1566.001"])
    if kind == "malware":
        return _description(key, "Schadsoftware auf einem Arbeitsplatz", at,
                            types=["infected-by-known-malware"],
                            observables={"files": [{"sha256": _sha256(rng)}],
                                         "ipv4": background["ipv4"]},
                            malware=[rng.choice(COMMODITY)], techniques=["T1204.002"])
    return _description(key, "Angriffsversuch auf die Firewall", at, types=["exploit-attempt"],
                        observables={"ipv4": [rng.choice(SCANNERS)]},
                        vulnerabilities=[rng.choice(FAMOUS_CVES)], techniques=["T1190"])


def _campaign_reports(rng: random.Random, shape: str, name: str, towns: list[tuple[str, str]],
                      start: datetime, cve: str) -> list[Report]:
    c2_ip, c2_domain = _public_ipv4(rng), _domain(rng)
    attachment = _sha256(rng)
    subnet = ipaddress.ip_network(f"{_public_ipv4(rng)}/24", strict=False)
    malware = rng.choice(("SystemBC", "Latrodectus", "Pikabot", "DarkGate"))
    reports = []
    for index, (town, land) in enumerate(towns):
        at = start + timedelta(hours=rng.uniform(0, 96))
        key = f"{town}-{name}"
        if shape == "shared-c2":
            fields = {"types": ["compromised-system"], "malware": [malware],
                      "observables": {"ipv4": [c2_ip], "domains": [c2_domain],
                                      "files": [{"sha256": _sha256(rng)}]},
                      "techniques": ["T1071.001"]}
            title = "Verdächtige Verbindungen eines Servers"
        elif shape == "phishing":
            fields = {"types": ["dissemination-phishing-emails"],
                      "observables": {"domains": [_domain(rng)],
                                      "email_addresses": [f"rechnung@{_domain(rng)}"],
                                      "files": [{"name": "Rechnung.zip", "sha256": attachment}]},
                      "techniques": ["T1566.001"]}
            title = "Phishing-Welle mit Rechnungsanhang"
        elif shape == "spraying":
            hosts = list(subnet.hosts())
            fields = {"types": ["brute-force-attempt"],
                      "observables": {"ipv4": [str(rng.choice(hosts))
                                               for _ in range(rng.randint(1, 3))]},
                      "techniques": ["T1110.003"]}
            title = "Passwort-Spraying gegen Webmail"
        else:
            fields = {"types": ["exploit-attempt"], "vulnerabilities": [cve],
                      "observables": {"ipv4": [_public_ipv4(rng)],
                                      "files": [{"sha256": _sha256(rng)}]},
                      "techniques": ["T1190"]}
            title = "Ausnutzung einer Schwachstelle am VPN-Gateway"
        reports.append(Report(town, land, at, _description(key, title, at, **fields), name))
    return reports


def generate(seed: int, *, towns: int = 30, days: int = 21, campaigns: int = 8,
             noise_per_town_day: float = 0.6) -> Scenario:
    """A scenario; `campaigns=0` gives noise only."""
    rng = random.Random(seed)
    names = [(f"stadt-{i:03d}", LANDS[i % len(LANDS)]) for i in range(towns)]
    scenario = Scenario(seed, names)
    counter = 0
    for day in range(days):
        for town, land in names:
            if rng.random() < noise_per_town_day:
                at = START + timedelta(days=day, hours=rng.uniform(0, 24))
                counter += 1
                scenario.reports.append(Report(town, land, at, _noise(rng, town, at, counter)))
    # Each CVE campaign exploits its own CVE: two waves on one CVE in three weeks would be one
    # campaign to an analyst, and the truth would be ambiguous.
    cves = rng.sample(RARE_CVES, len(RARE_CVES))
    for number in range(campaigns):
        shape = SHAPES[number % len(SHAPES)]
        size = rng.randint(5, 8) if shape == "cve" else rng.randint(3, 7)
        members = rng.sample(names, min(size, towns))
        start = START + timedelta(days=rng.uniform(0, max(0, days - 5)))
        scenario.reports += _campaign_reports(rng, shape, f"campaign-{number}-{shape}", members,
                                              start, cves[number % len(cves)])
    scenario.reports.sort(key=lambda r: (r.at, r.town))
    return scenario


def stix_report(report: Report, identity: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's STIX objects, as the town's agent would build them."""
    description = parse(report.description)
    incident = bundle.incident_id(identity["id"], description.incident)
    stamp = timestamps.stix_time(report.at)
    return bundle.build(description, identity=identity, incident=incident, created=stamp,
                        modified=stamp, default_tlp="amber")


def add_towns(db: Any, scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Member towns for the scenario's town names; returns slug → STIX identity."""
    with db.writing() as session:
        for slug, land in scenario.towns:
            nodes.add_node(session, slug, f"Stadt {slug}", land, now=timestamps.now_us(),
                           token_ttl_hours=1)
    slugs = {slug for slug, _ in scenario.towns}
    with db.session() as session:
        return {node.slug: json.loads(node.identity) for node in session.scalars(select(Node))
                if node.slug in slugs}


def replay(db: Any, scenario: Scenario, correlator: Any, *, detect: bool = True
           ) -> dict[str, str]:
    """Index every report in time order (and detect after each, as the hub does after each
    POST); returns incident id → "town/incident key" to compare with the truth."""
    identities = add_towns(db, scenario)
    names: dict[str, str] = {}
    for report in scenario.reports:
        identity = identities[report.town]
        objects = stix_report(report, identity)
        incident = next(o["id"] for o in objects if o["type"] == "incident")
        names[incident] = f"{report.town}/{report.description['incident']}"
        with db.writing() as session:
            touched = correlator.index(session, [(identity["id"], objects)], timestamps.now_us())
        if detect and touched:
            correlator.detect(db, touched)
    return names

"""`cyberhub demo --federation`: three hubs on loopback, as the Länder and the BSI coordinate.

Two Land hubs (Sachsen, Bayern), each with three towns whose agents run, and a federal hub
that both Land hubs are peered with exactly as operators do it (`cyberhub peers add` on both
sides, the keys pinned by thumbprint). Two towns in each Land report the same phishing wave:
neither Land hub sees a campaign (two towns are below its threshold of three), the federal
hub, which gets both Länder's reports through the Land hubs' schedulers - pseudonymised,
since they are TLP:AMBER - sees one across four towns. Its advisory comes down through both
Land hubs to exactly those four towns, whose agents verify the federal signature with the key
their own Land hub vouches for, apply it and acknowledge; the receipts go back up. The third
town in each Land receives nothing. Every process is stopped before it returns.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import requests

from cyberhub.core import timestamps
from cyberhub.demo.walkthrough import (
    POLL_SECONDS,
    Demo,
    DemoError,
    Town,
    all_acknowledged,
    analysts,
    answers,
    free_port,
    incident_text,
    wait_for,
)
from cyberhub.hub import nodes, setup
from cyberhub.hub.advisories import drafting, lifecycle
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.correlation import report
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import CampaignRecord

FORWARD_SECONDS = 5


@dataclass(frozen=True)
class HubSpec:
    name: str
    title: str
    land: str | None  # None: the federal hub
    towns: tuple[Town, ...] = ()


LANDS = (
    HubSpec("sachsen", "Landes-Hub Sachsen", "SN", (
        Town("grimma", "Stadt Grimma", "SN", True, False),
        Town("kamenz", "Stadt Kamenz", "SN", True, False),
        Town("zittau", "Stadt Zittau", "SN", False, False))),
    HubSpec("bayern", "Landes-Hub Bayern", "BY", (
        Town("passau", "Stadt Passau", "BY", True, False),
        Town("hof", "Stadt Hof", "BY", True, False),
        Town("lindau", "Stadt Lindau", "BY", False, False))),
)
FEDERAL = HubSpec("bund", "Bundes-Hub", None)


@dataclass
class Running:
    spec: HubSpec
    home: Path
    env: dict[str, str]
    db: Database
    base: str


def run(directory: Path, say: Callable[[str], None],
        database_urls: dict[str, str] | None = None) -> dict[str, Any]:
    """The story in `directory` (created, must be empty); each hub on SQLite in its own data
    directory unless `database_urls` names a database per hub (bund, sachsen, bayern)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise DemoError(f"{directory} is not empty; give the demo a new directory")
    demo = Demo(directory, say)
    hubs: dict[str, Running] = {}
    try:
        return _story(demo, hubs, say, database_urls or {})
    finally:
        demo.stop()
        for running in hubs.values():
            running.db.dispose()


def _start_hub(demo: Demo, spec: HubSpec, database_url: str | None) -> Running:
    home = demo.directory / "hubs" / spec.name
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
    env.update({"CYBERHUB_HOME": str(home), "CYBERHUB_TITLE": spec.title,
                "CYBERHUB_FORWARD_SECONDS": str(FORWARD_SECONDS)})
    if database_url:
        env["CYBERHUB_DATABASE_URL"] = database_url
    settings = load_settings(environ=env)
    db = Database(settings.effective_database_url)
    setup.initialise(settings, db, now=timestamps.now_us())
    port = free_port()
    demo.start(["cyberhub", "serve", "--host", "127.0.0.1", "--port", str(port)], env,
               demo.directory / f"{spec.name}.log")
    base = f"http://127.0.0.1:{port}/"
    wait_for(lambda: answers(base), f"the hub {spec.name} starting")
    return Running(spec, home, env, db, base)


def _thumbprint(base: str) -> str:
    return requests.get(f"{base}.well-known/cyberhub/jwks.json", timeout=10).json()[
        "keys"][0]["kid"]


def _story(demo: Demo, hubs: dict[str, Running], say: Callable[[str], None],
           database_urls: dict[str, str]) -> dict[str, Any]:
    say("1. Three hubs start on this machine: the federal hub and the Land hubs of Sachsen "
        "and Bayern, each with its own database and signing key.")
    for spec in (FEDERAL, *LANDS):
        hubs[spec.name] = _start_hub(demo, spec, database_urls.get(spec.name))
        say(f"   {spec.title}: {hubs[spec.name].base}taxii2/")
    federal = hubs[FEDERAL.name]

    say("2. Each Land hub is peered with the federal hub as operators do it: the keys are "
        "pinned by thumbprint, the Land hub enrols at the federal hub with a one-time token.")
    for spec in LANDS:
        land = hubs[spec.name]
        added = json.loads(demo.run(
            ["cyberhub", "peers", "add", spec.name, "--url", land.base, "--role",
             "downstream", "--land", spec.land or "", "--thumbprint", _thumbprint(land.base),
             "--json"], federal.env))
        demo.run(["cyberhub", "peers", "add", FEDERAL.name, "--url", federal.base, "--role",
                  "upstream", "--token", added["enrollment_token"], "--thumbprint",
                  _thumbprint(federal.base), "--json"], land.env)
        say(f"   {spec.title} <-> {FEDERAL.title}: key {added['thumbprints'][0][:12]}... "
            "pinned on both sides.")
        demo.start(["cyberhub", "scheduler"], land.env,
                   demo.directory / f"{spec.name}-scheduler.log")
    say(f"   The Land hubs' schedulers forward every {FORWARD_SECONDS} s.")

    say("3. Three towns per Land enrol at their Land hub; their agents run.")
    for spec in LANDS:
        land = hubs[spec.name]
        for town in spec.towns:
            with land.db.writing() as session:
                added = nodes.add_node(session, town.slug, town.name, town.land,
                                       now=timestamps.now_us(), token_ttl_hours=1)
            env = demo.agent_env(town, None)
            demo.run(["cyberhub.agent", "enroll", "--hub", land.base, "--token",
                      added["enrollment_token"]], env)
            demo.start(["cyberhub.agent", "run"], env, demo.town_home(town) / "agent.log")
        say(f"   {spec.title}: {', '.join(t.name for t in spec.towns)}.")

    say("4. Two towns in each Land report the same phishing wave (TLP:AMBER); the third "
        "reports something else.")
    detected = datetime.now(timezone.utc) - timedelta(hours=6)
    for spec in LANDS:
        for number, town in enumerate(spec.towns):
            path = demo.town_home(town) / "incident.yaml"
            path.write_text(incident_text(town, number, detected + timedelta(hours=number)),
                            encoding="utf-8")
            demo.run(["cyberhub.agent", "report", str(path)], demo.agent_env(town, None))
    say("   Neither Land hub alone sees a campaign: two towns are below its threshold of "
        "three.")

    say("5. The Land hubs forward: AMBER reports go up pseudonymised, signed by the Land hub; "
        "the federal hub checks both signatures and correlates across the Länder.")
    expected = sum(1 for spec in LANDS for town in spec.towns if town.in_campaign)
    # The Land hubs forward on their own clocks: wait until both Länder's towns are in it.
    campaign_id = wait_for(lambda: _campaign(federal.db, expected),
                           "a campaign across both Länder at the federal hub")
    for spec in LANDS:
        if _campaign(hubs[spec.name].db):
            raise DemoError(f"{spec.title} found a campaign on its own")
    with federal.db.session() as session:
        found = report.detail(session, campaign_id)
    towns = found["explanation"]["towns"]
    say(f"   {campaign_id}: {len(towns)} towns in "
        f"{len({t['land'] for t in towns})} Länder: "
        + ", ".join(f"{t['name']}" for t in towns) + ".")

    say("6. At the federal hub analyst anna drafts the advisory, coordinator ben approves and "
        "publishes it; it is signed with the federal key.")
    people = analysts(federal.db)
    hub = bootstrap(load_settings(environ=federal.env), federal.db)
    with federal.db.writing() as session:
        proposal = drafting.from_campaign(session, campaign_id)
        drafted = lifecycle.draft(session, people(session, "anna"), proposal,
                                  now=timestamps.now_us())
    advisory_id = drafted["id"]
    with federal.db.writing() as session:
        lifecycle.approve(session, people(session, "ben"), advisory_id,
                          now=timestamps.now_us())
    with federal.db.writing() as session:
        lifecycle.publish(session, people(session, "ben"), advisory_id, signer=hub.signer,
                          now=timestamps.now_us())
    say(f"   {advisory_id}: \"{drafted['title']}\", TLP:{drafted['tlp'].upper()}.")

    say("7. Down it goes: each Land hub verifies the federal signature, addresses its own "
        "towns in the campaign, whose agents verify it with the key their Land hub vouches "
        f"for (polling every {POLL_SECONDS} s), apply it and acknowledge; the receipts go up.")
    status = wait_for(lambda: all_acknowledged(federal.db, advisory_id),
                      "every addressed town and Land hub acknowledging", timeout=150)
    for item in status["towns"]:
        say(f"   {item['name']}: {item['acknowledged']}.")
    outsiders = [t for spec in LANDS for t in spec.towns if not t.in_campaign]
    for town in outsiders:
        listed = json.loads(demo.run(["cyberhub.agent", "advisories", "list", "--json"],
                                     demo.agent_env(town, None)))
        if listed:
            raise DemoError(f"{town.name} received an advisory it was not addressed to")
    say(f"   {' and '.join(t.name for t in outsiders)} received nothing.")
    first = next(t for t in LANDS[1].towns if t.in_campaign)
    blocklist = demo.town_home(first) / "blocklists" / "domain-blocklist.txt"
    blocked = [line for line in blocklist.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    say(f"   {first.name} now blocks: {', '.join(blocked)}.")
    return {"directory": str(demo.directory), "campaign": campaign_id,
            "advisory": advisory_id, "status": status,
            "lands": sorted({t["land"] for t in towns}),
            "hubs": {name: running.base for name, running in hubs.items()}}


def _campaign(db: Database, towns: int = 1) -> str | None:
    with db.session() as session:
        record = session.query(CampaignRecord).filter_by(state="active").first()
        return record.id if record and record.towns >= towns else None

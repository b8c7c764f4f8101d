"""`cyberhub demo`: the whole loop on one machine, on loopback, with SQLite.

A hub process and one agent process per town are started in a fresh directory. Four towns
report the same phishing wave, two report something else; the hub finds the campaign; an
analyst drafts the advisory, her own approval is refused, a coordinator approves and
publishes it; the campaign's towns get it (by push, or on their next poll), apply the
blocklists and acknowledge; the other towns receive nothing. Every process the demo starts is
stopped before it returns, also when a step fails or the user presses Ctrl-C.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import requests

from cyberhub.core import timestamps
from cyberhub.hub import accounts, nodes, setup
from cyberhub.hub.advisories import delivery, drafting, lifecycle
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.correlation import report
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import CampaignRecord, Node

POLL_SECONDS = 5
WAIT_SECONDS = 90


class DemoError(RuntimeError):
    """A step of the demo did not happen in time; the message says which."""


@dataclass(frozen=True)
class Town:
    slug: str
    name: str
    land: str
    in_campaign: bool
    push: bool  # listens for push notices; the others only poll


TOWNS = (
    Town("grimma", "Stadt Grimma", "SN", True, True),
    Town("hameln", "Stadt Hameln", "NI", True, True),
    Town("ilmenau", "Stadt Ilmenau", "TH", True, False),
    Town("jever", "Stadt Jever", "NI", True, False),
    Town("kamenz", "Stadt Kamenz", "SN", False, True),
    Town("lahr", "Stadt Lahr", "BW", False, False),
)
PHISHING_DOMAIN = "rechnung-stadtwerke.example"


def free_port() -> int:
    """A loopback port free right now, for the demo's hub and push listeners."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def incident_text(town: Town, number: int, detected: datetime) -> str:
    """The report a town's IT person writes, in the agent's description format."""
    stamp = detected.strftime("%Y-%m-%dT%H:%M:%SZ")
    if town.in_campaign:
        return f"""incident: demo-phishing-{town.slug}
title: Phishing-Welle gegen das Bürgerbüro
summary: Mitarbeitende erhalten Mails mit einer angeblichen Rechnung der Stadtwerke.
detected: {stamp}
determination: confirmed
criticality: high
types: [dissemination-phishing-emails]
tlp: amber
observables:
  domains: [{PHISHING_DOMAIN}]
  urls: ["https://{PHISHING_DOMAIN}/download/rechnung.zip"]
  files:
    - name: Rechnung_2026-4711.zip
      sha256: {"5f4dcc3b5aa765d61d8327deb882cf99" * 2}
  email_addresses: [buchhaltung@{PHISHING_DOMAIN}]
  email_subjects: ["Ihre Rechnung Nr. 2026-4711"]
techniques: [T1566.001]
"""
    return f"""incident: demo-other-{town.slug}
title: Viele fehlgeschlagene Anmeldungen am Bürgerportal
detected: {stamp}
determination: suspected
criticality: medium
types: [brute-force-attempt]
tlp: amber
observables:
  domains: [login-{town.slug}-{number}.example]
techniques: [T1110]
"""


@dataclass
class Demo:
    """The running pieces, and how to stop them all."""

    directory: Path
    say: Callable[[str], None]
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    hub: subprocess.Popen | None = None

    @property
    def hub_home(self) -> Path:
        return self.directory / "hub"

    def town_home(self, town: Town) -> Path:
        return self.directory / "towns" / town.slug

    def hub_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
        env["CYBERHUB_HOME"] = str(self.hub_home)
        # The demo's agents listen on loopback, which a hub pushes to only when allowed.
        env["CYBERHUB_PUSH_ALLOWED_NETWORKS"] = "127.0.0.0/8"
        return env

    def agent_env(self, town: Town, port: int | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
        env.update({"CYBERHUB_AGENT_HOME": str(self.town_home(town)),
                    "CYBERHUB_AGENT_POLL_INTERVAL": str(POLL_SECONDS),
                    "CYBERHUB_AGENT_SEND_INTERVAL": "2", "CYBERHUB_AGENT_REQUEST_TIMEOUT": "10"})
        if port is not None:
            env["CYBERHUB_AGENT_LISTEN"] = f"127.0.0.1:{port}"
        return env

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        handle = log.open("a", encoding="utf-8")
        self.logs.append(handle)
        process = subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def run(self, args: list[str], env: dict[str, str]) -> str:
        done = subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise DemoError(f"`{' '.join(args[:3])}` failed: "
                            f"{(done.stderr or done.stdout).strip()[-300:]}")
        return done.stdout

    def stop(self, *, keep_hub: bool = False) -> None:
        """SIGTERM to every process started (but the hub, if asked), then SIGKILL to any
        still there after 20 s."""
        stopping = [p for p in self.processes if not (keep_hub and p is self.hub)]
        for process in stopping:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in stopping:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not keep_hub:
            for handle in self.logs:
                handle.close()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.25)
    raise DemoError(f"{what} did not happen within {timeout:.0f} s")


def run(directory: Path, say: Callable[[str], None],
        keep: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run the demo in `directory` (created, must be empty); returns what it found. With
    `keep`, the towns' agents stop after the story but the hub goes on serving (its console
    too, with an analyst's login made for the reader) while `keep(result)` runs."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise DemoError(f"{directory} is not empty; give the demo a new directory")
    demo = Demo(directory, say)
    settings = load_settings(environ=demo.hub_env())
    db = Database(settings.effective_database_url)
    try:
        result = _loop(demo, settings, db, say)
        if keep is not None:
            demo.stop(keep_hub=True)
            result["console_login"] = _console_login(db)
            keep(result)
        return result
    finally:
        demo.stop()
        db.dispose()


def _loop(demo: Demo, settings: Any, db: Database, say: Callable[[str], None]
          ) -> dict[str, Any]:
    now = timestamps.now_us()
    say(f"1. Setting up a hub in {demo.hub_home} (SQLite), with its own signing key.")
    setup.initialise(settings, db, now=now)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo.hub = demo.start(["cyberhub", "serve", "--host", "127.0.0.1", "--port", str(port)],
                          demo.hub_env(), demo.directory / "hub.log")
    wait_for(lambda: answers(base), "the hub starting")
    say(f"   The TAXII 2.1 hub answers at {base}/taxii2/.")

    say(f"2. Enrolling {len(TOWNS)} towns: each agent makes its own Ed25519 key and registers "
        "it with a one-time token.")
    ports: dict[str, int | None] = {}
    for town in TOWNS:
        with db.writing() as session:
            added = nodes.add_node(session, town.slug, town.name, town.land,
                                   now=timestamps.now_us(), token_ttl_hours=1)
        ports[town.slug] = free_port() if town.push else None
        env = demo.agent_env(town, ports[town.slug])
        demo.run(["cyberhub.agent", "enroll", "--hub", base, "--token",
                  added["enrollment_token"]], env)
        demo.start(["cyberhub.agent", "run"], env, demo.town_home(town) / "agent.log")
        how = "listens for pushes" if town.push else f"polls every {POLL_SECONDS} s"
        say(f"   {town.name} ({nodes.LANDS[town.land]}): enrolled; its agent runs and {how}.")
    wait_for(lambda: _callbacks(db) == sum(1 for t in TOWNS if t.push),
             "the push listeners registering")

    say("3. The towns report what they saw: four the same phishing wave, two something "
        "unrelated. Each report is signed by the town's key and verified by the hub.")
    detected = datetime.now(timezone.utc) - timedelta(hours=len(TOWNS))
    for number, town in enumerate(TOWNS):
        path = demo.town_home(town) / "incident.yaml"
        path.write_text(incident_text(town, number, detected + timedelta(hours=number)),
                        encoding="utf-8")
        demo.run(["cyberhub.agent", "report", str(path)], demo.agent_env(town, None))
        say(f"   {town.name}: \"{'Phishing-Welle' if town.in_campaign else 'Anmeldeversuche'}"
            "\" delivered.")

    say("4. The correlation engine links reports from different towns that share rare "
        "evidence.")
    campaign_id = wait_for(lambda: _campaign(db), "a campaign being found")
    with db.session() as session:
        found = report.detail(session, campaign_id)
    evidence = ", ".join(f"{e['kind']} {e['key'].split(':', 1)[1]}"
                         for e in found["explanation"]["evidence"][:4])
    say(f"   Campaign {campaign_id}: {found['towns']} towns, score {found['score']}; "
        f"shared: {evidence}.")

    people = analysts(db)
    hub = bootstrap(settings, db)
    signer = hub.signer
    say("5. Analyst anna drafts an advisory from the campaign: what to block, plain words in "
        "German and English, the TLP, and the playbook that fits.")
    with db.writing() as session:
        proposal = drafting.from_campaign(session, campaign_id)
        drafted = lifecycle.draft(session, people(session, "anna"), proposal,
                                  now=timestamps.now_us())
    advisory_id = drafted["id"]
    say(f"   {advisory_id}: \"{drafted['title']}\", TLP:{drafted['tlp'].upper()}, "
        f"{len(proposal.indicators)} indicators, playbook {proposal.playbook}.")

    say("6. Four eyes: anna may not approve her own draft; coordinator ben approves it.")
    try:
        with db.writing() as session:
            lifecycle.approve(session, people(session, "anna"), advisory_id,
                              now=timestamps.now_us())
        raise DemoError("the author's own approval was accepted")
    except lifecycle.AdvisoryError as exc:
        say(f"   refused: {exc}")
    with db.writing() as session:
        lifecycle.approve(session, people(session, "ben"), advisory_id, now=timestamps.now_us())
    say("   approved by ben.")

    say("7. Ben publishes it: the hub signs it, addresses it to the campaign's towns only "
        "(AMBER), and pushes a signed notice to the towns that listen.")
    published_at = time.monotonic()
    with db.writing() as session:
        lifecycle.publish(session, people(session, "ben"), advisory_id, signer=signer,
                          now=timestamps.now_us())
    pushed = delivery.push_due(db, signer=signer, now=timestamps.now_us(),
                               allowed_networks=hub.push_allowed_networks)
    say(f"   pushed to: {', '.join(pushed.delivered) or '-'}; the others poll.")

    say("8. The agents verify the hub's signature, write their blocklists and acknowledge.")
    status = wait_for(lambda: all_acknowledged(db, advisory_id), "every addressed town "
                      "acknowledging")
    seconds = time.monotonic() - published_at
    for town in status["towns"]:
        say(f"   {town['name']}: {town['acknowledged']} ({town['reason']}, push: "
            f"{town['push']}).")
    say(f"   All {status['addressed']} addressed towns acknowledged within {seconds:.1f} s.")
    first = next(t for t in TOWNS if t.in_campaign)
    blocklist = demo.town_home(first) / "blocklists" / "domain-blocklist.txt"
    blocked = [line for line in blocklist.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    say(f"   {first.name} now blocks: {', '.join(blocked)} (in {blocklist.parent}).")
    outsiders = [t for t in TOWNS if not t.in_campaign]
    for town in outsiders:
        listed = json.loads(demo.run(["cyberhub.agent", "advisories", "list", "--json"],
                                     demo.agent_env(town, None)))
        if listed:
            raise DemoError(f"{town.name} received an advisory it was not addressed to")
    say(f"   {' and '.join(t.name for t in outsiders)}, outside the campaign, received "
        "nothing: AMBER is for the towns that need it.")
    return {"directory": str(demo.directory), "campaign": campaign_id,
            "advisory": advisory_id, "seconds": round(seconds, 2), "status": status,
            "pushed": pushed.delivered, "first_town": first.slug,
            "console": f"{base}/console/"}


def answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/taxii2/", timeout=1).status_code == 401
    except requests.RequestException:
        return False


def _callbacks(db: Database) -> int:
    with db.session() as session:
        return session.query(Node).filter(Node.callback_url.is_not(None)).count()


def _campaign(db: Database) -> str | None:
    with db.session() as session:
        record = session.query(CampaignRecord).filter_by(state="active").first()
        return record.id if record else None


def analysts(db: Database) -> Callable[[Any, str], Any]:
    """anna (analyst) and ben (coordinator), with passwords nobody needs to see."""
    passwords = {"anna": secrets.token_urlsafe(18), "ben": secrets.token_urlsafe(18)}
    with db.writing() as session:
        for name, role in (("anna", "analyst"), ("ben", "coordinator")):
            accounts.create_account(session, name, passwords[name], now=timestamps.now_us(),
                                    role=role)
    return lambda session, name: accounts.check_password(session, name, passwords[name])


def _console_login(db: Database) -> dict[str, str]:
    """An analyst's account for the reader of the demo (an analyst needs no second factor)."""
    password = accounts.generate_password()
    with db.writing() as session:
        accounts.create_account(session, "lagezentrum", password, now=timestamps.now_us(),
                                role="analyst")
    return {"username": "lagezentrum", "password": password}


def all_acknowledged(db: Database, advisory_id: str) -> dict[str, Any] | None:
    with db.session() as session:
        status = lifecycle.status(session, advisory_id)
    done = status["addressed"] and status["acknowledged"] == status["addressed"]
    return status if done else None

"""Issue 6 end to end, with a real hub process and real agent processes on loopback.

Five towns report one phishing wave; the campaign appears; the author's own approval is
refused, a second analyst approves, a coordinator publishes; every addressed agent applies the
blocklist and acknowledges within one poll interval (two of them woken by a push); a town
outside the AMBER audience receives nothing, also when paging with `next`; the withdrawal
reaches the agents.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from agent.conftest import PERSON_PASSWORD, wait_for
from hubprocess import free_port
from taxii2client.v21 import Collection, as_pages

from cyberhub.core import timestamps
from cyberhub.demo.walkthrough import PHISHING_DOMAIN, Town, incident_text

POLL = 3
TOWNS = [Town(slug, f"Stadt {slug.title()}", land, True, push) for slug, land, push in (
    ("annaberg", "SN", True), ("bautzen", "SN", True), ("calw", "BW", False),
    ("detmold", "NW", False), ("eisenach", "TH", False))]
OUTSIDER = Town("forst", "Stadt Forst", "BB", False, False)


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    """The agents listen on loopback: the hub process and its commands allow it, as an operator
    allows a Land's network (before `hub_process` starts: autouse fixtures come first)."""
    monkeypatch.setenv("CYBERHUB_PUSH_ALLOWED_NETWORKS", "127.0.0.0/8")


def _person_cli(hub_process, *args: str, person: str) -> subprocess.CompletedProcess:
    env = {**hub_process.running.env, "CYBERHUB_PASSWORD": PERSON_PASSWORD}
    return subprocess.run([sys.executable, "-m", "cyberhub", *args, "--as", person, "--json"],
                          env=env, capture_output=True, text=True, timeout=60)


def _credentials(agent) -> tuple[str, str]:
    with sqlite3.connect(agent.home / "agent.db") as conn:
        rows = dict(conn.execute("SELECT key, value FROM settings WHERE key IN "
                                 "('username', 'password')").fetchall())
    return json.loads(rows["username"]), json.loads(rows["password"])


def _paged(hub_process, agent) -> list[dict]:
    """The advisories collection as this town's account reads it, one object per page."""
    user, password = _credentials(agent)
    collection_id = hub_process.running.collection("advisories").id
    collection = Collection(f"{hub_process.running.url}hub/collections/{collection_id}/",
                            user=user, password=password)
    found: list[dict] = []
    for page in as_pages(collection.get_objects, per_request=1):
        found += page.get("objects", [])
    return found


def _blocked(agent) -> set[str]:
    path = agent.home / "blocklists" / "domain-blocklist.txt"
    if not path.exists():
        return set()
    return {line for line in path.read_text().splitlines() if line and line[0] != "#"}


def test_from_five_reports_to_applied_acknowledged_and_withdrawn(hub_process, make_agent,
                                                                  tmp_path):
    for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator")):
        hub_process.cli("accounts", "add", name, "--role", role, "--password-stdin",
                        input=PERSON_PASSWORD + "\n")
    agents = {}
    for number, town in enumerate(TOWNS + [OUTSIDER]):
        settings = {"poll_interval": POLL}
        if town.push:
            settings["listen"] = f"127.0.0.1:{free_port()}"
        agent = make_agent(town.slug, town.land, **settings)
        agents[town.slug] = agent
        agent.start()
    detected = datetime.now(timezone.utc) - timedelta(hours=12)
    for number, town in enumerate(TOWNS + [OUTSIDER]):
        path = tmp_path / f"{town.slug}.yaml"
        path.write_text(incident_text(town, number, detected + timedelta(hours=number)))
        assert agents[town.slug].json("report", str(path))["state"] == "delivered"

    campaigns = hub_process.cli("campaigns", "list")
    assert len(campaigns) == 1 and campaigns[0]["towns"] == 5
    campaign_id = campaigns[0]["id"]

    drafted = json.loads(_person_cli(hub_process, "advisories", "draft", "--campaign",
                                     campaign_id, person="anna").stdout)
    advisory_id = drafted["id"]
    assert drafted["tlp"] == "amber" and drafted["state"] == "draft"
    own = _person_cli(hub_process, "advisories", "approve", advisory_id, person="anna")
    assert own.returncode == 1 and "second analyst" in own.stderr
    assert len(own.stderr.strip().splitlines()) == 1
    assert _person_cli(hub_process, "advisories", "approve", advisory_id,
                       person="bert").returncode == 0
    published = _person_cli(hub_process, "advisories", "publish", advisory_id, person="carla")
    assert published.returncode == 0, published.stderr
    assert sorted(json.loads(published.stdout)["pushed"]) == ["annaberg", "bautzen"]

    # Every addressed agent applies and acknowledges within one poll interval.
    def acknowledged() -> dict | None:
        status = hub_process.cli("advisories", "status", advisory_id)
        return status if status["acknowledged"] == 5 else None

    status = wait_for(acknowledged, timeout=30, what="five acknowledgements")
    # Measured by the hub's own clock: from the version's timestamp to each receipt.
    published_at = timestamps.to_us(status["published_version"])
    delays = {t["node"]: (timestamps.to_us(t["acknowledged_at"]) - published_at) / 1e6
              for t in status["towns"]}
    assert max(delays.values()) <= POLL + 1.5, delays  # one poll interval, plus the poll
    assert {t["node"]: t["acknowledged"] for t in status["towns"]} == {
        t.slug: "applied" for t in TOWNS}
    for town in TOWNS:
        assert PHISHING_DOMAIN in _blocked(agents[town.slug])

    # The town outside the AMBER audience: nothing on its agent, nothing page by page.
    outsider = agents[OUTSIDER.slug]
    assert outsider.json("advisories", "list") == []
    assert _blocked(outsider) == set()
    assert _paged(hub_process, outsider) == []
    inside = _paged(hub_process, agents["calw"])
    assert advisory_id in {o["id"] for o in inside} and len(inside) > 5

    withdrawn = _person_cli(hub_process, "advisories", "withdraw", advisory_id, "--reason",
                            "Absender war legitim", person="carla")
    assert withdrawn.returncode == 0, withdrawn.stderr
    for town in TOWNS:
        wait_for(lambda: PHISHING_DOMAIN not in _blocked(agents[town.slug]), timeout=15,
                 what=f"the withdrawal at {town.slug}")
        assert agents[town.slug].json("advisories", "list")[0]["state"] == "withdrawn"
    history = [e["action"] for e in hub_process.cli("audit", "--subject", advisory_id)]
    assert history == ["advisory.draft", "advisory.approve-refused", "advisory.approve",
                       "advisory.publish", "advisory.withdraw"]

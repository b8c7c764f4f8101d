"""The agent end to end: a real hub process on loopback, real agent processes.

Enrol; report from a file; the hub stopped while reports queue, then started: each delivered
exactly once; the agent killed with SIGKILL while sending: nothing lost; an advisory published on
the hub applied within one poll interval; a tampered advisory refused; a sighting reaching the
hub; key rotation; a full disk.
"""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from cyberhub.agent import reporting
from cyberhub.agent.context import open_agent
from cyberhub.agent.description import load
from cyberhub.agent.node_settings import load_settings

from .conftest import EXAMPLE, wait_for

ATTACKER = "203.0.113.77"


def _incident_file(directory: Path, key: str, stage: str = "early-warning",
                   address: str = "198.51.100.23") -> Path:
    path = directory / f"{key}-{stage}.yaml"
    path.write_text(f"""
incident: {key}
stage: {stage}
title: Verdächtige Anmeldungen am Bürgerportal ({key})
detected: 2026-11-20T07:15:00Z
determination: suspected
criticality: medium
types: [brute-force-attempt]
observables:
  ipv4: [{address}]
techniques: [T1110]
""", encoding="utf-8")
    return path


def _incidents(hub_process) -> Counter:
    """incident id → number of stored versions in the hub's reports collection."""
    objects = hub_process.objects("reports", type="incident", version="all")
    return Counter(o["id"] for o in objects)


def test_enroll_report_and_status(hub_process, make_agent):
    agent = make_agent("musterstadt")
    home = agent.home
    assert (home / "node_key.pem").stat().st_mode & 0o777 == 0o600
    assert (home / "agent.db").stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o777 == 0o700

    assert agent.json("report", str(EXAMPLE))["state"] == "delivered"

    status = agent.json("status")
    assert status["queue"]["delivered"] == 1 and status["queue"]["queued"] == 0
    nodes = hub_process.cli("nodes", "list")
    node = next(n for n in nodes if n["slug"] == "musterstadt")
    assert status["key_id"] in [k["kid"] for k in node["keys"]]
    assert status["last_contact"] is not None

    stored = hub_process.objects("reports")
    incident = next(o for o in stored if o["type"] == "incident")
    assert incident["created_by_ref"] == status["identity"]
    assert incident["name"] == "Phishing-Welle gegen das Bürgerbüro"
    types = Counter(o["type"] for o in stored)
    assert types["indicator"] == 7 and types["sighting"] == 7 and types["observed-data"] == 1

    # A later stage is a new version of the same incident, not a new incident.
    later = EXAMPLE.read_text(encoding="utf-8").replace("stage: early-warning",
                                                        "stage: notification")
    (home / "stage2.yaml").write_text(later, encoding="utf-8")
    assert agent.run("report", str(home / "stage2.yaml")).returncode == 0
    assert list(_incidents(hub_process).values()) == [2]

    # Reporting the very same file again changes nothing and says why.
    again = agent.run("report", str(home / "stage2.yaml"))
    assert again.returncode == 1
    assert "schon mit genau diesem Inhalt gemeldet" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_hub_down_reports_queue_and_each_arrives_once(hub_process, make_agent, tmp_path):
    agent = make_agent("aachen")
    hub_process.stop()
    for n in range(3):
        assert agent.json("report", str(_incident_file(tmp_path, f"down-{n}")))["state"] \
            == "queued"
    assert agent.queue_counts()["queued"] == 3
    queued = agent.json("queue")
    assert all(row["last_error"] for row in queued)

    agent.start()
    time.sleep(2)  # the daemon retries against the stopped hub, with backoff
    assert agent.queue_counts()["queued"] == 3
    hub_process.start()
    wait_for(lambda: agent.queue_counts()["queued"] == 0, what="the queue to drain")
    counts = _incidents(hub_process)
    assert len(counts) == 3 and set(counts.values()) == {1}
    assert agent.queue_counts()["delivered"] == 3


def test_sigkill_while_sending_loses_nothing_and_stores_nothing_twice(
        hub_process, make_agent, tmp_path):
    agent = make_agent("bautzen")
    # Queued as `report --no-send` does, in this process: forty commands would take 15 s.
    local = open_agent(load_settings(environ=agent.env))
    for n in range(40):
        reporting.queue_report(local, load(_incident_file(
            tmp_path, f"kill-{n}", address=f"198.51.100.{n + 1}")), source="file")
    local.store.close()
    # Kill `send` at several moments; each kill may land before, during or after a POST.
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5):
        process = subprocess.Popen([sys.executable, "-m", "cyberhub.agent", "send"],
                                   env=agent.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert agent.run("send").returncode == 0
    counts = agent.queue_counts()
    assert counts == {**counts, "queued": 0, "delivered": 40, "refused": 0}
    incidents = _incidents(hub_process)
    assert len(incidents) == 40 and set(incidents.values()) == {1}
    indicators = hub_process.objects("reports", type="indicator", version="all")
    assert len(indicators) == len({o["id"] for o in indicators}) == 40


CREDENTIAL_STUFFING = "playbook--c36db74c-8889-47e5-b168-e7b5b5086da7"


def _advisory(address: str, **changes) -> dict:
    """An advisory document as an analyst writes it: one address to block, GREEN."""
    return {
        "title": {"de": "Warnung: Passwort-Angriffe auf Kommunen",
                  "en": "Warning: password attacks on towns"},
        "summary": {"de": "Sperren Sie die Adresse.", "en": "Block the address."},
        "severity": "high", "tlp": "green",
        "indicators": [{"kind": "ipv4", "value": address, "note": f"Angreifer {address}"}],
        "playbook": CREDENTIAL_STUFFING, **changes}


def _indicator_of(hub_process, advisory_id: str) -> dict:
    objects = hub_process.objects("advisories")
    report = next(o for o in objects if o["id"] == advisory_id)
    return next(o for o in objects if o["id"] in report["object_refs"]
                and o["type"] == "indicator")


def test_advisory_applied_within_one_poll_and_withdrawn(hub_process, make_agent, tmp_path):
    from cyberhub.hub import playbooks

    agent = make_agent("coburg", poll_interval=2)
    agent.start()
    blocklist = agent.home / "blocklists" / "ip-blocklist.txt"
    wait_for(blocklist.exists, what="the first poll")
    advisory_id = hub_process.publish_advisory(_advisory(ATTACKER), tmp_path)
    published = time.monotonic()
    wait_for(lambda: ATTACKER in blocklist.read_text(), timeout=10, what="the blocklist")
    assert time.monotonic() - published <= 2 + 1.5  # one poll interval, plus the poll itself
    nft = (agent.home / "blocklists" / "cyberhub.nft").read_text()
    assert f"elements = {{ {ATTACKER} }}" in nft

    receipts = wait_for(lambda: hub_process.cli("receipts", "--advisory", advisory_id),
                        what="the receipt")
    assert [(r["node"], r["state"]) for r in receipts] == [("coburg", "applied")]
    shown = agent.json("advisories", "show", advisory_id)
    assert shown["severity"] == "high" and ATTACKER in shown["blocked"]
    playbook = next(p for p in playbooks.load() if p["id"] == CREDENTIAL_STUFFING)
    assert shown["playbook"] == playbooks.steps(playbook)
    status = hub_process.cli("advisories", "status", advisory_id)
    assert [(t["node"], t["acknowledged"]) for t in status["towns"]] == [("coburg", "applied")]

    hub_process.cli("advisories", "withdraw", advisory_id, "--reason", "falscher Alarm",
                    as_person="carla")
    wait_for(lambda: ATTACKER not in blocklist.read_text(), timeout=10, what="withdrawal")
    wait_for(lambda: any(r["state"] == "withdrawn" for r in hub_process.cli(
        "receipts", "--advisory", advisory_id)), what="the withdrawal receipt")
    assert agent.json("advisories", "list")[0]["state"] == "withdrawn"


def test_tampered_and_unsigned_advisories_are_refused(hub_process, make_agent, tmp_path, db):
    from cyberhub.hub.storage.models import AdvisoryObject

    agent = make_agent("dessau")
    advisory_id = hub_process.publish_advisory(_advisory(ATTACKER), tmp_path)
    # Someone with access to the hub's database (or the wire) swaps the address.
    with db.engine.begin() as connection:
        changed = connection.execute(text(
            "UPDATE objects SET body = replace(body, :old, :new) WHERE type = 'indicator'"),
            {"old": ATTACKER, "new": "192.0.2.1"}).rowcount
    assert changed == 1
    # And an unsigned report is posted straight into the collection and addressed with it.
    unsigned = {
        "type": "report", "spec_version": "2.1",
        "id": "report--6c8d3e0f-2a4b-4c7d-9e0f-1b2c3d4e5f60",
        "created": "2026-11-21T09:00:00.000Z", "modified": "2026-11-21T09:00:00.000Z",
        "name": "Bitte 192.0.2.2 sperren", "published": "2026-11-21T09:00:00.000Z",
        "report_types": ["threat-report"], "object_refs": [_indicator_of(hub_process,
                                                                         advisory_id)["id"]]}
    status = hub_process.running.collection("advisories").add_objects({"objects": [unsigned]})
    assert status.success_count == 1
    with db.writing() as session:
        session.add(AdvisoryObject(advisory_id=advisory_id, object_id=unsigned["id"]))

    agent.start()
    wait_for(lambda: agent.json("status")["refused_advisory_content"] >= 2,
             what="the refusals")
    blocklist = (agent.home / "blocklists" / "ip-blocklist.txt").read_text()
    assert "192.0.2.1" not in blocklist and "192.0.2.2" not in blocklist
    assert agent.json("advisories", "list") == []
    log = agent.daemon_log()
    assert "hash-mismatch" in log and "unsigned" in log
    receipts = wait_for(lambda: hub_process.cli("receipts"), what="refusal receipts")
    assert {r["state"] for r in receipts} == {"refused"}
    assert any("hash-mismatch" in (r["detail"] or "") for r in receipts)


def test_sighting_of_an_advisory_indicator_reaches_the_hub(hub_process, make_agent, tmp_path):
    auth_log = tmp_path / "auth.log"
    auth_log.write_text("".join(
        f"Nov 21 07:15:{second:02d} rathaus sshd[4242]: Failed password for invalid user "
        f"admin from {ATTACKER} port {40000 + second} ssh2\n" for second in range(12)))
    config = tmp_path / "agent.toml"
    config.write_text(f'[[collectors]]\nkind = "sshd"\npath = "{auth_log}"\n')
    agent = make_agent("erfurt", config=str(config))
    collected = agent.json("collect")
    assert collected["findings"] == 1 and collected["draft"]
    advisory_id = hub_process.publish_advisory(_advisory(ATTACKER), tmp_path)
    agent.start()

    def sightings() -> list[dict]:
        return [o for o in hub_process.objects("reports", type="sighting")]

    found = wait_for(sightings, what="the sighting at the hub")
    assert found[0]["sighting_of_ref"] == _indicator_of(hub_process, advisory_id)["id"]
    assert found[0]["where_sighted_refs"] == [agent.json("status")["identity"]]
    assert found[0]["count"] == 12


def test_key_rotation_then_reporting(hub_process, make_agent, tmp_path):
    agent = make_agent("fulda")
    old = agent.json("status")["key_id"]
    rotated = agent.json("keys", "rotate")
    assert rotated["retired"] == old and rotated["kid"] != old
    assert not (agent.home / "node_key.next.pem").exists()
    assert (agent.home / "node_key.pem").stat().st_mode & 0o777 == 0o600
    keys = next(n for n in hub_process.cli("nodes", "list") if n["slug"] == "fulda")["keys"]
    assert {k["kid"]: k["revoked"] for k in keys} == {old: True, rotated["kid"]: False}
    assert agent.json("report", str(_incident_file(tmp_path, "after-rotation")))["state"] \
        == "delivered"


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_refuses_the_report_and_keeps_the_queue(hub_process, make_agent, tmp_path):
    agent = make_agent("gera")
    hub_process.stop()
    assert agent.run("report", str(_incident_file(tmp_path, "first"))).returncode == 0
    big = tmp_path / "big.yaml"
    addresses = ", ".join(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in range(3000))
    big.write_text(f"incident: big\ntitle: Sehr viele Adressen\nobservables:\n"
                   f"  ipv4: [{addresses}]\n", encoding="utf-8")
    sizes = [p.stat().st_size for p in agent.home.iterdir() if p.is_file()]
    done = agent.run("report", "--no-send", str(big),
                     preexec_fn=_limit_file_size(max(sizes) + 64 * 1024))
    assert done.returncode == 1
    assert done.stderr.startswith("Fehler: Die Datenbank des Agenten konnte nicht geschrieben "
                                  "werden")
    assert len(done.stderr.strip().splitlines()) == 1
    queue = agent.json("queue")
    assert [row["incident"] for row in queue] == ["first"]
    with sqlite3.connect(agent.home / "agent.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    hub_process.start()
    assert agent.run("send").returncode == 0
    assert list(_incidents(hub_process).values()) == [1]


def test_reporting_before_enrolment_says_what_to_do(make_agent):
    agent = make_agent("hameln", enroll=False)
    done = agent.run("report", str(EXAMPLE))
    assert done.returncode == 1
    assert done.stderr.startswith("Fehler: Dieser Agent ist noch nicht angemeldet; "
                                  "`cyberhub-agent enroll")
    assert agent.run("queue").returncode == 0

"""`cyberhub demo --federation`, the three-hub end-to-end test: real hub processes, real
schedulers and real agents on loopback, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import POSTGRES_URL, settings_for

from cyberhub.demo import federation
from demo.test_walkthrough import _processes_mentioning


def test_a_campaign_across_two_lands_is_found_federally_and_its_advisory_reaches_the_towns(
        tmp_path):
    directory = tmp_path / "federation"
    urls = {name: settings_for(tmp_path / name, f"federation_{name}").effective_database_url
            for name in ("bund", "sachsen", "bayern")} if POSTGRES_URL else None
    lines: list[str] = []

    result = federation.run(directory, lines.append, database_urls=urls)

    status = result["status"]
    assert result["lands"] == ["BY", "SN"]
    assert status["published_tlp"] == "amber"
    # Two Land hubs and the four campaign towns (by their Land hub's pseudonyms), all applied.
    assert status["addressed"] == status["acknowledged"] == 6
    assert sorted(town["reason"] for town in status["towns"]) == ["campaign"] * 4 + \
        ["relay"] * 2
    assert all(t["name"].startswith("Kommune in ") for t in status["towns"]
               if t["reason"] == "campaign")  # the federal hub never learnt their names
    blocked = directory / "towns" / "grimma" / "blocklists" / "domain-blocklist.txt"
    assert "rechnung-stadtwerke.example" in blocked.read_text()
    assert not (directory / "towns" / "zittau" / "blocklists" / "domain-blocklist.txt"
                ).exists() or "rechnung" not in (
        directory / "towns" / "zittau" / "blocklists" / "domain-blocklist.txt").read_text()
    assert any("Neither Land hub alone sees a campaign" in line for line in lines)
    assert _processes_mentioning(str(directory)) == []


def test_the_federation_demo_has_no_console_to_keep(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
    done = subprocess.run([sys.executable, "-m", "cyberhub", "demo", "--federation", "--keep",
                           "--directory", str(tmp_path / "x")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "--keep is for the one-hub demo" in done.stderr
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())

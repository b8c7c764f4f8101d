"""`cyberhub demo` as a newcomer runs it: the whole loop, then nothing left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _processes_mentioning(text: str) -> list[int]:
    """Our processes whose environment or command line names `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in blob:
            found.append(int(entry.name))
    return found


def test_the_demo_runs_the_whole_loop_and_stops_everything(tmp_path):
    directory = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
    done = subprocess.run([sys.executable, "-m", "cyberhub", "demo", "--directory",
                           str(directory), "--json"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    status = result["status"]
    assert status["state"] == "published" and status["published_tlp"] == "amber"
    assert status["addressed"] == status["acknowledged"] == 4
    assert sorted(result["pushed"]) == ["grimma", "hameln"]
    assert _processes_mentioning(str(directory)) == []
    # The towns outside the campaign got nothing; the first campaign town blocks the sender.
    blocked = (directory / "towns" / "grimma" / "blocklists" / "domain-blocklist.txt")
    assert "rechnung-stadtwerke.example" in blocked.read_text()
    assert not (directory / "towns" / "lahr" / "blocklists" / "domain-blocklist.txt"
                ).read_text().count("rechnung")


def test_the_demo_refuses_a_directory_in_use(tmp_path):
    (tmp_path / "something").write_text("mine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
    done = subprocess.run([sys.executable, "-m", "cyberhub", "demo", "--directory",
                           str(tmp_path)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: demo stopped: {tmp_path} is not empty; give the demo a new directory"]
    assert (tmp_path / "something").read_text() == "mine"

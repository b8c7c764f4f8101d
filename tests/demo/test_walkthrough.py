"""`cyberhub demo` as a newcomer runs it: the whole loop, the console left running with
`--keep`, then nothing left running after Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests


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


def _first_document(stream) -> dict:
    """The JSON document the demo prints once its story is told (it then keeps running)."""
    text = ""
    for line in stream:
        text += line
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"the demo ended without its result: {text[-500:]}")


def _console_page(base: str, login: dict[str, str]) -> str:
    """Sign in to the console as a browser does (CSRF token from the form) and read the
    Lagebild."""
    with requests.Session() as browser:
        form = browser.get(f"{base}login", timeout=10).text
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', form)
        answer = browser.post(f"{base}login", timeout=10, data={
            **login, "csrf_token": token.group(1)})
        assert answer.status_code == 200 and answer.url == base, answer.text[:500]
        return answer.text


def test_the_demo_runs_the_whole_loop_keeps_the_console_and_stops_everything(tmp_path):
    directory = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
    demo = subprocess.Popen([sys.executable, "-m", "cyberhub", "demo", "--directory",
                             str(directory), "--json", "--keep"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        result = _first_document(demo.stdout)
        # The story is told; the hub goes on, its console holds the campaign and the advisory.
        page = _console_page(result["console"], result["console_login"])
        assert "<h1>Lagebild</h1>" in page and result["campaign"] in page
        assert len(_processes_mentioning(str(directory))) >= 1  # the hub
    finally:
        demo.send_signal(signal.SIGINT)
        _, errors = demo.communicate(timeout=60)
    assert demo.returncode == 0, errors
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

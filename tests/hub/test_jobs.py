"""`cyberhub scheduler`: a process that runs the full correlation pass and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from cyberhub.core import timestamps
from cyberhub.hub import setup


def test_scheduler_runs_a_full_pass_and_stops_on_sigterm(settings, db, tmp_path):
    setup.initialise(settings, db, now=timestamps.now_us())
    env = {**os.environ, "CYBERHUB_HOME": str(settings.home),
           "CYBERHUB_DATABASE_URL": settings.effective_database_url}
    env.pop("CYBERHUB_CONFIG", None)
    log = tmp_path / "scheduler.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cyberhub", "scheduler", "--minutes", "60"], env=env,
            stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "full correlation pass" not in log.read_text():
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the scheduler did not stop: " + log.read_text()) from None
    text = log.read_text()
    assert "full correlation pass: 0 index rows, 0 campaigns written" in text, text
    assert process.returncode == 0

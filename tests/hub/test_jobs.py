"""`cyberhub scheduler`: a process that runs the full correlation pass and stops cleanly, and
mails the analysts what is new when mail is set up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from cyberhub.core import timestamps
from cyberhub.hub import setup
from cyberhub.hub.advisories import document
from hub.advisories.conftest import people  # noqa: F401 - fixture
from hub.advisories.test_lifecycle import GREEN_DOCUMENT
from hub.test_notifications import (  # noqa: F401 - fixture
    SENDER,
    TEAM,
    _step,
    mail_was_on,
    server,
)


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


def test_the_scheduler_mails_a_waiting_draft_once(settings, db, people, server,  # noqa: F811
                                                 tmp_path):
    mail_was_on(db)
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    env = {**os.environ, "CYBERHUB_HOME": str(settings.home),
           "CYBERHUB_DATABASE_URL": settings.effective_database_url,
           "CYBERHUB_MAIL_HOST": "127.0.0.1", "CYBERHUB_MAIL_PORT": str(server.port),
           "CYBERHUB_MAIL_SECURITY": "none", "CYBERHUB_MAIL_FROM": SENDER,
           "CYBERHUB_MAIL_TO": TEAM}
    env.pop("CYBERHUB_CONFIG", None)
    log = tmp_path / "scheduler.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cyberhub", "scheduler", "--minutes", "60"], env=env,
            stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "event(s) mailed" not in log.read_text():
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = log.read_text()
    assert "e-mail notifications to 1 address(es) through 127.0.0.1" in text, text
    assert server.subjects() == ["[cyberhub] Warnung wartet auf Freigabe: TLP:GREEN, mittel"]
    assert drafted["id"] in server.mails[0].get_content()
    assert process.returncode == 0

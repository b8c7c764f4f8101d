"""A hub as a real server process on loopback (`cyberhub serve`), for the interoperability
and agent end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests
from taxii2client.v21 import Server


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningHub:
    def __init__(self, settings, workers: int, password: str | None = None,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "CYBERHUB_HOME": str(settings.home),
            "CYBERHUB_DATABASE_URL": settings.effective_database_url,
        }
        self.env.pop("CYBERHUB_CONFIG", None)
        if password is None:
            init = subprocess.run([sys.executable, "-m", "cyberhub", "init", "--json"],
                                  env=self.env, capture_output=True, text=True, check=True)
            password = json.loads(init.stdout)["admin"]["password"]
        self.password = password
        # The server's log goes to a file: a pipe nobody reads fills up after some hundred
        # requests and then stops the server at its next log line.
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="hub-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cyberhub", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers)],
            env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}/taxii2/"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url, timeout=1).status_code == 401:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("hub did not start")

    def server(self, user: str = "admin", password: str | None = None) -> Server:
        return Server(self.url, user=user, password=password or self.password)

    def collection(self, alias: str):
        collections = self.server().default.collections
        return next(c for c in collections if c.alias == alias)

    def log(self, lines: int = 40) -> str:
        """The end of the server's log, for a failing test's message."""
        with open(self.log_file.name, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT is gunicorn's quick shutdown: a graceful one (SIGTERM) waits for the
        keep-alive connections the clients still hold, seconds per hub the tests do not need."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        if os.path.exists(self.log_file.name):  # stop() may come twice
            os.unlink(self.log_file.name)

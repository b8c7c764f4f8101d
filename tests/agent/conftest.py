"""Fixtures for the agent: real agent processes (`python -m cyberhub.agent`) against a real hub
process on loopback, and in-process agents for the unit tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from hubprocess import RunningHub

from cyberhub.agent.context import open_agent
from cyberhub.agent.node_settings import load_settings
from cyberhub.core import timestamps
from cyberhub.hub import nodes

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "incident.example.yaml"


def wait_for(condition: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


PERSON_PASSWORD = "analysts keep four eyes open"


class HubProcess:
    """The hub server plus its CLI, restartable on the same port."""

    def __init__(self, settings, password: str) -> None:
        self.settings = settings
        self.running: RunningHub | None = None
        self.port: int | None = None
        self.password = password

    def start(self) -> HubProcess:
        self.running = RunningHub(self.settings, 1, self.password, port=self.port)
        self.port, self.password = self.running.port, self.running.password
        return self

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, input: str | None = None, as_person: str | None = None) -> Any:
        env = dict(self.running.env)
        if as_person:
            args = (*args, "--as", as_person)
            env["CYBERHUB_PASSWORD"] = PERSON_PASSWORD
        done = subprocess.run([sys.executable, "-m", "cyberhub", *args, "--json"],
                              env=env, capture_output=True, text=True, timeout=60, input=input)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def publish_advisory(self, document: dict[str, Any], directory: Path | None = None) -> str:
        """Draft as anna (analyst), approve and publish as carla (coordinator): through the
        services the `cyberhub advisories` commands call, in this process and on the running
        hub's database and key (six command processes would cost six seconds; the commands
        have tests of their own, end to end in tests/hub/advisories/test_end_to_end.py)."""
        from sqlalchemy import select

        from cyberhub.hub import accounts
        from cyberhub.hub.advisories import document as documents
        from cyberhub.hub.advisories import lifecycle
        from cyberhub.hub.bootstrap import bootstrap
        from cyberhub.hub.storage.database import Database
        from cyberhub.hub.storage.models import Account

        def person(session, name: str, role: str) -> Account:
            found = session.scalar(select(Account).where(Account.username == name))
            return found or accounts.create_account(session, name, PERSON_PASSWORD,
                                                    now=timestamps.now_us(), role=role)

        db = Database(self.settings.effective_database_url)
        try:
            signer = bootstrap(self.settings, db).signer
            with db.writing() as session:
                drafted = lifecycle.draft(session, person(session, "anna", "analyst"),
                                          documents.parse(document), now=timestamps.now_us())
            with db.writing() as session:
                lifecycle.approve(session, person(session, "carla", "coordinator"),
                                  drafted["id"], now=timestamps.now_us())
            with db.writing() as session:
                lifecycle.publish(session, person(session, "carla", "coordinator"),
                                  drafted["id"], signer=signer, now=timestamps.now_us())
        finally:
            db.dispose()
        return drafted["id"]

    def objects(self, alias: str, **filters: Any) -> list[dict[str, Any]]:
        from taxii2client.v21 import as_pages

        collection = self.running.collection(alias)
        found: list[dict[str, Any]] = []
        for page in as_pages(collection.get_objects, per_request=500, **filters):
            found += page.get("objects", [])
        return found


class AgentProcess:
    """One town's agent: a data directory and the `cyberhub-agent` command run on it."""

    def __init__(self, home: Path, **settings: Any) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
        self.env.update({
            # German, as a town's administrator reads it, whatever this machine's locale.
            "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "",
            "CYBERHUB_AGENT_HOME": str(home), "CYBERHUB_AGENT_ALLOW_HTTP": "false",
            "CYBERHUB_AGENT_POLL_INTERVAL": "1", "CYBERHUB_AGENT_SEND_INTERVAL": "1",
            "CYBERHUB_AGENT_COLLECT_INTERVAL": "1", "CYBERHUB_AGENT_RETRY_INITIAL": "0.2",
            "CYBERHUB_AGENT_RETRY_MAX": "1", "CYBERHUB_AGENT_REQUEST_TIMEOUT": "5",
        })
        self.env.update({f"CYBERHUB_AGENT_{k.upper()}": str(v) for k, v in settings.items()})
        self.daemon: subprocess.Popen | None = None

    def run(self, *args: str, input: str | None = None, **popen: Any
            ) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cyberhub.agent", *args], env=self.env,
                              capture_output=True, text=True, timeout=120, input=input, **popen)

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def start(self) -> subprocess.Popen:
        self.log = open(self.home / "daemon.log", "a")  # noqa: SIM115 - closed in stop()
        self.daemon = subprocess.Popen([sys.executable, "-m", "cyberhub.agent", "run"],
                                       env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self.daemon

    def daemon_log(self) -> str:
        return (self.home / "daemon.log").read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            self.daemon.wait(30)
        if self.daemon is not None:
            self.log.close()
        self.daemon = None

    def queue_counts(self) -> dict[str, int]:
        return self.json("status")["queue"]


@pytest.fixture
def hub_process(settings, initialised):
    process = HubProcess(settings, initialised.admin_password).start()
    yield process
    process.stop()


@pytest.fixture
def make_agent(tmp_path: Path, hub_process: HubProcess, db):
    """make_agent(slug) → an AgentProcess enrolled as a new node of the running hub (the node
    added in this process, through the service `cyberhub nodes add` calls: a second command
    process per town would cost a second each; the CLI has tests of its own)."""
    started: list[AgentProcess] = []

    def make(slug: str, land: str = "SN", enroll: bool = True, **settings: Any
             ) -> AgentProcess:
        agent = AgentProcess(tmp_path / f"agent-{slug}", **settings)
        started.append(agent)
        if enroll:
            with db.writing() as session:
                added = nodes.add_node(session, slug, f"Stadt {slug.title()}", land,
                                       now=timestamps.now_us(), token_ttl_hours=1)
            agent.json("enroll", "--hub", hub_process.base_url, "--token",
                       added["enrollment_token"])
        return agent

    yield make
    for agent in started:
        agent.stop(signal.SIGKILL)


@pytest.fixture
def local_agent(tmp_path: Path, db, initialised):
    """An in-process agent whose store holds a node enrolled directly in the hub database
    (no server): for tests of what the agent builds, stores and verifies."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.agent import node_key
    from cyberhub.core import signing
    from cyberhub.hub import setup

    settings = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path / "local-agent")})
    agent = open_agent(settings)
    key_path = settings.home / node_key.KEY_FILE
    key = node_key.write_new_key(key_path)
    with db.writing() as session:
        added = nodes.add_node(session, "lokal", "Stadt Lokal", "SN",
                               now=timestamps.now_us(), token_ttl_hours=1)
        enrolled = nodes.enroll(session, added["enrollment_token"], signing.public_jwk(key),
                                now=timestamps.now_us())
        hub_identity = setup.hub_identity(session)["id"]
    hub_key = Ed25519PrivateKey.generate()
    with agent.store.write() as conn:
        for name, value in {
            "slug": "lokal", "identity": enrolled["identity"],
            "identity_object": enrolled["identity_object"], "username": enrolled["username"],
            "password": enrolled["password"], "kid": enrolled["kid"],
            "hub_identity": hub_identity, "api_root": "http://127.0.0.1:9/taxii2/hub/",
            "hub_url": "http://127.0.0.1:9/",
            "hub_jwks": signing.jwks([signing.public_jwk(hub_key)]),
        }.items():
            agent.store.put(conn, name, value)
    agent.hub_key = hub_key  # type: ignore[attr-defined]
    yield agent
    agent.close()

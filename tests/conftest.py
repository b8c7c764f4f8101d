"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
CYBERHUB_TEST_DATABASE_URL is set), an initialised hub, its app, a client and a CLI runner."""

from __future__ import annotations

import base64
import json
import os
import uuid
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cyberhub.core import timestamps
from cyberhub.hub import setup
from cyberhub.hub.accounts import create_account
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.web.app import create_app

TAXII = "application/taxii+json;version=2.1"
# The repository (its config/ and playbooks/ are tested as shipped) and the tests' data.
REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The database the whole suite runs on (SQLite unless this names a PostgreSQL database).
POSTGRES_URL = os.environ.get("CYBERHUB_TEST_DATABASE_URL")
# A PostgreSQL server for the PostgreSQL-specific tests, also on the SQLite run.
POSTGRES_SERVER_URL = os.environ.get("CYBERHUB_TEST_POSTGRES_URL") or POSTGRES_URL
PASSWORD = "correct horse battery staple"


def pytest_report_header(config):
    return f"cyberhub database: {'PostgreSQL' if POSTGRES_URL else 'SQLite'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def postgres_url() -> str:
    """A clean PostgreSQL database; skips with the reason when none is configured, and fails
    under CI, where the PostgreSQL tests must run."""
    if not POSTGRES_SERVER_URL:
        message = ("no PostgreSQL configured: set CYBERHUB_TEST_POSTGRES_URL (or "
                   "CYBERHUB_TEST_DATABASE_URL to run the whole suite on it)")
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true requires PostgreSQL; " + message)
        pytest.skip(message)
    _reset_postgres(POSTGRES_SERVER_URL)
    return POSTGRES_SERVER_URL


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        _reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str):
    return load_settings(
        {"home": str(tmp_path / "home"), "database_url": database_url},
        environ={},
    )


@pytest.fixture
def db(settings):
    database = Database(settings.effective_database_url)
    yield database
    database.dispose()


@pytest.fixture
def initialised(settings, db):
    """The hub after `cyberhub init`; returns the init report (admin password inside)."""
    return setup.initialise(settings, db, now=timestamps.now_us())


@pytest.fixture
def hub(settings, db, initialised):
    """The hub's collaborators as `cyberhub.hub.bootstrap` builds them for every entry point."""
    return bootstrap(settings, db)


@pytest.fixture
def signer(hub):
    return hub.signer


@pytest.fixture
def app(hub):
    return create_app(hub=hub)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(settings):
    return CliRunner(env={
        "CYBERHUB_HOME": str(settings.home),
        "CYBERHUB_DATABASE_URL": settings.effective_database_url,
        "CYBERHUB_CONFIG": None,
    })


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": TAXII}


@pytest.fixture
def admin(initialised) -> dict[str, str]:
    return basic("admin", initialised.admin_password)


@pytest.fixture
def make_account(db):
    """Create an account with rights by alias; returns its request headers."""

    def make(username: str, read=(), write=()) -> dict[str, str]:
        with db.writing() as session:
            create_account(session, username, PASSWORD, now=timestamps.now_us(),
                           read=read, write=write)
        return basic(username, PASSWORD)

    return make


@pytest.fixture
def collection_ids(db, initialised) -> dict[str, str]:
    """Ids by alias: the default collections, and `scratch`, an unsigned collection that is
    still empty (the defaults hold the hub's signed extension-definition from `init`)."""
    from cyberhub.hub.collections import add_collection, list_collections

    with db.writing() as session:
        add_collection(session, "scratch", "Scratch", now=timestamps.now_us())
    with db.session() as session:
        return {c.alias: c.id for c in list_collections(session)}


def indicator(n: int, modified: str = "2026-01-01T00:00:00.000Z", **extra) -> dict:
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=n, version=4)}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": f"indicator {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    obj.update(extra)
    return obj


def post_objects(client, headers, collection_id, objects, raw: str | None = None):
    body = raw if raw is not None else json.dumps({"objects": objects})
    return client.post(
        f"/taxii2/hub/collections/{collection_id}/objects/",
        data=body, headers={**headers, "Content-Type": TAXII},
    )


class Town:
    """An enrolled node as its agent would be: key, identity, credentials, and a signer."""

    def __init__(self, client, db, slug: str, land: str = "SN") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from cyberhub.core import signing
        from cyberhub.hub import nodes

        with db.writing() as session:
            added = nodes.add_node(session, slug, f"Stadt {slug.title()}", land,
                                   now=timestamps.now_us(), token_ttl_hours=1)
        self.key = Ed25519PrivateKey.generate()
        response = client.post("/nodes/enroll", json={
            "token": added["enrollment_token"], "jwk": signing.public_jwk(self.key)})
        assert response.status_code == 201, response.get_data(as_text=True)
        enrolled = response.get_json()
        self.slug = slug
        self.identity = enrolled["identity"]
        self.identity_object = enrolled["identity_object"]
        self.hub_identity = enrolled["hub_identity"]
        self.kid = enrolled["kid"]
        self.headers = basic(enrolled["username"], enrolled["password"])
        self.enrollment = enrolled

    def report(self, n: int = 1) -> list[dict]:
        """A small incident report: the town's identity, an incident, an indicator."""
        stamp = "2026-11-20T07:15:00.000Z"
        number = n + zlib.crc32(self.slug.encode()) * 1000
        incident = {
            "type": "incident", "spec_version": "2.1", "created_by_ref": self.identity,
            "id": f"incident--{uuid.UUID(int=number, version=4)}",
            "created": stamp, "modified": stamp, "name": f"Phishing-Welle {n}",
        }
        return [self.identity_object, incident,
                indicator(n, created_by_ref=self.identity)]

    def sign(self, objects: list[dict], *, key=None, **overrides) -> list[dict]:
        """The objects plus a signature object covering them, as the spec says."""
        from cyberhub.core import signing

        arguments = {"issuer": self.identity, "audience": self.hub_identity,
                     "issued_at": timestamps.now_us() // 1_000_000, "ttl": 600}
        arguments.update(overrides)
        token = signing.sign_manifest(key or self.key, objects=objects, **arguments)
        carrier = signing.signature_object(token, issuer=self.identity,
                                           object_ids=[o["id"] for o in objects],
                                           created="2026-11-20T07:15:00.000Z")
        return list(objects) + [carrier]


@pytest.fixture
def make_town(client, db):
    return lambda slug, land="SN": Town(client, db, slug, land)

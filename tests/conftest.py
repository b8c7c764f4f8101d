"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
CYBERHUB_TEST_DATABASE_URL is set), an initialised hub, its app, a client and a CLI runner."""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
import zlib
from pathlib import Path

import argon2.profiles
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from cyberhub.core import timestamps
from cyberhub.hub import accounts, setup
from cyberhub.hub.accounts import create_account
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Base
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


# Each pytest-xdist worker has a schema of its own in the PostgreSQL database;
# CYBERHUB_TEST_RUN (letters and digits) keeps two runs at once on one database apart.
WORKER = os.environ.get("CYBERHUB_TEST_RUN", "") + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _reset_postgres(url: str, schema: str) -> str:
    """An empty schema of that name; returns the URL that works in it."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return _in_schema(url, schema)


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
    return _reset_postgres(POSTGRES_SERVER_URL, f"cyberhub_pg_{WORKER}")


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """Passwords made in the test process are hashed with Argon2id's cheapest parameters: at
    the production cost (RFC 9106, 64 MiB) every person and town a test creates costs a tenth
    of a second, which made up most of the suite's time. Verification is the same code, and a
    hash carries its own parameters. The hub processes the end-to-end tests start keep the
    production cost, which tests/hub/test_accounts.py checks."""
    production = accounts.HASHER
    accounts.HASHER = PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    yield
    accounts.HASHER = production


class Template:
    """A hub as `cyberhub init` leaves it, made once per test run (and xdist worker) and
    restored for every test that asks for `initialised`: the same data directory (key, secret)
    and database rows, without running the migrations and the Argon2 hash again each time.
    SQLite restores by copying the file; PostgreSQL by emptying the tables and inserting the
    rows again."""

    schema = f"cyberhub_test_{WORKER}"

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        url = (_reset_postgres(POSTGRES_URL, self.schema) if POSTGRES_URL
               else f"sqlite:///{root / 'hub.db'}")
        self.file = root / "hub.db"
        settings = load_settings({"home": str(self.home), "database_url": url}, environ={})
        db = Database(url)
        self.report = setup.initialise(settings, db, now=timestamps.now_us())
        self.rows: dict[str, list[dict]] = {}
        if POSTGRES_URL:
            with db.engine.connect() as connection:
                self.rows = {table.name: [dict(row) for row in connection.execute(
                    table.select()).mappings()] for table in Base.metadata.sorted_tables}
        db.dispose()  # on SQLite this also folds the write-ahead log into the file

    def restore(self, settings, db: Database) -> setup.InitReport:
        shutil.copytree(self.home, settings.home)
        if POSTGRES_URL:
            self._restore_rows(db)
        else:
            shutil.copyfile(self.file, settings.effective_database_url[len("sqlite:///"):])
        return setup.InitReport(self.report.hub_identity, str(settings.signing_key_path),
                                list(self.report.created), self.report.admin_password)

    def _restore_rows(self, db: Database) -> None:
        with db.engine.begin() as connection:
            if connection.scalar(text("SELECT to_regclass('alembic_version')")) is None:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        if not inspect(db.engine).has_table("hub_settings"):
            db.migrate()
        tables = Base.metadata.sorted_tables
        with db.engine.begin() as connection:
            connection.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)
                                    + " RESTART IDENTITY CASCADE"))
            for table in tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
            # The serial columns come from the models, not from information_schema: a query
            # there looks at every worker's tables and deadlocked against their TRUNCATEs.
            for table in tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (
                            column.autoincrement == "auto" and column.type.python_type is int):
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}'), COALESCE(MAX({column.name}), 1), "
                            f"MAX({column.name}) IS NOT NULL) FROM {table.name}"))


def settings_for(root: Path, name: str):
    """Settings of a hub of its own in `root`, on an empty database (a PostgreSQL schema named
    after `name` and the worker), for fixtures that outlive one test."""
    url = (_reset_postgres(POSTGRES_URL, f"cyberhub_{name}_{WORKER}") if POSTGRES_URL
           else f"sqlite:///{root / 'hub.db'}")
    return load_settings({"home": str(root / "home"), "database_url": url}, environ={})


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Template:
    return Template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(request, tmp_path: Path) -> str:
    """An empty database, or (for tests that use `initialised`) one the template restores."""
    if POSTGRES_URL:
        if "initialised" in request.fixturenames:
            return _in_schema(POSTGRES_URL, Template.schema)
        return _reset_postgres(POSTGRES_URL, Template.schema)
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
def initialised(settings, db, template):
    """The hub after `cyberhub init`; returns the init report (admin password inside)."""
    return template.restore(settings, db)


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

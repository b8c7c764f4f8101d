"""Two hubs in one test: the `hub` fixture as a Land hub (its towns made with `make_town`),
and a federal hub of its own database served on a real loopback socket, peered with it as
an operator would with `cyberhub peers add` on both sides."""

from __future__ import annotations

import threading
import uuid

import pytest
from conftest import basic, settings_for
from werkzeug.serving import make_server

from cyberhub.core import signing, timestamps, tlp
from cyberhub.hub import setup
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.federation import peers
from cyberhub.hub.federation.peer_client import PeerClient
from cyberhub.hub.storage.database import Database
from cyberhub.hub.web.app import create_app

INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"


class Served:
    """A hub's app on a loopback port, in a thread of the test process."""

    def __init__(self, hub) -> None:
        self.hub = hub
        self.app = create_app(hub=hub)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def client(self):
        return self.app.test_client()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def federal(tmp_path, template):
    """The federal hub: initialised on a database of its own and served."""
    settings = settings_for(tmp_path / "federal", "federal")
    db = Database(settings.effective_database_url)
    setup.initialise(settings, db, now=timestamps.now_us())
    served = Served(bootstrap(settings, db))
    yield served
    served.close()
    db.dispose()


@pytest.fixture
def land(hub):
    served = Served(hub)
    yield served
    served.close()


def pin(served: Served) -> peers.Pinned:
    client = PeerClient(served.url)
    try:
        return peers.read_document(client.jwks(), thumbprint=None)
    finally:
        client.close()


@pytest.fixture
def peered(federal, land):
    """`cyberhub peers add sachsen --role downstream` at the federal hub, then `cyberhub peers
    add bund --role upstream --token ...` at the Land hub (its enrolment over HTTP)."""
    with federal.hub.db.writing() as session:
        added = peers.add_downstream(session, "sachsen", land.url, "SN", pin(land),
                                     now=timestamps.now_us(), token_ttl_hours=1, actor="cli")
    client = PeerClient(federal.url)
    try:
        enrolled = client.enroll(added["enrollment_token"],
                                 signing.public_jwk(land.hub.signer.key))
    finally:
        client.close()
    with land.hub.db.writing() as session:
        peers.add_upstream(session, "bund", federal.url, pin(federal), enrolled,
                           hub_identity=land.hub.identity, secret=land.hub.settings.secret(),
                           now=timestamps.now_us(), actor="cli")
    return {"federal": federal, "land": land, "enrolled": enrolled,
            "headers": basic(enrolled["username"], enrolled["password"])}


def _id(kind: str, text: str) -> str:
    """A stable id for tests, a UUIDv4 as STIX wants for SDOs and SROs."""
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(uuid.NAMESPACE_URL, text).bytes, version=4)}"


def report(town, *, level="green", domain="rechnung-stadtwerke.example", number=1,
           stage="early-warning", modified="2026-11-20T07:15:00.000Z") -> list[dict]:
    """A town's report as its agent builds it: identity, marking, incident, an observable,
    an indicator for it, and the town named in the indicator's text."""
    marking = tlp.marking_definition(level)
    created = "2026-11-20T07:15:00.000Z"
    incident_id = _id("incident", f"{town.slug}/{number}")
    common = {"created_by_ref": town.identity, "object_marking_refs": [marking["id"]],
              "spec_version": "2.1", "created": created, "modified": modified}
    incident = {"type": "incident", "id": incident_id, "name": f"Phishing {number}",
                "labels": [f"cyberhub:stage={stage}"],
                "extensions": {INCIDENT_CORE: {
                    "extension_type": "property-extension", "determination": "confirmed",
                    "investigation_status": "open",
                    "incident_types": ["dissemination-phishing-emails"]}}, **common}
    sco = {"type": "domain-name", "spec_version": "2.1",
           "id": f"domain-name--{uuid.uuid5(uuid.NAMESPACE_DNS, domain)}", "value": domain,
           "object_marking_refs": [marking["id"]]}
    indicator = {"type": "indicator", "id": _id("indicator", incident_id),
                 "name": domain, "pattern": f"[domain-name:value = '{domain}']",
                 "pattern_type": "stix", "valid_from": created,
                 "description": f"Seen by {town.identity_object['name']}.", **common}
    relation = {"type": "relationship", "id": _id("relationship", incident_id),
                "relationship_type": "indicates", "source_ref": indicator["id"],
                "target_ref": incident_id, **common}
    return [town.identity_object, marking, incident, sco, indicator, relation]

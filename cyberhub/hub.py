"""Setting up a hub: schema, STIX identity, signing key, default collections, first account.

`initialise` is safe to run any number of times: it only adds what is missing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from . import accounts, collections, keys, publishing, signing, store, timestamps
from .config import Settings
from .db import Database
from .models import Account, HubSetting

ADMIN_USERNAME = "admin"


@dataclass
class InitReport:
    hub_identity: str
    key_file: str
    created: list[str] = field(default_factory=list)
    admin_password: str | None = None


def hub_identity(session: Session) -> dict[str, Any] | None:
    value = session.get(HubSetting, "identity")
    return json.loads(value.value) if value else None


def _make_identity(settings: Settings, now: int) -> dict[str, Any]:
    stamp = timestamps.format_us(now)[:-4] + "Z"  # STIX: millisecond precision is enough
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        "name": settings.title,
        "identity_class": "organization",
        "sectors": ["government-public-services"],
        "description": settings.description,
    }


def initialise(settings: Settings, db: Database, *, now: int) -> InitReport:
    # The data directory holds the key, the secret and (on SQLite) the password hashes.
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    db.migrate()
    settings.secret()
    key_path = settings.home / keys.HUB_KEY_FILE
    created: list[str] = []
    if keys.create_private_key(key_path):
        created.append("hub signing key")
    with db.writing() as session:
        identity = hub_identity(session)
        if identity is None:
            identity = _make_identity(settings, now)
            session.add(HubSetting(key="identity", value=json.dumps(identity)))
            created.append("hub identity")
        for order, (alias, title, description, signed, addressed) in enumerate(
            collections.DEFAULT_COLLECTIONS
        ):
            if collections.find(session, alias) is None:
                collections.add_collection(session, alias, title, description, now=now + order,
                                           signed=signed, addressed=addressed)
                created.append(f"collection {alias}")
        publish_signature_definition(session, settings, identity["id"], now=now)
        password = None
        if session.scalar(select(Account.id).where(Account.is_admin)) is None:
            password = accounts.generate_password()
            accounts.create_account(session, ADMIN_USERNAME, password, now=now, admin=True,
                                    role="admin")
            created.append(f"account {ADMIN_USERNAME}")
    return InitReport(identity["id"], str(key_path), created, password)


def publish_signature_definition(
    session: Session, settings: Settings, hub_identity_id: str, *, now: int
) -> None:
    """Every collection carries the hub-signed extension-definition of the signature object,
    so whoever reads signatures there can learn what they are."""
    key = keys.load_private_key(settings.home / keys.HUB_KEY_FILE)
    definition = publishing.signature_extension_definition(hub_identity_id, now)
    for collection in collections.list_collections(session):
        if not store.object_exists(session, collection.id, signing.SIGNATURE_EXTENSION):
            publishing.publish(session, collection.id, [definition], key=key,
                               hub_identity=hub_identity_id, now_us=now)


def is_initialised(db: Database) -> bool:
    if "hub_settings" not in inspect(db.engine).get_table_names():
        return False
    with db.session() as session:
        return hub_identity(session) is not None

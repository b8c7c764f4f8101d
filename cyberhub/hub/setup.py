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

from cyberhub.core import signing, timestamps
from cyberhub.core.keyfiles import create_key_file, read_key_file
from cyberhub.hub import accounts, collections, nodes
from cyberhub.hub.services import publishing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.settings import Settings
from cyberhub.hub.storage import objects
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Account, Collection, HubSetting, Node, Permission

ADMIN_USERNAME = "admin"


class NotInitialised(RuntimeError):
    """No hub is set up in this data directory and database yet."""


@dataclass
class InitReport:
    hub_identity: str
    key_file: str
    created: list[str] = field(default_factory=list)
    admin_password: str | None = None


def hub_identity(session: Session) -> dict[str, Any] | None:
    """The hub's STIX identity object, as `initialise` stored it."""
    value = session.get(HubSetting, "identity")
    return json.loads(value.value) if value else None


def _make_identity(settings: Settings, now: int) -> dict[str, Any]:
    stamp = timestamps.stix_time(now)
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
    created: list[str] = []
    try:
        key = create_key_file(settings.signing_key_path)
        created.append("hub signing key")
    except FileExistsError:
        key = read_key_file(settings.signing_key_path)
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
                added = collections.add_collection(session, alias, title, description,
                                                   now=now + order, signed=signed,
                                                   addressed=addressed)
                _grant_to_existing(session, added)
                created.append(f"collection {alias}")
        publish_signature_definition(session, Signer(key, identity["id"]), now=now)
        password = None
        if session.scalar(select(Account.id).where(Account.is_admin)) is None:
            password = accounts.generate_password()
            accounts.create_account(session, ADMIN_USERNAME, password, now=now, admin=True,
                                    role="admin")
            created.append(f"account {ADMIN_USERNAME}")
    return InitReport(identity["id"], str(settings.signing_key_path), created, password)


def _grant_to_existing(session: Session, collection: Collection) -> None:
    """A default collection that an upgrade adds (`answers`, say) reaches the accounts that
    would read it had they been made today: the towns' (`nodes.NODE_READS`) and the people's
    with a role (`accounts.PERSON_READS`). Accounts made later get it when they are made."""
    readers: set[int] = set()
    if collection.alias in nodes.NODE_READS:
        readers |= set(session.scalars(select(Node.account_id)))
    if collection.alias in accounts.PERSON_READS:
        readers |= set(session.scalars(select(Account.id).where(Account.role.is_not(None))))
    for account_id in sorted(readers):
        session.add(Permission(account_id=account_id, collection_id=collection.id,
                               can_read=True, can_write=False))
    session.flush()


def publish_signature_definition(session: Session, signer: Signer, *, now: int) -> None:
    """Every collection carries the hub-signed extension-definition of the signature object,
    so whoever reads signatures there can learn what they are."""
    definition = publishing.signature_extension_definition(signer.identity, now)
    for collection in collections.list_collections(session):
        if not objects.object_exists(session, collection.id, signing.SIGNATURE_EXTENSION):
            publishing.publish(session, collection.id, [definition], signer=signer, now_us=now)


def is_initialised(db: Database) -> bool:
    if "hub_settings" not in inspect(db.engine).get_table_names():
        return False
    with db.session() as session:
        return hub_identity(session) is not None

"""Everything the hub writes is signed with the hub key and verifies against its JWKS."""

import json
import time

from sqlalchemy import select

from cyberhub.core import signing
from cyberhub.hub.services import publishing
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import StoredObject


def _stored(db, collection_id):
    with db.session() as session:
        return [json.loads(body) for body in session.scalars(
            select(StoredObject.body).where(StoredObject.collection_id == collection_id)
            .order_by(StoredObject.date_added))]


def _verify_all(objects, jwks, hub_identity):
    by_id = {o["id"]: o for o in objects}
    key = jwks["keys"][0]
    registered = signing.RegisteredKey(key["kid"], key, hub_identity)
    carriers = [o for o in objects if o["type"] == signing.SIGNATURE_TYPE]
    for carrier in carriers:
        signing.verify(carrier["jws"], [by_id[i] for i in carrier["object_refs"]],
                       keys=lambda kid: registered if kid == key["kid"] else None,
                       audience=hub_identity, now=int(time.time()), jti_seen=lambda j: False,
                       signer_ref=carrier["created_by_ref"])
    return carriers


def test_init_publishes_the_signed_extension_definition_everywhere(db, app, collection_ids,
                                                                   initialised):
    jwks = app.extensions["cyberhub"].signer.jwks()
    for alias in ("reports", "campaigns", "advisories", "indicators"):
        objects = _stored(db, collection_ids[alias])
        definition = next(o for o in objects if o["type"] == "extension-definition")
        assert definition["id"] == signing.SIGNATURE_EXTENSION
        assert definition["created_by_ref"] == initialised.hub_identity
        assert len(_verify_all(objects, jwks, initialised.hub_identity)) == 1


def test_publish_signs_and_stores(db, app, signer, collection_ids, initialised):
    campaign = {"type": "campaign", "spec_version": "2.1",
                "id": "campaign--00000000-0000-4000-8000-000000000001",
                "created": "2026-11-23T10:00:00.000Z", "modified": "2026-11-23T10:00:00.000Z",
                "name": "Phishing-Welle Sachsen", "created_by_ref": initialised.hub_identity}
    with db.writing() as session:
        publishing.publish(session, collection_ids["scratch"], [campaign], signer=signer,
                           now_us=int(time.time() * 1e6))
    objects = _stored(db, collection_ids["scratch"])
    assert [o["type"] for o in objects] == ["campaign", signing.SIGNATURE_TYPE]
    _verify_all(objects, app.extensions["cyberhub"].signer.jwks(), initialised.hub_identity)


def test_publishing_an_invalid_object_raises_and_stores_nothing(db, signer, collection_ids):
    import pytest

    with pytest.raises(ValueError, match="invalid object"):
        with db.writing() as session:
            publishing.publish(session, collection_ids["scratch"],
                               [{"type": "campaign", "id": "campaign--x"}], signer=signer,
                               now_us=1)
    with db.session() as session:
        assert not store.object_exists(session, collection_ids["scratch"], "campaign--x")

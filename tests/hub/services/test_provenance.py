"""A stored report version's signature: found beside it, described without verifying, and
verified again on request - valid as stored, invalid once the stored text changes, and still
valid (with the revocation said) after the town's key was revoked."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from cyberhub.core import timestamps
from cyberhub.hub import nodes
from cyberhub.hub.services import provenance
from cyberhub.hub.storage.models import StoredObject
from hub.test_inbox import send, town_report


def _stored(db, reports_id, incident_id):
    with db.session() as session:
        return session.execute(select(StoredObject.pk, StoredObject.date_added).where(
            StoredObject.collection_id == reports_id,
            StoredObject.object_id == incident_id)).one()


def test_a_versions_signature_is_found_and_verified_again(client, db, make_town,
                                                          collection_ids):
    reports_id = collection_ids["reports"]
    aue = make_town("aue", "SN")
    send(client, aue, reports_id, town_report(aue, domain="other.example"))  # a neighbour
    incident_id = send(client, aue, reports_id, town_report(aue))
    pk, added = _stored(db, reports_id, incident_id)
    with db.session() as session:
        carrier = provenance.signature_for(session, reports_id, incident_id, added)
        assert carrier is not None and incident_id in carrier["object_refs"]
        described = provenance.describe(carrier)
        assert described["kid"] == aue.kid and described["issuer"] == aue.identity
        assert abs(described["signed_at"] - timestamps.now_us()) < 120_000_000
        check = provenance.verify(session, reports_id, carrier)
    assert check.valid and not check.key_revoked

    # The town's key revoked since: the signature still holds, and the page can say so.
    with db.writing() as session:
        nodes.revoke_key(session, "aue", aue.kid, now=timestamps.now_us())
    with db.session() as session:
        check = provenance.verify(session, reports_id, carrier)
    assert check.valid and check.key_revoked

    # The stored text changed behind the hub's back: the signature no longer covers it.
    with db.writing() as session:
        body = json.loads(session.scalar(select(StoredObject.body).where(
            StoredObject.pk == pk)))
        body["name"] = "geändert"
        session.execute(update(StoredObject).where(StoredObject.pk == pk).values(
            body=json.dumps(body)))
    with db.session() as session:
        check = provenance.verify(session, reports_id, carrier)
    assert not check.valid and check.code != "valid"

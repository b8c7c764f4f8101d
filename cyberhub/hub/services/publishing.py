"""The one way the hub writes objects into a collection: signed with the hub's key.

Campaigns, advisories, pseudonymised copies and the signature extension-definition all go
through `publish`, so every object the hub writes carries a manifest that nodes verify against
the hub's JWKS (audience: the hub's own identity) before they act on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from cyberhub.core import signing, stix, timestamps
from cyberhub.hub.services.admission import check_objects
from cyberhub.hub.services.statuses import StatusReport
from cyberhub.hub.storage import objects as repository

SIGNATURE_EXTENSION_DEFINITION_NAME = "cyberhub signature"
# What the hub publishes is made by the hub; the limit for clients does not apply to it.
_MAX_OWN_OBJECT = 16 * 1024 * 1024


@dataclass(frozen=True)
class Signer:
    """The hub as a signer: its private key (read once, from the data directory, by
    `cyberhub.hub.bootstrap`) and its STIX identity (fixed by `cyberhub init`)."""

    key: Ed25519PrivateKey
    identity: str

    def jwks(self) -> dict[str, Any]:
        """The hub's public signing keys as a JWK Set."""
        return signing.jwks([signing.public_jwk(self.key)])


def sign_for_publication(
    objects: list[Mapping[str, Any]], *, signer: Signer, now_us: int
) -> list[dict[str, Any]]:
    """The objects followed by the hub's signature object covering them."""
    token = signing.sign_manifest(signer.key, issuer=signer.identity, audience=signer.identity,
                                  objects=objects, issued_at=now_us // 1_000_000, ttl=3600)
    carrier = signing.signature_object(token, issuer=signer.identity,
                                       object_ids=[o["id"] for o in objects],
                                       created=timestamps.stix_time(now_us))
    return [dict(o) for o in objects] + [carrier]


def publish(
    session: Session,
    collection_id: str,
    objects: list[Mapping[str, Any]],
    *,
    signer: Signer,
    now_us: int,
) -> list[dict[str, str]]:
    """Sign and store objects in a collection, in the caller's write transaction.

    Returns the status details of the stored objects. Raises ValueError if the hub tried to
    publish something invalid or conflicting: that is a bug to fix, never something to store.
    """
    signed = sign_for_publication(objects, signer=signer, now_us=now_us)
    raws = [stix.RawObject(obj, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            for obj in signed]
    candidates, failures = check_objects(raws, max_object_size=_MAX_OWN_OBJECT)
    if failures:
        raise ValueError(f"the hub produced an invalid object: {failures[0]}")
    report = StatusReport.new(now_us)
    report.add(repository.write(session, collection_id, candidates, now=now_us))
    if report.failures:
        raise ValueError(f"the hub published a conflicting version: {report.failures[0]}")
    return report.successes


def signature_extension_definition(hub_identity: str, now_us: int) -> dict[str, Any]:
    """The extension-definition of `x-cyberhub-signature`, made by this hub's identity."""
    stamp = timestamps.stix_time(now_us)
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": signing.SIGNATURE_EXTENSION,
        "created_by_ref": hub_identity,
        "created": stamp,
        "modified": stamp,
        "name": SIGNATURE_EXTENSION_DEFINITION_NAME,
        "description": (
            "A compact JWS (Ed25519) whose payload is a manifest of the id, version and RFC 8785 "
            "SHA-256 hash of every object it covers; the covered objects travel in the same "
            "TAXII envelope."
        ),
        "schema": (
            "x-cyberhub-signature: common SDO properties plus 'object_refs' (the ids covered) and "
            "'jws' (compact JWS, typ cyberhub-manifest+jws, payload {iss, aud, iat, exp, jti, "
            "objects: [{id, ver, h}]}), as fixed by the cyberhub signing specification."
        ),
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    }

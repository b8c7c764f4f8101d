"""Who signed each stored version of a town's report, and whether that signature still holds.

A signed group is stored in one write, so its signature object sits right beside the objects
it covers in the collection's `date_added` order; that is how a version's signature is found
without scanning every signature. Verifying again reads the covered objects back at the
versions the signature lists and runs the published-content check of the signing
specification (signer, key, signature, coverage) against the town's registered key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import signing, timestamps
from cyberhub.hub import nodes
from cyberhub.hub.storage.models import StoredObject

# A group's objects get consecutive stamps, a microsecond apart; an envelope holds at most a
# few thousand objects, so its signature is within this distance of any of them.
_NEARBY_US = 100_000


@dataclass(frozen=True)
class Check:
    valid: bool
    code: str  # "valid", or the rejection code of the failing check
    message: str
    key_revoked: bool


def signature_for(session: Session, collection_id: str, object_id: str, added: int
                  ) -> dict[str, Any] | None:
    """The signature object stored with the version of `object_id` added at `added`."""
    rows = session.scalars(select(StoredObject.body).where(
        StoredObject.collection_id == collection_id,
        StoredObject.type == signing.SIGNATURE_TYPE,
        StoredObject.date_added.between(added - _NEARBY_US, added + _NEARBY_US))
        .order_by(StoredObject.date_added))
    for body in rows:
        carrier = json.loads(body)
        if object_id in carrier.get("object_refs", []):
            return carrier
    return None


def describe(carrier: dict[str, Any]) -> dict[str, Any]:
    """What the page shows without verifying: the key and the time the town signed at."""
    try:
        header = json.loads(signing.b64url_decode(carrier["jws"].split(".")[0]))
        payload = json.loads(signing.b64url_decode(carrier["jws"].split(".")[1]))
    except (ValueError, KeyError, IndexError, AttributeError):
        return {"kid": None, "signed_at": None, "issuer": carrier.get("created_by_ref")}
    signed = payload.get("iat")
    return {"kid": header.get("kid"), "issuer": payload.get("iss"),
            "signed_at": signed * 1_000_000 if isinstance(signed, int) else None}


def _matching(candidates: list[dict[str, Any]], digest: str) -> dict[str, Any]:
    return next((obj for obj in candidates if signing.object_hash(obj) == digest),
                candidates[-1])


def verify(session: Session, collection_id: str, carrier: dict[str, Any]) -> Check:
    """The signature checked again now against the objects as stored."""
    try:
        wanted = signing.manifest_entries(carrier.get("jws"))
    except signing.Rejected as exc:
        return Check(False, exc.code, str(exc), False)
    ids = sorted({entry["id"] for entry in wanted})
    stored: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for body in session.scalars(select(StoredObject.body).where(
            StoredObject.collection_id == collection_id, StoredObject.object_id.in_(ids))):
        obj = json.loads(body)
        stored.setdefault((obj["id"], signing.object_version(obj)), []).append(obj)
    # An observable has no version: several towns' copies of one address (other markings)
    # are stored side by side, and the one the manifest's hash names is this signature's.
    covered = [_matching(stored.get((entry["id"], entry["ver"]), []), entry["h"])
               for entry in wanted if (entry["id"], entry["ver"]) in stored]
    lookup = nodes.any_key_lookup(session)
    registered = {}

    def key(kid: str) -> signing.RegisteredKey | None:
        # The signature is judged as made; whether the key was revoked since is told apart.
        found = lookup(kid)
        registered["key"] = found
        return None if found is None else signing.RegisteredKey(
            found.kid, found.jwk, found.identity, revoked=False)

    try:
        signing.verify_published(carrier["jws"], covered, keys=key,
                                 signer_ref=carrier.get("created_by_ref"))
    except signing.Rejected as exc:
        return Check(False, exc.code, str(exc), bool(registered.get("key")
                                                     and registered["key"].revoked))
    revoked = bool(registered.get("key") and registered["key"].revoked)
    return Check(True, "valid", f"verified at {timestamps.format_us(timestamps.now_us())}",
                 revoked)

"""A downstream hub's word about a town's key: the `x-cyberhub-node-key` object of the signing
specification ("Relaying between hubs"), made by the hub that enrolled the town, as a
certificate authority would. A revocation is a new version with `"state": "revoked"`.

Beside the fields the specification fixes, the object says which Land the town is in
(`land`), so that an upstream can refuse a hub that forwards towns of a Land it does not
represent.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from cyberhub.core import signing, timestamps

# The specification names the id "uuid5 of kid" without a namespace: this hub makes its own ids
# with this one and takes any id from others (the kid is what counts).
NAMESPACE = uuid.UUID("0a5c1f0e-3b7d-5e21-9c4f-8d2e6b1a7c35")
STATES = ("active", "revoked")
_IDENTITY = re.compile(r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_LAND = re.compile(r"^[A-Z]{2}$")


class AttestationError(ValueError):
    """The key object is not one this hub can take; `code` is a signing rejection code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def object_id(kid: str) -> str:
    return f"{signing.NODE_KEY_TYPE}--{uuid.uuid5(NAMESPACE, kid)}"


def key_object(*, hub_identity: str, town_identity: str, land: str, jwk: Mapping[str, Any],
               created_us: int, revoked_us: int | None) -> dict[str, Any]:
    """The attestation of one town key, as of now: a revoked key's object is the newer
    version, modified when it was revoked."""
    public = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    kid = signing.thumbprint(public)
    return {
        "type": signing.NODE_KEY_TYPE, "spec_version": "2.1", "id": object_id(kid),
        "created": timestamps.stix_time(created_us),
        "modified": timestamps.stix_time(revoked_us if revoked_us is not None else created_us),
        "created_by_ref": hub_identity, "object_ref": town_identity, "jwk": public, "kid": kid,
        "state": "revoked" if revoked_us is not None else "active", "land": land,
    }


@dataclass(frozen=True)
class Attestation:
    kid: str
    jwk: dict[str, str]
    town: str  # the town's identity id
    land: str | None
    revoked: bool
    modified: str


def read(obj: Mapping[str, Any]) -> Attestation:
    """The attestation an `x-cyberhub-node-key` object makes; AttestationError if it is not
    well formed (the relay signature has already tied it to the relaying hub)."""
    jwk = obj.get("jwk")
    try:
        signing.load_public_jwk(jwk)
    except ValueError as exc:
        raise AttestationError("signature-malformed", f"{obj.get('id')}: {exc}") from None
    public = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}  # type: ignore[index]
    kid = signing.thumbprint(public)
    if obj.get("kid") != kid:
        raise AttestationError("signature-malformed", f"{obj.get('id')}: its kid must be the "
                               "key's thumbprint")
    town, land, state = obj.get("object_ref"), obj.get("land"), obj.get("state")
    if not (isinstance(town, str) and _IDENTITY.match(town)):
        raise AttestationError("signature-malformed", f"{obj.get('id')}: object_ref must be "
                               "the town's identity")
    # `land` is this project's addition; a hub built from the specification alone sends
    # none, and its towns count as of its own Land.
    if land is not None and not (isinstance(land, str) and _LAND.match(land)):
        raise AttestationError("signature-malformed", f"{obj.get('id')}: land must be the "
                               "town's Land code")
    if state not in STATES:
        raise AttestationError("signature-malformed", f"{obj.get('id')}: state must be "
                               "active or revoked")
    modified = obj.get("modified")
    return Attestation(kid, public, town, land, state == "revoked",
                       modified if isinstance(modified, str) else "")

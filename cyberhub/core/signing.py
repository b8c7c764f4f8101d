"""Signed STIX content, as fixed by the project's signing specification: RFC 8785 (JCS)
canonical hashes, a manifest of {id, ver, h} entries, carried as a compact JWS (RFC 7515)
signed with Ed25519, keys named by their RFC 7638 thumbprint.

Pure: no Flask, no database. The hub and the node agent share it. The JWS is built and parsed
here rather than with a JOSE library because the specification fixes the exact bytes of the
protected header (JCS) and the verifier's order of checks and rejection codes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cyberhub.core import stix, tlp

TYP = "cyberhub-manifest+jws"
# Requests a node signs with its current key (registering its next key).
KEY_ROTATION_TYP = "cyberhub-key-rotation+jws"
# A hub's notice to a town that an advisory version waits (a signed request, like rotation).
PUSH_TYP = "cyberhub-push+jws"
# A downstream hub's manifest over a whole forward to its upstream ("Relaying between hubs").
RELAY_TYP = "cyberhub-relay+jws"
NODE_KEY_TYPE = "x-cyberhub-node-key"
ALGORITHMS = frozenset({"Ed25519", "EdDSA"})
SIGNATURE_TYPE = "x-cyberhub-signature"
SIGNATURE_EXTENSION = "extension-definition--f9d5d3ff-46d3-450a-9622-9548756a2667"
MAX_VALIDITY = 3600
CLOCK_SKEW = 300
# TLP 2.0 marking-definitions are made by FIRST, not by the signer; they may travel in any
# envelope without naming the signer as their creator.
TLP2_MARKINGS = frozenset(tlp.IDS.values())
REJECTION_CODES = (
    "duplicate-key", "malformed-json", "signature-malformed", "key-unknown", "key-revoked",
    "signature-invalid", "identity-mismatch", "audience-mismatch", "token-expired",
    "token-replayed", "object-not-covered", "hash-mismatch", "object-missing",
)
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class Rejected(Exception):
    """Verification failed; `code` is one of the specification's rejection codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- encoding helpers -----------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding; ValueError for anything else."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if b64url(decoded) != text:  # non-canonical trailing bits
        raise ValueError("not canonical base64url")
    return decoded


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON.

    Most STIX objects hold only strings, integers of safe size, booleans, nulls, lists and
    objects with ASCII keys; for those, the standard library's encoder with sorted keys writes
    exactly the RFC 8785 form (the same escapes, code-point order equals UTF-16 order for
    ASCII keys, integers as digits) and is several times faster than the `rfc8785` package,
    which every signed object passes through. Anything else (a float, a non-ASCII key, an
    integer beyond 2^53, a lone surrogate) goes to `rfc8785`.

    The `rfc8785` package refuses ±2^53 itself although the strict parser (and the signing
    specification) admit it; as an ECMAScript number it serialises exactly like the float.
    """
    if _plain(value):
        try:
            return _PLAIN.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 says what is wrong
            pass
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return rfc8785.dumps(_edge_integers_as_floats(value))


_PLAIN = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)


def _plain(value: Any) -> bool:
    """Whether the standard encoder writes `value` exactly as RFC 8785 does."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -stix.MAX_SAFE_INTEGER < value < stix.MAX_SAFE_INTEGER
    if kind is dict:
        return all(type(key) is str and key.isascii() and _plain(item)
                   for key, item in value.items())
    if kind is list:
        return all(_plain(item) for item in value)
    return False


def _edge_integers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _edge_integers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_edge_integers_as_floats(item) for item in value]
    if type(value) is int and abs(value) == stix.MAX_SAFE_INTEGER:
        return float(value)
    return value


def object_hash(obj: Mapping[str, Any]) -> str:
    return b64url(hashlib.sha256(jcs(obj)).digest())


def object_version(obj: Mapping[str, Any]) -> str:
    """`ver` of a manifest entry: modified, else created, else "" (SCOs)."""
    for name in ("modified", "created"):
        value = obj.get(name)
        if isinstance(value, str):
            return value
    return ""


def manifest_entry(obj: Mapping[str, Any]) -> dict[str, str]:
    return {"id": obj["id"], "ver": object_version(obj), "h": object_hash(obj)}


# --- keys -----------------------------------------------------------------------------------

def public_jwk(key: Ed25519PublicKey | Ed25519PrivateKey) -> dict[str, str]:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an Ed25519 OKP JWK (its required members only)."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    return b64url(hashlib.sha256(jcs(required)).digest())


def load_public_jwk(jwk: Any) -> Ed25519PublicKey:
    """An Ed25519 public key from a JWK; ValueError names what is wrong. Refuses private keys."""
    if not isinstance(jwk, Mapping):
        raise ValueError("a JWK must be a JSON object")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("only Ed25519 keys (kty OKP, crv Ed25519) are accepted")
    if "d" in jwk:
        raise ValueError("this JWK contains a private key ('d'); send only the public key")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise ValueError("the JWK has no 'x'")
    try:
        raw = b64url_decode(x)
    except ValueError:
        raise ValueError("the JWK's 'x' is not base64url") from None
    if len(raw) != 32:
        raise ValueError("the JWK's 'x' is not a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def jwks(keys: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A JWK Set (RFC 7517) with kid, use and alg on each key."""
    return {"keys": [
        {**{k: key[k] for k in ("kty", "crv", "x")}, "kid": thumbprint(key), "use": "sig",
         "alg": "Ed25519"}
        for key in keys
    ]}


# --- signing --------------------------------------------------------------------------------

def sign_manifest(
    private_key: Ed25519PrivateKey,
    *,
    issuer: str,
    audience: str,
    objects: Iterable[Mapping[str, Any]],
    issued_at: int,
    ttl: int = 600,
    jti: str | None = None,
    typ: str = TYP,
) -> str:
    """A compact JWS whose payload is the manifest of `objects` (`typ` RELAY_TYP: a relay)."""
    header = {"alg": "Ed25519", "kid": thumbprint(public_jwk(private_key)), "typ": typ}
    payload = {
        "iss": issuer, "aud": audience, "iat": issued_at, "exp": issued_at + ttl,
        "jti": jti or str(uuid.uuid4()), "objects": [manifest_entry(o) for o in objects],
    }
    signing_input = b64url(jcs(header)) + "." + b64url(jcs(payload))
    signature = private_key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url(signature)


def signature_object(token: str, *, issuer: str, object_ids: list[str], created: str
                     ) -> dict[str, Any]:
    """The STIX object that carries a manifest token in a TAXII envelope."""
    return {
        "type": SIGNATURE_TYPE,
        "spec_version": "2.1",
        "id": f"{SIGNATURE_TYPE}--{uuid.uuid4()}",
        "created": created,
        "modified": created,
        "created_by_ref": issuer,
        "object_refs": list(object_ids),
        "jws": token,
        "extensions": {SIGNATURE_EXTENSION: {"extension_type": "new-sdo"}},
    }


# --- verifying ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisteredKey:
    """A public key the verifier knows, with the identity it belongs to."""

    kid: str
    jwk: Mapping[str, Any]
    identity: str
    revoked: bool = False


@dataclass(frozen=True)
class Verified:
    issuer: str
    kid: str
    jti: str
    expires: int
    object_ids: tuple[str, ...]
    audience: str = ""


def _json_part(text: str, what: str) -> dict[str, Any]:
    try:
        value = stix.loads(b64url_decode(text))
    except stix.JSONError as exc:
        if exc.code == "duplicate-key":
            raise Rejected("signature-malformed", f"the {what} has a duplicate key") from None
        raise Rejected("signature-malformed", f"the {what} is not valid JSON") from None
    except ValueError:
        raise Rejected("signature-malformed", f"the {what} is not base64url") from None
    if not isinstance(value, dict):
        raise Rejected("signature-malformed", f"the {what} is not a JSON object")
    return value


def _parse(token: Any, typ: str = TYP) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    if not isinstance(token, str) or token.count(".") != 2:
        raise Rejected("signature-malformed", "the token is not a compact JWS of three parts")
    header_text, payload_text, signature_text = token.split(".")
    header = _json_part(header_text, "protected header")
    payload = _json_part(payload_text, "payload")
    try:
        signature = b64url_decode(signature_text)
    except ValueError:
        raise Rejected("signature-malformed", "the signature is not base64url") from None
    if header.get("alg") not in ALGORITHMS:
        raise Rejected("signature-malformed", f"alg must be Ed25519, not {header.get('alg')!r}")
    if header.get("typ") != typ:
        raise Rejected("signature-malformed", f"typ must be {typ}")
    if "crit" in header:
        raise Rejected("signature-malformed", "crit is not supported")
    if not isinstance(header.get("kid"), str):
        raise Rejected("signature-malformed", "the header has no kid")
    _check_claims(payload)
    if typ in (TYP, RELAY_TYP):
        _check_entries(payload)
    return header, payload, (header_text + "." + payload_text).encode("ascii"), signature


MAX_JTI_LENGTH = 100


def _check_claims(payload: dict[str, Any]) -> None:
    for name in ("iss", "aud", "jti"):
        if not isinstance(payload.get(name), str):
            raise Rejected("signature-malformed", f"the payload needs a string {name!r}")
    if not 0 < len(payload["jti"]) <= MAX_JTI_LENGTH:
        # The hub remembers accepted jti values; a bound keeps that record small and fixed.
        raise Rejected("signature-malformed",
                       f"'jti' must have 1 to {MAX_JTI_LENGTH} characters")
    for name in ("iat", "exp"):
        if type(payload.get(name)) is not int:
            raise Rejected("signature-malformed", f"the payload needs an integer {name!r}")


def _check_entries(payload: dict[str, Any]) -> None:
    entries = payload.get("objects")
    if not isinstance(entries, list):
        raise Rejected("signature-malformed", "the payload needs an 'objects' list")
    seen: set[str] = set()
    for entry in entries:
        if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str)
                                                for k in ("id", "ver", "h"))):
            raise Rejected("signature-malformed", "every manifest entry needs id, ver and h")
        if entry["id"] in seen:
            raise Rejected("signature-malformed", f"{entry['id']} is listed twice")
        seen.add(entry["id"])


def verify(
    token: Any,
    objects: list[Mapping[str, Any]],
    *,
    keys: Callable[[str], RegisteredKey | None],
    audience: str,
    now: int,
    jti_seen: Callable[[str], bool],
    signer_ref: str | None = None,
) -> Verified:
    """Verify a manifest token against the objects it covers, in the specification's order.

    `keys` finds a registered key by kid; `jti_seen` says whether a jti was accepted before;
    `signer_ref` is the carrying signature object's created_by_ref, when there is one.
    Raises Rejected with the first failing check's code.
    """
    header, payload = _check_signer(token, objects, keys, signer_ref)
    _check_audience_time_replay(payload, audience, now, jti_seen)
    _check_coverage(payload, objects)
    return _verified(header, payload)


def verify_published(
    token: Any,
    objects: list[Mapping[str, Any]],
    *,
    keys: Callable[[str], RegisteredKey | None],
    signer_ref: str | None = None,
) -> Verified:
    """Verify signed content read back from a collection, such as a hub advisory.

    Checks 1-4 and 8 of the specification. Audience, lifetime and replay (5-7) guard the moment
    a hub accepts a token; published content is read by many readers long after its token's
    `exp`, so a reader that applied them would refuse every advisory older than an hour.
    """
    header, payload = _check_signer(token, objects, keys, signer_ref)
    _check_coverage(payload, objects)
    return _verified(header, payload)


def verify_relay(
    token: Any,
    objects: list[Mapping[str, Any]],
    *,
    keys: Callable[[str], RegisteredKey | None],
    audience: str,
    now: int,
    jti_seen: Callable[[str], bool],
    signer_ref: str | None,
) -> Verified:
    """Verify a downstream hub's relay token over everything its forward carries
    ("Relaying between hubs"): checks 1-3 and 5-8, and check 4 as the relay has it - the relay
    signature object and every `x-cyberhub-node-key` are the downstream hub's own; the town
    objects inside keep their creators and are checked with `verify_relayed`."""
    header, payload, signing_input, signature = _parse(token, RELAY_TYP)
    key = _check_key_and_signature(header, signing_input, signature, keys)
    issuer = _check_issuer(payload, key)
    if signer_ref != issuer:
        raise Rejected("identity-mismatch", "the relay signature object's created_by_ref is "
                       "not iss")
    for obj in objects:
        if obj.get("type") == NODE_KEY_TYPE and obj.get("created_by_ref") != issuer:
            raise Rejected("identity-mismatch", f"{obj.get('id')} attests a key for another "
                           "hub than the one relaying it")
    _check_audience_time_replay(payload, audience, now, jti_seen)
    _check_coverage(payload, objects)
    return _verified(header, payload)


def verify_relayed(
    token: Any,
    objects: list[Mapping[str, Any]],
    *,
    keys: Callable[[str], RegisteredKey | None],
    audience: str,
    signer_ref: str | None = None,
) -> Verified:
    """Verify a town's own signature inside a relay: checks 1-4 and 8 with the keys the
    relaying hub attested, and 5 with `audience` the relaying hub's identity. Lifetime and
    replay (6, 7) were checked when the town's token first arrived; the relay token covers
    the transport."""
    header, payload = _check_signer(token, objects, keys, signer_ref)
    if payload["aud"] != audience:
        raise Rejected("audience-mismatch", "the town's token is addressed to another hub "
                       "than the one relaying it")
    _check_coverage(payload, objects)
    return _verified(header, payload)


def manifest_entries(token: Any) -> list[dict[str, str]]:
    """The manifest entries ({id, ver, h}) of a manifest token, before verification: a hub
    that forwards a stored group reads back the versions it covers. Raises Rejected if the
    token does not parse."""
    _, payload, _, _ = _parse(token)
    return [dict(entry) for entry in payload["objects"]]


def token_typ(token: Any) -> str | None:
    """The `typ` of a compact JWS's protected header, read without verifying anything (to
    tell a relay from a manifest); None when it does not parse."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    try:
        header = stix.loads(b64url_decode(token.split(".", 1)[0]))
    except (stix.JSONError, ValueError):
        return None
    return header.get("typ") if isinstance(header, dict) else None


def _verified(header: dict[str, Any], payload: dict[str, Any]) -> Verified:
    return Verified(payload["iss"], header["kid"], payload["jti"], payload["exp"],
                    tuple(entry["id"] for entry in payload["objects"]), payload["aud"])


def covered_versions(token: Any) -> list[tuple[str, str]]:
    """(id, ver) of each manifest entry, before verification: a reader uses it to pick the
    object versions to verify. Raises Rejected if the token does not parse."""
    return [(entry["id"], entry["ver"]) for entry in manifest_entries(token)]


def _check_signer(
    token: Any, objects: list[Mapping[str, Any]],
    keys: Callable[[str], RegisteredKey | None], signer_ref: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, signing_input, signature = _parse(token)
    key = _check_key_and_signature(header, signing_input, signature, keys)
    issuer = _check_issuer(payload, key)
    if signer_ref is not None and signer_ref != issuer:
        raise Rejected("identity-mismatch", "the signature object's created_by_ref is not iss")
    for obj in objects:
        if obj.get("id") in TLP2_MARKINGS:
            continue
        if "created_by_ref" in obj and obj["created_by_ref"] != issuer:
            raise Rejected("identity-mismatch", f"{obj.get('id')} is attributed to another "
                           "identity than the signer")
        if obj.get("type") == "identity" and obj.get("id") != issuer:
            raise Rejected("identity-mismatch", "an identity other than the signer's own "
                           "travels with the report")
    return header, payload


def _check_coverage(payload: dict[str, Any], objects: list[Mapping[str, Any]]) -> None:
    entries = {entry["id"]: entry for entry in payload["objects"]}
    delivered: set[str] = set()
    for obj in objects:
        object_id = obj.get("id")
        entry = entries.get(object_id)  # type: ignore[arg-type]
        if entry is None or entry["ver"] != object_version(obj):
            raise Rejected("object-not-covered", f"{object_id} is not covered by the manifest")
        if entry["h"] != object_hash(obj):
            raise Rejected("hash-mismatch", f"{object_id} changed after it was signed")
        delivered.add(object_id)  # type: ignore[arg-type]
    missing = set(entries) - delivered
    if missing:
        raise Rejected("object-missing", f"{sorted(missing)[0]} is in the manifest but was "
                       "not delivered")


def _check_key_and_signature(
    header: dict[str, Any], signing_input: bytes, signature: bytes,
    keys: Callable[[str], RegisteredKey | None],
) -> RegisteredKey:
    key = keys(header["kid"])
    if key is None:
        raise Rejected("key-unknown", "the key that signed this is not registered")
    if key.revoked:
        raise Rejected("key-revoked", "the key that signed this has been revoked")
    try:
        load_public_jwk(key.jwk).verify(signature, signing_input)
    except (InvalidSignature, ValueError):
        raise Rejected("signature-invalid", "the Ed25519 signature does not verify") from None
    return key


def _check_issuer(payload: dict[str, Any], key: RegisteredKey) -> str:
    """Check 4's first half: `iss` is the identity the key belongs to."""
    if payload["iss"] != key.identity:
        raise Rejected("identity-mismatch", "iss is not the identity this key belongs to")
    return payload["iss"]


def _check_audience_time_replay(
    payload: dict[str, Any], audience: str, now: int, jti_seen: Callable[[str], bool]
) -> None:
    if payload["aud"] != audience:
        raise Rejected("audience-mismatch", "the token is addressed to another hub")
    issued, expires = payload["iat"], payload["exp"]
    if expires - issued > MAX_VALIDITY:
        raise Rejected("token-expired", "the token is valid for more than an hour")
    if not issued - CLOCK_SKEW <= now <= expires + CLOCK_SKEW:
        raise Rejected("token-expired", "the token is not valid at this time")
    if jti_seen(payload["jti"]):
        raise Rejected("token-replayed", "this token was accepted before")


# --- signed requests (key rotation) ---------------------------------------------------------

def sign_request(
    private_key: Ed25519PrivateKey, claims: Mapping[str, Any], *, issuer: str, audience: str,
    issued_at: int, ttl: int = 300, typ: str = KEY_ROTATION_TYP,
) -> str:
    """A compact JWS over `claims` plus iss/aud/iat/exp/jti, signed with the current key."""
    header = {"alg": "Ed25519", "kid": thumbprint(public_jwk(private_key)), "typ": typ}
    payload = {**claims, "iss": issuer, "aud": audience, "iat": issued_at,
               "exp": issued_at + ttl, "jti": str(uuid.uuid4())}
    signing_input = b64url(jcs(header)) + "." + b64url(jcs(payload))
    return signing_input + "." + b64url(private_key.sign(signing_input.encode("ascii")))


def verify_request(
    token: Any, *, keys: Callable[[str], RegisteredKey | None], audience: str, now: int,
    jti_seen: Callable[[str], bool], typ: str = KEY_ROTATION_TYP,
) -> tuple[dict[str, Any], RegisteredKey]:
    """Verify a signed request; returns its claims and the key that signed it."""
    header, payload, signing_input, signature = _parse(token, typ)
    key = _check_key_and_signature(header, signing_input, signature, keys)
    _check_issuer(payload, key)
    _check_audience_time_replay(payload, audience, now, jti_seen)
    return payload, key

"""What a peer's JWKS document pins: the hub's identity and the one key its operator
confirmed, nothing else it lists."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cyberhub.core import signing
from cyberhub.hub.federation import peers

IDENTITY = {"type": "identity", "id": "identity--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b",
            "name": "Landes-Hub"}


def _document(*keys) -> dict:
    return {"keys": [signing.public_jwk(key) for key in keys], "cyberhub_identity": IDENTITY}


def test_only_the_confirmed_key_is_pinned():
    confirmed, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    kid = signing.thumbprint(signing.public_jwk(confirmed))
    pinned = peers.read_document(_document(other, confirmed), thumbprint=kid)
    assert pinned.thumbprints == [kid] and pinned.identity == IDENTITY


def test_an_upstream_a_peer_pinned_is_not_pinned_through_it():
    own, upstream = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    document = _document(own)
    document["keys"].append({**signing.public_jwk(upstream), "cyberhub_hub": "identity--x"})
    assert peers.read_document(document, thumbprint=None).thumbprints == [
        signing.thumbprint(signing.public_jwk(own))]


@pytest.mark.parametrize("document, said", [
    ({"keys": []}, "not a hub's JWKS"),
    ({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}], "cyberhub_identity": IDENTITY},
     "cannot use"),
    ("not a document", "not a hub's JWKS"),
    ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "A" * 43}]}, "names no hub identity"),
])
def test_what_is_no_hubs_key_set_is_refused(document, said):
    if isinstance(document, dict) and document.get("keys") and "cyberhub_identity" not in \
            document:
        document["keys"] = [signing.public_jwk(Ed25519PrivateKey.generate())]
    with pytest.raises(peers.FederationError, match=said):
        peers.read_document(document, thumbprint=None)

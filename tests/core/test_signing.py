"""The signing specification: the shared test vectors, then our own cases on top."""

import copy
import json

import pytest
import rfc8785
from conftest import DATA
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.core import signing

VECTORS = json.loads((DATA / "signing-vectors.json").read_text())
NODE = VECTORS["node_identity"]
HUB = VECTORS["hub_identity"]


def _keys(revoked=False):
    registered = signing.RegisteredKey(VECTORS["node_kid"], VECTORS["node_public_jwk"], NODE,
                                       revoked)
    return lambda kid: registered if kid == registered.kid else None


def test_node_key_and_thumbprint_match_the_vectors():
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["node_private_key_seed_hex"]))
    assert signing.public_jwk(key) == VECTORS["node_public_jwk"]
    assert signing.thumbprint(VECTORS["node_public_jwk"]) == VECTORS["node_kid"]


def test_jcs_hashes_match_the_vectors():
    objects = VECTORS["cases"][0]["objects"]
    assert [signing.object_hash(o) for o in objects] == VECTORS["jcs_sha256_b64url"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_vector(case):
    keys = _keys(revoked=case["name"] == "registered key revoked")
    seen = set(case["seen_jti"])
    if case["expect"] == "accept":
        result = signing.verify(case["token"], case["objects"], keys=keys, audience=HUB,
                                now=case["now"], jti_seen=seen.__contains__)
        assert result.issuer == NODE and result.jti == VECTORS["jti"]
    else:
        with pytest.raises(signing.Rejected) as caught:
            signing.verify(case["token"], case["objects"], keys=keys, audience=HUB,
                           now=case["now"], jti_seen=seen.__contains__)
        assert caught.value.code == case["expect"]


def test_our_signer_reproduces_the_vector_token():
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["node_private_key_seed_hex"]))
    token = signing.sign_manifest(
        key, issuer=NODE, audience=HUB, objects=VECTORS["cases"][0]["objects"],
        issued_at=VECTORS["iat"], ttl=VECTORS["ttl"], jti=VECTORS["jti"])
    assert token == VECTORS["cases"][0]["token"]


# --- our own cases --------------------------------------------------------------------------

KEY = Ed25519PrivateKey.generate()
JWK = signing.public_jwk(KEY)
KID = signing.thumbprint(JWK)
TOWN = "identity--5b0c8a6e-2f1d-4c3b-9a8e-7d6c5b4a3f21"
NOW = 1_800_000_000


def _objects():
    return [
        {"type": "identity", "spec_version": "2.1", "id": TOWN, "created": "2026-01-01T00:00:00Z",
         "modified": "2026-01-01T00:00:00Z", "name": "Gemeinde Übersee", "identity_class":
         "organization"},
        {"type": "incident", "spec_version": "2.1",
         "id": "incident--8d2f6a1e-3b4c-4d5e-9f6a-7b8c9d0e1f2a", "created_by_ref": TOWN,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
         "name": "Phishing \u2014 \U0001F41F", "x_score": 0.1, "x_big": 9007199254740992,
         "x_exp": 1e21, "x_neg": -0.0},
        {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
         "value": "203.0.113.7"},
        {"type": "marking-definition", "spec_version": "2.1",
         "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
         "created": "2022-10-01T00:00:00.000Z", "created_by_ref":
         "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01", "name": "TLP:AMBER",
         "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
                        {"extension_type": "property-extension", "tlp_2_0": "amber"}}},
    ]


def _sign(objects=None, **overrides):
    arguments = {"issuer": TOWN, "audience": HUB, "issued_at": NOW, "ttl": 600}
    arguments.update(overrides)
    return signing.sign_manifest(KEY, objects=objects or _objects(), **arguments)


def _verify(token, objects=None, revoked=False, seen=(), now=NOW, signer_ref=None):
    registered = signing.RegisteredKey(KID, JWK, TOWN, revoked)
    return signing.verify(token, objects if objects is not None else _objects(),
                          keys=lambda kid: registered if kid == KID else None, audience=HUB,
                          now=now, jti_seen=set(seen).__contains__, signer_ref=signer_ref)


def _tamper_part(token, part, change):
    parts = token.split(".")
    value = json.loads(signing.b64url_decode(parts[part]))
    change(value)
    parts[part] = signing.b64url(json.dumps(value).encode())
    return ".".join(parts)


def test_unicode_numbers_and_markings_round_trip():
    result = _verify(_sign())
    assert result.issuer == TOWN and len(result.object_ids) == 4


def test_reordered_envelope_and_reserialised_objects_still_verify():
    objects = _objects()
    token = _sign(objects)
    shuffled = [json.loads(json.dumps(o, indent=3, sort_keys=True)) for o in reversed(objects)]
    assert _verify(token, shuffled).issuer == TOWN


def test_largest_safe_integer_hashes_like_javascript():
    expected = b'{"m":-9007199254740992,"n":9007199254740992}'
    assert signing.jcs({"n": 2**53, "m": -(2**53)}) == expected


def test_number_spelling_does_not_matter_but_value_does():
    objects = _objects()
    token = _sign(objects)
    same = copy.deepcopy(objects)
    same[1]["x_exp"] = 1000000000000000000000.0
    assert _verify(token, same)
    changed = copy.deepcopy(objects)
    changed[1]["x_score"] = 0.10000000000000002
    with pytest.raises(signing.Rejected, match="hash-mismatch"):
        _verify(token, changed)


@pytest.mark.parametrize("token, code", [
    ("", "signature-malformed"),
    ("a.b", "signature-malformed"),
    ("a.b.c.d", "signature-malformed"),
    ("!!.??.**", "signature-malformed"),
    (signing.b64url(b'{"alg":"Ed25519","alg":"Ed25519"}') + ".e30.AA", "signature-malformed"),
    (signing.b64url(b"[1]") + ".e30.AA", "signature-malformed"),
    (12345, "signature-malformed"),
])
def test_malformed_tokens(token, code):
    with pytest.raises(signing.Rejected) as caught:
        _verify(token)
    assert caught.value.code == code


@pytest.mark.parametrize("change, code", [
    (lambda h: h.update(alg="HS256"), "signature-malformed"),
    (lambda h: h.update(alg="none"), "signature-malformed"),
    (lambda h: h.update(typ="JWT"), "signature-malformed"),
    (lambda h: h.update(crit=["exp"]), "signature-malformed"),
    (lambda h: h.pop("kid"), "signature-malformed"),
    (lambda h: h.update(kid="unknown-kid"), "key-unknown"),
    (lambda h: h.update(alg="EdDSA"), "signature-invalid"),  # accepted alg, new header bytes
])
def test_header_tampering(change, code):
    with pytest.raises(signing.Rejected) as caught:
        _verify(_tamper_part(_sign(), 0, change))
    assert caught.value.code == code


def test_older_eddsa_alg_is_accepted():
    header = {"alg": "EdDSA", "kid": KID, "typ": signing.TYP}
    payload = {"iss": TOWN, "aud": HUB, "iat": NOW, "exp": NOW + 60, "jti": "j",
               "objects": [signing.manifest_entry(o) for o in _objects()]}
    signing_input = signing.b64url(signing.jcs(header)) + "." + signing.b64url(
        signing.jcs(payload))
    token = signing_input + "." + signing.b64url(KEY.sign(signing_input.encode()))
    assert _verify(token).jti == "j"


def test_payload_tampering_breaks_the_signature():
    token = _tamper_part(_sign(), 1, lambda p: p.update(aud="identity--other"))
    with pytest.raises(signing.Rejected, match="signature-invalid"):
        _verify(token)


@pytest.mark.parametrize("kwargs, code", [
    ({"revoked": True}, "key-revoked"),
    ({"seen": None}, "token-replayed"),
    ({"now": NOW - 301}, "token-expired"),
    ({"now": NOW + 600 + 301}, "token-expired"),
    ({"signer_ref": "identity--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}, "identity-mismatch"),
])
def test_verifier_context(kwargs, code):
    token = _sign(jti="fixed-jti")
    if "seen" in kwargs:
        kwargs["seen"] = {"fixed-jti"}
    with pytest.raises(signing.Rejected) as caught:
        _verify(token, **kwargs)
    assert caught.value.code == code


def test_a_jti_too_long_to_remember_is_malformed():
    # Accepted tokens' jti values are stored (100 characters); a longer one was a 500 on
    # PostgreSQL when the hub tried to remember it.
    assert _verify(_sign(jti="j" * signing.MAX_JTI_LENGTH))
    with pytest.raises(signing.Rejected) as caught:
        _verify(_sign(jti="j" * (signing.MAX_JTI_LENGTH + 1)))
    assert caught.value.code == "signature-malformed"


def test_clock_skew_of_five_minutes_is_tolerated():
    token = _sign()
    assert _verify(token, now=NOW - 300) and _verify(token, now=NOW + 600 + 300)


@pytest.mark.parametrize("issuer, audience, ttl, code", [
    ("identity--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", HUB, 600, "identity-mismatch"),
    (TOWN, "identity--11111111-2222-4333-8444-555555555555", 600, "audience-mismatch"),
    (TOWN, HUB, 3601, "token-expired"),
])
def test_claims(issuer, audience, ttl, code):
    with pytest.raises(signing.Rejected) as caught:
        _verify(_sign(issuer=issuer, audience=audience, ttl=ttl))
    assert caught.value.code == code


def test_other_identity_in_envelope_is_refused():
    objects = _objects()
    other = dict(objects[0], id="identity--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    with pytest.raises(signing.Rejected, match="identity-mismatch"):
        _verify(_sign(objects + [other]), objects + [other])


def test_coverage_codes():
    objects = _objects()
    token = _sign(objects)
    extra = objects + [{"type": "ipv4-addr", "value": "198.51.100.1",
                        "id": "ipv4-addr--00000000-0000-5000-8000-000000000009"}]
    with pytest.raises(signing.Rejected, match="object-not-covered"):
        _verify(token, extra)
    with pytest.raises(signing.Rejected, match="object-missing"):
        _verify(token, objects[:2])
    newer = copy.deepcopy(objects)
    newer[1]["modified"] = "2026-02-01T00:00:00.000Z"
    with pytest.raises(signing.Rejected, match="object-not-covered"):
        _verify(token, newer)


def test_every_rejection_code_of_the_verifier_is_exercised():
    # The two JSON codes belong to the envelope parser (tests/test_stix.py).
    exercised = {"signature-malformed", "key-unknown", "key-revoked", "signature-invalid",
                 "identity-mismatch", "audience-mismatch", "token-expired", "token-replayed",
                 "object-not-covered", "hash-mismatch", "object-missing"}
    assert exercised | {"duplicate-key", "malformed-json"} == set(signing.REJECTION_CODES)


@pytest.mark.parametrize("jwk, fragment", [
    ({"kty": "RSA", "n": "x", "e": "AQAB"}, "Ed25519"),
    ({"kty": "OKP", "crv": "X25519", "x": JWK["x"]}, "Ed25519"),
    ({"kty": "OKP", "crv": "Ed25519", "x": JWK["x"], "d": "secret"}, "private"),
    ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "32-byte"),
    ({"kty": "OKP", "crv": "Ed25519"}, "'x'"),
    ([1], "JSON object"),
])
def test_only_public_ed25519_jwks_are_loaded(jwk, fragment):
    with pytest.raises(ValueError, match=fragment):
        signing.load_public_jwk(jwk)


def test_jwks_lists_kids():
    keyset = signing.jwks([JWK])
    assert keyset["keys"][0]["kid"] == KID and "d" not in keyset["keys"][0]


_KEYS = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_the_fast_canonical_form_is_the_rfc8785_form(value):
    """The standard encoder's path (strings, safe integers, ASCII keys) writes byte for byte
    what the `rfc8785` package writes, control characters and non-BMP text included."""
    assert signing._plain(value)
    assert signing.jcs(value) == rfc8785.dumps(value)


def test_values_the_fast_path_cannot_write_go_to_rfc8785():
    for value in ({"x": 1.5}, {"ü": 1}, {"\U0001f600": 1, "\ufb01": 2}, [2**60]):
        assert not signing._plain(value)
    assert signing.jcs({"\U0001f600": 1, "\ufb01": 2}) == rfc8785.dumps(
        {"\U0001f600": 1, "\ufb01": 2})
    with pytest.raises(ValueError):  # a lone surrogate has no UTF-8 form
        signing.jcs({"a": "\ud800"})

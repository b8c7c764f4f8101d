"""What the federal hub refuses from a Land hub (the signing specification, "Relaying between
hubs"), each time with its code and with nothing stored of what was refused."""

from __future__ import annotations

import copy
import json

from conftest import TAXII, basic, post_objects
from sqlalchemy import func, select

from cyberhub.core import signing, timestamps
from cyberhub.hub import collections, nodes
from cyberhub.hub.federation import attestations, relaying
from cyberhub.hub.storage.models import Node, Relay, StoredObject
from hub.federation.conftest import report
from hub.federation.test_forwarding import send


def forward_of(land, *, rules=relaying.Rules()) -> relaying.Forward:
    with land.hub.db.session() as session:
        reports = collections.find(session, "reports").id
        groups = relaying.pending(session, reports, after=0, limit=100)
        batch = relaying.build(session, groups, rules=rules, hub_identity=land.hub.identity,
                               pseudonym_secret=land.hub.settings.secret())
    (forward,) = batch.forwards
    return forward


def post(peered, forward: relaying.Forward, *, key=None, audience=None, envelope=None):
    land, federal = peered["land"], peered["federal"]
    envelope = envelope or relaying.seal(
        forward, signer_key=key or land.hub.signer.key, hub_identity=land.hub.identity,
        upstream_identity=audience or federal.hub.identity, now_us=timestamps.now_us())
    with federal.hub.db.session() as session:
        reports = collections.find(session, "reports").id
    answer = post_objects(federal.client, peered["headers"], reports, None, raw=envelope)
    body = answer.get_json()
    if answer.status_code == 422:  # nothing could be stored: a TAXII error with the status
        return {"failures": body["details"]["failures"]}, envelope
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return body, envelope


def replace(forward: relaying.Forward, index: int, obj: dict) -> None:
    forward.objects[index] = obj
    forward.texts[index] = json.dumps(obj)


def codes(status: dict) -> set[str]:
    return {failure["message"].split(":", 1)[0] for failure in status.get("failures", [])}


def incidents(federal) -> int:
    with federal.hub.db.session() as session:
        return session.scalar(select(func.count()).select_from(StoredObject).where(
            StoredObject.type == "incident"))


def test_a_town_object_changed_after_the_town_signed_refuses_that_town_alone(peered,
                                                                            make_town):
    land, federal = peered["land"], peered["federal"]
    aue, borna = make_town("aue"), make_town("borna")
    send(land, aue, report(aue, level="green"))
    send(land, borna, report(borna, level="green"))
    forward = forward_of(land)
    at = next(i for i, o in enumerate(forward.objects)
              if o["type"] == "incident" and o["created_by_ref"] == aue.identity)
    replace(forward, at, {**forward.objects[at], "name": "Alles in Ordnung"})

    status, _ = post(peered, forward)

    assert codes(status) == {"hash-mismatch"}  # the relay signature holds; the town's not
    refused = {f["id"] for f in status["failures"]}
    assert forward.objects[at]["id"] in refused
    assert incidents(federal) == 1  # borna's, whole


def test_a_town_object_without_its_towns_signature_is_refused(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    forward = forward_of(land)
    signature = next(o for o in forward.objects if o["type"] == signing.SIGNATURE_TYPE)
    at = forward.objects.index(signature)
    del forward.objects[at], forward.texts[at], forward.ids[at]

    status, _ = post(peered, forward)

    assert codes(status) == {"object-not-covered"}  # made by a town, signed by nobody
    assert incidents(federal) == 0


def test_a_replayed_forward_is_refused_and_stores_nothing(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    first, envelope = post(peered, forward_of(land))
    assert not first.get("failures")
    with federal.hub.db.session() as session:
        before = session.scalar(select(func.count()).select_from(StoredObject))

    again, _ = post(peered, None, envelope=envelope)

    assert codes(again) == {"token-replayed"} and not again.get("successes")
    with federal.hub.db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredObject)) == before
        assert session.scalar(select(func.count()).select_from(Relay)) == 1


def test_a_town_of_another_land_is_refused(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    hof = make_town("hof", "BY")  # the Land hub of Sachsen should have no town in Bayern
    send(land, hof, report(hof, level="green"))
    forward = forward_of(land)
    at = next(i for i, o in enumerate(forward.objects) if o["type"] == signing.NODE_KEY_TYPE)
    assert forward.objects[at]["land"] == "BY"

    status, _ = post(peered, forward)

    assert codes(status) == {"identity-mismatch"}
    assert any("does not represent" in f["message"] for f in status["failures"])
    with federal.hub.db.session() as session:
        assert session.scalar(select(Node).where(Node.identity_id == hof.identity)) is None
    assert incidents(federal) == 0


def test_content_above_what_may_travel_is_refused_whatever_the_land_hub_allows(peered,
                                                                              make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="red", number=1))
    send(land, aue, report(aue, level="amber+strict", number=2, domain="anders.example"))
    loose = relaying.Rules.__new__(relaying.Rules)  # rules no settings could give
    object.__setattr__(loose, "original", ("red", "amber+strict"))
    object.__setattr__(loose, "pseudonymised", ())

    status, _ = post(peered, forward_of(land, rules=loose))

    assert codes(status) == {"tlp-forbidden"}
    assert incidents(federal) == 0


def test_a_forward_signed_with_another_key_or_for_another_hub_is_refused(peered, make_town):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    status, _ = post(peered, forward_of(land), key=Ed25519PrivateKey.generate())
    assert codes(status) == {"key-unknown"}
    status, _ = post(peered, forward_of(land), audience=land.hub.identity)
    assert codes(status) == {"audience-mismatch"}
    assert incidents(federal) == 0


def test_a_revoked_town_key_is_refused_once_its_hub_says_so(peered, make_town):
    land = peered["land"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green", number=1))
    status, _ = post(peered, forward_of(land))
    assert not status.get("failures")
    with land.hub.db.writing() as session:
        nodes.revoke_key(session, "aue", aue.kid, now=timestamps.now_us())
    forward = forward_of(land)  # the same group again, now with the key attested revoked
    key = next(o for o in forward.objects if o["type"] == signing.NODE_KEY_TYPE)
    assert attestations.read(key).revoked

    status, _ = post(peered, forward)

    assert codes(status) == {"key-revoked"}


def test_a_hub_cannot_write_where_it_was_not_given_rights(peered):
    federal = peered["federal"]
    with federal.hub.db.session() as session:
        advisories = collections.find(session, "advisories").id
    answer = post_objects(federal.client, peered["headers"], advisories, [])
    assert answer.status_code == 403


def test_a_report_that_comes_back_to_its_own_hub_is_not_stored_twice(land, make_town):
    """A forward loop: another hub relays to the Land hub a group of the Land hub's own town.
    The group it stored is recognised by its signature and counted as a duplicate; one it
    never received is refused, since that town belongs to this hub."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.hub.federation import peers

    aue = make_town("aue")
    send(land, aue, report(aue, level="green", number=1))
    stored_group = relaying.Forward()  # aue's stored group, as another hub would carry it
    for obj in forward_of(land).objects:
        if obj["type"] != signing.NODE_KEY_TYPE:  # the Land hub's own word, not the other's
            stored_group.add(obj)
    other_key = Ed25519PrivateKey.generate()
    other_identity = "identity--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b"
    pinned = peers.Pinned({"keys": [{**signing.public_jwk(other_key),
                                     "kid": signing.thumbprint(signing.public_jwk(other_key))}]},
                          {"type": "identity", "id": other_identity, "name": "Anderer Hub"})
    with land.hub.db.writing() as session:
        added = peers.add_downstream(session, "anderer", "https://anderer.example/", "SN",
                                     pinned, now=timestamps.now_us(), token_ttl_hours=1,
                                     actor="cli")
    enrolled = land.client.post("/nodes/enroll", json={
        "token": added["enrollment_token"], "jwk": signing.public_jwk(other_key)}).get_json()
    headers = basic(enrolled["username"], enrolled["password"])
    with land.hub.db.session() as session:
        reports = collections.find(session, "reports").id
        before = session.scalar(select(func.count()).select_from(StoredObject))

    def relay(forward):
        envelope = relaying.seal(forward, signer_key=other_key, hub_identity=other_identity,
                                 upstream_identity=land.hub.identity, now_us=timestamps.now_us())
        return post_objects(land.client, {**headers, "Accept": TAXII}, reports, None,
                            raw=envelope)

    back = relay(stored_group)
    assert back.status_code == 202, back.get_data(as_text=True)
    assert not back.get_json().get("failures")
    assert all("came back to the hub it started from" in s.get("message", "")
               for s in back.get_json()["successes"]
               if s["id"].startswith(("incident--", "x-cyberhub-signature--")))
    with land.hub.db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredObject)) == before

    unknown = report(aue, level="green", number=2)  # signed by aue, never sent to this hub
    carrier = aue.sign(unknown)[-1]
    forward = relaying.Forward()
    for obj in [*unknown, carrier]:
        forward.add(obj)
    answer = relay(forward)
    assert answer.status_code == 422
    assert "this hub never received the report" in answer.get_data(as_text=True)


def _hostile(objects: list[dict]) -> list[tuple[str, list[dict]]]:
    """Forwards a misbehaving hub could sign: each one field of one object made wrong."""
    def changed(kind: str, field: str, value) -> list[dict]:
        copies = copy.deepcopy(objects)
        target = next(o for o in copies if o["type"] == kind)
        target[field] = value
        return copies

    return [
        ("town signature's creator a list", changed(signing.SIGNATURE_TYPE, "created_by_ref",
                                                    ["x"])),
        ("town signature's refs not ids", changed(signing.SIGNATURE_TYPE, "object_refs",
                                                  [{"a": 1}])),
        ("town signature's jws a number", changed(signing.SIGNATURE_TYPE, "jws", 5)),
        ("grouping's refs not ids", changed("grouping", "object_refs", [{"a": 1}])),
        ("grouping's creator a mapping", changed("grouping", "created_by_ref", {"x": 1})),
        ("markings a number", changed("incident", "object_marking_refs", 5)),
        ("incident's creator a list", changed("incident", "created_by_ref", [1])),
        ("attested key not a key", changed(signing.NODE_KEY_TYPE, "jwk", "nope")),
        ("attested Land a number", changed(signing.NODE_KEY_TYPE, "land", 12)),
        ("attested state unknown", changed(signing.NODE_KEY_TYPE, "state", "maybe")),
    ]


def test_a_relaying_hub_that_signs_nonsense_gets_an_answer_not_a_500(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue, borna = make_town("aue"), make_town("borna")
    send(land, aue, report(aue, level="green"))
    send(land, borna, report(borna, level="amber", domain="anders.example"))
    good = forward_of(land)
    for what, objects in _hostile(good.objects):
        forward = relaying.Forward()
        for obj in objects:
            forward.add(obj)
        envelope = relaying.seal(forward, signer_key=land.hub.signer.key,
                                 hub_identity=land.hub.identity,
                                 upstream_identity=federal.hub.identity,
                                 now_us=timestamps.now_us())
        with federal.hub.db.session() as session:
            reports = collections.find(session, "reports").id
        answer = post_objects(federal.client, peered["headers"], reports, None, raw=envelope)
        assert answer.status_code in (202, 422), (what, answer.get_data(as_text=True)[:300])
        body = answer.get_json()
        assert "failures" in body or "details" in body, what


def test_a_pseudonym_may_not_be_an_identity_the_upstream_knows(peered, make_town):
    """A 'pseudonym' that is in truth a town the federal hub knows otherwise (here one of its
    own) would let the Land hub write under that town's name: refused."""
    from cyberhub.hub import nodes as hub_nodes

    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="amber"))
    with federal.hub.db.writing() as session:
        victim = hub_nodes.add_node(session, "opfer", "Stadt Opfer", "SN",
                                    now=timestamps.now_us(), token_ttl_hours=1)["identity"]
    good = forward_of(land)
    pseudonym = next(o["id"] for o in good.objects if o["type"] == "identity")
    forged = json.loads(json.dumps(good.objects).replace(pseudonym, victim))

    status, _ = post(peered, _forward(forged))

    assert "identity-mismatch" in codes(status)
    assert incidents(federal) == 0


def _forward(objects: list[dict]) -> relaying.Forward:
    forward = relaying.Forward()
    for obj in objects:
        forward.add(obj)
    return forward


def test_amber_with_the_towns_name_is_refused_whatever_the_land_hub_allows(peered,
                                                                          make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="amber"))
    loose = relaying.Rules.__new__(relaying.Rules)
    object.__setattr__(loose, "original", ("amber",))
    object.__setattr__(loose, "pseudonymised", ())

    status, _ = post(peered, forward_of(land, rules=loose))

    assert codes(status) == {"tlp-forbidden"}
    assert any("only pseudonymised" in f["message"] for f in status["failures"])
    assert incidents(federal) == 0


def test_a_revocation_the_upstream_recorded_is_not_taken_back(peered, make_town):
    land = peered["land"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green", number=1))
    active = forward_of(land)
    status, _ = post(peered, active)
    assert not status.get("failures")
    with land.hub.db.writing() as session:
        nodes.revoke_key(session, "aue", aue.kid, now=timestamps.now_us())
    status, _ = post(peered, forward_of(land))  # the revocation reaches the federal hub
    assert codes(status) == {"key-revoked"}

    # The first forward's word on the key (active), signed afresh: stale, and refused.
    status, _ = post(peered, _forward(active.objects))

    assert codes(status) == {"key-revoked"}


def test_a_pseudonymised_report_without_a_grouping_is_one_report_of_its_pseudonym(peered,
                                                                                 make_town):
    """The specification asks for no grouping: a hub built from it alone sends the
    pseudonym's objects as they are, and they are taken as one report."""
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="amber"))
    plain = [o for o in forward_of(land).objects if o["type"] != "grouping"]

    status, _ = post(peered, _forward(plain))

    assert not status.get("failures"), status.get("failures")
    assert incidents(federal) == 1

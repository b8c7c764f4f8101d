"""What an upstream hub does with a forward from a downstream hub (the signing specification,
"Relaying between hubs").

The relay token is checked first, against the downstream hub's registered key; it covers
everything the forward carries, so a failure refuses all of it. Then each town's own
signature is checked with the town keys that this downstream hub attested - those in the
forward, else those it attested before - with its audience the downstream hub. A failing town
signature refuses that town's group with its code, as at first ingest; a town of another Land
than the relaying hub's is refused as `identity-mismatch`. What passes goes on as the groups of
an ordinary signed POST (`cyberhub.hub.services.ingest`), which stores them whole, indexes them
for correlation under the town (a node here, known through the relaying hub), and records the
relay.

A group that comes back to the hub its town belongs to (a forward loop) is recognised by its
signature object: stored already, it counts as a duplicate and nothing is stored again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import signing, stix, tlp
from cyberhub.hub import nodes
from cyberhub.hub.federation import attestations
from cyberhub.hub.services import markings, verification
from cyberhub.hub.services.statuses import declared_version, detail
from cyberhub.hub.services.verification import failure, refuse_group
from cyberhub.hub.storage.models import Collection, Node, NodeKey, Relay, StoredObject

FORBIDDEN = ("amber+strict", "red")
ORIGINAL = ("clear", "green")  # what may go up with the town's own name and signature


@dataclass
class RelayCheck:
    """The verified town groups, the failures, and what the relay itself established."""

    groups: list[verification.Group] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    relay: signing.Verified | None = None
    attestations: list[attestations.Attestation] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # town identity -> its name
    pseudonyms: dict[str, str] = field(default_factory=dict)  # pseudonym identity -> name
    returned: list[dict[str, str]] = field(default_factory=list)  # loops, as duplicates


def is_relay(raw_objects: list[stix.RawObject]) -> bool:
    return any(_is_relay_signature(raw.value) for raw in raw_objects)


def _is_relay_signature(obj: Any) -> bool:
    return (isinstance(obj, dict) and obj.get("type") == signing.SIGNATURE_TYPE
            and signing.token_typ(obj.get("jws")) == signing.RELAY_TYP)


def check(raw_objects: list[stix.RawObject], *, session: Session, poster: nodes.NodeInfo,
          audience: str, now: int, jti_seen: Callable[[str], bool]) -> RelayCheck:
    """Verify a forward posted by the downstream hub `poster` (`now` in seconds)."""
    result = RelayCheck()
    relays = [raw for raw in raw_objects if _is_relay_signature(raw.value)]
    others = [raw for raw in raw_objects if not _is_relay_signature(raw.value)]
    if len(relays) != 1:
        result.failures = [failure(raw.value, "signature-malformed",
                                   "a forward from a hub carries exactly one relay signature")
                           for raw in raw_objects]
        return result
    relay = relays[0]
    problem = _check_relay(relay.value, others, session=session, poster=poster,
                           audience=audience, now=now, jti_seen=jti_seen, result=result)
    if problem is not None:
        result.failures = refuse_group(relay, others, *problem)
        return result
    try:
        result.attestations = [attestations.read(raw.value) for raw in others
                               if raw.value.get("type") == signing.NODE_KEY_TYPE]
    except attestations.AttestationError as exc:
        result.failures = refuse_group(relay, others, exc.code, exc.message)
        result.relay = None
        return result
    towns = [raw for raw in others if raw.value.get("type") != signing.NODE_KEY_TYPE]
    uncovered = _check_towns(towns, session=session, poster=poster, result=result,
                             audience=audience)
    _check_pseudonymised(uncovered, relay, session=session, poster=poster, result=result,
                         towns_signed=[raw for raw in towns
                                       if raw.value.get("type") == signing.SIGNATURE_TYPE])
    return result


def _check_relay(relay: dict[str, Any], others: list[stix.RawObject], *, session: Session,
                 poster: nodes.NodeInfo, audience: str, now: int,
                 jti_seen: Callable[[str], bool], result: RelayCheck
                 ) -> tuple[str, str] | None:
    if not all(isinstance(raw.value, dict) for raw in others):
        return "signature-malformed", "every element of a forward must be a STIX object"
    try:
        verified = signing.verify_relay(
            relay.get("jws"), [raw.value for raw in others], keys=nodes.key_lookup(session),
            audience=audience, now=now, jti_seen=jti_seen,
            signer_ref=relay.get("created_by_ref"))
    except signing.Rejected as exc:
        return exc.code, exc.message
    if verified.issuer != poster.identity:
        return "identity-mismatch", "a hub may only deliver forwards it signed itself"
    refs = relay.get("object_refs")
    if not isinstance(refs, list) or set(refs) != set(verified.object_ids):
        return "object-missing", "object_refs and the relay manifest list different objects"
    result.relay = verified
    return None


def _check_towns(towns: list[stix.RawObject], *, session: Session, poster: nodes.NodeInfo,
                 result: RelayCheck, audience: str) -> list[stix.RawObject]:
    """The town groups, verified; returns what no town signature covers."""
    signatures = [raw for raw in towns if raw.value.get("type") == signing.SIGNATURE_TYPE]
    slots = {id(raw) for raw in signatures}
    content = [raw for raw in towns if id(raw) not in slots]
    by_id: dict[str, list[stix.RawObject]] = {}
    for raw in content:
        by_id.setdefault(str(raw.value.get("id")), []).append(raw)
    attested: dict[str, attestations.Attestation] = {}
    for attestation in result.attestations:  # of two words on one key, a revocation wins
        if attestation.kid not in attested or attestation.revoked:
            attested[attestation.kid] = attestation
    known = nodes.attested_key_lookup(session, poster.id)

    def keys(kid: str) -> signing.RegisteredKey | None:
        stored = known(kid)
        if stored is not None and stored.revoked:
            return stored  # a revocation this hub recorded is never taken back
        if kid in attested:
            found = attested[kid]
            return signing.RegisteredKey(kid, found.jwk, found.town, revoked=found.revoked)
        return stored

    lands = {a.town: a.land or poster.land for a in result.attestations}
    owners = _owners(session, {a.town for a in result.attestations}
                     | {str(raw.value.get("created_by_ref")) for raw in signatures})
    covered: set[str] = set()
    for signature in signatures:
        refs = _refs(signature.value)
        members = _members(signature.value, refs or [], by_id)
        covered.update(refs or [])
        problem, verified = _check_town(signature.value, members, refs, keys, poster, lands,
                                        owners)
        if problem is None:
            problem = _too_strict(session, members, original=True)
        if problem == ("returned", ""):
            _returned(session, signature, members, result, audience)
        elif problem is not None:
            result.failures.extend(refuse_group(signature, members, *problem))
        else:
            result.groups.append(verification.Group(signature, members, verified))
            for raw in members:
                if raw.value.get("type") == "identity":
                    result.names[raw.value["id"]] = str(raw.value.get("name") or "")[:200]
    return [raw for raw in content if raw.value.get("id") not in covered]


def _check_pseudonymised(uncovered: list[stix.RawObject], relay: stix.RawObject, *,
                         session: Session, poster: nodes.NodeInfo, result: RelayCheck,
                         towns_signed: list[stix.RawObject]) -> None:
    """The pseudonymised form: the relay signature alone covers it. Each report is a
    `grouping` made by one of the relaying hub's pseudonyms (an organization identity the hub
    made), with the objects it refers to; each of those is made by that pseudonym or by
    nobody (an observable, a TLP marking)."""
    claimed = {raw.value["id"]: raw for raw in uncovered
               if raw.value.get("type") == "identity"
               and raw.value.get("created_by_ref") == poster.identity
               and raw.value.get("identity_class") == "organization"}
    # A pseudonym is the relaying hub's own name for one of its towns: never an identity
    # this hub knows otherwise (its own towns, another hub's, a hub), nor a town that signs
    # in the same forward - else a hub could write under any identity it liked.
    owners = _owners(session, set(claimed)) if claimed else {}
    signers = {str(raw.value.get("created_by_ref")) for raw in towns_signed}
    pseudonyms = {}
    for identity, raw in claimed.items():
        if identity in signers or identity == poster.identity or (
                identity in owners and owners[identity] != poster.id):
            result.failures.append(failure(raw.value, "identity-mismatch",
                                           "this identity is not a pseudonym of the relaying "
                                           "hub"))
        else:
            pseudonyms[identity] = raw
    by_id = {raw.value["id"]: raw for raw in uncovered}
    used = set(claimed)
    for grouping in [raw for raw in uncovered if raw.value.get("type") == "grouping"]:
        pseudonym = grouping.value.get("created_by_ref")
        refs = grouping.value.get("object_refs")
        if not isinstance(pseudonym, str) or pseudonym not in pseudonyms \
                or not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            continue  # said below: a grouping nobody may make here is not covered
        members = [pseudonyms[pseudonym], grouping] + [by_id[ref] for ref in dict.fromkeys(refs)
                                                       if ref in by_id and ref != pseudonym]
        strangers = [raw for raw in members[2:]
                     if raw.value.get("created_by_ref") not in (None, pseudonym)
                     or raw.value.get("type") == "identity"]
        used.update(raw.value["id"] for raw in members)
        _take_pseudonymised(session, relay, pseudonym, members, result, problem=(
            ("identity-mismatch", f"{strangers[0].value['id']} is in a pseudonymised report "
             "but made by someone else") if strangers else None))
    # A hub that sends no grouping (the specification asks for none): what one pseudonym
    # made, with what it refers to, is one report of that pseudonym; observables nobody
    # refers to belong to it when it is the only one.
    plain: dict[str, list[stix.RawObject]] = {}
    for pseudonym, identity in pseudonyms.items():
        made = [raw for raw in uncovered if raw.value["id"] not in used
                and raw.value.get("created_by_ref") == pseudonym
                and raw.value.get("type") != "identity"]
        if made:
            referred = {ref for raw in made for ref in _references(raw.value)}
            plain[pseudonym] = [identity, *made] + [
                raw for raw in uncovered if raw.value["id"] in referred
                and raw.value.get("created_by_ref") is None
                and raw.value.get("type") != "identity"]
    for members in plain.values():
        used.update(raw.value["id"] for raw in members)
    if len(plain) == 1:
        (members,) = plain.values()
        loose = [raw for raw in uncovered if raw.value["id"] not in used
                 and raw.value.get("created_by_ref") is None
                 and raw.value.get("type") != "identity"]
        members += loose
        used.update(raw.value["id"] for raw in loose)
    for pseudonym, members in plain.items():
        _take_pseudonymised(session, relay, pseudonym, members, result)
    for raw in uncovered:
        if raw.value["id"] not in used:
            result.failures.append(failure(
                raw.value, "object-not-covered",
                "no town signature covers it and no pseudonymised report of the relaying "
                "hub holds it"))


def _take_pseudonymised(session: Session, relay: stix.RawObject, pseudonym: str,
                        members: list[stix.RawObject], result: RelayCheck, *,
                        problem: tuple[str, str] | None = None) -> None:
    """One pseudonymised report (its pseudonym's identity first): a group the relay signature
    vouches for, issued by the pseudonym, unless it may not travel."""
    problem = _too_strict(session, members) or problem
    if problem is not None:
        result.failures.extend(failure(raw.value, *problem) for raw in members)
        return
    relay_check = result.relay
    assert relay_check is not None  # checked before any report is looked at
    verified = signing.Verified(pseudonym, relay_check.kid, relay_check.jti,
                                relay_check.expires, tuple(raw.value["id"] for raw in members))
    result.groups.append(verification.Group(relay, members, verified))
    result.pseudonyms[pseudonym] = str(members[0].value.get("name") or "")[:200]


def _too_strict(session: Session, members: list[stix.RawObject], *, original: bool = False
                ) -> tuple[str, str] | None:
    """TLP:AMBER+STRICT and RED never travel between hubs, nor what a marking nobody can
    resolve makes RED; AMBER travels only pseudonymised (the town named is for CLEAR and
    GREEN). A hub that forwards otherwise is refused, whatever its own rules say."""
    refs = [ref for raw in members for ref in tlp.marking_refs(raw.value)]
    carried = {raw.value["id"] for raw in members
               if raw.value.get("type") == "marking-definition"}
    level = tlp.audience_level(refs, markings.held(session, refs) | carried)
    if level in FORBIDDEN:
        return ("tlp-forbidden", f"TLP:{level.upper()} is never forwarded between hubs")
    if original and level not in ORIGINAL:
        return ("tlp-forbidden", f"TLP:{str(level).upper()} goes up only pseudonymised, "
                "without the town's name")
    return None


def _references(value: Any, key: str = "") -> set[str]:
    """Every id a STIX object refers to (`*_ref`, `*_refs`, at any depth)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for name, item in value.items():
            found |= _references(item, name)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, key)
    elif isinstance(value, str) and (key.endswith("_ref") or key.endswith("_refs")):
        found.add(value)
    return found


def _members(signature: dict[str, Any], refs: list[str],
             by_id: dict[str, list[stix.RawObject]]) -> list[stix.RawObject]:
    """The objects a town signature covers. Unlike at first ingest, two towns' signatures may
    cover one object (the same observable, the same TLP marking): the relay carries it once.
    Where the forward holds two variants of one id, the one the manifest names counts."""
    entries: dict[str, dict[str, str]] | None = None  # read only when a choice is needed
    members = []
    for ref in dict.fromkeys(refs):
        found = by_id.get(ref, [])
        if len(found) > 1 and entries is None:
            try:
                entries = {e["id"]: e for e in signing.manifest_entries(signature.get("jws"))}
            except signing.Rejected:
                entries = {}
        entry = entries.get(ref) if entries else None
        if len(found) > 1 and entry is not None:
            exact = [raw for raw in found
                     if signing.object_version(raw.value) == entry["ver"]
                     and signing.object_hash(raw.value) == entry["h"]]
            found = exact or found
        members += found
    return members


def _refs(signature: dict[str, Any]) -> list[str] | None:
    refs = signature.get("object_refs")
    if isinstance(refs, list) and refs and all(isinstance(r, str) for r in refs):
        return refs
    return None


def _check_town(signature: dict[str, Any], members: list[stix.RawObject],
                refs: list[str] | None, keys: Callable[[str], signing.RegisteredKey | None],
                poster: nodes.NodeInfo, lands: dict[str, str], owners: dict[str, int | None]
                ) -> tuple[tuple[str, str] | None, signing.Verified | None]:
    if not isinstance(signature.get("jws"), str) or refs is None:
        return ("signature-malformed", "a town signature object needs 'jws' and "
                "'object_refs'"), None
    issuer = signature.get("created_by_ref")
    if not isinstance(issuer, str):
        return ("signature-malformed", "a town signature object needs a created_by_ref"), None
    if issuer in owners and owners[issuer] is None:
        return ("returned", ""), None  # a town of this hub: the group started here
    try:
        verified = signing.verify_relayed(
            signature["jws"], [raw.value for raw in members], keys=keys,
            audience=poster.identity, signer_ref=issuer)
    except signing.Rejected as exc:
        return (exc.code, exc.message), None
    if set(refs) != set(verified.object_ids):
        return ("object-missing", "object_refs and the signed manifest list different "
                "objects"), None
    land = lands.get(verified.issuer)
    if land is not None and land != poster.land:
        return ("identity-mismatch", f"the hub for {poster.land} forwards a town in {land}, "
                "a Land it does not represent"), None
    if verified.issuer in owners and owners[verified.issuer] != poster.id:
        return ("identity-mismatch", "this town is known here through another hub"), None
    return None, verified


def _owners(session: Session, towns: set[str]) -> dict[str, int | None]:
    """For each town identity already a node here: the hub it is known through (None: a
    town of this hub's own, or a hub)."""
    if not towns:
        return {}
    rows = session.execute(select(Node.identity_id, Node.relayed_by)
                           .where(Node.identity_id.in_(sorted(towns)))).all()
    return {identity: relayed_by for identity, relayed_by in rows}


def _returned(session: Session, signature: stix.RawObject, members: list[stix.RawObject],
              result: RelayCheck, audience: str) -> None:
    """A group of one of this hub's own towns came back through another hub: checked as
    this hub checked it first (the town's key here, this hub as its audience), it counts as
    a duplicate when this hub stored it (same signature object), and is refused otherwise."""
    try:
        verified = signing.verify_published(
            signature.value.get("jws"), [raw.value for raw in members],
            keys=nodes.key_lookup(session), signer_ref=signature.value.get("created_by_ref"))
        if verified.audience != audience:
            raise signing.Rejected("audience-mismatch", "the town addressed another hub")
    except signing.Rejected as exc:
        result.failures.extend(refuse_group(signature, members, exc.code, exc.message))
        return
    stored = session.scalar(select(StoredObject.object_id).where(
        # Naming the collections lets the objects' unique index serve the look-up.
        StoredObject.collection_id.in_(select(Collection.id)),
        StoredObject.object_id == signature.value.get("id")).limit(1))
    if stored is None:
        result.failures.extend(refuse_group(
            signature, members, "identity-mismatch",
            "this town belongs to this hub, and this hub never received the report"))
        return
    for raw in [*members, signature]:
        result.returned.append(detail(raw.value, declared_version(raw.value),
                                      "came back to the hub it started from; duplicate of a "
                                      "stored object"))


def record(session: Session, check_result: RelayCheck, *, poster: nodes.NodeInfo, now: int,
           stored: int, duplicates: int, refused: int, accepted: set[str]) -> None:
    """In the write transaction, before the groups are indexed: the towns whose groups are
    stored (`accepted`: their identities) become nodes known through the relaying hub, its
    key attestations are kept (a revocation marks the key), and the relay is recorded."""
    towns = {a.town: a for a in check_result.attestations}
    wanted = sorted(set(towns) | set(check_result.pseudonyms))
    existing = {n.identity_id: n for n in session.scalars(
        select(Node).where(Node.identity_id.in_(wanted)))} if wanted else {}
    for pseudonym, name in check_result.pseudonyms.items():
        if pseudonym not in existing and pseudonym in accepted:
            existing[pseudonym] = nodes.add_relayed(session, pseudonym, name, poster.land,
                                                    hub_slug=poster.slug, hub_id=poster.id,
                                                    now=now)
    for town, attestation in towns.items():
        node = existing.get(town)
        if node is None and town not in accepted:
            continue  # nothing of this town was taken: it stays unknown here
        if node is None:
            node = nodes.add_relayed(session, town, check_result.names.get(town),
                                     attestation.land or poster.land, hub_slug=poster.slug,
                                     hub_id=poster.id, now=now)
            existing[town] = node
        elif node.relayed_by != poster.id:
            continue  # a town of this hub's own or of another hub: its keys stay as they are
        elif check_result.names.get(town) and node.name != check_result.names[town]:
            node.name = check_result.names[town]
    for attestation in check_result.attestations:
        node = existing.get(attestation.town)
        if node is None or node.relayed_by != poster.id:
            continue
        key = session.get(NodeKey, attestation.kid)
        if key is None:
            session.add(NodeKey(kid=attestation.kid, node_id=node.id,
                                jwk=json.dumps(attestation.jwk), created=now,
                                revoked_at=now if attestation.revoked else None))
        elif key.node_id == node.id and attestation.revoked and key.revoked_at is None:
            key.revoked_at = now
    if check_result.relay is not None:
        session.add(Relay(node_id=poster.id, jti=check_result.relay.jti,
                          kid=check_result.relay.kid, received=now, stored=stored,
                          duplicates=duplicates, refused=refused))
    session.flush()

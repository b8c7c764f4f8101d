"""What a downstream hub forwards to its upstream, and in which form (the signing
specification, "Relaying between hubs").

The unit is a town's signed group as this hub stored it: its signature object and the object
versions its manifest lists, read back as stored (the exact text the town sent, so its
signature still verifies). The sharing rules decide per group, by its TLP: in the original
form (default TLP:CLEAR and GREEN) the group travels with the town's own signature and the
hub's attestation of the town's keys; in the pseudonymised form (default TLP:AMBER) the town's
identity, its name and the ids of what it made are replaced by a stable pseudonym of this hub
and the relay signature alone covers the copy; AMBER+STRICT and RED are never forwarded, nor
anything a marking this hub cannot resolve makes RED.

A pseudonymised report is held together by a STIX `grouping` its pseudonym makes, which
refers to every object of the copy (the upstream takes each grouping as one report, as it
takes each town signature's objects as one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import signing, timestamps, tlp
from cyberhub.hub import nodes
from cyberhub.hub.federation import attestations
from cyberhub.hub.services import markings
from cyberhub.hub.storage.models import Node, NodeKey, StoredObject

ORIGINAL = ("clear", "green")
PSEUDONYMISED = ("amber",)
NEVER = ("amber+strict", "red")
# The created and modified of every pseudonym identity: it never changes, so every forward
# carries the same version and the upstream stores it once.
_PSEUDONYM_STAMP = "2020-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class Rules:
    """Which TLP levels go up in which form."""

    original: tuple[str, ...] = ORIGINAL
    pseudonymised: tuple[str, ...] = PSEUDONYMISED

    def form(self, level: str | None) -> str | None:
        if level in self.original:
            return "original"
        if level in self.pseudonymised:
            return "pseudonymised"
        return None  # unmarked reports stay too: nobody said they may travel


def check_rules(original: Iterable[str], pseudonymised: Iterable[str]) -> Rules:
    """The rules from the settings; ValueError for a level that may never leave the hub."""
    original, pseudonymised = tuple(original), tuple(pseudonymised)
    for level in (*original, *pseudonymised):
        if level not in tlp.IDS:
            raise ValueError(f"{level!r} is no TLP 2.0 level")
        if level in NEVER:
            raise ValueError(f"TLP:{level.upper()} is never forwarded to another hub")
    both = set(original) & set(pseudonymised)
    if both:
        raise ValueError(f"TLP:{sorted(both)[0].upper()} cannot go in both forms")
    return Rules(original, pseudonymised)


@dataclass
class Group:
    """One stored town group, read back."""

    added: int  # date_added of its signature object: the forwarding cursor
    signature_text: str
    signature: dict[str, Any]
    members: list[tuple[dict[str, Any], str]]  # each object and its stored text
    town: Node | None
    level: str | None


@dataclass
class Forward:
    """One forward: the objects' texts in order, and their ids and values."""

    texts: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    carried: dict[str, str] = field(default_factory=dict)  # id -> version (or hash)
    keys: dict[str, Node] = field(default_factory=dict)  # kid -> its town
    relay_id: str = ""  # the relay signature object's id, once sealed

    def add(self, obj: dict[str, Any], text: str | None = None) -> None:
        self.objects.append(obj)
        self.ids.append(obj["id"])
        self.texts.append(text if text is not None else json.dumps(obj, ensure_ascii=False))

    def takes(self, marks: dict[str, str]) -> bool:
        """Whether these objects fit: the relay's manifest names each id once, so another
        variant of an object already here (an observable another town sent with another
        marking) must go in another forward."""
        return all(self.carried.get(object_id, mark) == mark
                   for object_id, mark in marks.items())

    def add_once(self, obj: dict[str, Any], mark: str, text: str | None = None) -> None:
        """An object two groups share (an observable, a TLP marking) travels once."""
        if obj["id"] not in self.carried:
            self.carried[obj["id"]] = mark
            self.add(obj, text)


@dataclass
class Batch:
    """The forwards that carry one read of pending groups, and what they hold."""

    forwards: list[Forward] = field(default_factory=list)
    last_added: int = 0
    groups: int = 0
    original: int = 0
    pseudonymised: int = 0
    held_back: int = 0

    @property
    def objects(self) -> int:
        return sum(len(forward.ids) for forward in self.forwards)


def pending(session: Session, collection_id: str, *, after: int, limit: int) -> list[Group]:
    """The next town groups stored after `after`, oldest first."""
    rows = session.execute(
        select(StoredObject.date_added, StoredObject.body)
        .where(StoredObject.collection_id == collection_id,
               StoredObject.type == signing.SIGNATURE_TYPE,
               StoredObject.date_added > after)
        .order_by(StoredObject.date_added).limit(limit)).all()
    signatures = [(added, body, json.loads(body)) for added, body in rows]
    entries = {}
    for _, _, carrier in signatures:
        try:
            entries[carrier["id"]] = signing.manifest_entries(carrier.get("jws"))
        except signing.Rejected:
            entries[carrier["id"]] = []
    wanted = sorted({e["id"] for found in entries.values() for e in found})
    stored: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for start in range(0, len(wanted), 500):
        for object_id, body in session.execute(
                select(StoredObject.object_id, StoredObject.body).where(
                    StoredObject.collection_id == collection_id,
                    StoredObject.object_id.in_(wanted[start:start + 500]))):
            stored.setdefault(object_id, []).append((json.loads(body), body))
    towns = {n.identity_id: n for n in session.scalars(select(Node).where(
        Node.identity_id.in_(sorted({str(c.get("created_by_ref")) for _, _, c in signatures}))))}
    groups = []
    for added, body, carrier in signatures:
        members = [_stored_version(stored.get(e["id"], []), e) for e in entries[carrier["id"]]]
        found = [m for m in members if m is not None]
        if len(found) != len(members) or not found:
            level: str | None = tlp.UNRESOLVED_LEVEL  # cannot be read back whole: stays here
        else:
            refs = [ref for obj, _ in found for ref in tlp.marking_refs(obj)]
            level = tlp.audience_level(refs, markings.held(session, refs))
        groups.append(Group(added, body, carrier, found,
                            towns.get(str(carrier.get("created_by_ref"))), level))
    return groups


def _stored_version(versions: list[tuple[dict[str, Any], str]], entry: dict[str, str]
                    ) -> tuple[dict[str, Any], str] | None:
    """The stored object a manifest entry names. A versioned object's (id, version) names
    one content here (the hub refuses another content under a stored version); an
    observable's copies are told apart by their hash."""
    same = [(obj, text) for obj, text in versions if signing.object_version(obj) == entry["ver"]]
    if entry["ver"] and len(same) == 1:
        return same[0]
    return next(((obj, text) for obj, text in same if signing.object_hash(obj) == entry["h"]),
                None)


def build(session: Session, groups: list[Group], *, rules: Rules, hub_identity: str,
          pseudonym_secret: str) -> Batch:
    """The forwards of these groups (those the rules keep here are counted and left out),
    without their relay signatures: as few as the objects' variants allow."""
    batch = Batch()
    for group in groups:
        town = group.town
        form = rules.form(group.level)
        batch.groups += 1
        batch.last_added = group.added
        if town is None or town.hub or town.relayed_by is not None or form is None:
            batch.held_back += 1  # not this hub's own town's, or not to be shared
            continue
        if form == "original":
            items = [(obj, text) for obj, text in group.members]
            items.append((group.signature, group.signature_text))
            batch.original += 1
        else:
            pseudonym = pseudonym_id(pseudonym_secret, town.identity_id)
            copies = pseudonymise([obj for obj, _ in group.members], town=town,
                                  pseudonym=pseudonym, secret=pseudonym_secret)
            items = [(pseudonym_identity(pseudonym, town.land, hub_identity), None),
                     *[(obj, None) for obj in copies],
                     (grouping(group, copies, pseudonym=pseudonym, secret=pseudonym_secret),
                      None)]
            batch.pseudonymised += 1
        marks = {obj["id"]: _mark(obj) for obj, _ in items}
        forward = next((f for f in batch.forwards if f.takes(marks)), None)
        if forward is None:
            forward = Forward()
            batch.forwards.append(forward)
        for obj, text in items:
            forward.add_once(obj, marks[obj["id"]], text)
        kid = _kid(group.signature) if form == "original" else None
        if kid:
            forward.keys[kid] = town
    for forward in batch.forwards:
        for kid, town in forward.keys.items():
            key = session.get(NodeKey, kid)
            if key is not None:
                forward.add(attestations.key_object(
                    hub_identity=hub_identity, town_identity=town.identity_id,
                    land=town.land, jwk=json.loads(key.jwk), created_us=key.created,
                    revoked_us=key.revoked_at))
    return batch


def _mark(obj: dict[str, Any]) -> str:
    return signing.object_version(obj) or signing.object_hash(obj)


def _kid(carrier: dict[str, Any]) -> str | None:
    try:
        header = json.loads(signing.b64url_decode(str(carrier.get("jws")).split(".")[0]))
    except (ValueError, IndexError):
        return None
    return header.get("kid") if isinstance(header, dict) else None


def seal(forward: Forward, *, signer_key: Any, hub_identity: str, upstream_identity: str,
         now_us: int) -> str:
    """The forward as a TAXII envelope's JSON, with the relay signature over everything (its
    id in `forward.relay_id`)."""
    token = signing.sign_manifest(signer_key, issuer=hub_identity, audience=upstream_identity,
                                  objects=forward.objects, issued_at=now_us // 1_000_000,
                                  ttl=600, typ=signing.RELAY_TYP)
    carrier = signing.signature_object(token, issuer=hub_identity, object_ids=forward.ids,
                                       created=timestamps.stix_time(now_us))
    forward.relay_id = carrier["id"]
    return ('{"objects":[' + ",".join([*forward.texts, json.dumps(carrier)]) + "]}")


# --- the pseudonymised form -----------------------------------------------------------------

def _derived(secret: str, purpose: str, value: str) -> uuid.UUID:
    digest = hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def pseudonym_id(secret: str, town_identity: str) -> str:
    """A town's pseudonym: stable for this hub (keyed by its secret), unlinkable to the town
    for anyone without that secret."""
    return f"identity--{_derived(secret, 'pseudonym', town_identity)}"


def pseudonym_name(pseudonym: str, land: str) -> str:
    return f"Kommune in {nodes.LANDS.get(land, land)} ({pseudonym[10:14]})"


def pseudonym_identity(pseudonym: str, land: str, hub_identity: str) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": pseudonym,
            "created": _PSEUDONYM_STAMP, "modified": _PSEUDONYM_STAMP,
            "created_by_ref": hub_identity, "name": pseudonym_name(pseudonym, land),
            "identity_class": "organization", "sectors": ["government-local"]}


def pseudonymise(members: list[dict[str, Any]], *, town: Node, pseudonym: str, secret: str
                 ) -> list[dict[str, Any]]:
    """The group's objects as the upstream may see them: the town's identity object left
    out, what the town made given derived ids (stable, so a later stage is a new version of
    the same copy), every reference to the town or to those ids rewritten, and the town's name
    in any text replaced by the pseudonym's. Shared objects (TLP markings, observables named
    by their value) stay as they are."""
    renamed = {town.identity_id: pseudonym}
    for obj in members:
        if obj.get("created_by_ref") == town.identity_id and obj["id"] != town.identity_id:
            kind = obj["id"].split("--", 1)[0]
            renamed[obj["id"]] = f"{kind}--{_derived(secret, 'object', obj['id'])}"
    names = name_pattern(town.name)
    alias = pseudonym_name(pseudonym, town.land)
    return [_rewrite(obj, renamed, names, alias) for obj in members
            if obj["id"] != town.identity_id]


def grouping(group: Group, copies: list[dict[str, Any]], *, pseudonym: str, secret: str
             ) -> dict[str, Any]:
    """The grouping that makes the copies one report: its id follows the town's signature
    object, so the same group forwarded again is the same grouping."""
    stamp = group.signature.get("created") or _PSEUDONYM_STAMP
    markings_ = sorted({ref for obj in copies for ref in obj.get("object_marking_refs", [])
                        if tlp.known_level(ref)})
    return {"type": "grouping", "spec_version": "2.1",
            "id": f"grouping--{_derived(secret, 'report', group.signature['id'])}",
            "created": stamp, "modified": stamp, "created_by_ref": pseudonym,
            "name": "Pseudonymisierte Meldung einer Kommune", "context": "suspicious-activity",
            "object_refs": [obj["id"] for obj in copies],
            **({"object_marking_refs": markings_} if markings_ else {})}


# What German town names carry before the name itself ("Stadt Grimma", "Große Kreisstadt
# Radebeul"): the name alone says who it is, too.
_KINDS = ("große kreisstadt", "kreisfreie stadt", "verbandsgemeinde", "samtgemeinde",
          "hansestadt", "landkreis", "gemeinde", "stadt", "markt", "kreis", "amt")


def name_pattern(name: str) -> re.Pattern[str] | None:
    """The town's name, and the name without its kind, as whole words in any case."""
    full = " ".join(name.split())
    forms = {full}
    for kind in _KINDS:
        if full.lower().startswith(kind + " ") and len(full) > len(kind) + 3:
            forms.add(full[len(kind) + 1:])
            break
    forms = {form for form in forms if len(form) >= 3}
    if not forms:
        return None
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# Free text, where a town names itself. Values (an observable, a pattern) stay as they are:
# they are the evidence other towns' reports are linked by.
TEXT_FIELDS = frozenset({"name", "description", "summary", "aliases", "labels"})


def _rewrite(value: Any, renamed: dict[str, str], names: re.Pattern[str] | None,
             alias: str, text: bool = False) -> Any:
    if isinstance(value, dict):
        return {key: _rewrite(item, renamed, names, alias, key in TEXT_FIELDS)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, renamed, names, alias, text) for item in value]
    if isinstance(value, str):
        if value in renamed:
            return renamed[value]
        if text and names is not None:
            return names.sub(alias, value)
    return value

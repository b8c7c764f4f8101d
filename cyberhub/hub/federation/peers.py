"""The other hubs this hub works with, and the keys pinned for each.

`cyberhub peers add NAME --url URL --role upstream|downstream`: the peer's JWKS is read from
`/.well-known/cyberhub/jwks.json` when it is added and pinned; the operator compares its
thumbprint with the one the peer's operator reads out (out of band) and passes it as
`--thumbprint`. A downstream peer becomes a node of this hub under its own identity, with a
one-time enrolment token as a town gets; its enrolment must present the pinned key. An upstream
peer is enrolled at with the token its operator gave: this hub's own signing key becomes its
node key there, and the account's password is kept sealed with this hub's secret.

The hub's own JWKS names its identity (`cyberhub_identity`, so a peer learns whom it pins) and
lists, beside its own key, the keys of the upstreams it pinned, each with `cyberhub_hub`: its
towns accept advisories signed by those and by nothing else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import sealing, signing, timestamps
from cyberhub.hub import audit, nodes
from cyberhub.hub.storage.models import Node, Peer

ROLES = ("upstream", "downstream")
MAX_KEYS = 10
_IDENTITY = re.compile(r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class FederationError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Pinned:
    """What a peer's JWKS document says, checked: its keys and its identity."""

    jwks: dict[str, Any]
    identity: dict[str, Any]

    @property
    def thumbprints(self) -> list[str]:
        return [key["kid"] for key in self.jwks["keys"]]


def _sealer(secret: str):  # type: ignore[no-untyped-def]
    return sealing.sealer(secret, b"cyberhub upstream password")


def read_document(document: Any, *, thumbprint: str | None) -> Pinned:
    """The keys and identity of a peer's JWKS document; FederationError if it is not a hub's,
    or if `thumbprint` is given and no key has it."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) \
            or not 0 < len(document["keys"]) <= MAX_KEYS:
        raise FederationError("bad-jwks", "the peer's key set is not a hub's JWKS")
    keys = []
    for key in document["keys"]:
        if isinstance(key, dict) and "cyberhub_hub" in key:
            continue  # the peer's own upstreams: not the peer
        try:
            signing.load_public_jwk(key)
        except ValueError as exc:
            raise FederationError("bad-jwks", f"the peer's key set holds a key this hub "
                                  f"cannot use: {exc}") from None
        public = {"crv": key["crv"], "kty": key["kty"], "x": key["x"]}
        keys.append({**public, "kid": signing.thumbprint(public), "use": "sig",
                     "alg": "Ed25519"})
    identity = document.get("cyberhub_identity")
    if not keys or not isinstance(identity, dict) or identity.get("type") != "identity" \
            or not isinstance(identity.get("id"), str) or not _IDENTITY.match(identity["id"]) \
            or not isinstance(identity.get("name"), str):
        raise FederationError("bad-jwks", "the peer's key set names no hub identity; is it a "
                              "cyberhub hub?")
    pinned = Pinned({"keys": keys}, identity)
    if thumbprint is None:
        return pinned  # shown, not yet pinned: the operator confirms one
    if thumbprint not in pinned.thumbprints:
        raise FederationError("thumbprint-mismatch", f"the peer's key has the thumbprint "
                              f"{', '.join(pinned.thumbprints)}, not {thumbprint}: do not "
                              "pin it before its operator has confirmed it")
    # Only the key its operator confirmed: another key in the same answer may be anyone's.
    return Pinned({"keys": [key for key in keys if key["kid"] == thumbprint]}, identity)


def _check_new(session: Session, name: str, identity: str) -> None:
    if not nodes.SLUG.fullmatch(name):
        raise FederationError("bad-name", "a peer's name must be 2-63 lowercase letters, "
                              "digits or '-'")
    if session.get(Peer, name) is not None:
        raise FederationError("peer-exists", f"a peer {name!r} already exists")
    if session.scalar(select(Peer.name).where(Peer.identity_id == identity)) is not None:
        raise FederationError("peer-exists", "this hub is already a peer under another name")


def add_downstream(session: Session, name: str, url: str, land: str, pinned: Pinned, *,
                   now: int, token_ttl_hours: int, actor: str) -> dict[str, Any]:
    """A Land hub that will forward here: a node under its own identity, with a one-time
    enrolment token for its operator (returned once)."""
    _check_new(session, name, pinned.identity["id"])
    title = pinned.identity["name"][:nodes.NAME_LENGTH].strip() or name
    added = nodes.add_node(session, name, title, land, now=now,
                           token_ttl_hours=token_ttl_hours, actor=actor,
                           identity_object=pinned.identity, hub=True)
    node = session.scalar(select(Node).where(Node.slug == name))
    session.add(Peer(name=name, role="downstream", url=url, identity_id=pinned.identity["id"],
                     identity=json.dumps(pinned.identity), jwks=json.dumps(pinned.jwks),
                     node_id=node.id, created=now))  # type: ignore[union-attr]
    audit.record(session, actor=actor, action="peer.added", subject=f"peer:{name}", now=now,
                 role="downstream", url=url, identity=pinned.identity["id"], land=land,
                 thumbprints=pinned.thumbprints)
    return {"peer": name, "role": "downstream", "identity": pinned.identity["id"],
            "land": added["land"], "thumbprints": pinned.thumbprints,
            "enrollment_token": added["enrollment_token"],
            "enrollment_expires": added["enrollment_expires"]}


def add_upstream(session: Session, name: str, url: str, pinned: Pinned,
                 enrolled: dict[str, Any], *, hub_identity: str, secret: str, now: int,
                 actor: str) -> dict[str, Any]:
    """The upstream this hub forwards to, after enrolling there (`enrolled`: its answer)."""
    _check_new(session, name, pinned.identity["id"])
    if enrolled.get("hub_identity") != pinned.identity["id"]:
        raise FederationError("identity-mismatch", "the hub that enrolled this hub is not "
                              "the one whose keys were pinned")
    if enrolled.get("identity") != hub_identity:
        raise FederationError("identity-mismatch", "the upstream registered this hub under "
                              "another identity: it must add this hub with `peers add "
                              "--role downstream`, not as a town")
    for field in ("username", "password", "api_root"):
        if not isinstance(enrolled.get(field), str):
            raise FederationError("bad-enrolment", f"the upstream's answer has no {field}")
    # The API root's path, on the address this hub reached the upstream at: the upstream may
    # name itself by a public address this hub does not use (a Land's own network).
    api_root = urljoin(url, urlsplit(enrolled["api_root"]).path)
    session.add(Peer(name=name, role="upstream", url=url, identity_id=pinned.identity["id"],
                     identity=json.dumps(pinned.identity), jwks=json.dumps(pinned.jwks),
                     username=enrolled["username"], api_root=api_root,
                     sealed_password=_sealer(secret).encrypt(
                         enrolled["password"].encode()).decode(),
                     created=now))
    audit.record(session, actor=actor, action="peer.added", subject=f"peer:{name}", now=now,
                 role="upstream", url=url, identity=pinned.identity["id"],
                 thumbprints=pinned.thumbprints)
    return {"peer": name, "role": "upstream", "identity": pinned.identity["id"],
            "thumbprints": pinned.thumbprints, "username": enrolled["username"]}


def password_of(peer: Peer, secret: str) -> str:
    try:
        return _sealer(secret).decrypt((peer.sealed_password or "").encode()).decode()
    except InvalidToken:
        raise FederationError("sealed-elsewhere", f"the password for {peer.name} was sealed "
                              "with another secret key; add the peer again") from None


def get(session: Session, name: str) -> Peer:
    peer = session.get(Peer, name)
    if peer is None:
        raise FederationError("peer-unknown", f"no peer {name!r}")
    return peer


def remove(session: Session, name: str, *, now: int, actor: str) -> dict[str, Any]:
    """Forget a peer. A downstream's node is disabled (its keys stop working, what it
    forwarded stays); an upstream is no longer forwarded to."""
    peer = get(session, name)
    if peer.node_id is not None:
        nodes.disable(session, session.get(Node, peer.node_id).slug, now=now,  # type: ignore
                      actor=actor)
    session.delete(peer)
    audit.record(session, actor=actor, action="peer.removed", subject=f"peer:{name}", now=now,
                 role=peer.role)
    return {"peer": name, "role": peer.role, "removed": True}


def describe(peer: Peer, *, relayed_towns: int = 0) -> dict[str, Any]:
    def when(us: int | None) -> str | None:
        return timestamps.format_us(us) if us else None

    return {
        "peer": peer.name, "role": peer.role, "url": peer.url, "identity": peer.identity_id,
        "name": json.loads(peer.identity).get("name"),
        "thumbprints": [key["kid"] for key in json.loads(peer.jwks)["keys"]],
        "added": when(peer.created), "last_attempt": when(peer.last_attempt),
        "last_success": when(peer.last_success), "last_error": peer.last_error,
        "failures": peer.failures, "next_attempt": when(peer.next_attempt),
        "forwarded": peer.forwarded, "refused": peer.refused,
        "cursor": when(peer.cursor) if peer.cursor else None,
        **({"relayed_towns": relayed_towns} if peer.role == "downstream" else {}),
    }


def listing(session: Session) -> list[dict[str, Any]]:
    peers = list(session.scalars(select(Peer).order_by(Peer.role, Peer.name)))
    counts = {}
    for peer in peers:
        if peer.node_id is not None:
            counts[peer.name] = len(session.scalars(select(Node.id).where(
                Node.relayed_by == peer.node_id)).all())
    return [describe(peer, relayed_towns=counts.get(peer.name, 0)) for peer in peers]


def published_jwks(session: Session, own: dict[str, Any], identity: dict[str, Any] | None
                   ) -> dict[str, Any]:
    """This hub's JWKS: its own keys, its identity, and the upstream keys it pinned."""
    keys = list(own["keys"])
    for peer in session.scalars(select(Peer).where(Peer.role == "upstream")
                                .order_by(Peer.name)):
        keys += [{**key, "cyberhub_hub": peer.identity_id}
                 for key in json.loads(peer.jwks)["keys"]]
    document: dict[str, Any] = {"keys": keys}
    if identity is not None:
        document["cyberhub_identity"] = identity
    return document

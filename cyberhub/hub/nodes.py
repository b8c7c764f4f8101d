"""Member towns (nodes): identities, accounts, enrolment tokens and signing keys.

A node is added by an analyst (`cyberhub nodes add`), which makes its STIX identity, its account
(write on `reports`, read on `advisories`) and a one-time enrolment token. The node's agent then
enrols over HTTP with that token and its public key. The account's first password is kept sealed
with the token (the hub stores only the token's hash), so enrolment can hand it over without the
hub ever storing it in the clear.

Every act on a node or its keys is audited here, in the act's own transaction: by the person
(console) or "cli" (command line) that did it, or by the node's own account (enrolment, key
rotation, callback). Tokens, passwords and callback paths never reach the log.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from cyberhub.core import addresses, sealing, signing, timestamps
from cyberhub.hub import accounts, audit
from cyberhub.hub.storage.models import (
    AcceptedToken,
    Account,
    EnrollmentToken,
    Node,
    NodeKey,
    Peer,
)

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")  # fullmatch: "$" would let a final newline in
NAME_LENGTH = 200
# Who an act is recorded for when the caller names nobody (the demo, set-up scripts).
HUB_ACTOR = "hub"
# ISO 3166-2:DE codes of the sixteen Länder.
LANDS = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg",
    "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
    "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
# The password no hash matches: a town known through another hub has an account only
# because every node has one; it never signs in here.
_NO_PASSWORD = "!relayed"
NODE_READS = ("advisories", "answers")
NODE_WRITES = ("reports",)


class NodeError(ValueError):
    """A node request that cannot be carried out. `code` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _sealer(token: str) -> Fernet:
    return sealing.sealer(token, b"cyberhub enrollment password")


def _identity_object(name: str, now: int) -> dict[str, Any]:
    stamp = timestamps.stix_time(now)
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "name": name, "identity_class": "organization",
        "sectors": ["government-local"],
    }


def _subject(slug: str) -> str:
    return f"node:{slug}"


def _record(session: Session, actor: str, action: str, slug: str, now: int, **detail: Any
            ) -> None:
    audit.record(session, actor=actor, action=action, subject=_subject(slug), now=now,
                 **detail)


def _get(session: Session, slug: str) -> Node:
    node = session.scalar(select(Node).where(Node.slug == slug))
    if node is None:
        raise NodeError("node-unknown", f"no node {slug!r}")
    return node


def _register_key(session: Session, node: Node, jwk: Any, now: int) -> str:
    try:
        signing.load_public_jwk(jwk)
    except ValueError as exc:
        raise NodeError("key-unsupported", str(exc)) from None
    public = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    kid = signing.thumbprint(public)
    if session.get(NodeKey, kid) is not None:
        raise NodeError("key-exists", "this key is already registered")
    session.add(NodeKey(kid=kid, node_id=node.id, jwk=json.dumps(public), created=now))
    session.flush()
    return kid


def _check_pinned(session: Session, node: Node, jwk: Any) -> None:
    """A downstream hub enrols with the key pinned when it was added as a peer, no other."""
    pinned = session.scalar(select(Peer.jwks).where(Peer.node_id == node.id))
    kids = {key.get("kid") for key in json.loads(pinned or '{"keys": []}').get("keys", [])}
    try:
        kid = signing.thumbprint({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]})
    except (KeyError, TypeError):
        raise NodeError("key-unsupported", "the key must be an Ed25519 public JWK") from None
    if kid not in kids:
        raise NodeError("key-unknown", "this is not the key pinned for this hub when it was "
                        "added as a peer")


def _issue_token(session: Session, node: Node, password: str, now: int, ttl_hours: int,
                 actor: str) -> tuple[str, int]:
    """A one-time enrolment token; the password is kept sealed with it, never in the clear."""
    token = secrets.token_urlsafe(32)
    expires = now + ttl_hours * 3_600_000_000
    session.add(EnrollmentToken(
        token_hash=_token_hash(token), node_id=node.id, expires=expires,
        sealed_password=_sealer(token).encrypt(password.encode()).decode(),
    ))
    _record(session, actor, "node.token-issued", node.slug, now,
            expires=timestamps.format_us(expires))
    return token, expires


_IDENTITY_REASONS = {
    "bad-slug": "slug must be 2-63 lowercase letters, digits or '-'",
    "bad-name": f"name must be 1-{NAME_LENGTH} characters, without control characters",
    "bad-land": f"land must be one of {', '.join(sorted(LANDS))}",
}


def identity_problems(slug: Any, name: Any, land: Any) -> dict[str, str]:
    """{field: NodeError code} for every field of a new node that is wrong, so that a form
    can mark them all at once. The name becomes the town's STIX identity: no control
    characters (PostgreSQL refuses NUL outright)."""
    problems = {}
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        problems["slug"] = "bad-slug"
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in name):
        problems["name"] = "bad-name"
    if not isinstance(land, str) or land.upper() not in LANDS:
        problems["land"] = "bad-land"
    return problems


def check_identity(slug: Any, name: Any, land: Any) -> tuple[str, str, str]:
    """The slug, name (trimmed) and Land code (upper case) of a new node; NodeError for the
    first field that is wrong."""
    problems = identity_problems(slug, name, land)
    if problems:
        code = next(iter(problems.values()))
        raise NodeError(code, _IDENTITY_REASONS[code])
    return slug, name.strip(), land.upper()


def add_node(
    session: Session, slug: str, name: str, land: str, *, now: int, token_ttl_hours: int,
    share_name: bool = False, actor: str = HUB_ACTOR,
    identity_object: dict[str, Any] | None = None, hub: bool = False,
) -> dict[str, Any]:
    """Create a node with identity, account and enrolment token; the secrets are returned once.

    A downstream hub (`hub`) is a node under the identity it already has
    (`identity_object`, as its JWKS document names it: the identity its towns address)."""
    slug, name, land = check_identity(slug, name, land)
    username = f"node-{slug}"
    if session.scalar(select(Node.id).where(Node.slug == slug)) is not None:
        raise NodeError("node-exists", f"a node {slug!r} already exists")
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise NodeError("node-exists", f"an account {username!r} already exists")
    password = accounts.generate_password()
    account = accounts.create_account(session, username, password, now=now,
                                      read=NODE_READS, write=NODE_WRITES)
    identity = identity_object or _identity_object(name, now)
    if session.scalar(select(Node.id).where(Node.identity_id == identity["id"])) is not None:
        raise NodeError("node-exists", f"a node with identity {identity['id']} already exists")
    node = Node(slug=slug, name=name, land=land, identity_id=identity["id"],
                identity=json.dumps(identity), account_id=account.id, disabled=False,
                created=now, share_name=share_name, hub=hub)
    session.add(node)
    session.flush()
    _record(session, actor, "node.added", slug, now, name=name, land=land,
            identity=identity["id"], share_name=share_name)
    token, expires = _issue_token(session, node, password, now, token_ttl_hours, actor)
    return {"slug": slug, "name": name, "land": land, "identity": identity["id"],
            "username": username, "password": password, "enrollment_token": token,
            "enrollment_expires": timestamps.format_us(expires), "enrollment_expires_us": expires}


def add_relayed(session: Session, identity: str, name: str | None, land: str, *,
                hub_slug: str, hub_id: int, now: int) -> Node:
    """A town this hub knows only through the downstream hub `hub_id` (its forwards, its
    receipts): a node under the town's identity (or pseudonym) with a slug derived from it."""
    slug = f"{hub_slug[:40]}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}"
    account = Account(username=f"relayed-{slug}", password_hash=_NO_PASSWORD, disabled=True,
                      created=now)
    session.add(account)
    session.flush()
    stamp = timestamps.stix_time(now)
    name = (name or f"Kommune in {LANDS.get(land, land)}")[:NAME_LENGTH]
    identity_object = {"type": "identity", "spec_version": "2.1", "id": identity,
                       "created": stamp, "modified": stamp, "name": name,
                       "identity_class": "organization", "sectors": ["government-local"]}
    node = Node(slug=slug, name=name, land=land, identity_id=identity,
                identity=json.dumps(identity_object), account_id=account.id, disabled=False,
                created=now, share_name=False, relayed_by=hub_id)
    session.add(node)
    session.flush()
    return node


def enroll(session: Session, token: Any, jwk: Any, *, now: int) -> dict[str, Any]:
    """Redeem an enrolment token: register the node's public key, return its credentials."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NodeError("enrollment-invalid", "no valid enrollment token was presented")
    record = session.get(EnrollmentToken, _token_hash(token))
    if record is None:
        raise NodeError("enrollment-invalid", "this enrollment token is not known")
    if record.used_at is not None:
        raise NodeError("enrollment-used", "this enrollment token was already used")
    if record.expires < now:
        raise NodeError("enrollment-expired", "this enrollment token has expired; ask the "
                        "hub's analysts for a new one")
    node = session.get(Node, record.node_id)
    if node is None or node.disabled:
        raise NodeError("node-disabled", "this node is disabled")
    if node.hub:
        _check_pinned(session, node, jwk)
    kid = _register_key(session, node, jwk, now)
    try:
        password = _sealer(token).decrypt((record.sealed_password or "").encode()).decode()
    except InvalidToken:  # pragma: no cover - only if the database was edited by hand
        raise NodeError("enrollment-invalid", "this enrollment token cannot be redeemed") from None
    record.used_at = now
    record.sealed_password = None
    account = session.get(Account, node.account_id)
    _record(session, account.username, "node.key-added", node.slug, now, kid=kid,
            how="enrolment")
    return {"slug": node.slug, "identity": node.identity_id,
            "identity_object": json.loads(node.identity), "username": account.username,
            "password": password, "kid": kid}


def new_enrollment_token(session: Session, slug: str, *, now: int, token_ttl_hours: int,
                         actor: str = HUB_ACTOR) -> dict[str, Any]:
    """A fresh token (and a fresh password) for a node whose token expired or was lost; a
    token not yet used stops working."""
    node = _get(session, slug)
    if node.disabled:
        raise NodeError("node-disabled", f"node {slug!r} is disabled")
    session.execute(delete(EnrollmentToken).where(EnrollmentToken.node_id == node.id,
                                                  EnrollmentToken.used_at.is_(None)))
    password = accounts.generate_password()
    session.get(Account, node.account_id).password_hash = accounts.hash_password(password)
    token, expires = _issue_token(session, node, password, now, token_ttl_hours, actor)
    return {"slug": slug, "enrollment_token": token,
            "enrollment_expires": timestamps.format_us(expires), "enrollment_expires_us": expires}


def add_key(session: Session, slug: str, jwk: Any, *, now: int, actor: str = HUB_ACTOR
            ) -> str:
    """Register a public key an operator brought (e.g. made on a hardware token)."""
    kid = _register_key(session, _get(session, slug), jwk, now)
    _record(session, actor, "node.key-added", slug, now, kid=kid, how="operator")
    return kid


def rotate_key(
    session: Session, account_id: int, request_token: Any, *, hub_identity: str, now: int
) -> str:
    """Register a node's next key from a request signed with one of its current keys."""
    node = session.scalar(select(Node).where(Node.account_id == account_id))
    if node is None:
        raise NodeError("not-a-node", "only a node's own account can rotate its keys")
    jti_seen = accepted_jti_lookup(session)
    try:
        claims, key = signing.verify_request(
            request_token, keys=key_lookup(session), audience=hub_identity,
            now=now // 1_000_000, jti_seen=jti_seen,
        )
    except signing.Rejected as exc:
        raise NodeError(exc.code, exc.message) from None
    if key.identity != node.identity_id or claims.get("sub") != node.identity_id:
        raise NodeError("identity-mismatch", "a node can only rotate its own keys")
    kid = _register_key(session, node, claims.get("new_jwk"), now)
    retired = claims.get("retire_signing_key") is True
    if retired:
        # The agent switches to the new key and destroys the old one; the hub stops accepting
        # it in the same transaction, so there is no window with two live keys.
        session.get(NodeKey, key.kid).revoked_at = now
    remember_jti(session, claims["jti"], claims["exp"])
    _record(session, session.get(Account, account_id).username, "node.key-rotated", node.slug,
            now, kid=kid, signed_by=key.kid, retired=key.kid if retired else None)
    return kid


def revoke_key(session: Session, slug: str, kid: str, *, now: int, actor: str = HUB_ACTOR
               ) -> bool:
    """Stop accepting what this key signs; False if it was revoked already (nothing done)."""
    node = _get(session, slug)
    key = session.get(NodeKey, kid) if isinstance(kid, str) and kid else None
    if key is None or key.node_id != node.id:
        raise NodeError("key-unknown", f"node {slug!r} has no key {kid!r}")
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    _record(session, actor, "node.key-revoked", slug, now, kid=kid)
    return True


def disable(session: Session, slug: str, *, now: int | None = None, actor: str = HUB_ACTOR
            ) -> bool:
    """A disabled node can no longer log in, and nothing its keys sign is accepted; its
    enrolment token, if one is open, is withdrawn. False if it was disabled already."""
    node = _get(session, slug)
    if node.disabled:
        return False
    node.disabled = True
    session.get(Account, node.account_id).disabled = True
    session.execute(delete(EnrollmentToken).where(EnrollmentToken.node_id == node.id,
                                                  EnrollmentToken.used_at.is_(None)))
    _record(session, actor, "node.disabled", slug, timestamps.now_us() if now is None else now)
    return True


_UNCHANGED: Any = object()


def check_callback_url(url: Any, *, allowed_networks: Sequence[addresses.Network] = ()) -> str:
    """An http(s) URL without credentials, at most 500 characters, whose host is a name or a
    public address (or one in `allowed_networks`); NodeError otherwise. What a name resolves
    to is checked when the hub pushes (`cyberhub.core.addresses`)."""
    if not isinstance(url, str) or not 0 < len(url) <= 500:
        raise NodeError("bad-callback", "the callback must be a URL of at most 500 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = urlsplit(""), -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 \
            or parts.username or parts.password or any(c.isspace() for c in url):
        raise NodeError("bad-callback", f"the callback {url!r} is not an http(s) URL without "
                        "credentials")
    host = parts.hostname
    try:
        literal = addresses.literal(host)
    except ValueError:
        raise NodeError("bad-callback", f"the callback host {host!r} is no valid name or "
                        "address") from None
    if literal is not None:
        reason = addresses.refusal(literal, allowed_networks)
        if reason is not None:
            raise NodeError("bad-callback", f"the callback address "
                            f"{addresses.shown(host, literal)} is not a public address ({reason})")
    return url


def _origin(url: str | None) -> str | None:
    """What the audit log keeps of a callback: scheme, host and port; a path or query may
    carry a town's shared secret."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def set_options(session: Session, slug: str, *, share_name: bool | None = None,
                callback_url: Any = _UNCHANGED,
                allowed_networks: Sequence[addresses.Network] = (), now: int | None = None,
                actor: str = HUB_ACTOR, action: str = "node.options-changed") -> dict[str, Any]:
    """Change how the town is named to others and where it is pushed to; audited when
    something changed."""
    node = _get(session, slug)
    changed: dict[str, Any] = {}
    if share_name is not None and share_name != node.share_name:
        node.share_name = changed["share_name"] = share_name
    if callback_url is not _UNCHANGED:
        url = None if callback_url is None else check_callback_url(
            callback_url, allowed_networks=allowed_networks)
        if url != node.callback_url:
            node.callback_url = url
            changed["callback"] = _origin(url)
    if changed:
        _record(session, actor, action, slug, timestamps.now_us() if now is None else now,
                **changed)
    session.flush()
    return {"slug": node.slug, "share_name": node.share_name, "callback_url": node.callback_url}


def set_callback(session: Session, account_id: int, url: Any, *,
                 allowed_networks: Sequence[addresses.Network] = (), now: int | None = None
                 ) -> dict[str, Any]:
    """A node's agent registers (or, with None, removes) where it listens for pushes."""
    node = session.scalar(select(Node).where(Node.account_id == account_id))
    if node is None:
        raise NodeError("not-a-node", "only a node's own account can register a callback")
    return set_options(session, node.slug, callback_url=url, allowed_networks=allowed_networks,
                       now=now, actor=session.get(Account, account_id).username,
                       action="node.callback-set")


def list_nodes(session: Session) -> list[dict[str, Any]]:
    keys: dict[int, list[dict[str, Any]]] = {}
    for key in session.scalars(select(NodeKey).order_by(NodeKey.created)):
        keys.setdefault(key.node_id, []).append({
            "kid": key.kid, "created": timestamps.format_us(key.created),
            "revoked": key.revoked_at is not None,
        })
    enrolled = {
        node_id for (node_id,) in session.execute(
            select(EnrollmentToken.node_id).where(EnrollmentToken.used_at.is_not(None)))
    }
    return [
        {"slug": node.slug, "name": node.name, "land": node.land, "identity": node.identity_id,
         "disabled": node.disabled, "enrolled": node.id in enrolled,
         "keys": keys.get(node.id, [])}
        for node in session.scalars(select(Node).order_by(Node.slug))
    ]


@dataclass(frozen=True)
class NodeInfo:
    slug: str
    identity: str
    land: str
    id: int = 0
    hub: bool = False  # a downstream hub, whose posts are relays


_NODE_OF_ACCOUNT = select(Node.id, Node.slug, Node.identity_id, Node.land, Node.hub).where(
    Node.account_id == bindparam("account_id"))
_KEY_BY_KID = select(NodeKey.jwk, NodeKey.revoked_at, Node.identity_id, Node.disabled).join(
    Node, Node.id == NodeKey.node_id).where(NodeKey.kid == bindparam("kid"),
                                            Node.relayed_by.is_(None))
_ANY_KEY = select(NodeKey.jwk, NodeKey.revoked_at, Node.identity_id, Node.disabled).join(
    Node, Node.id == NodeKey.node_id).where(NodeKey.kid == bindparam("kid"))
_ATTESTED_KEY = select(NodeKey.jwk, NodeKey.revoked_at, Node.identity_id, Node.disabled).join(
    Node, Node.id == NodeKey.node_id).where(NodeKey.kid == bindparam("kid"),
                                            Node.relayed_by == bindparam("hub"))


def node_for_account(session: Session, account_id: int) -> NodeInfo | None:
    row = session.connection().execute(_NODE_OF_ACCOUNT, {"account_id": account_id}).first()
    return NodeInfo(row.slug, row.identity_id, row.land, row.id, row.hub) if row else None


def _key_lookup(session: Session, statement: Any, **values: Any
                ) -> Callable[[str], signing.RegisteredKey | None]:
    def lookup(kid: str) -> signing.RegisteredKey | None:
        row = session.connection().execute(statement, {"kid": kid, **values}).first()
        if row is None:
            return None
        return signing.RegisteredKey(kid, json.loads(row.jwk), row.identity_id,
                                     revoked=row.disabled or row.revoked_at is not None)

    return lookup


def key_lookup(session: Session) -> Callable[[str], signing.RegisteredKey | None]:
    """Find the keys of this hub's own nodes (towns and downstream hubs) by kid for the
    verifier; keys of disabled nodes count as revoked. Keys a downstream hub attested for
    its towns are not among them: they count only inside that hub's relays."""
    return _key_lookup(session, _KEY_BY_KID)


def any_key_lookup(session: Session) -> Callable[[str], signing.RegisteredKey | None]:
    """Keys of this hub's nodes and those downstream hubs attested: for checking again what
    is stored, whichever way it came."""
    return _key_lookup(session, _ANY_KEY)


def attested_key_lookup(session: Session, hub_node_id: int
                        ) -> Callable[[str], signing.RegisteredKey | None]:
    """The town keys one downstream hub attested, by kid (`cyberhub.hub.federation`)."""
    return _key_lookup(session, _ATTESTED_KEY, hub=hub_node_id)


_JTI = select(AcceptedToken.jti).where(AcceptedToken.jti == bindparam("jti"))


def accepted_jti_lookup(session: Session) -> Callable[[str], bool]:
    def seen(jti: str) -> bool:
        return session.connection().execute(_JTI, {"jti": jti}).first() is not None

    return seen


def remember_jti(session: Session, jti: str, exp: int) -> None:
    """Keep an accepted jti until exp + 300 s (as microseconds, like every stamp here).

    A concurrent acceptance of the same jti makes this insert fail with IntegrityError; the
    caller retries and then finds the jti taken."""
    session.connection().execute(insert(AcceptedToken), [
        {"jti": jti, "expires": (exp + signing.CLOCK_SKEW) * 1_000_000}])


def purge_jtis(session: Session, *, now: int) -> int:
    result = session.execute(delete(AcceptedToken).where(AcceptedToken.expires < now))
    return result.rowcount or 0

"""The hub's HTTP API for nodes, beside TAXII: enrolment, key rotation, advisory receipts,
and the hub's JWKS.

Errors are TAXII error resources like everywhere on the hub; `error_code` is the node service's
reason (`enrollment-used`, `key-unsupported`, `identity-mismatch`, ...).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, json, request
from sqlalchemy import select

from cyberhub.core import signing, stix, timestamps
from cyberhub.hub import nodes, receipts, setup
from cyberhub.hub.federation import downward, peers
from cyberhub.hub.storage.models import Node
from cyberhub.hub.web.context import hub, principal
from cyberhub.hub.web.errors import TaxiiError

_STATUS = {
    "enrollment-invalid": 403, "enrollment-used": 403, "enrollment-expired": 403,
    "node-disabled": 403, "not-a-node": 403, "identity-mismatch": 403, "key-exists": 409,
    "key-unsupported": 400, "node-unknown": 404, "bad-receipt": 400, "not-a-hub": 403,
}


def _json_body() -> dict[str, Any]:
    try:
        body = stix.loads(request.get_data(cache=False))
    except stix.JSONError as exc:
        raise TaxiiError(400, f"the body is not acceptable JSON: {exc}", exc.code) from None
    if not isinstance(body, dict):
        raise TaxiiError(400, "the body must be a JSON object", "bad-request")
    return body


def _node_error(exc: nodes.NodeError) -> TaxiiError:
    status = _STATUS.get(exc.code, 400 if exc.code not in signing.REJECTION_CODES else 403)
    return TaxiiError(status, str(exc), exc.code)


def _json(body: dict[str, Any], status: int = 200, content_type: str = "application/json"
          ) -> Response:
    return Response(json.dumps(body), status=status, content_type=content_type)


def enroll() -> Response:
    """POST {"token": ..., "jwk": {public Ed25519 JWK}} → credentials and the hub's keys."""
    body = _json_body()
    context = hub()
    try:
        with context.db.writing() as session:
            result = nodes.enroll(session, body.get("token"), body.get("jwk"),
                                  now=timestamps.now_us())
    except nodes.NodeError as exc:
        raise _node_error(exc) from None
    settings = context.settings
    result.update({
        "hub_identity": context.identity,
        "hub_jwks": _published_jwks(),
        "discovery_url": settings.discovery_url,
        "api_root": settings.api_root_url,
    })
    return _json(result, 201)


def rotate_key() -> Response:
    """POST {"request": compact JWS signed with a current key, claims sub + new_jwk, and
    optionally retire_signing_key: true to revoke the key that signed the request}."""
    who = principal()
    body = _json_body()
    context = hub()
    try:
        with context.db.writing() as session:
            kid = nodes.rotate_key(session, who.account_id, body.get("request"),
                                   hub_identity=context.identity, now=timestamps.now_us())
    except nodes.NodeError as exc:
        raise _node_error(exc) from None
    return _json({"kid": kid}, 201)


def acknowledge() -> Response:
    """POST {"id": advisory id, "version": its modified, "state": applied|withdrawn|refused}."""
    who = principal()
    body = _json_body()
    context = hub()
    try:
        with context.db.writing() as session:
            result = receipts.record(session, who.account_id, body, now=timestamps.now_us())
    except nodes.NodeError as exc:
        raise _node_error(exc) from None
    return _json(result, 201)


def register_callback() -> Response:
    """POST {"url": where the agent listens for push notices, or null to stop them}."""
    who = principal()
    body = _json_body()
    if set(body) != {"url"}:
        raise TaxiiError(400, "send exactly {\"url\": URL or null}", "bad-callback")
    context = hub()
    try:
        with context.db.writing() as session:
            result = nodes.set_callback(session, who.account_id, body["url"],
                                        allowed_networks=context.push_allowed_networks)
    except nodes.NodeError as exc:
        raise _node_error(exc) from None
    return _json(result)


def _published_jwks() -> dict[str, Any]:
    context = hub()
    with context.db.session() as session:
        return peers.published_jwks(session, context.signer.jwks(),
                                    setup.hub_identity(session))


def addressed() -> Response:
    """GET, for a downstream hub: which of its towns each advisory it reads is meant for."""
    who = principal()
    context = hub()
    with context.db.session() as session:
        node = session.scalar(select(Node).where(Node.account_id == who.account_id))
        if node is None or not node.hub:
            raise TaxiiError(403, "only a downstream hub asks whom advisories are meant for",
                             "not-a-hub")
        return _json(downward.addressed(session, node))


def hub_jwks() -> Response:
    """The hub's keys, its identity, and the upstream keys it pinned (`federation.peers`)."""
    return _json(_published_jwks(), content_type="application/jwk-set+json")


def create_blueprint() -> Blueprint:
    blueprint = Blueprint("nodes", __name__)
    options = {"strict_slashes": False, "provide_automatic_options": False}
    blueprint.add_url_rule("/nodes/enroll", view_func=enroll, methods=["POST"], **options)
    blueprint.add_url_rule("/nodes/keys", view_func=rotate_key, methods=["POST"], **options)
    blueprint.add_url_rule("/nodes/receipts", view_func=acknowledge, methods=["POST"],
                           **options)
    blueprint.add_url_rule("/nodes/callback", view_func=register_callback, methods=["POST"],
                           **options)
    blueprint.add_url_rule("/nodes/addressed", view_func=addressed, **options)
    blueprint.add_url_rule("/.well-known/cyberhub/jwks.json", view_func=hub_jwks, **options)
    return blueprint

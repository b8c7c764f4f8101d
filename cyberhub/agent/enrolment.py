"""Joining the hub and renewing the node's key.

Enrolment makes the Ed25519 key here, sends only its public half with the one-time token, and
stores what the hub answers: the node's identity and credentials, the hub's identity and JWKS.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cyberhub.agent import node_key
from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.texts import Problem, say
from cyberhub.core import signing

log = logging.getLogger("cyberhub.agent")


class EnrolmentError(Problem):
    """Enrolment or key rotation cannot proceed; the message says why."""


def enroll(agent: Agent, hub_url: str, token: str) -> dict[str, Any]:
    if agent.enrolled:
        raise EnrolmentError("agent.enrolment.already", slug=agent.store.get("slug"),
                             hub=agent.store.get("hub_url"))
    client = agent.new_client(hub_url)
    home = agent.settings.home
    key_path = home / node_key.KEY_FILE
    # A key left by an enrolment that failed is reused: it was never registered anywhere else.
    key = node_key.load_key(key_path) if key_path.exists() else node_key.write_new_key(key_path)
    try:
        answer = client.enroll(token.strip(), signing.public_jwk(key))
    except HubError as exc:
        raise EnrolmentError("agent.enrolment.failed", error=exc) from None
    finally:
        client.close()
    with agent.store.write() as conn:
        for name in ("slug", "identity", "identity_object", "username", "password", "kid",
                     "hub_identity", "hub_jwks", "api_root", "discovery_url"):
            agent.store.put(conn, name, answer.get(name))
        agent.store.put(conn, "hub_url", client.base_url)
        agent.store.put(conn, "enrolled_at", time.time())
        agent.store.put(conn, "last_contact", time.time())
    log.info("%s", say("agent.enrolment.enrolled_log", slug=answer.get("slug"),
                       hub=client.base_url, kid=answer.get("kid")))
    return {"slug": answer.get("slug"), "identity": answer.get("identity"),
            "kid": answer.get("kid"), "hub": client.base_url,
            "hub_identity": answer.get("hub_identity")}


def _rotation_request(agent: Agent, signer: Any, upcoming: Any, retire: bool) -> str:
    return signing.sign_request(
        signer, {"sub": agent.identity_id, "new_jwk": signing.public_jwk(upcoming),
                 "retire_signing_key": retire},
        issuer=agent.identity_id, audience=agent.hub_identity, issued_at=int(time.time()))


def rotate_key(agent: Agent) -> dict[str, str]:
    """Register a new key signed by the current one, retire the current one, switch over."""
    agent.require_enrolled()
    home = agent.settings.home
    current = agent.key()
    upcoming = node_key.next_key(home)
    old_kid = signing.thumbprint(signing.public_jwk(current))
    try:
        kid = agent.client().rotate_key(_rotation_request(agent, current, upcoming, True))
    except HubError as exc:
        if exc.code != "key-revoked":
            raise EnrolmentError("agent.enrolment.rotation_failed", error=exc) from None
        # Either analysts revoked the current key, or an earlier rotation registered the next
        # key and retired this one but crashed before switching over. Asking with the next key
        # tells the two apart: the hub knows it ("key-exists") only in the second case.
        try:
            agent.client().rotate_key(_rotation_request(agent, upcoming, upcoming, False))
        except HubError as retry:
            if retry.code != "key-exists":
                raise EnrolmentError("agent.enrolment.rotation_revoked", error=exc) from None
        kid = signing.thumbprint(signing.public_jwk(upcoming))
    node_key.promote_next_key(home)
    agent.store.set("kid", kid)
    log.info("%s", say("agent.enrolment.rotated_log", kid=kid, old=old_kid))
    return {"kid": kid, "retired": old_kid}

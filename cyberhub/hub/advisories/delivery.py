"""Push notifications: the hub tells a town's agent that an advisory version is waiting.

The notice is a compact JWS signed with the hub's key (typ `cyberhub-push+jws`, audience the
town's identity) naming only the advisory and its version; the agent verifies it and then
polls as usual, so the advisory itself is still read through TAXII with the town's rights and
verified by its own signature. A push that fails is retried with exponential backoff by the
scheduler; towns without a callback URL, or whose pushes keep failing, find the advisory on
their next poll.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cyberhub.core import signing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import AdvisoryRecipient, Node

log = logging.getLogger("cyberhub.delivery")
PUSH_TYP = signing.PUSH_TYP
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 12  # about six hours of trying; the agent's poll covers the rest
TIMEOUT_SECONDS = 5.0
Post = Callable[[str, dict[str, Any]], None]


def schedule(session: Session, advisory_id: str, version: str, *, now: int) -> int:
    """Queue a push of `version` to every recipient with a callback URL; returns how many."""
    with_callback = select(Node.id).where(Node.callback_url.is_not(None),
                                          Node.disabled.is_(False))
    result = session.execute(
        update(AdvisoryRecipient)
        .where(AdvisoryRecipient.advisory_id == advisory_id,
               AdvisoryRecipient.node_id.in_(with_callback))
        .values(push_state="pending", push_version=version, push_attempts=0,
                next_attempt=now, last_error=None)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def post_json(url: str, body: dict[str, Any]) -> None:
    """POST the notice; anything but a 2xx is a failure. Redirects are not followed: the
    notice goes to the address the town registered, nowhere else."""
    response = requests.post(url, json=body, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise requests.HTTPError(f"HTTP {response.status_code}")


@dataclass
class PushResult:
    delivered: list[str]
    failed: list[str]


def notice(key: Ed25519PrivateKey, *, hub_identity: str, node_identity: str,
           advisory_id: str, version: str, now_s: int) -> str:
    return signing.sign_request(key, {"advisory": advisory_id, "version": version},
                                issuer=hub_identity, audience=node_identity, issued_at=now_s,
                                ttl=3600, typ=PUSH_TYP)


def push_due(db: Database, *, signer: Signer, now: int, post: Post = post_json,
             limit: int = 100) -> PushResult:
    """Send the pushes that are due, each outside any transaction (a slow town must not hold
    the database), and record each outcome on its own."""
    with db.session() as session:
        due = session.execute(
            select(AdvisoryRecipient.advisory_id, AdvisoryRecipient.node_id,
                   AdvisoryRecipient.push_version, AdvisoryRecipient.push_attempts,
                   Node.slug, Node.identity_id, Node.callback_url)
            .join(Node, Node.id == AdvisoryRecipient.node_id)
            .where(AdvisoryRecipient.push_state == "pending",
                   AdvisoryRecipient.next_attempt <= now, Node.callback_url.is_not(None))
            .order_by(AdvisoryRecipient.next_attempt).limit(limit)).all()
    result = PushResult([], [])
    for advisory_id, node_id, version, attempts, slug, identity, url in due:
        token = notice(signer.key, hub_identity=signer.identity, node_identity=identity,
                       advisory_id=advisory_id, version=version, now_s=now // 1_000_000)
        error = None
        try:
            post(url, {"jws": token})
        except (requests.RequestException, OSError, ValueError) as exc:
            error = (str(exc) or type(exc).__name__).splitlines()[0][:300]
        attempts += 1
        values: dict[str, Any] = {"push_attempts": attempts}
        if error is None:
            values.update(push_state="delivered", pushed_at=now, next_attempt=None,
                          last_error=None)
            result.delivered.append(slug)
        else:
            delay = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
            gave_up = attempts >= MAX_ATTEMPTS
            values.update(push_state="failed" if gave_up else "pending", last_error=error,
                          next_attempt=None if gave_up else now + delay * 1_000_000)
            result.failed.append(slug)
            log.warning("push of %s to %s failed (attempt %d): %s", advisory_id, slug,
                        attempts, error)
        with db.writing() as session:
            # Only if still pending for the same version: a newer version re-queued it.
            session.execute(update(AdvisoryRecipient).where(
                AdvisoryRecipient.advisory_id == advisory_id,
                AdvisoryRecipient.node_id == node_id, AdvisoryRecipient.push_version == version,
                AdvisoryRecipient.push_state == "pending").values(**values))
    return result

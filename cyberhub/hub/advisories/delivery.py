"""Push notifications: the hub tells a town's agent that an advisory version is waiting.

The notice is a compact JWS signed with the hub's key (typ `cyberhub-push+jws`, audience the
town's identity) naming only the advisory and its version; the agent verifies it and then
polls as usual, so the advisory itself is still read through TAXII with the town's rights and
verified by its own signature. A push that fails is retried with exponential backoff by the
scheduler; towns without a callback URL, or whose pushes keep failing, find the advisory on
their next poll.

The town chooses the callback URL, so the push must not become the hub's way into its own
network: the host is resolved once, every answer must be a public address (or one in the
operator's `push_allowed_networks`, see `cyberhub.core.addresses`), and the connection goes to
an address so checked, never through a second lookup, a proxy or a redirect.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cyberhub.core import addresses, signing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage import locks
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import AdvisoryRecipient, Node

log = logging.getLogger("cyberhub.delivery")
PUSH_TYP = signing.PUSH_TYP
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 12  # about six hours of trying; the agent's poll covers the rest
TIMEOUT_SECONDS = 5.0
CLAIM_SECONDS = 60
PUSH_LOCK = "push"
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


class PushFailed(Exception):
    """The town's listener did not take the notice (an HTTP status other than 2xx)."""


def _connect(address: addresses.Address, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTP(http.client.HTTPConnection):
    """A connection to an address checked beforehand: http.client would resolve the name."""

    def __init__(self, address: addresses.Address, port: int, timeout: float) -> None:
        super().__init__(str(address), port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = _connect(self.address, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As _PinnedHTTP, with TLS: SNI and the certificate check use the URL's name, not the
    address, so pinning the address loses none of what https promises."""

    def __init__(self, address: addresses.Address, port: int, timeout: float, *,
                 server_name: str, context: ssl.SSLContext) -> None:
        super().__init__(str(address), port, timeout=timeout, context=context)
        self.address = address
        self.server_name = server_name

    def connect(self) -> None:
        sock = _connect(self.address, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_name)


def post_json(url: str, body: dict[str, Any], *,
              allowed_networks: Sequence[addresses.Network] = (),
              resolver: addresses.Resolver = socket.getaddrinfo,
              tls: ssl.SSLContext | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
    """POST the notice to a public address of the URL's host; anything but a 2xx is a failure.
    Redirects are not followed: the notice goes to the address the town registered, nowhere
    else. NotPublic (a ValueError) when the host is, or resolves to, an internal address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the callback {url!r} is not an http(s) URL")
    host = addresses.ascii_host(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    checked = addresses.resolve(host, port, allowed=allowed_networks, resolver=resolver)
    named = f"[{host}]" if ":" in host else host
    data = json.dumps(body).encode()
    headers = {"Host": named if parts.port is None else f"{named}:{parts.port}",
               "Content-Type": "application/json", "Content-Length": str(len(data)),
               "User-Agent": "cyberhub-hub", "Connection": "close"}
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    context = (tls or ssl.create_default_context()) if parts.scheme == "https" else None
    error: OSError | None = None
    for address in checked:
        connection: http.client.HTTPConnection
        if context is not None:
            connection = _PinnedHTTPS(address, port, timeout, server_name=host, context=context)
        else:
            connection = _PinnedHTTP(address, port, timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:  # the next checked address, as create_connection would
                error = exc
                continue
            # Sent once only: after a failure here the retry is the scheduler's, with backoff.
            connection.request("POST", target, body=data, headers=headers)
            status = connection.getresponse().status
        finally:
            connection.close()
        if not 200 <= status < 300:
            raise PushFailed(f"HTTP {status}")
        return
    raise error or OSError(f"no address of {host} to connect to")


@dataclass
class PushResult:
    delivered: list[str]
    failed: list[str]


def notice(key: Ed25519PrivateKey, *, hub_identity: str, node_identity: str,
           advisory_id: str, version: str, now_s: int) -> str:
    return signing.sign_request(key, {"advisory": advisory_id, "version": version},
                                issuer=hub_identity, audience=node_identity, issued_at=now_s,
                                ttl=3600, typ=PUSH_TYP)


def push_due(db: Database, *, signer: Signer, now: int,
             allowed_networks: Sequence[addresses.Network] = (), post: Post | None = None,
             limit: int = 100) -> PushResult:
    """Send the pushes that are due, each outside any transaction (a slow town must not hold
    the database), and record each outcome on its own. Callbacks must be public addresses or
    in `allowed_networks` (the hub setting `push_allowed_networks`)."""
    send = post or functools.partial(post_json, allowed_networks=allowed_networks)
    with db.writing() as session:
        locks.hold(session, PUSH_LOCK)
        due = session.execute(
            select(AdvisoryRecipient.advisory_id, AdvisoryRecipient.node_id,
                   AdvisoryRecipient.push_version, AdvisoryRecipient.push_attempts,
                   Node.slug, Node.identity_id, Node.callback_url)
            .join(Node, Node.id == AdvisoryRecipient.node_id)
            .where(AdvisoryRecipient.push_state == "pending",
                   AdvisoryRecipient.next_attempt <= now, Node.callback_url.is_not(None))
            .order_by(AdvisoryRecipient.next_attempt).limit(limit)).all()
        # Claim them before sending: another host's scheduler passes over a push whose next
        # attempt lies beyond the time this one may take, so no notice goes out twice. If
        # this process dies while sending, the claim runs out and the push is tried again.
        for position, row in enumerate(due):
            lease = CLAIM_SECONDS + (position + 1) * 2 * TIMEOUT_SECONDS
            session.execute(update(AdvisoryRecipient).where(
                AdvisoryRecipient.advisory_id == row.advisory_id,
                AdvisoryRecipient.node_id == row.node_id,
            ).values(next_attempt=now + int(lease * 1_000_000)))
    result = PushResult([], [])
    for advisory_id, node_id, version, attempts, slug, identity, url in due:
        token = notice(signer.key, hub_identity=signer.identity, node_identity=identity,
                       advisory_id=advisory_id, version=version, now_s=now // 1_000_000)
        error = None
        try:
            send(url, {"jws": token})
        except (PushFailed, OSError, ValueError, http.client.HTTPException) as exc:
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

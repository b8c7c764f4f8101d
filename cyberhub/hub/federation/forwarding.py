"""Working with the upstream hubs: a job of `cyberhub scheduler`, and `cyberhub peers
forward` by hand. Up go the towns' reports; down come the upstream's advisories
(`downward`), and up again the towns' receipts for them.

Each run takes the peer (a lease in its row, so two scheduler processes never forward to one
upstream at once), reads the town groups stored after the peer's cursor, builds one forward of
at most `BATCH` groups (`relaying`), signs it, posts it, and moves the cursor only after the
upstream's status resource has answered. A run killed in between sends the same groups again
next time; the upstream recognises each by id and version and stores nothing twice. A refusal
in the status (a town signature that no longer verifies) is counted and the cursor moves on:
sending it again would be refused again. A failure to reach the upstream backs off, doubling
from 30 seconds to an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub import collections
from cyberhub.hub.federation import downward, peers, relaying
from cyberhub.hub.federation.peer_client import PeerClient, PeerError
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Peer

log = logging.getLogger("cyberhub.federation")
BATCH = 200
# A run holds its peer this long and renews the hold with every forward; a run that died
# holds it no longer than this.
LEASE_US = 2 * 60 * 1_000_000
BACKOFF_START_US = 30 * 1_000_000
BACKOFF_MAX_US = 3600 * 1_000_000
# Forwards per run: a long backlog (after an outage) goes on in the next run.
MAX_FORWARDS = 500


@dataclass
class Result:
    peer: str
    forwards: int = 0
    groups: int = 0
    objects: int = 0
    original: int = 0
    pseudonymised: int = 0
    held_back: int = 0
    refused: int = 0
    advisories: int = 0  # upstream advisory versions taken in and addressed here
    receipts: int = 0  # towns' receipts sent up
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"peer": self.peer, "forwards": self.forwards, "groups": self.groups,
                "objects": self.objects, "original": self.original,
                "pseudonymised": self.pseudonymised, "held_back": self.held_back,
                "refused": self.refused, "advisories": self.advisories,
                "receipts": self.receipts, "errors": self.errors}


@dataclass(frozen=True)
class Forwarder:
    """What a forwarding run needs, bound once (`cyberhub.hub.jobs`, the CLI, the tests)."""

    db: Database
    signer: Signer
    secret: str
    rules: relaying.Rules
    client: Callable[[Peer, str], PeerClient] = lambda peer, password: PeerClient(
        peer.url, username=peer.username, password=password)
    now: Callable[[], int] = timestamps.now_us

    def upstreams(self, *, due_only: bool) -> list[str]:
        now = self.now()
        with self.db.session() as session:
            query = select(Peer.name).where(Peer.role == "upstream")
            if due_only:
                query = query.where(or_(Peer.next_attempt.is_(None), Peer.next_attempt <= now))
            return list(session.scalars(query.order_by(Peer.name)))

    def run(self, name: str, *, progress: Callable[[Result], None] | None = None) -> Result:
        """Forward everything pending to one upstream, if this process wins its lease."""
        result = Result(name)
        with self.db.writing() as session:
            peer = peers.get(session, name)
            if peer.role != "upstream":
                raise peers.FederationError("not-upstream", f"{name} is not an upstream")
            if not _claim(session, name, self.now()):
                result.errors.append("another process is forwarding to this peer")
                return result
            password = peers.password_of(peer, self.secret)
            session.expunge(peer)
        client = self.client(peer, password)
        try:
            self._forward_all(peer, client, result, progress)
            self._down(peer, client, result)
        except PeerError as exc:
            result.errors.append(str(exc))
            self._failed(name, str(exc))
        finally:
            client.close()
            with self.db.writing() as session:
                session.execute(update(Peer).where(Peer.name == name)
                                .values(running_until=None))
        return result

    def _forward_all(self, peer: Peer, client: PeerClient, result: Result,
                     progress: Callable[[Result], None] | None) -> None:
        with self.db.session() as session:
            own = collections.find(session, "reports")
        if own is None:
            raise PeerError("this hub has no reports collection", retry=False)
        cursor = peer.cursor
        for _ in range(MAX_FORWARDS):
            with self.db.session() as session:
                groups = relaying.pending(session, own.id, after=cursor, limit=BATCH)
                if not groups:
                    break
                batch = relaying.build(session, groups, rules=self.rules,
                                       hub_identity=self.signer.identity,
                                       pseudonym_secret=self.secret)
            refused, first_refusal, collection_id = 0, None, None
            for forward in batch.forwards:
                collection = client.reports(peer.api_root or "", peer.collection_id)
                envelope = relaying.seal(forward, signer_key=self.signer.key,
                                         hub_identity=self.signer.identity,
                                         upstream_identity=peer.identity_id,
                                         now_us=self.now())
                delivery = client.send(collection, envelope)
                relay_refused = next((f for f in delivery.failures
                                      if f.get("id") == forward.relay_id), None)
                if relay_refused is not None:
                    # The relay itself was refused (a key the upstream does not have yet, a
                    # clock too far off): nothing was judged, so nothing moves; try again.
                    raise PeerError(f"the upstream refused the relay: "
                                    f"{relay_refused.get('message')}", retry=True,
                                    code="relay-refused")
                refused += len(delivery.failures)
                for failure in delivery.failures[:3]:
                    log.warning("forward to %s: %s refused: %s", peer.name, failure.get("id"),
                                failure.get("message"))
                if delivery.failures and first_refusal is None:
                    first_refusal = delivery.failures[0].get("message")
                collection_id = collection.id
            # Only now, with every forward of the batch answered: a run that dies before
            # sends the batch again, and the upstream stores none of it twice.
            self._moved(peer.name, batch, refused, collection_id, first_refusal)
            cursor = batch.last_added
            result.forwards += len(batch.forwards)
            result.groups += batch.groups
            result.objects += batch.objects + len(batch.forwards)
            result.original += batch.original
            result.pseudonymised += batch.pseudonymised
            result.held_back += batch.held_back
            result.refused += refused
            if progress is not None:
                progress(result)

    def _down(self, peer: Peer, client: PeerClient, result: Result) -> None:
        """The upstream's new advisory versions, taken in and addressed here; then the
        receipts this hub's towns gave for them, sent up."""
        meant = {item["id"]: item.get("towns", [])
                 for item in client.addressed().get("advisories", [])
                 if isinstance(item, dict) and isinstance(item.get("id"), str)}
        collection = client.collection(peer.api_root or "", "advisories")
        found, newest = client.added_since(collection, peer.down_cursor)
        if found:
            with self.db.writing() as session:
                here = session.get(Peer, peer.name)
                taken = downward.take(session, here, found, meant, secret=self.secret,
                                      now=self.now())
                if not any("object-missing" in why for _, why in taken.refused) \
                        and newest and len(newest) <= 40 \
                        and timestamps.is_stix_timestamp(newest):
                    here.down_cursor = newest  # else read it all again next time
            result.advisories += len(taken.advisories)
            for what, why in taken.refused:
                log.warning("advisory %s from %s not taken: %s", what, peer.name, why)
            for advisory_id, version, towns in taken.advisories:
                # This hub's own receipt: taken in and passed on, to how many towns.
                client.acknowledge({"id": advisory_id, "version": version, "state": "applied",
                                    "detail": f"passed on to {towns} town(s)"})
        with self.db.session() as session:
            receipts = downward.receipts_for_upstream(session, session.get(Peer, peer.name),
                                                      meant, secret=self.secret)
        for receipt, body in receipts:
            client.acknowledge(body)
            with self.db.writing() as session:
                downward.mark_sent(session, receipt)
            result.receipts += 1

    def _moved(self, name: str, batch: relaying.Batch, refused: int,
               collection_id: str | None, refusal: str | None) -> None:
        now = self.now()
        with self.db.writing() as session:
            peer = session.get(Peer, name)
            if peer is None:
                return  # removed meanwhile
            peer.cursor = batch.last_added
            peer.running_until = now + LEASE_US
            peer.forwarded += batch.objects
            peer.refused += refused
            peer.last_attempt = peer.last_success = now
            peer.failures = 0
            peer.next_attempt = None
            peer.last_error = f"refused upstream: {refusal}"[:1000] if refusal else None
            if collection_id:
                peer.collection_id = collection_id

    def _failed(self, name: str, error: str) -> None:
        now = self.now()
        with self.db.writing() as session:
            peer = session.get(Peer, name)
            if peer is None:
                return
            peer.failures += 1
            wait = min(BACKOFF_MAX_US, BACKOFF_START_US * 2 ** min(peer.failures - 1, 20))
            peer.last_attempt = now
            peer.next_attempt = now + wait
            peer.last_error = error[:1000]
        log.warning("forward to %s failed (%s); next try in %d s", name, error,
                    wait // 1_000_000)


def _claim(session: Session, name: str, now: int) -> bool:
    taken = session.execute(
        update(Peer).where(Peer.name == name,
                           or_(Peer.running_until.is_(None), Peer.running_until < now))
        .values(running_until=now + LEASE_US).execution_options(synchronize_session=False))
    return taken.rowcount == 1

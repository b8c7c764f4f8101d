"""Taking an envelope posted to a collection: verify (signed collections), check, store, index
for correlation, in one transaction; then look for campaigns the reports touch.

Storing is the repository's (`cyberhub.hub.storage.objects.write`); this module decides what
may be stored. On a signed collection every object must be covered by a verified signature in
the same envelope, a signed group is stored whole or refused whole, and only an object's creator
may add a version of it (`versioning`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cyberhub.core import stix, timestamps
from cyberhub.hub import inbox, nodes
from cyberhub.hub.collections import CollectionRow
from cyberhub.hub.services import markings, statuses, verification, versioning
from cyberhub.hub.services.admission import check_objects, object_problem
from cyberhub.hub.services.statuses import StatusReport, declared_version, detail
from cyberhub.hub.storage import objects
from cyberhub.hub.storage.database import Database

log = logging.getLogger("cyberhub")


class Correlation(Protocol):
    """What ingest needs of the correlation engine (`cyberhub.hub.correlation.service`)."""

    def draft(self, session: Session, issuer: str, objects: list[dict[str, Any]],
              now: int) -> Any: ...

    def add(self, session: Session, drafts: Iterable[Any]) -> set[str]: ...

    def detect(self, db: Database, incidents: Iterable[str]) -> list[str]: ...


class Relays(Protocol):
    """What ingest needs to take a downstream hub's forwards (`cyberhub.hub.federation.
    receiving`): checking one, and recording what it brings in the write transaction."""

    def is_relay(self, raw_objects: list[stix.RawObject]) -> bool: ...

    def check(self, raw_objects: list[stix.RawObject], *, session: Session,
              poster: nodes.NodeInfo, audience: str, now: int,
              jti_seen: Callable[[str], bool]) -> Any: ...

    def record(self, session: Session, checked: Any, *, poster: nodes.NodeInfo, now: int,
               stored: int, duplicates: int, refused: int, accepted: set[str]) -> None: ...


def add_envelope(
    session: Session,
    collection_id: str,
    raw_objects: list[stix.RawObject],
    *,
    account_id: int,
    max_object_size: int = 1024 * 1024,
    now: Callable[[], int] = timestamps.now_us,
) -> StatusReport:
    """Check and store an unsigned envelope and record the status resource.

    Runs in the caller's write transaction; nothing is stored if anything raises.
    """
    report = StatusReport.new(now())
    candidates, report.failures = check_objects(raw_objects, max_object_size=max_object_size)
    if candidates:
        report.add(objects.write(session, collection_id, candidates, now=now()))
        markings.note_unresolved(session, report, candidates)
    statuses.save(session, report, collection_id=collection_id, account_id=account_id)
    return report


@dataclass(frozen=True)
class Ingest:
    """The POST use case, with its collaborators bound once (`cyberhub.hub.bootstrap`)."""

    db: Database
    hub_identity: str
    max_object_size: int
    correlation: Correlation | None = None
    relays: Relays | None = None
    now: Callable[[], int] = timestamps.now_us

    def receive(self, collection: CollectionRow, raw_objects: list[stix.RawObject], *,
                account_id: int) -> StatusReport:
        """Store what is acceptable and say what happened to each object. Campaigns that
        signed town reports touch are looked for right after the commit, so an analyst who
        reads the campaigns collection once the POST has returned sees them."""
        if not collection.signed:
            with self.db.writing() as session:
                return add_envelope(session, collection.id, raw_objects, account_id=account_id,
                                    max_object_size=self.max_object_size, now=self.now)
        report = self._receive_signed(collection, raw_objects, account_id)
        if report.incidents and self.correlation is not None:
            try:
                self.correlation.detect(self.db, report.incidents)
            except Exception:
                # The reports are stored already; the scheduled full pass finds what is missed.
                log.exception("correlation after ingest failed; the next full pass will "
                              "repeat it")
        return report

    def _receive_signed(self, collection: CollectionRow, raw_objects: list[stix.RawObject],
                        account_id: int) -> StatusReport:
        # Signature checks run before the write transaction, so workers do not hold the
        # database lock while they hash and verify; the replay check is repeated inside it,
        # where it counts.
        relayed = None
        with self.db.session() as session:
            poster = nodes.node_for_account(session, account_id)
            if poster is not None and poster.hub and self.relays is not None \
                    and self.relays.is_relay(raw_objects):
                check = relayed = self.relays.check(
                    raw_objects, session=session, poster=poster, audience=self.hub_identity,
                    now=self.now() // 1_000_000, jti_seen=nodes.accepted_jti_lookup(session))
            else:
                check = verification.verify_envelope(
                    raw_objects, keys=nodes.key_lookup(session), audience=self.hub_identity,
                    now=self.now() // 1_000_000, jti_seen=nodes.accepted_jti_lookup(session),
                    poster_identity=poster.identity if poster else None,
                )
            groups, failures = _checked_groups(check, self.max_object_size)
            prepared = self._prepare(session, groups)
        for attempt in (1, 2):
            try:
                with self.db.writing() as session:
                    if relayed is not None:
                        return self._store_relay(session, collection.id, relayed, groups,
                                                 list(failures), poster=poster,
                                                 account_id=account_id, prepared=prepared)
                    return self._store_groups(session, collection.id, groups, list(failures),
                                              account_id=account_id, prepared=prepared)
            except IntegrityError:
                # Another worker accepted the same jti between our check and our insert; on
                # the second pass the check inside the transaction sees it and refuses.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _store_groups(self, session: Session, collection_id: str,
                      groups: list[verification.Group], failures: list[dict[str, str]], *,
                      account_id: int, prepared: dict[int, Prepared]) -> StatusReport:
        report = StatusReport.new(self.now())
        seen = nodes.accepted_jti_lookup(session)
        fresh = []
        for group in groups:
            if seen(group.verified.jti):
                failures.extend(verification.refuse_group(
                    group.signature, group.members, "token-replayed",
                    "this token was accepted before"))
            else:
                fresh.append(group)
        last = objects.lock_collection(session, collection_id)
        decision = versioning.decide(session, collection_id, _planned(fresh, prepared))
        failures.extend(decision.failures)
        if decision.candidates:
            report.add(objects.write(session, collection_id, decision.candidates,
                                     now=self.now(),
                                     locked=objects.Locked(last, decision.stored)))
            markings.note_unresolved(session, report, decision.candidates)
        for group in decision.groups:
            nodes.remember_jti(session, group.verified.jti, group.verified.expires)
        stored = {s["id"] for s in report.successes}
        self._after_store(session, report, decision.groups, stored, prepared)
        report.failures = failures + report.failures
        statuses.save(session, report, collection_id=collection_id, account_id=account_id)
        return report

    def _store_relay(self, session: Session, collection_id: str, relayed: Any,
                     groups: list[verification.Group], failures: list[dict[str, str]], *,
                     poster: nodes.NodeInfo, account_id: int,
                     prepared: dict[int, Prepared]) -> StatusReport:
        """A downstream hub's forward: the relay token is the one remembered against replay
        (the towns' tokens were, when they first arrived at that hub); a group forwarded
        again is a duplicate, and only groups with something new reach the inbox and the
        index."""
        report = StatusReport.new(self.now())
        remember = relayed.relay is not None
        if remember and nodes.accepted_jti_lookup(session)(relayed.relay.jti):
            failures = [verification.failure(raw.value, "token-replayed",
                                             "this relay token was accepted before")
                        for group in groups for raw in group.objects] + failures
            groups, remember, relayed.returned = [], False, []
        last = objects.lock_collection(session, collection_id)
        decision = versioning.decide(session, collection_id, _planned(groups, prepared))
        failures.extend(decision.failures)
        outcomes = []
        if decision.candidates:
            outcomes = objects.write(session, collection_id, decision.candidates,
                                     now=self.now(),
                                     locked=objects.Locked(last, decision.stored))
            report.add(outcomes)
            markings.note_unresolved(session, report, decision.candidates)
        report.successes.extend(relayed.returned)
        if remember:
            nodes.remember_jti(session, relayed.relay.jti, relayed.relay.expires)
        new = {o.candidate.object_id for o in outcomes if o.state == "stored"}
        if remember:  # a replayed relay records nothing, neither towns nor keys
            self.relays.record(  # type: ignore[union-attr]
                session, relayed, poster=poster, now=self.now(), stored=len(new),
                duplicates=len(outcomes) - len(new) + len(relayed.returned),
                refused=len(failures) + len(report.failures),
                accepted={group.verified.issuer for group in decision.groups})
            # Towns first known through this forward have a node only now.
            prepared = {**prepared, **{id(group): self._prepare_group(session, group)
                                       for group in decision.groups
                                       if prepared[id(group)].node is None}}
        self._after_store(session, report, decision.groups, new, prepared)
        report.failures = failures + report.failures
        statuses.save(session, report, collection_id=collection_id, account_id=account_id)
        return report

    def _prepare(self, session: Session, groups: list[verification.Group]
                 ) -> dict[int, Prepared]:
        """Each group's candidates, inbox entry and index rows, made from the read session
        before the write lock is taken: the lock is then held only to write them. What depends
        on the markings the hub holds (the TLP) is decided in the write transaction."""
        return {id(group): self._prepare_group(session, group) for group in groups}

    def _prepare_group(self, session: Session, group: verification.Group) -> Prepared:
        members = [raw.value for raw in group.objects]
        issuer = group.verified.issuer
        return Prepared([objects.Candidate.of(raw) for raw in group.objects],
                        inbox.prepare(members),
                        inbox.town(session, issuer),
                        self.correlation.draft(session, issuer, members, self.now())
                        if self.correlation is not None else None)

    def _after_store(self, session: Session, report: StatusReport,
                     groups: list[verification.Group], stored: set[str],
                     prepared: dict[int, Prepared]) -> None:
        """The analysts' inbox and the correlation index, in the same transaction, for the
        groups that brought something."""
        ready = [prepared[id(group)] for group in groups
                 if any(raw.value["id"] in stored for raw in group.objects)]
        for town in ready:
            if town.entry is not None and town.node is not None:
                inbox.store(session, town.entry, node=town.node, now=self.now(),
                            held=markings.held(session, town.entry.refs))
        drafts = [town.draft for town in ready if town.draft is not None]
        if self.correlation is not None and drafts:
            report.incidents = self.correlation.add(session, drafts)


@dataclass(frozen=True)
class Prepared:
    """What a verified group adds to the store, the inbox and the index, made before the
    write lock."""
    candidates: list[objects.Candidate]
    entry: inbox.Entry | None
    node: tuple[int, str] | None  # the signer's node id and Land, when a town signed
    draft: Any  # the index rows (`cyberhub.hub.correlation.index.Draft`), or None


def _planned(groups: list[verification.Group], prepared: dict[int, Prepared]
             ) -> versioning.Planned:
    return [(group, prepared[id(group)].candidates) for group in groups]


def _checked_groups(
    check: verification.EnvelopeCheck, max_object_size: int
) -> tuple[list[verification.Group], list[dict[str, str]]]:
    """A signed group is stored whole or not at all: one unacceptable member refuses it."""
    groups, failures = [], list(check.failures)
    for group in check.groups:
        problems = [(raw, object_problem(raw, max_object_size)) for raw in group.objects]
        bad = [(raw, problem) for raw, problem in problems if problem]
        if not bad:
            groups.append(group)
            continue
        first_raw, first_problem = bad[0]
        code = first_problem.split(":", 1)[0]  # type: ignore[union-attr]
        for raw, problem in problems:
            message = problem or (f"{code}: refused with its signed group, because "
                                  f"{first_raw.value.get('id')} is not acceptable")
            failures.append(detail(raw.value, declared_version(raw.value), message))
    return groups, failures

"""Add an envelope of objects to a collection: validate → store, in one transaction.

Every accepted object gets a `date_added` that is unique and strictly increasing within its
collection. The collection row is locked for the transaction (FOR UPDATE on PostgreSQL, the
database write lock on SQLite), so stamps are handed out in commit order: a reader that has seen
stamp T has also seen everything stamped before T, and resuming with `added_after` can neither
skip nor repeat an object.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import nodes, stix, timestamps, verification
from .db import Database
from .models import Collection, StatusRecord, StoredObject
from .validation import validate

_CHUNK = 500


@dataclass
class StatusReport:
    """The outcome of one POST, shaped like the TAXII status resource (section 4.3)."""

    id: str
    request_timestamp: int
    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    # Incidents whose index entries this POST added: what correlation looks at next.
    incidents: set[str] = field(default_factory=set)

    @property
    def total_count(self) -> int:
        return len(self.successes) + len(self.failures)

    def resource(self) -> dict[str, Any]:
        return status_resource(
            self.id, "complete", self.request_timestamp, self.successes, self.failures
        )


def status_resource(
    status_id: str, status: str, request_timestamp: int,
    successes: list[dict[str, str]], failures: list[dict[str, str]],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": status_id,
        "status": status,
        "request_timestamp": timestamps.format_us(request_timestamp),
        "total_count": len(successes) + len(failures),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
    }
    # TAXII lists are omitted rather than empty (section 2).
    if successes:
        body["successes"] = successes
    if failures:
        body["failures"] = failures
    return body


@dataclass
class _Candidate:
    obj: dict[str, Any]
    text: str
    object_id: str
    version: stix.Version | None
    digest: str


def _detail(obj: Any, version: str, message: str | None = None) -> dict[str, str]:
    object_id = obj.get("id") if isinstance(obj, dict) else None
    detail = {"id": object_id if isinstance(object_id, str) else "", "version": version}
    if message:
        detail["message"] = message
    return detail


def _declared_version(obj: Any) -> str:
    if isinstance(obj, dict):
        for name in ("modified", "created"):
            if isinstance(obj.get(name), str):
                return obj[name]
    return ""


def object_problem(raw: stix.RawObject, max_object_size: int) -> str | None:
    """Why this object cannot be stored, as "code: message", or None."""
    if len(raw.text) > max_object_size:
        return (f"object-too-large: the object is {len(raw.text)} characters; the limit is "
                f"{max_object_size}")
    problem = validate(raw.value)
    return f"invalid-stix: {problem}" if problem else None


def check_objects(
    raw_objects: Iterable[stix.RawObject], *, max_object_size: int
) -> tuple[list[_Candidate], list[dict[str, str]]]:
    """Split objects into storable candidates and failures (status details)."""
    candidates: list[_Candidate] = []
    failures: list[dict[str, str]] = []
    for raw in raw_objects:
        problem = object_problem(raw, max_object_size)
        if problem:
            failures.append(_detail(raw.value, _declared_version(raw.value), problem))
            continue
        obj = raw.value
        candidates.append(_Candidate(
            obj, raw.text, obj["id"], stix.object_version(obj), stix.digest(obj)
        ))
    return candidates, failures


# The ingest statements are built once: building SQL expressions costs more than running them.
_EXISTING = select(StoredObject.object_id, StoredObject.version_key, StoredObject.digest).where(
    StoredObject.collection_id == bindparam("collection_id"),
    StoredObject.object_id.in_(bindparam("ids", expanding=True)),
)
_LOCK_COLLECTION = select(Collection.last_date_added).where(
    Collection.id == bindparam("collection_id")).with_for_update()
_ADVANCE_COLLECTION = update(Collection).where(
    Collection.id == bindparam("collection_id")).values(last_date_added=bindparam("last"))


def _existing_versions(
    session: Session, collection_id: str, object_ids: set[str]
) -> dict[str, dict[str, str]]:
    """For each id already stored: version_key → digest."""
    found: dict[str, dict[str, str]] = {}
    ids = sorted(object_ids)
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(_EXISTING, {"collection_id": collection_id,
                                              "ids": ids[start:start + _CHUNK]})
        for object_id, version_key, digest in rows:
            found.setdefault(object_id, {})[version_key] = digest
    return found


def store_objects(
    session: Session,
    collection_id: str,
    candidates: list[_Candidate],
    *,
    now: int,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Store valid objects; returns (successes, failures). Call inside a write transaction."""
    connection = session.connection()
    last = connection.scalar(_LOCK_COLLECTION, {"collection_id": collection_id})
    if last is None:
        raise LookupError(f"collection {collection_id} does not exist")
    existing = _existing_versions(session, collection_id, {c.object_id for c in candidates})
    previously_stored = set(existing)
    successes: list[dict[str, str]] = []
    failures: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    stamp = max(now, last + 1)
    for candidate in candidates:
        versions = existing.setdefault(candidate.object_id, {})
        if candidate.version is None:
            # Unversioned objects (SCOs): an identical copy is a duplicate; anything else is a
            # new version named by its date_added, the value "consistent to the server".
            if candidate.digest in versions.values():
                successes.append(_detail(candidate.obj, _unversioned_label(versions, candidate),
                                         "duplicate of a stored object"))
                continue
            version_text = timestamps.format_us(stamp)
            version_key = timestamps.us_to_key(stamp)
        else:
            version_text, version_key = candidate.version.text, candidate.version.key
            stored_digest = versions.get(version_key)
            if stored_digest == candidate.digest:
                successes.append(_detail(candidate.obj, version_text,
                                         "duplicate of a stored object"))
                continue
            if stored_digest is not None:
                failures.append(_detail(
                    candidate.obj, version_text,
                    "version-conflict: a different object with this id and version is already "
                    "stored; a changed object needs a new 'modified'",
                ))
                continue
        versions[version_key] = candidate.digest
        rows.append({
            "collection_id": collection_id,
            "object_id": candidate.object_id,
            "type": candidate.obj["type"],
            "version": version_text,
            "version_key": version_key,
            "spec_version": candidate.obj.get("spec_version", "2.1"),
            "date_added": stamp,
            "digest": candidate.digest,
            "body": candidate.text,
        })
        successes.append(_detail(candidate.obj, version_text))
        stamp += 1
    if rows:
        _set_flags(rows, existing)
        connection.execute(insert(StoredObject), rows)
        _clear_old_flags(session, collection_id, rows, previously_stored, existing)
        connection.execute(_ADVANCE_COLLECTION,
                           {"collection_id": collection_id, "last": rows[-1]["date_added"]})
    return successes, failures


def _unversioned_label(versions: dict[str, str], candidate: _Candidate) -> str:
    for key, digest in versions.items():
        if digest == candidate.digest:
            return timestamps.format_us(timestamps.key_to_us(key))
    return ""


def _set_flags(rows: list[dict[str, Any]], existing: dict[str, dict[str, str]]) -> None:
    for row in rows:
        keys = existing[row["object_id"]]
        row["is_first"] = row["version_key"] == min(keys)
        row["is_last"] = row["version_key"] == max(keys)


def _clear_old_flags(
    session: Session,
    collection_id: str,
    rows: list[dict[str, Any]],
    previously_stored: set[str],
    existing: dict[str, dict[str, str]],
) -> None:
    """Older rows of objects that just got a new first or last version lose that flag."""
    touched = {row["object_id"] for row in rows} & previously_stored
    for object_id in sorted(touched):
        keys = existing[object_id]
        first, last = min(keys), max(keys)
        base = and_(StoredObject.collection_id == collection_id,
                    StoredObject.object_id == object_id)
        session.execute(update(StoredObject).where(
            base, StoredObject.is_first, StoredObject.version_key != first
        ).values(is_first=False))
        session.execute(update(StoredObject).where(
            base, StoredObject.is_last, StoredObject.version_key != last
        ).values(is_last=False))


def add_envelope(
    session: Session,
    collection_id: str,
    raw_objects: list[stix.RawObject],
    *,
    account_id: int,
    max_object_size: int = 1024 * 1024,
    now: Callable[[], int] = timestamps.now_us,
) -> StatusReport:
    """Validate and store an unsigned envelope and record the status resource.

    Runs in the caller's write transaction; nothing is stored if anything raises.
    """
    report = StatusReport(str(uuid.uuid4()), now())
    candidates, report.failures = check_objects(raw_objects, max_object_size=max_object_size)
    if candidates:
        successes, conflicts = store_objects(session, collection_id, candidates, now=now())
        report.successes = successes
        report.failures.extend(conflicts)
    save_status(session, report, collection_id=collection_id, account_id=account_id)
    return report


def receive(
    db: Database,
    collection: Any,
    raw_objects: list[stix.RawObject],
    *,
    account_id: int,
    hub_identity: str,
    max_object_size: int,
    now: Callable[[], int] = timestamps.now_us,
    correlator: Any = None,
) -> StatusReport:
    """Take an envelope posted to a collection: verify (signed collections), validate, store,
    and index town reports for correlation (with a `correlator`), in one transaction.

    Signature checks run before the write transaction, so workers do not hold the database
    lock while they hash and verify; the replay check is repeated inside it, where it counts.
    """
    if not collection.signed:
        with db.writing() as session:
            return add_envelope(session, collection.id, raw_objects, account_id=account_id,
                                max_object_size=max_object_size, now=now)
    with db.session() as session:
        poster = nodes.node_for_account(session, account_id)
        check = verification.verify_envelope(
            raw_objects, keys=nodes.key_lookup(session), audience=hub_identity,
            now=now() // 1_000_000, jti_seen=nodes.accepted_jti_lookup(session),
            poster_identity=poster.identity if poster else None,
        )
    groups, failures = _validate_groups(check, max_object_size)
    for attempt in (1, 2):
        try:
            with db.writing() as session:
                return _store_groups(session, collection.id, groups, list(failures),
                                     account_id=account_id, now=now, correlator=correlator)
        except IntegrityError:
            # Another worker accepted the same jti between our check and our insert; on the
            # second pass the check inside the transaction sees it and refuses the group.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _validate_groups(
    check: verification.EnvelopeCheck, max_object_size: int
) -> tuple[list[verification.Group], list[dict[str, str]]]:
    """A signed group is stored whole or not at all: one invalid member refuses the group."""
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
            failures.append(_detail(raw.value, _declared_version(raw.value), message))
    return groups, failures


def _store_groups(
    session: Session,
    collection_id: str,
    groups: list[verification.Group],
    failures: list[dict[str, str]],
    *,
    account_id: int,
    now: Callable[[], int],
    correlator: Any = None,
) -> StatusReport:
    report = StatusReport(str(uuid.uuid4()), now())
    seen = nodes.accepted_jti_lookup(session)
    fresh = []
    for group in groups:
        if seen(group.verified.jti):
            failures.extend(verification.refuse_group(
                group.signature, group.members, "token-replayed",
                "this token was accepted before"))
        else:
            fresh.append(group)
    candidates = [
        _Candidate(raw.value, raw.text, raw.value["id"], stix.object_version(raw.value),
                   stix.digest(raw.value))
        for group in fresh for raw in group.objects
    ]
    if candidates:
        report.successes, conflicts = store_objects(session, collection_id, candidates,
                                                    now=now())
        failures.extend(conflicts)
    for group in fresh:
        nodes.remember_jti(session, group.verified.jti, group.verified.expires)
    if correlator is not None and fresh:
        stored = {s["id"] for s in report.successes}
        report.incidents = correlator.index(session, [
            (group.verified.issuer, [raw.value for raw in group.objects])
            for group in fresh if any(raw.value["id"] in stored for raw in group.objects)
        ], now())
    report.failures = failures
    save_status(session, report, collection_id=collection_id, account_id=account_id)
    return report


def save_status(
    session: Session, report: StatusReport, *, collection_id: str, account_id: int
) -> None:
    session.connection().execute(insert(StatusRecord), [{
        "id": report.id,
        "account_id": account_id,
        "collection_id": collection_id,
        "request_timestamp": report.request_timestamp,
        "status": "complete",
        "total_count": report.total_count,
        "success_count": len(report.successes),
        "failure_count": len(report.failures),
        "pending_count": 0,
        "details": json.dumps({"successes": report.successes, "failures": report.failures}),
    }])

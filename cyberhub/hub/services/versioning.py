"""Which signed groups may be added to what a signed collection already holds.

A stored signature must cover exactly what is stored beside it, so a group is taken whole or
refused whole: a member that conflicts with a stored version (same id and `modified`, other
content) refuses its group, where an unsigned POST would only lose that one object. And only an
object's creator may make a new version of it (STIX 2.1, section 3.6): on a signed collection
the creator is the identity the first stored version names, and the group's signer must be it.
Otherwise one town could publish a "later" version of another town's incident under its own key.

Decided inside the write transaction, after the collection's lock, on what is committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cyberhub.hub.services import verification
from cyberhub.hub.storage import objects


@dataclass
class Decision:
    """The groups to store, with their candidates, and the failures of those refused."""

    groups: list[verification.Group] = field(default_factory=list)
    candidates: list[objects.Candidate] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    # The stored versions of every id the groups carry, as read (for `objects.write`).
    stored: dict[str, dict[str, str]] = field(default_factory=dict)


Planned = list[tuple[verification.Group, list[objects.Candidate]]]


def decide(session: Session, collection_id: str, planned: Planned) -> Decision:
    """Split the groups, each with its members as candidates (made before the write lock: a
    digest per object), into those that fit the stored versions and those refused."""
    ids = {c.object_id for _, candidates in planned for c in candidates}
    known = objects.existing_versions(session, collection_id, ids)
    stored = {object_id: dict(versions) for object_id, versions in known.items()}
    needs_creator = {c.object_id for _, candidates in planned for c in candidates
                     if c.version is not None and c.object_id in known
                     and c.version.key not in known[c.object_id]}
    creators = objects.creators(session, collection_id, needs_creator)
    decision = Decision(stored=stored)
    for group, candidates in planned:
        problem = _problem(group.verified.issuer, candidates, known, creators)
        if problem is not None:
            decision.failures.extend(verification.refuse_group(
                group.signature, group.members, *problem))
            continue
        # Later groups of the same envelope see this one as stored.
        for candidate in candidates:
            if candidate.version is not None:
                if candidate.object_id not in known:
                    creators[candidate.object_id] = objects.creator_of(candidate.obj)
                known.setdefault(candidate.object_id, {})[candidate.version.key] = \
                    candidate.digest
        decision.groups.append(group)
        decision.candidates.extend(candidates)
    return decision


def _problem(issuer: str, candidates: list[objects.Candidate],
             known: dict[str, dict[str, str]], creators: dict[str, str | None]
             ) -> tuple[str, str] | None:
    """Why this group cannot join the stored versions, as (code, message), or None."""
    mine: dict[str, dict[str, str]] = {}  # versions earlier members of this group bring
    for candidate in candidates:
        if candidate.version is None:
            continue  # cyber observables have no versions and no creator: content decides
        object_id, key = candidate.object_id, candidate.version.key
        stored = known.get(object_id, {})
        digest = stored.get(key) or mine.get(object_id, {}).get(key)
        if digest is not None:
            if digest != candidate.digest:
                return ("version-conflict",
                        f"{object_id} with 'modified' {candidate.version.text} is stored with "
                        f"other content; a changed object needs a new 'modified'")
            continue
        if stored:
            creator = creators.get(object_id)
            if creator != issuer:
                return ("not-the-creator",
                        f"{object_id} was created by {creator or 'an identity it does not name'}"
                        f"; only its creator may add a version (STIX 2.1, section 3.6)")
        mine.setdefault(object_id, {})[key] = candidate.digest
    return None

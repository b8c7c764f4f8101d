"""Verifying an envelope for a signed collection (the signing specification, "How it travels").

Each `x-cyberhub-signature` object covers a disjoint set of the envelope's objects; a group is
accepted or refused as a whole, so a stored signature always covers exactly what is stored
beside it and readers can verify it again. Every failure message starts with the rejection code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from cyberhub.core import signing
from cyberhub.core.stix import RawObject
from cyberhub.hub.services.statuses import declared_version, detail


@dataclass(frozen=True)
class Group:
    """A signature object, the objects it covers, and what its verification established."""

    signature: RawObject
    members: list[RawObject]
    verified: signing.Verified

    @property
    def objects(self) -> list[RawObject]:
        return self.members + [self.signature]


@dataclass
class EnvelopeCheck:
    """What verification decided: the verified groups, and the failures."""

    groups: list[Group] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)


def failure(obj: Any, code: str, message: str) -> dict[str, str]:
    return detail(obj, declared_version(obj), f"{code}: {message}")


def _refs(signature: dict[str, Any]) -> list[str] | None:
    refs = signature.get("object_refs")
    if isinstance(refs, list) and refs and all(isinstance(r, str) for r in refs):
        return refs
    return None


def verify_envelope(
    raw_objects: list[RawObject],
    *,
    keys: Callable[[str], signing.RegisteredKey | None],
    audience: str,
    now: int,
    jti_seen: Callable[[str], bool],
    poster_identity: str | None,
) -> EnvelopeCheck:
    """Split an envelope into verified groups and failures.

    `now` is in seconds. `poster_identity` is the identity of the node whose account posts, if
    it is a node: a node may only deliver what it signed itself.
    """
    check = EnvelopeCheck()
    signatures = [r for r in raw_objects
                  if isinstance(r.value, dict) and r.value.get("type") == signing.SIGNATURE_TYPE]
    signature_slots = {id(s) for s in signatures}
    others = [r for r in raw_objects if id(r) not in signature_slots]
    by_id: dict[str, list[RawObject]] = {}
    for raw in others:
        if isinstance(raw.value, dict) and isinstance(raw.value.get("id"), str):
            by_id.setdefault(raw.value["id"], []).append(raw)

    claims = Counter(ref for s in signatures for ref in set(_refs(s.value) or []))
    covered: set[str] = set()
    accepted_jtis: set[str] = set()
    for signature in signatures:
        obj = signature.value
        refs = _refs(obj)
        group = [raw for ref in dict.fromkeys(refs or []) for raw in by_id.get(ref, [])]
        covered.update(refs or [])
        problem = _shape_problem(obj, refs, claims)
        if problem is None:
            try:
                verified = signing.verify(
                    obj["jws"], [raw.value for raw in group], keys=keys, audience=audience,
                    now=now, jti_seen=lambda jti: jti in accepted_jtis or jti_seen(jti),
                    signer_ref=obj.get("created_by_ref"),
                )
                problem = _after_verify(verified, refs or [], poster_identity)
            except signing.Rejected as exc:
                problem = (exc.code, exc.message)
        if problem is None:
            accepted_jtis.add(verified.jti)
            check.groups.append(Group(signature, group, verified))
        else:
            code, message = problem
            check.failures.extend(refuse_group(signature, group, code, message))
    for raw in others:
        object_id = raw.value.get("id") if isinstance(raw.value, dict) else None
        if not isinstance(object_id, str) or object_id not in covered:
            check.failures.append(failure(
                raw.value, "object-not-covered",
                "no signature object in this envelope covers it; this collection takes only "
                "signed objects",
            ))
    return check


def refuse_group(signature: RawObject, members: list[RawObject], code: str, message: str
                 ) -> list[dict[str, str]]:
    """Failures for a whole signed group: the signature object and everything it covers."""
    return [failure(signature.value, code, message)] + [
        failure(raw.value, code, f"refused with its signature: {message}") for raw in members
    ]


def _shape_problem(obj: dict[str, Any], refs: list[str] | None, claims: Counter
                   ) -> tuple[str, str] | None:
    if not isinstance(obj.get("jws"), str):
        return "signature-malformed", "the signature object has no 'jws'"
    if refs is None:
        return "signature-malformed", "the signature object needs a non-empty 'object_refs'"
    twice = sorted(ref for ref in refs if claims[ref] > 1)
    if twice:
        return "signature-malformed", f"{twice[0]} is claimed by two signature objects"
    return None


def _after_verify(verified: signing.Verified, refs: list[str], poster_identity: str | None
                  ) -> tuple[str, str] | None:
    if set(refs) != set(verified.object_ids):
        return "object-missing", "object_refs and the signed manifest list different objects"
    if poster_identity is not None and verified.issuer != poster_identity:
        return "identity-mismatch", "a node may only deliver reports it signed itself"
    return None

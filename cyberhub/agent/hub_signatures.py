"""Checking advisory content against the hub's keys.

A group of objects counts only if a signature object (x-cyberhub-signature) by the hub's key
covers each of them byte for byte (by JCS hash), and the key belongs to the hub's identity as
enrolment stored it - or to an upstream hub whose key this hub's JWKS lists for it
(`cyberhub_hub`: a federal advisory this Land hub passes on with the federal signature).
An unknown key makes the agent fetch the hub's JWKS once, in case the hub
rotated its key since.

Why something was refused is a `Refusal`: as text the specification's code and its English
detail ("hash-mismatch: ... changed after it was signed"), which the store keeps and the hub's
receipt shows; said to the administrator (the service's log) in their language.
"""

from __future__ import annotations

from typing import Any

from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.texts import say
from cyberhub.core import messages, signing

Pair = tuple[str, str]  # (object id, version)


class Refusal(str):
    """Why content was refused: the stable "code: detail" for the store and the hub's receipt,
    and `text(language)` for a person (`say` uses it when a Refusal is one of its values)."""

    code: str
    problem: Any

    def __new__(cls, code: str, detail: str, problem: Any = None) -> "Refusal":
        refusal = super().__new__(cls, f"{code}: {detail}")
        refusal.code = code
        refusal.problem = problem  # a HubError, said in the reader's language too
        return refusal

    @classmethod
    def of(cls, rejected: signing.Rejected) -> "Refusal":
        return cls(rejected.code, rejected.message)

    def text(self, language: str | None = None) -> str:
        if self.problem is not None:
            why = say("agent.signatures.keys_unavailable", language, error=self.problem)
        elif f"agent.signatures.{self.code}" in messages.catalog():
            why = say(f"agent.signatures.{self.code}", language)
        else:  # a code from a newer specification: its own words are all there is
            return str(self)
        return say("agent.signatures.refused", language, why=why, code=self.code)


def verify(agent: Agent, signature: dict[str, Any], members: list[dict[str, Any]]
           ) -> signing.Verified:
    """What the signature object vouches for, or signing.Rejected (HubError if the hub's keys
    had to be fetched and could not be)."""
    def lookup(kid: str) -> signing.RegisteredKey | None:
        return agent.hub_keys().get(kid)

    try:
        return signing.verify_published(signature.get("jws"), members, keys=lookup,
                                        signer_ref=signature.get("created_by_ref"))
    except signing.Rejected as exc:
        if exc.code != "key-unknown":
            raise
    # The hub may have rotated its key since enrolment: fetch its JWKS once and try again.
    agent.store.set("hub_jwks", agent.client().jwks())
    return signing.verify_published(signature.get("jws"), members, keys=lookup,
                                    signer_ref=signature.get("created_by_ref"))


def verified_groups(agent: Agent, objects: list[dict[str, Any]], new: set[Pair]
                    ) -> tuple[list[list[dict[str, Any]]], list[tuple[str, Refusal]], set[Pair]]:
    """Verified groups, refusals (what, why), and the (id, version) pairs they cover.

    Only the signature objects among `new` are checked; each one's group is the objects it
    covers."""
    index = {(o.get("id"), signing.object_version(o)): o for o in objects}
    groups, refusals, covered = [], [], set()
    for signature in objects:
        if signature.get("type") != signing.SIGNATURE_TYPE:
            continue
        if (signature.get("id"), signing.object_version(signature)) not in new:
            continue
        try:
            entries = signing.covered_versions(signature.get("jws"))
            members = [index[entry] for entry in entries if entry in index]
            verified = verify(agent, signature, members)
            if verified.issuer not in agent.trusted_hubs():
                raise signing.Rejected("identity-mismatch", "signed by someone other than the "
                                       "hub")
        except signing.Rejected as exc:
            refusals.append((signature.get("id", "?"), Refusal.of(exc)))
            continue
        except HubError as exc:
            # For the hub in English, like the specification's own details.
            refusals.append((signature.get("id", "?"),
                             Refusal("key-unknown", exc.text("en"), exc)))
            continue
        groups.append(members)
        covered.update(entries)
    return groups, refusals, covered


def claimed(obj: dict[str, Any]) -> list[Pair]:
    """What a signature object says it covers; nothing if it is not one or does not parse."""
    if obj.get("type") != signing.SIGNATURE_TYPE:
        return []
    try:
        return signing.covered_versions(obj.get("jws"))
    except signing.Rejected:
        return []

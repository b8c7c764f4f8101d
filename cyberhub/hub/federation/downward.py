"""Advisories of the upstream hub, down to this hub's towns; their receipts, back up (the
signing specification, "Relaying between hubs", Downward).

On the upstream: an advisory that reaches a town known through a downstream hub reaches that
hub as well (`cyberhub.hub.advisories.audience`), which reads it over TAXII like a town and
asks `/nodes/addressed` which of its towns (their identities or its pseudonyms) it was meant
for. A downstream hub's receipt for one of its towns counts for that town.

On the downstream: each advisory version is verified against the upstream's pinned keys, then
stored as it came - the upstream's own signature kept, its audience the upstream itself - in
this hub's `advisories` collection, and addressed here: AMBER to the towns the upstream named
and to the towns whose own reports carry one of its indicators, CLEAR and GREEN to every town.
From there it travels as this hub's own advisories do (push notices, polling, TAXII reads under
the same rule). The towns' agents verify the upstream's signature with the key this hub's JWKS
lists for the upstream (`cyberhub_hub`), and acknowledge here; the receipts go up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cyberhub.core import signing, stix, timestamps, tlp
from cyberhub.hub import audit, collections
from cyberhub.hub.advisories import audience, delivery
from cyberhub.hub.advisories.document import (
    Document,
    DocumentError,
    Indicator,
    dump,
    parse,
)
from cyberhub.hub.correlation import index_keys
from cyberhub.hub.correlation.values import KINDS
from cyberhub.hub.federation import relaying
from cyberhub.hub.storage import objects
from cyberhub.hub.storage.models import (
    Account,
    Advisory,
    AdvisoryObject,
    AdvisoryReceipt,
    AdvisoryRecipient,
    Node,
    Peer,
)
from cyberhub.hub.storage.visibility import EVERY_TOWN, LISTED_TOWNS

COLLECTION = "advisories"
_ENGLISH = "\n\n--- English ---\n"


# --- on the upstream ------------------------------------------------------------------------

def addressed(session: Session, hub_node: Node) -> dict[str, Any]:
    """For a downstream hub: per published advisory it may read, the identities of its towns
    (as this hub knows them) the advisory is meant for."""
    towns = dict(session.execute(select(Node.id, Node.identity_id).where(
        Node.relayed_by == hub_node.id)).all())
    found = []
    for advisory in session.scalars(select(Advisory).where(
            Advisory.published_version.is_not(None)).order_by(Advisory.id)):
        if advisory.published_tlp in EVERY_TOWN:
            meant = sorted(towns.values())
        elif advisory.published_tlp in LISTED_TOWNS:
            listed = set(session.scalars(select(AdvisoryRecipient.node_id).where(
                AdvisoryRecipient.advisory_id == advisory.id)))
            if hub_node.id not in listed:
                continue
            meant = sorted(identity for node_id, identity in towns.items()
                           if node_id in listed)
        else:
            continue
        found.append({"id": advisory.id, "version": advisory.published_version,
                      "tlp": advisory.published_tlp, "towns": meant})
    return {"advisories": found}


# --- on the downstream ----------------------------------------------------------------------

@dataclass
class Taken:
    """What one reading of the upstream's advisories did here."""

    advisories: list[tuple[str, str, int]] = field(default_factory=list)  # id, version, towns
    refused: list[tuple[str, str]] = field(default_factory=list)  # (id, why)


def peer_account(session: Session, peer: Peer, now: int) -> Account:
    """The account the upstream's advisories are recorded under here (their author): it
    signs nothing in and holds no rights."""
    username = f"peer-{peer.name}"
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        account = Account(username=username, password_hash="!peer", disabled=True,
                          created=now)
        session.add(account)
        session.flush()
    return account


def take(session: Session, peer: Peer, found: list[dict[str, Any]],
         meant: dict[str, list[str]], *, secret: str, now: int) -> Taken:
    """Verify, store and address the upstream's advisory versions in `found`; `meant` is the
    upstream's answer of whom each advisory is for (town identities or pseudonyms)."""
    taken = Taken()
    keys = {key["kid"]: signing.RegisteredKey(key["kid"], key, peer.identity_id)
            for key in json.loads(peer.jwks)["keys"]}
    by_version = {(obj.get("id"), signing.object_version(obj)): obj for obj in found
                  if isinstance(obj, dict)}
    target = collections.find(session, COLLECTION)
    if target is None:
        raise ValueError("this hub has no advisories collection")
    for carrier in found:
        if not isinstance(carrier, dict) or carrier.get("type") != signing.SIGNATURE_TYPE \
                or carrier.get("created_by_ref") != peer.identity_id:
            continue
        try:
            entries = signing.covered_versions(carrier.get("jws"))
            members = [by_version[entry] for entry in entries if entry in by_version]
            verified = signing.verify_published(carrier["jws"], members, keys=keys.get,
                                                signer_ref=carrier.get("created_by_ref"))
        except signing.Rejected as exc:
            taken.refused.append((str(carrier.get("id")), str(exc)))
            continue
        report = next((m for m in members if m.get("type") == "report"), None)
        if report is None or verified.issuer != peer.identity_id:
            continue  # not an advisory (the signature extension-definition, say)
        if verified.audience != peer.identity_id:
            taken.refused.append((report["id"], "audience-mismatch: the upstream publishes "
                                  "with itself as the audience"))
            continue
        if not timestamps.is_stix_timestamp(report.get("modified")):
            taken.refused.append((report["id"], "the advisory has no version"))
            continue
        level = tlp.audience_level(tlp.marking_refs(report), set())
        if level not in (*EVERY_TOWN, *LISTED_TOWNS):
            taken.refused.append((report["id"], f"TLP:{str(level).upper()} is not passed on"))
            continue
        try:
            document = document_of(report, members)
        except DocumentError as exc:
            taken.refused.append((report["id"], f"not an advisory this hub can show: {exc}"))
            continue
        advisory = _advisory(session, peer, report, document, level, now)
        if advisory is None:
            continue  # this version or a later one is here already
        _store(session, target.id, [*members, carrier], advisory, now)
        chosen = _recipients(session, document, meant.get(report["id"], []), secret)
        _address(session, peer, advisory, chosen, now)
        taken.advisories.append((report["id"], report["modified"], len(chosen)))
    return taken


def document_of(report: dict[str, Any], members: list[dict[str, Any]]) -> Document:
    """The upstream's advisory as a document this hub's console and CLI show."""
    english = next((m for m in members if m.get("type") == "language-content"
                    and m.get("object_ref") == report["id"]), {})
    en = (english.get("contents") or {}).get("en") or {}
    german, _, rest = str(report.get("description") or "").partition(_ENGLISH)
    severity = next((label.split(":", 1)[1] for label in report.get("labels", [])
                     if isinstance(label, str) and label.startswith("severity:")), "medium")
    indicators = []
    for member in members:
        if member.get("type") != "indicator" or not isinstance(member.get("pattern"), str):
            continue
        keys = index_keys.pattern_keys(member["pattern"])[:1]
        if keys and keys[0][0] in KINDS:
            indicators.append(Indicator(kind=keys[0][0], value=keys[0][1],
                                        note=str(member.get("name") or "")[:300]).model_dump())
    references = [{"source": ref.get("source_name", "")[:100],
                   "external_id": ref.get("external_id", "")[:100], "url": ref.get("url", "")}
                  for ref in report.get("external_references", []) if isinstance(ref, dict)]
    level = tlp.audience_level(tlp.marking_refs(report), set())
    return parse({
        "title": {"de": report.get("name") or "-", "en": en.get("name") or report.get("name")
                  or "-"},
        "summary": {"de": german.strip() or "-",
                    "en": en.get("description") or rest.strip() or german.strip() or "-"},
        "severity": severity, "tlp": level, "indicators": indicators,
        "references": references})


def _store(session: Session, collection_id: str, members: list[dict[str, Any]],
           advisory: Advisory, now: int) -> None:
    candidates = [objects.Candidate.of(stix.RawObject(obj, json.dumps(obj)))
                  for obj in members]
    objects.write(session, collection_id, candidates, now=now)
    known = set(session.scalars(select(AdvisoryObject.object_id).where(
        AdvisoryObject.advisory_id == advisory.id)))
    for object_id in {obj["id"] for obj in members} - known:
        session.add(AdvisoryObject(advisory_id=advisory.id, object_id=object_id))
    session.flush()


def _recipients(session: Session, document: Document, meant: list[str], secret: str
                ) -> dict[int, str]:
    """This hub's towns an advisory reaches: every town for CLEAR and GREEN; for AMBER the
    ones the upstream named (by identity or by this hub's pseudonym) and the ones whose
    own reports carry one of its indicators."""
    towns = dict(session.execute(select(Node.identity_id, Node.id).where(
        Node.disabled.is_(False), Node.hub.is_(False), Node.relayed_by.is_(None))).all())
    if document.tlp in EVERY_TOWN:
        return {node_id: "all" for node_id in towns.values()}
    by_pseudonym = {relaying.pseudonym_id(secret, identity): node_id
                    for identity, node_id in towns.items()}
    chosen: dict[int, str] = {}
    for node_id in audience.sighting_towns(session, document):
        if node_id in towns.values():
            chosen[node_id] = "sighting"
    for identity in meant:
        node_id = towns.get(identity) or by_pseudonym.get(identity)
        if node_id is not None:
            chosen[node_id] = "campaign"
    return chosen


def _advisory(session: Session, peer: Peer, report: dict[str, Any], document: Document,
              level: str, now: int) -> Advisory | None:
    """The advisory's row here, at this version; None when it has this version or a later
    one already."""
    version = report["modified"]
    advisory = session.get(Advisory, report["id"])
    if advisory is not None and advisory.published_version is not None \
            and timestamps.to_us(advisory.published_version) >= timestamps.to_us(version):
        return None
    content = dump(document)
    if advisory is None:
        author = peer_account(session, peer, now)
        advisory = Advisory(id=report["id"], revision=1, author_id=author.id, created=now,
                            campaign_id=None)
        session.add(advisory)
    advisory.state = "withdrawn" if report.get("revoked") else "published"
    advisory.title, advisory.tlp, advisory.severity = document.title.de[:250], level, \
        document.severity
    advisory.content = advisory.published_content = content
    advisory.published_version, advisory.published_tlp = version, level
    advisory.published_at = advisory.updated = now
    session.flush()
    return advisory


def _address(session: Session, peer: Peer, advisory: Advisory, chosen: dict[int, str],
             now: int) -> None:
    version = advisory.published_version or ""
    level = advisory.published_tlp
    existing = set(session.scalars(select(AdvisoryRecipient.node_id).where(
        AdvisoryRecipient.advisory_id == advisory.id)))
    for node_id, reason in chosen.items():
        if node_id not in existing:
            session.add(AdvisoryRecipient(advisory_id=advisory.id, node_id=node_id,
                                          reason=reason, push_state="none", push_attempts=0))
    session.flush()
    queued = delivery.schedule(session, advisory.id, version, now=now)
    audit.record(session, actor=f"peer:{peer.name}", action="advisory.relayed",
                 subject=advisory.id, now=now, version=version, tlp=level, towns=len(chosen),
                 pushes=queued, upstream=peer.identity_id)


def receipts_for_upstream(session: Session, peer: Peer, meant: dict[str, list[str]], *,
                          secret: str) -> list[tuple[AdvisoryReceipt, dict[str, Any]]]:
    """The receipts this hub's towns gave for the upstream's advisories and that were not
    sent up as they are now, oldest first, each with the body for the upstream's
    /nodes/receipts (`mark_sent` records it sent)."""
    author = session.scalar(select(Account.id).where(Account.username == f"peer-{peer.name}"))
    if author is None:
        return []
    rows = session.execute(
        select(AdvisoryReceipt, Node.identity_id)
        .join(Node, Node.id == AdvisoryReceipt.node_id)
        .join(Advisory, Advisory.id == AdvisoryReceipt.object_id)
        .where(Advisory.author_id == author,
               or_(AdvisoryReceipt.sent_up.is_(None),
                   AdvisoryReceipt.sent_up != AdvisoryReceipt.at),
               Node.relayed_by.is_(None), Node.hub.is_(False))
        .order_by(AdvisoryReceipt.at)).all()
    found = []
    for receipt, identity in rows:
        known = set(meant.get(receipt.object_id, []))
        pseudonym = relaying.pseudonym_id(secret, identity)
        town = identity if identity in known else pseudonym if pseudonym in known else None
        if town is None:
            continue  # a town the upstream does not know: it waits for no receipt from it
        body = {"id": receipt.object_id, "version": receipt.version, "state": receipt.state,
                "town": town}
        if receipt.detail:
            body["detail"] = receipt.detail[:1000]
        found.append((receipt, body))
    return found


def mark_sent(session: Session, receipt: AdvisoryReceipt) -> None:
    """Record this receipt sent up as it was read (not if it changed since: then again)."""
    session.execute(update(AdvisoryReceipt).where(
        AdvisoryReceipt.node_id == receipt.node_id,
        AdvisoryReceipt.object_id == receipt.object_id,
        AdvisoryReceipt.version == receipt.version,
        AdvisoryReceipt.at == receipt.at).values(sent_up=receipt.at))



"""An advisory's life: draft → approved (by a second person) → published → revised or
withdrawn, each published state a new hub-signed STIX version. Service functions: they take
the session, the acting account and the time, and return plain values; the CLI uses them now,
the console later. Every step is written to the audit log in the same transaction.

Roles (accounts.ROLES): analysts draft, revise and approve; coordinators also publish and
withdraw; admins may do everything. Nobody approves a revision they wrote (four eyes).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps, tlp
from cyberhub.hub import accounts, audit, collections, playbooks, receipts
from cyberhub.hub.advisories import audience, content, delivery
from cyberhub.hub.advisories.document import Document, dump, parse
from cyberhub.hub.services import publishing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import Account, Advisory, AdvisoryObject, AdvisoryRecipient, Node

COLLECTION = "advisories"
_RANK = {role: rank for rank, role in enumerate(accounts.ROLES, start=1)}
MAY = {"draft": "analyst", "revise": "analyst", "approve": "analyst",
       "publish": "coordinator", "withdraw": "coordinator"}


class AdvisoryError(ValueError):
    """A step that cannot be taken; `code` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _role(account: Account) -> str | None:
    return "admin" if account.is_admin else account.role


def _require(account: Account, step: str) -> None:
    needed = MAY[step]
    held = _role(account)
    if held is None or _RANK[held] < _RANK[needed]:
        raise AdvisoryError("forbidden", f"{account.username} may not {step} advisories: "
                            f"that needs the {needed} role (has: {held or 'none'})")


def get(session: Session, advisory_id: str) -> Advisory:
    """The advisory by id, or by a prefix of it only one advisory has (as people type it)."""
    advisory = session.get(Advisory, advisory_id)
    if advisory is None:
        prefix = advisory_id if advisory_id.startswith("report--") else f"report--{advisory_id}"
        matches = session.scalars(select(Advisory).where(Advisory.id.like(f"{prefix}%"))).all() \
            if len(advisory_id) >= 4 and "%" not in advisory_id and "_" not in advisory_id \
            else []
        if len(matches) != 1:
            raise AdvisoryError("not-found", f"no advisory {advisory_id!r}; see `cyberhub "
                                "advisories list`")
        advisory = matches[0]
    return advisory


@dataclass(frozen=True)
class _References:
    """What a document refers to, looked up once: the campaign's STIX object and the
    playbook, for checking a draft and for building the version that is published."""

    campaign: dict[str, Any] | None
    playbook: dict[str, Any] | None


def _resolve(session: Session, document: Document, *, strict: bool = True) -> _References:
    """The document's references; with `strict`, an unknown town, campaign or playbook is an
    AdvisoryError. A withdrawal resolves leniently: it must go out even if a playbook file
    was removed since."""
    unknown = audience.unknown_towns(session, document)
    if strict and unknown:
        raise AdvisoryError("unknown-town", f"towns: no member town {', '.join(unknown)}")
    campaign = _campaign_object(session, document.campaign) if document.campaign else None
    if strict and document.campaign and campaign is None:
        raise AdvisoryError("unknown-campaign", f"campaign: no campaign {document.campaign}")
    playbook = _playbook(document.playbook) if document.playbook else None
    if strict and document.playbook and playbook is None:
        raise AdvisoryError("unknown-playbook", f"playbook: no playbook {document.playbook} in "
                            "playbooks/")
    return _References(campaign, playbook)


def draft(session: Session, author: Account, document: Document, *, now: int) -> dict[str, Any]:
    """A new advisory in state draft, written by `author`."""
    _require(author, "draft")
    _resolve(session, document)
    advisory = Advisory(
        id=f"report--{uuid.uuid4()}", state="draft", revision=1, title=document.title.de,
        tlp=document.tlp, severity=document.severity, campaign_id=document.campaign,
        content=dump(document), author_id=author.id, approver_id=None, created=now,
        updated=now)
    session.add(advisory)
    session.flush()
    audit.record(session, actor=author.username, action="advisory.draft", subject=advisory.id,
                 now=now, revision=1, tlp=document.tlp, severity=document.severity,
                 campaign=document.campaign, document=json.loads(advisory.content))
    return summary(session, advisory)


def revise(session: Session, author: Account, advisory_id: str, document: Document, *,
           now: int) -> dict[str, Any]:
    """Replace the draft's content. A published advisory stays as published until the
    revision is approved and published as its next version."""
    _require(author, "revise")
    advisory = get(session, advisory_id)
    if advisory.state == "withdrawn":
        raise AdvisoryError("withdrawn", "a withdrawn advisory cannot be revised; draft a new "
                            "one")
    _resolve(session, document)
    advisory.content, advisory.title = dump(document), document.title.de
    advisory.tlp, advisory.severity = document.tlp, document.severity
    advisory.campaign_id = document.campaign
    advisory.revision += 1
    advisory.state, advisory.author_id, advisory.approver_id = "draft", author.id, None
    advisory.updated = now
    audit.record(session, actor=author.username, action="advisory.revise", subject=advisory.id,
                 now=now, revision=advisory.revision, tlp=document.tlp,
                 severity=document.severity, document=json.loads(advisory.content))
    return summary(session, advisory)


def approve(session: Session, approver: Account, advisory_id: str, *, now: int
            ) -> dict[str, Any]:
    """Approve the current revision. An author approving their own revision is refused with
    code `four-eyes`; the refusal is added to the audit log in the session first, so a caller
    that commits before reporting it (as the CLI does) keeps the attempt on record."""
    _require(approver, "approve")
    advisory = get(session, advisory_id)
    if advisory.state != "draft":
        raise AdvisoryError("not-a-draft", f"{advisory.id} is {advisory.state}; only a draft "
                            "is approved")
    if advisory.author_id == approver.id:
        audit.record(session, actor=approver.username, action="advisory.approve-refused",
                     subject=advisory.id, now=now, revision=advisory.revision,
                     reason="author")
        raise AdvisoryError("four-eyes", f"{approver.username} wrote revision "
                            f"{advisory.revision} of this advisory; a second analyst must "
                            "approve it")
    advisory.state, advisory.approver_id, advisory.updated = "approved", approver.id, now
    audit.record(session, actor=approver.username, action="advisory.approve",
                 subject=advisory.id, now=now, revision=advisory.revision)
    return summary(session, advisory)


def publish(session: Session, publisher: Account, advisory_id: str, *, signer: Signer,
            now: int) -> dict[str, Any]:
    """Sign and store the approved revision as the advisory's next STIX version, address it,
    and queue push notifications. Returns the summary with the audience."""
    _require(publisher, "publish")
    advisory = get(session, advisory_id)
    if advisory.state != "approved":
        raise AdvisoryError("not-approved", f"{advisory.id} is {advisory.state}; it must be "
                            "approved by a second analyst before it is published")
    document = parse(json.loads(advisory.content))
    references = _resolve(session, document)
    version = timestamps.later_than(advisory.published_version, now)
    _store(session, advisory, _objects(advisory, document, references, signer, version),
           signer, now)
    chosen = audience.recipients(session, document)
    _address(session, advisory, chosen, tightened=_stricter(document.tlp,
                                                             advisory.published_tlp))
    advisory.state, advisory.published_version = "published", version
    advisory.published_tlp, advisory.published_at, advisory.updated = document.tlp, now, now
    advisory.published_content = advisory.content
    queued = delivery.schedule(session, advisory.id, version, now=now)
    audit.record(session, actor=publisher.username, action="advisory.publish",
                 subject=advisory.id, now=now, revision=advisory.revision, version=version,
                 tlp=document.tlp, towns=len(chosen), pushes=queued,
                 document=json.loads(advisory.content))
    return summary(session, advisory)


def withdraw(session: Session, actor: Account, advisory_id: str, reason: str, *,
             signer: Signer, now: int) -> dict[str, Any]:
    """Publish a revoked version of the published advisory: agents take its indicators out
    of their blocklists. The towns it reached keep seeing it, so they learn of the withdrawal."""
    _require(actor, "withdraw")
    advisory = get(session, advisory_id)
    if advisory.published_version is None or advisory.state == "withdrawn":
        raise AdvisoryError("not-published", f"{advisory.id} is {advisory.state}; only a "
                            "published advisory is withdrawn")
    reason = " ".join(reason.split())
    if not 3 <= len(reason) <= 500:
        raise AdvisoryError("reason", "give the reason for the withdrawal (3-500 characters)")
    # What the towns have, even when a revision of it is pending.
    document = parse(json.loads(advisory.published_content))
    references = _resolve(session, document, strict=False)
    version = timestamps.later_than(advisory.published_version, now)
    _store(session, advisory,
           _objects(advisory, document, references, signer, version, revoked=True),
           signer, now)
    advisory.state, advisory.published_version, advisory.updated = "withdrawn", version, now
    queued = delivery.schedule(session, advisory.id, version, now=now)
    audit.record(session, actor=actor.username, action="advisory.withdraw",
                 subject=advisory.id, now=now, version=version, reason=reason, pushes=queued)
    return summary(session, advisory)


def _stricter(new: str, old: str | None) -> bool:
    return old is not None and tlp.LEVELS.index(new) > tlp.LEVELS.index(old)


def _objects(advisory: Advisory, document: Document, references: _References, signer: Signer,
             version: str, revoked: bool = False) -> list[dict[str, Any]]:
    playbook = references.playbook
    return content.build(
        advisory.id, document, created=timestamps.stix_time(advisory.created), modified=version,
        hub_identity=signer.identity, campaign=references.campaign, playbook=playbook,
        playbook_steps=playbooks.steps(playbook) if playbook else [], revoked=revoked)


def _store(session: Session, advisory: Advisory, objects: list[dict[str, Any]],
           signer: Signer, now: int) -> None:
    target = collections.find(session, COLLECTION)
    if target is None:
        raise AdvisoryError("no-collection", "the hub has no advisories collection; run "
                            "`cyberhub init`")
    stored = publishing.publish(session, target.id, objects, signer=signer, now_us=now)
    known = set(session.scalars(select(AdvisoryObject.object_id).where(
        AdvisoryObject.advisory_id == advisory.id)))
    for object_id in {item["id"] for item in stored} - known:
        session.add(AdvisoryObject(advisory_id=advisory.id, object_id=object_id))
    session.flush()


def _address(session: Session, advisory: Advisory, chosen: dict[int, str], *,
             tightened: bool) -> None:
    """A town that had an advisory keeps seeing its later versions, so it learns of a
    correction or a withdrawal, unless the new version has a stricter TLP: then only the new
    audience may read it (the others keep what they applied; see `status`)."""
    existing = {row.node_id: row for row in session.scalars(select(AdvisoryRecipient).where(
        AdvisoryRecipient.advisory_id == advisory.id))}
    if tightened:
        for node_id, row in list(existing.items()):
            if node_id not in chosen:
                session.delete(row)
                del existing[node_id]
    for node_id, reason in chosen.items():
        if node_id not in existing:
            session.add(AdvisoryRecipient(advisory_id=advisory.id, node_id=node_id,
                                          reason=reason, push_state="none", push_attempts=0))
    session.flush()


def _campaign_object(session: Session, campaign_id: str) -> dict[str, Any] | None:
    target = collections.find(session, "campaigns")
    if target is None:
        return None
    page = store.page(session, target.id, store.Filters(ids=(campaign_id,)), after=None,
                      limit=1)
    return json.loads(page.rows[0].body) if page.rows else None


def _playbook(playbook_id: str) -> dict[str, Any] | None:
    return next((p for p in playbooks.load() if p.get("id") == playbook_id), None)


# --- reading ----------------------------------------------------------------------------

def _names(session: Session, *account_ids: int | None) -> dict[int, str]:
    wanted = [i for i in account_ids if i is not None]
    return dict(session.execute(select(Account.id, Account.username).where(
        Account.id.in_(wanted))).all()) if wanted else {}


def summary(session: Session, advisory: Advisory) -> dict[str, Any]:
    names = _names(session, advisory.author_id, advisory.approver_id)
    return {
        "id": advisory.id, "state": advisory.state, "revision": advisory.revision,
        "title": advisory.title, "tlp": advisory.tlp, "severity": advisory.severity,
        "campaign": advisory.campaign_id, "author": names.get(advisory.author_id),
        "approver": names.get(advisory.approver_id) if advisory.approver_id else None,
        "published_version": advisory.published_version,
        "published_tlp": advisory.published_tlp,
        "updated": timestamps.format_us(advisory.updated)}


def list_advisories(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(Advisory).order_by(Advisory.updated.desc(), Advisory.id))
    return [summary(session, advisory) for advisory in rows]


def show(session: Session, advisory_id: str) -> dict[str, Any]:
    advisory = get(session, advisory_id)
    return {**summary(session, advisory), "document": json.loads(advisory.content),
            "history": audit.entries(session, advisory.id)}


def revisions(session: Session, advisory_id: str) -> list[dict[str, Any]]:
    """Every revision's document as its author wrote it, oldest first (from the audit log,
    which records each draft and revision with its document)."""
    advisory = get(session, advisory_id)
    found = []
    for entry in audit.entries(session, advisory.id):
        if entry["action"] in ("advisory.draft", "advisory.revise") and \
                "document" in entry["detail"]:
            found.append({"revision": entry["detail"].get("revision"), "author": entry["actor"],
                          "at": entry["at"], "document": entry["detail"]["document"]})
    return found


def status(session: Session, advisory_id: str) -> dict[str, Any]:
    """Per addressed town: why it is addressed, the push, and what its agent acknowledged."""
    advisory = get(session, advisory_id)
    acknowledged: dict[str, dict[str, Any]] = {}
    for receipt in receipts.list_receipts(session, advisory.id):
        if receipt["version"] == advisory.published_version or receipt["node"] not in \
                acknowledged:
            acknowledged[receipt["node"]] = receipt
    rows = session.execute(
        select(Node.slug, Node.name, Node.land, Node.callback_url, AdvisoryRecipient)
        .join(AdvisoryRecipient, AdvisoryRecipient.node_id == Node.id)
        .where(AdvisoryRecipient.advisory_id == advisory.id).order_by(Node.slug)).all()
    towns = []
    for slug, name, land, callback, recipient in rows:
        receipt = acknowledged.get(slug)
        current = receipt is not None and receipt["version"] == advisory.published_version
        towns.append({
            "node": slug, "name": name, "land": land, "reason": recipient.reason,
            "push": "poll only" if recipient.push_state == "none" and not callback
            else recipient.push_state,
            "pushed_at": timestamps.format_us(recipient.pushed_at)
            if recipient.pushed_at else None,
            "push_error": recipient.last_error,
            "acknowledged": receipt["state"] if current else None,
            "acknowledged_at": receipt["at"] if current else None,
            "detail": receipt["detail"] if current else None,
            "earlier": None if current or receipt is None else receipt["state"]})
    return {**summary(session, advisory), "towns": towns,
            "acknowledged": sum(1 for t in towns if t["acknowledged"]),
            "addressed": len(towns)}


def account(session: Session, username: str, password: str) -> Account:
    """The acting person, by password: the audit log names who really did each step."""
    return accounts.check_password(session, username, password)


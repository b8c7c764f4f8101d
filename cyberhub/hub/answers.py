"""Answers to a town about its report: an analyst writes a text, the hub publishes it as a
STIX 2.1 `note` on the town's incident, signed with the hub's key like every object the hub
writes, into the addressed `answers` collection. The town that reported the incident reads
it there (its agent verifies the signature and shows it); analysts read every answer; other
towns read none. Who may read an answer is its row here (`TownAnswer.node_id`), checked at
query time on every TAXII read (`storage/visibility.py`), never a copy per town.

The marking is TLP:AMBER+STRICT: in TLP 2.0 that means "the recipient's own organisation
only", which is what an answer to one town is. The marking does not decide who reads it (the
recipient row does); it tells the town's staff, and any tool the town feeds the note into, not
to pass it on.

Service functions, shared by the console and `cyberhub reports answer`: they take the session,
the acting account and the time, and write the audit entry in the same transaction.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps, tlp
from cyberhub.hub import audit, collections
from cyberhub.hub.inbox import InboxError
from cyberhub.hub.services import publishing
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.storage.models import Account, AnswerObject, Node, TownAnswer, TownReport

COLLECTION = "answers"
MAX_TEXT = 5000
ABSTRACT = 80  # characters of the first line that name the answer in lists
MARKING = "amber+strict"
# Why an answer's text or author is refused (the console has a text for each).
REASONS = ("empty", "too-long", "characters", "forbidden", "unavailable")


class AnswerError(InboxError):
    """An answer that cannot be sent. `field` names the form field ("answer", or "incident"
    for a report the hub does not hold); `reason` is stable: empty, too-long, characters,
    forbidden, unknown, unavailable."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(field, message)
        self.reason = reason


def check_text(text: str | None) -> str:
    """The answer as it will be sent: line ends made plain, surrounding space removed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise AnswerError("answer", "empty", "the answer is empty")
    if len(text) > MAX_TEXT:
        raise AnswerError("answer", "too-long",
                          f"the answer has {len(text)} characters; at most {MAX_TEXT}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AnswerError("answer", "characters", "the answer is not valid text") from None
    if any(c not in "\n\t" and unicodedata.category(c) == "Cc" for c in text):
        # NUL above all (PostgreSQL refuses it), and terminal control sequences: the agent
        # prints the text on the town's console.
        raise AnswerError("answer", "characters", "the answer contains a control character")
    return text


def _abstract(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if len(first) <= ABSTRACT else first[:ABSTRACT - 1].rstrip() + "…"


def note(incident_id: str, text: str, *, hub_identity: str, now: int) -> dict[str, Any]:
    """The STIX note that carries an answer."""
    stamp = timestamps.stix_time(now)
    return {
        "type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "created_by_ref": hub_identity,
        "abstract": _abstract(text), "content": text, "object_refs": [incident_id],
        "object_marking_refs": [tlp.IDS[MARKING]],
    }


def send(session: Session, actor: Account, incident_id: str, text: str | None, *,
         signer: Signer, now: int) -> dict[str, Any]:
    """Answer the town that reported the incident; returns the answer as `listing` shows it."""
    if actor.role is None and not actor.is_admin:
        raise AnswerError("answer", "forbidden",
                          f"{actor.username} has no role; only analysts answer towns")
    text = check_text(text)
    if not incident_id or len(incident_id) > 300 or "\x00" in incident_id:
        raise AnswerError("incident", "unknown", "not an incident id")
    found = session.execute(select(TownReport.node_id, Node.slug)
                            .join(Node, Node.id == TownReport.node_id)
                            .where(TownReport.incident_id == incident_id)).first()
    if found is None:
        raise AnswerError("incident", "unknown", f"no town report {incident_id!r}")
    node_id, slug = found
    target = collections.find(session, COLLECTION)
    if target is None:
        raise AnswerError("answer", "unavailable", "the hub has no answers collection yet; "
                          "run `cyberhub init` to add it")
    carried = note(incident_id, text, hub_identity=signer.identity, now=now)
    # The marking-definition travels with the note, so a stock TAXII client can resolve it.
    stored = publishing.publish(session, target.id, [carried, tlp.marking_definition(MARKING)],
                                signer=signer, now_us=now)
    session.add(TownAnswer(id=carried["id"], incident_id=incident_id, node_id=node_id,
                           author_id=actor.id, at=now, text=text))
    session.flush()
    for object_id in sorted({item["id"] for item in stored}):
        session.add(AnswerObject(answer_id=carried["id"], object_id=object_id))
    audit.record(session, actor=actor.username, action="report.answer",
                 subject=incident_id[:100], now=now, note=carried["id"], town=slug,
                 characters=len(text))
    return {"id": carried["id"], "incident": incident_id, "town": slug, "at": now,
            "author": actor.username, "text": text}


def listing(session: Session, incident_id: str) -> list[dict[str, Any]]:
    """The answers sent about one incident, oldest first."""
    rows = session.execute(
        select(TownAnswer.id, TownAnswer.at, TownAnswer.text, Account.username, Node.slug)
        .join(Account, Account.id == TownAnswer.author_id)
        .join(Node, Node.id == TownAnswer.node_id)
        .where(TownAnswer.incident_id == incident_id)
        .order_by(TownAnswer.at, TownAnswer.id)).all()
    return [{"id": answer_id, "incident": incident_id, "town": slug, "at": at,
             "author": author, "text": text}
            for answer_id, at, text, author, slug in rows]

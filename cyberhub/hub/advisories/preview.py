"""What one town would receive of an advisory, decided by the code that decides it for real.

For the revision on the desk: the audience rule that publication records recipients with
(`audience.recipients`). For the version already published: the objects the town's own TAXII
read returns, through the same page query and visibility condition (`storage.objects.page`
with the town's node id). A preview that used a copy of either rule could disagree with what
the town gets; this one cannot."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.hub import collections, playbooks
from cyberhub.hub.advisories import audience, lifecycle
from cyberhub.hub.advisories.document import parse
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import Advisory, AdvisoryObject, Node


class PreviewError(ValueError):
    pass


def for_town(session: Session, advisory_id: str, slug: str) -> dict[str, Any]:
    advisory = lifecycle.get(session, advisory_id)
    node = session.scalar(select(Node).where(Node.slug == slug))
    if node is None:
        raise PreviewError(f"no member town {slug!r}")
    document = parse(json.loads(advisory.content))
    chosen = audience.recipients(session, document)
    playbook = next((p for p in playbooks.load() if p.get("id") == document.playbook), None)
    return {
        "town": {"slug": node.slug, "name": node.name, "land": node.land,
                 "disabled": node.disabled},
        "revision": advisory.revision, "document": document.model_dump(),
        "reaches": node.id in chosen, "reason": chosen.get(node.id),
        "playbook": playbook.get("name") if playbook else None,
        "playbook_steps": playbooks.steps(playbook) if playbook else [],
        "published": _published(session, advisory, node.id),
    }


def _published(session: Session, advisory: Advisory, node_id: int
               ) -> list[dict[str, Any]] | None:
    """The published objects this town's read returns now (None: nothing published yet)."""
    target = collections.find(session, lifecycle.COLLECTION)
    if advisory.published_version is None or target is None:
        return None
    ids = tuple(session.scalars(select(AdvisoryObject.object_id).where(
        AdvisoryObject.advisory_id == advisory.id)))
    page = store.page(session, target.id, store.Filters(ids=ids, node_id=node_id),
                      after=None, limit=max(len(ids), 1))
    return [json.loads(row.body) for row in page.rows]

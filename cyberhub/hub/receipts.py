"""What nodes did with the advisories they read: applied, withdrawn, or refused (and why).

The agent acknowledges each advisory version after acting on it, so analysts can tell which
towns have it. A receipt for the same version again replaces the earlier one: an agent that
was killed before it saw the hub's answer simply says it again.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import timestamps
from cyberhub.hub.nodes import NodeError
from cyberhub.hub.storage.models import AdvisoryReceipt, Node

STATES = ("applied", "withdrawn", "refused")
_STIX_ID = re.compile(r"^[a-z0-9-]{1,60}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
                      r"-[0-9a-f]{12}$")


def record(session: Session, account_id: int, body: Any, *, now: int) -> dict[str, Any]:
    """Store one receipt from the node that owns `account_id`."""
    node = session.scalar(select(Node).where(Node.account_id == account_id))
    if node is None:
        raise NodeError("not-a-node", "only a node's own account can acknowledge advisories")
    if not isinstance(body, dict):
        raise NodeError("bad-receipt", "the receipt must be a JSON object")
    object_id, version = body.get("id"), body.get("version")
    state, detail = body.get("state"), body.get("detail")
    if not isinstance(object_id, str) or not _STIX_ID.match(object_id):
        raise NodeError("bad-receipt", "'id' must be the STIX id of the advisory")
    if not timestamps.is_stix_timestamp(version) or timestamps.too_precise(version):
        raise NodeError("bad-receipt", "'version' must be the advisory's modified timestamp")
    if state not in STATES:
        raise NodeError("bad-receipt", f"'state' must be one of {', '.join(STATES)}")
    if detail is not None and (not isinstance(detail, str) or len(detail) > 1000):
        raise NodeError("bad-receipt", "'detail' must be a text of at most 1000 characters")
    town = body.get("town")
    if town is not None:
        node = _relayed_town(session, node, town, now)
    receipt = session.get(AdvisoryReceipt, (node.id, object_id, version))
    if receipt is None:
        receipt = AdvisoryReceipt(node_id=node.id, object_id=object_id, version=version)
        session.add(receipt)
    receipt.state, receipt.detail, receipt.at = state, detail, now
    session.flush()
    return {"node": node.slug, "id": object_id, "version": version, "state": state,
            "at": timestamps.format_us(now)}


def _relayed_town(session: Session, hub: Node, town: Any, now: int) -> Node:
    """A downstream hub acknowledges for one of its towns, by the identity (or pseudonym)
    this hub knows it by through that hub, and for no other."""
    if not hub.hub:
        raise NodeError("not-a-hub", "only a downstream hub acknowledges for a town")
    if not isinstance(town, str) or not _STIX_ID.match(town) or not town.startswith(
            "identity--"):
        raise NodeError("bad-receipt", "'town' must be the STIX identity of a town")
    found = session.scalar(select(Node).where(Node.identity_id == town))
    if found is None or found.relayed_by != hub.id:
        raise NodeError("identity-mismatch", "this town is not known through this hub")
    return found


def list_receipts(session: Session, object_id: str | None = None) -> list[dict[str, Any]]:
    query = (select(Node.slug, AdvisoryReceipt.object_id, AdvisoryReceipt.version,
                    AdvisoryReceipt.state, AdvisoryReceipt.detail, AdvisoryReceipt.at)
             .join(Node, Node.id == AdvisoryReceipt.node_id)
             .order_by(AdvisoryReceipt.object_id, AdvisoryReceipt.version, Node.slug))
    if object_id is not None:
        query = query.where(AdvisoryReceipt.object_id == object_id)
    return [{"node": slug, "id": oid, "version": version, "state": state, "detail": detail,
             "at": timestamps.format_us(at)}
            for slug, oid, version, state, detail, at in session.execute(query)]

"""Which stored objects a town may read in an addressed collection, as one SQL condition.

The sharing rules (DESIGN.md) decided at query time: an object is visible to a node when it
belongs to a published advisory whose current TLP lets this node see it. CLEAR and GREEN reach
every member town; AMBER reaches the towns recorded as its recipients; AMBER+STRICT and RED no
town. The read path adds the condition to every page, `next` pages included, so a changed TLP
or a withdrawn recipient takes effect on the next read, with nothing to recompute.

It is a query over stored data, so it lives with storage; the advisories feature decides whom
to record as recipients (`cyberhub.hub.advisories.audience`) and uses the same TLP groups.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select

from cyberhub.hub.storage.models import Advisory, AdvisoryObject, AdvisoryRecipient

EVERY_TOWN = ("clear", "green")
LISTED_TOWNS = ("amber",)


def visible_to_node(object_id_column: Any) -> Any:
    """True for objects of a published advisory addressed to the node in `:node_id`."""
    listed = exists().where(AdvisoryRecipient.advisory_id == Advisory.id,
                            AdvisoryRecipient.node_id == bindparam("node_id"))
    return exists(
        select(AdvisoryObject.object_id)
        .join(Advisory, Advisory.id == AdvisoryObject.advisory_id)
        .where(AdvisoryObject.object_id == object_id_column,
               or_(Advisory.published_tlp.in_(EVERY_TOWN),
                   and_(Advisory.published_tlp.in_(LISTED_TOWNS), listed))))

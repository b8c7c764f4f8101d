"""Which stored objects a town may read in an addressed collection, as one SQL condition.

The sharing rules (DESIGN.md) decided at query time: an object is visible to a node when it
belongs to a published advisory whose current TLP lets this node see it, or to an analyst's
answer addressed to this node. For advisories, CLEAR and GREEN reach every member town; AMBER
reaches the towns recorded as its recipients; AMBER+STRICT and RED no town. An answer reaches
exactly the town that reported the incident it answers (its row in `town_answers`), whatever
its marking says. The read path adds the condition to every page, `next` pages included, so a
changed TLP or a withdrawn recipient takes effect on the next read, with nothing to recompute.

It is a query over stored data, so it lives with storage; the advisories feature decides whom
to record as recipients (`cyberhub.hub.advisories.audience`) and uses the same TLP groups, and
`cyberhub.hub.answers` records the town each answer is for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select

from cyberhub.hub.storage.models import (
    Advisory,
    AdvisoryObject,
    AdvisoryRecipient,
    AnswerObject,
    TownAnswer,
)

EVERY_TOWN = ("clear", "green")
LISTED_TOWNS = ("amber",)


def _advisory_visible(object_id_column: Any) -> Any:
    """True for objects of a published advisory addressed to the node in `:node_id`."""
    listed = exists().where(AdvisoryRecipient.advisory_id == Advisory.id,
                            AdvisoryRecipient.node_id == bindparam("node_id"))
    return exists(
        select(AdvisoryObject.object_id)
        .join(Advisory, Advisory.id == AdvisoryObject.advisory_id)
        .where(AdvisoryObject.object_id == object_id_column,
               or_(Advisory.published_tlp.in_(EVERY_TOWN),
                   and_(Advisory.published_tlp.in_(LISTED_TOWNS), listed))))


def _answer_visible(object_id_column: Any) -> Any:
    """True for objects of an analyst's answer to the node in `:node_id`."""
    return exists(
        select(AnswerObject.object_id)
        .join(TownAnswer, TownAnswer.id == AnswerObject.answer_id)
        .where(AnswerObject.object_id == object_id_column,
               TownAnswer.node_id == bindparam("node_id")))


def visible_to_node(object_id_column: Any) -> Any:
    """True for objects addressed to the node in `:node_id`: an advisory's or an answer's."""
    return or_(_advisory_visible(object_id_column), _answer_visible(object_id_column))

"""Markings nobody can resolve. An object may name a marking-definition that is no TLP level
and that the hub does not hold (OpenCTI exports carry a TLP:CLEAR in TLP 1.0 form, which is
invalid STIX and refused, while the objects that name it are valid). The object is stored as
sent - the marking is the sender's statement - but the hub cannot know what the marking
allows, so every audience decision reads it as the strictest level (`tlp.UNRESOLVED_LEVEL`),
and the status of the POST says so for each such object."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy.orm import Session

from cyberhub.core import tlp
from cyberhub.hub.services.statuses import StatusReport
from cyberhub.hub.storage import objects


def held(session: Session, refs: Iterable[str]) -> set[str]:
    """The refs that are marking-definitions the hub holds (TLP levels need no lookup)."""
    return objects.held_markings(session, {r for r in refs if tlp.known_level(r) is None})


def note_unresolved(session: Session, report: StatusReport,
                    candidates: list[objects.Candidate]) -> None:
    """Add to each success whose object names an unresolvable marking what the hub makes of
    it. Runs after the write, so markings sent in the same envelope count as held."""
    refs = {c.object_id: tlp.marking_refs(c.obj) for c in candidates}
    holding = held(session, (ref for found in refs.values() for ref in found))
    for success in report.successes:
        unknown = tlp.unresolved(refs.get(success["id"], []), holding)
        if unknown:
            note = (f"marking {', '.join(unknown)} is not held by this hub; it is treated as "
                    f"TLP:{tlp.UNRESOLVED_LEVEL.upper()}")
            success["message"] = f"{success['message']}; {note}" if "message" in success \
                else note

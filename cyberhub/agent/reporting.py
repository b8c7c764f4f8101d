"""Turning an incident description into a queued report.

The report is built and committed to the queue in one transaction: either it is queued with its
incident's new version recorded, or nothing changed. Signing happens later, at send time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from cyberhub.agent import bundle
from cyberhub.agent.context import Agent
from cyberhub.agent.description import Description, DescriptionError
from cyberhub.agent.store import IncidentVersion
from cyberhub.agent.texts import language, say
from cyberhub.core import messages, signing, timestamps

SOURCES = ("file", "interactive", "collector", "sighting")


def _digest(description: Description) -> str:
    data = description.model_dump(mode="json", exclude={"stage"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def queue_report(agent: Agent, description: Description, *, source: str,
                 now: datetime | None = None) -> dict[str, Any]:
    """Queue a report of this description; returns what was queued."""
    agent.require_enrolled()
    now = now or datetime.now(timezone.utc)
    identity = agent.identity
    digest = _digest(description)
    last = agent.store.incident(description.incident)
    if last is not None:
        if last.digest == digest and last.stage == description.stage:
            chosen = language()
            raise DescriptionError(say("agent.reporting.already_reported", chosen,
                                       incident=description.incident,
                                       stage=messages.label("agent.stage", last.stage, chosen)))
        incident, created = last.incident_id, last.created
        modified = timestamps.later_than(last.modified, now)
    else:
        incident = bundle.incident_id(identity["id"], description.incident)
        created = modified = timestamps.stix_time(now)
    objects = bundle.build(description, identity=identity, incident=incident, created=created,
                           modified=modified, default_tlp=agent.settings.default_tlp)
    report_id = f"{signing.SIGNATURE_TYPE}--{uuid.uuid4()}"
    with agent.store.write() as conn:
        agent.store.put_incident(conn, description.incident, IncidentVersion(
            incident_id=incident, created=created, stage=description.stage, modified=modified,
            digest=digest))
        seq = agent.store.enqueue(conn, report_id=report_id, incident=description.incident,
                                  stage=description.stage, title=description.title,
                                  source=source, objects=objects, now=now.timestamp())
    return {"seq": seq, "report": report_id, "incident": incident,
            "incident_key": description.incident, "stage": description.stage,
            "version": modified, "objects": len(objects),
            "tlp": description.tlp or agent.settings.default_tlp,
            "new_version": last is not None}

"""Sightings back to the hub: advisory indicators matched against what this town observed.

The collectors record every address and domain they see in attacks (the `observations` table).
When an advisory arrives, and when the collectors see something new, each indicator in force is
matched against those observations with `stix2-matcher`, the reference implementation of STIX
patterning. A hit is queued as a signed `sighting` of the hub's indicator: that is how the hub
learns the campaign reached one more town. Each (indicator, value) is reported once.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

from stix2 import v21
from stix2matcher.matcher import MatcherException, match
from stix2patterns.exceptions import ParseException
from stix2patterns.v21.pattern import Pattern

from cyberhub.agent.collectors.common import Observation
from cyberhub.agent.context import Agent
from cyberhub.agent.texts import say
from cyberhub.core import messages, signing, tlp
from cyberhub.core.timestamps import stix_time

log = logging.getLogger("cyberhub.agent")
_SCO = {"ipv4": ("ipv4-addr", v21.IPv4Address), "ipv6": ("ipv6-addr", v21.IPv6Address),
        "domain": ("domain-name", v21.DomainName), "url": ("url", v21.URL)}
# Observations older than this are not matched any more.
MAX_OBSERVATIONS = 20000


def record(agent: Agent, observations: Iterable[Observation]) -> None:
    agent.store.record_observations(
        (seen.kind, seen.value, stix_time(seen.first_seen), stix_time(seen.last_seen),
         seen.count, seen.source) for seen in observations)


def _observed(rows: list[tuple]) -> tuple[list[dict[str, Any]], dict[str, tuple]]:
    """Observations as STIX 2.1 observed-data + SCO dicts for the matcher, and a map back."""
    objects: list[dict[str, Any]] = []
    by_observed: dict[str, tuple] = {}
    for index, row in enumerate(rows):
        kind, value, first, last, count = row
        if kind not in _SCO or (kind == "url" and "://" not in value):
            continue
        sco_type = _SCO[kind][0]
        sco_id = f"{sco_type}--{index:08d}-0000-4000-8000-000000000000"
        observed_id = f"observed-data--{index:08d}-0000-4000-8000-000000000000"
        objects.append({"type": sco_type, "id": sco_id, "value": value})
        objects.append({"type": "observed-data", "id": observed_id, "first_observed": first,
                        "last_observed": last, "number_observed": max(1, count),
                        "object_refs": [sco_id]})
        by_observed[observed_id] = row
    return objects, by_observed


def _types_in(pattern: str) -> set[str]:
    try:
        return set(Pattern(pattern).inspect().comparisons)
    except Exception:  # stix2-patterns raises bare ParseException subclasses
        return set()


def check(agent: Agent, *, now: datetime | None = None) -> list[int]:
    """Match every indicator in force against the observations; queue new hits."""
    indicators = agent.store.indicators_in_force()
    if not indicators:
        return []
    observed, by_observed = _observed(agent.store.recent_observations(MAX_OBSERVATIONS))
    if not observed:
        return []
    reported = agent.store.reported_sightings()
    queued = []
    for indicator in indicators:
        pattern = indicator.get("pattern", "")
        if indicator.get("pattern_type", "stix") != "stix":
            continue
        wanted = _types_in(pattern)
        candidates = [o for o in observed if o["type"] in wanted or (
            o["type"] == "observed-data" and o["object_refs"][0].split("--")[0] in wanted)]
        if not candidates:
            continue
        try:
            hits = match(pattern, [{"objects": candidates}], stix_version="2.1")
        except (ParseException, MatcherException, re.error, ValueError) as exc:
            log.warning("%s", say("agent.sightings.not_matchable_log",
                                  indicator=indicator.get("id"), error=exc))
            continue
        for hit in hits:
            for obj in hit.get("objects", []):
                row = by_observed.get(obj.get("id"))
                if row is None or (indicator["id"], row[0], row[1]) in reported:
                    continue
                reported.add((indicator["id"], row[0], row[1]))
                queued.append(_queue_sighting(agent, indicator, row, now))
    return queued


def _queue_sighting(agent: Agent, indicator: dict[str, Any], row: tuple,
                    now: datetime | None) -> int:
    kind, value, first, last, count = row
    now = now or datetime.now(timezone.utc)
    level = agent.settings.default_tlp
    marking = tlp.marking_definition(level)
    identity = agent.identity
    common = {"created_by_ref": identity["id"], "object_marking_refs": [marking["id"]]}
    stamp = stix_time(now)
    sco = _SCO[kind][1](value=value, object_marking_refs=[marking["id"]])
    observed = v21.ObservedData(first_observed=first, last_observed=last,
                                number_observed=max(1, count), object_refs=[sco.id],
                                created=stamp, modified=stamp, **common)
    sighting = v21.Sighting(
        sighting_of_ref=indicator["id"], observed_data_refs=[observed.id],
        where_sighted_refs=[identity["id"]], first_seen=first, last_seen=last,
        count=max(1, count),
        # Read by the hub's analysts: German, like the collectors' drafts.
        description=say("agent.sightings.description", messages.DEFAULT, value=value,
                        count=count),
        created=stamp, modified=stamp, **common)
    objects = [identity, marking] + [json.loads(o.serialize()) for o in (sco, observed,
                                                                         sighting)]
    with agent.store.write() as conn:  # recorded as reported only together with the queueing
        agent.store.add_sighting(conn, indicator_id=indicator["id"], kind=kind, value=value,
                                 at=now.timestamp())
        seq = agent.store.enqueue(
            conn, report_id=f"{signing.SIGNATURE_TYPE}--{uuid.uuid4()}",
            incident=f"sighting-{indicator['id'].split('--', 1)[1][:8]}", stage="sighting",
            title=say("agent.sightings.title", indicator=indicator.get("name") or
                      indicator["id"], value=value),
            source="sighting", objects=objects, now=now.timestamp())
    log.info("%s", say("agent.sightings.queued_log", indicator=indicator["id"],
                       name=indicator.get("name", ""), value=value))
    return seq

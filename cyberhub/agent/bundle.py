"""An incident description becomes STIX 2.1 objects, built and checked with `stix2`.

One report holds: the town's identity, the TLP 2.0 marking it uses, the incident (with the OASIS
incident-core extension), observed-data with its SCOs, an indicator and a sighting per observed
value, and the ATT&CK techniques, malware and CVEs with their relationships.

Later reporting stages are new versions of the same incident: same id and `created`, a later
`modified`. Indicators, techniques, malware and vulnerabilities get ids derived from the
incident and their value, so a later stage updates them rather than adding copies; observed-data
and sightings are events and are new each time.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from stix2 import v21

from cyberhub.agent.description import Description
from cyberhub.core import tlp
from cyberhub.core.stix import INCIDENT_CORE, STAGE_LABEL
from cyberhub.core.timestamps import stix_time


def _stable_uuid4(namespace_id: str, name: str) -> uuid.UUID:
    # Derived by hashing (so a resend or a later stage names the same object) but shaped as
    # version 4, which STIX asks of SDO and SRO ids; the hash bits are as good as random ones.
    namespace = uuid.UUID(namespace_id.split("--", 1)[1])
    return uuid.UUID(bytes=uuid.uuid5(namespace, name).bytes, version=4)


def incident_id(identity_id: str, key: str) -> str:
    return f"incident--{_stable_uuid4(identity_id, 'incident:' + key)}"


def _derived_id(kind: str, incident: str, value: str) -> str:
    return f"{kind}--{_stable_uuid4(incident, kind + ':' + value)}"


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _scos_and_patterns(description: Description, marks: dict[str, Any]
                       ) -> list[tuple[Any, str, str]]:
    """(SCO, pattern, label) for every observed value."""
    found: list[tuple[Any, str, str]] = []
    seen = description.observables
    for value in seen.ipv4:
        found.append((v21.IPv4Address(value=value, **marks),
                      f"[ipv4-addr:value {'ISSUBSET' if '/' in value else '='} "
                      f"{_literal(value)}]", f"address {value}"))
    for value in seen.ipv6:
        found.append((v21.IPv6Address(value=value, **marks),
                      f"[ipv6-addr:value {'ISSUBSET' if '/' in value else '='} "
                      f"{_literal(value)}]", f"address {value}"))
    for value in seen.domains:
        found.append((v21.DomainName(value=value, **marks),
                      f"[domain-name:value = {_literal(value)}]", f"domain {value}"))
    for value in seen.urls:
        found.append((v21.URL(value=value, **marks), f"[url:value = {_literal(value)}]",
                      f"URL {value}"))
    for entry in seen.files:
        hashes = entry.hashes()
        sco = v21.File(hashes=hashes, **marks, **({"name": entry.name} if entry.name else {}))
        algorithm, digest = next(iter(hashes.items()))
        found.append((sco, f"[file:hashes.'{algorithm}' = {_literal(digest)}]",
                      f"file {entry.name or digest}"))
    for value in seen.email_addresses:
        found.append((v21.EmailAddress(value=value, **marks),
                      f"[email-addr:value = {_literal(value)}]", f"sender {value}"))
    for value in seen.email_subjects:
        sco = v21.EmailMessage(is_multipart=False, subject=value, **marks)
        found.append((sco, f"[email-message:subject = {_literal(value)}]",
                      f"mail subject {value!r}"))
    return found


def build(
    description: Description, *, identity: dict[str, Any], incident: str, created: str,
    modified: str, default_tlp: str,
) -> list[dict[str, Any]]:
    """The report's objects as plain JSON dicts, ready to queue."""
    level = description.tlp or default_tlp
    marking = tlp.marking_definition(level)
    common = {"created_by_ref": identity["id"], "object_marking_refs": [marking["id"]]}
    versioned = {**common, "created": created, "modified": modified}
    detected = stix_time(description.detected) if description.detected else modified

    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "determination": description.determination,
        "investigation_status": description.status,
    }
    if description.criticality is not None:
        extension["criticality"] = description.criticality
    if description.types:
        extension["incident_types"] = description.types
    if description.detected_by:
        extension["detection_methods"] = description.detected_by
    stix_incident = v21.Incident(
        id=incident, name=description.title, labels=[STAGE_LABEL + description.stage],
        extensions={INCIDENT_CORE: extension}, **versioned,
        **({"description": description.summary} if description.summary else {}))
    objects: list[Any] = [stix_incident]

    observed = _scos_and_patterns(description, {"object_marking_refs": [marking["id"]]})
    # One indicator per pattern: a value listed twice (or also given as a pattern) would
    # otherwise be two objects with one derived id, which no manifest may list twice.
    labels: dict[str, str] = {}
    for pattern, label in [(pattern, label) for _, pattern, label in observed] + [
            (entry.pattern, entry.name or entry.pattern) for entry in description.indicators]:
        labels.setdefault(pattern, label)
    indicators = list(labels.items())
    observed_data = None
    if observed:
        scos = {sco.id: sco for sco, _, _ in observed}
        observed_data = v21.ObservedData(
            first_observed=detected, last_observed=modified if modified > detected else detected,
            number_observed=1, object_refs=list(scos), created=modified, modified=modified,
            **common)
        objects += list(scos.values())
        objects.append(observed_data)

    related: list[str] = []
    malware_ids = []
    for name in description.malware:
        malware = v21.Malware(id=_derived_id("malware", incident, name.lower()), name=name,
                              is_family=True, **versioned)
        malware_ids.append(malware.id)
        objects.append(malware)
    for technique in description.techniques:
        objects.append(v21.AttackPattern(
            id=_derived_id("attack-pattern", incident, technique), name=technique,
            external_references=[{"source_name": "mitre-attack", "external_id": technique}],
            **versioned))
    for cve in description.vulnerabilities:
        objects.append(v21.Vulnerability(
            id=_derived_id("vulnerability", incident, cve), name=cve,
            external_references=[{"source_name": "cve", "external_id": cve}], **versioned))
    related += [o.id for o in objects if o.type in ("malware", "attack-pattern",
                                                    "vulnerability")]

    for pattern, label in indicators:
        indicator = v21.Indicator(
            id=_derived_id("indicator", incident, pattern), name=label[:250],
            description=f"Seen by {identity.get('name', 'the reporting town')} in the incident "
                        f"'{description.title}'.",
            pattern=pattern, pattern_type="stix", valid_from=detected,
            indicator_types=["malicious-activity"], **versioned)
        objects.append(indicator)
        for malware_id in malware_ids:
            objects.append(v21.Relationship(
                id=_derived_id("relationship", incident, f"{indicator.id} indicates {malware_id}"),
                relationship_type="indicates", source_ref=indicator.id, target_ref=malware_id,
                **versioned))
        if observed_data is not None:
            objects.append(v21.Sighting(
                sighting_of_ref=indicator.id, observed_data_refs=[observed_data.id],
                where_sighted_refs=[identity["id"]], first_seen=detected,
                last_seen=observed_data.last_observed, count=1, created=modified,
                modified=modified, **common))
    for target in related:
        objects.append(v21.Relationship(
            id=_derived_id("relationship", incident, f"related-to {target}"),
            relationship_type="related-to", source_ref=incident, target_ref=target,
            **versioned))
    serialised = [json.loads(o.serialize()) for o in objects]
    return [identity, marking] + serialised

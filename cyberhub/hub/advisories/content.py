"""The STIX objects of one published advisory version, all made by the hub's identity.

A version is a `report` (report_types threat-report, label `severity:<level>`, German name and
description with the English text alongside, and a `language-content` with the English), the
`indicator`s to block, the campaign it is about, a `course-of-action` with the playbook's steps
that references the CACAO playbook, the playbook itself as an OCA `x-oca-playbook` (the
standard carrier of a CACAO playbook in STIX), and the TLP 2.0 marking-definition. Every
object gets the version's `modified`, so a version is one self-contained signed group; a
withdrawal is the same group with `revoked: true`.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from cyberhub.core import tlp
from cyberhub.hub.advisories.document import Document, Indicator
from cyberhub.hub.correlation import values

_NAMESPACE = uuid.UUID("0f5c2b8e-7a41-4d8e-b1f3-6c2d9e4a7b10")
PLAYBOOK_TYPE = "x-oca-playbook"


def derived_id(kind: str, *parts: str) -> str:
    """A stable id for a part of an advisory, so every version names it the same way."""
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(_NAMESPACE, '|'.join(parts)).bytes, version=4)}"


def pattern(indicator: Indicator) -> str:
    return values.pattern(indicator.kind, indicator.value)


def _english(document: Document) -> str:
    return f"{document.summary.de}\n\n--- English ---\n{document.title.en}\n{document.summary.en}"


def build(
    advisory_id: str, document: Document, *, created: str, modified: str, hub_identity: str,
    campaign: dict[str, Any] | None = None, playbook: dict[str, Any] | None = None,
    playbook_steps: list[str] = (), revoked: bool = False,
) -> list[dict[str, Any]]:
    """The objects of one version. `campaign` is the campaign's current STIX object (as the
    hub published it, pseudonymised); `playbook` the CACAO playbook with its `steps`."""
    marking = tlp.IDS[document.tlp]
    common = {"spec_version": "2.1", "created_by_ref": hub_identity, "created": created,
              "modified": modified, "object_marking_refs": [marking]}
    if revoked:
        common["revoked"] = True
    objects: list[dict[str, Any]] = []
    refs: list[str] = []
    if campaign is not None:
        objects.append(campaign)
        refs.append(campaign["id"])
    for item in document.indicators:
        text = pattern(item)
        indicator_id = derived_id("indicator", advisory_id, text)
        objects.append({
            "type": "indicator", "id": indicator_id, **common,
            "name": item.note or f"{item.kind} {item.value}",
            "indicator_types": ["malicious-activity"], "pattern": text,
            "pattern_type": "stix", "valid_from": created})
        refs.append(indicator_id)
        if campaign is not None:
            relationship_id = derived_id("relationship", advisory_id, indicator_id, "indicates")
            objects.append({
                "type": "relationship", "id": relationship_id, **common,
                "relationship_type": "indicates", "source_ref": indicator_id,
                "target_ref": campaign["id"]})
            refs.append(relationship_id)
    if playbook is not None:
        carrier_id = derived_id(PLAYBOOK_TYPE, advisory_id, playbook["id"])
        objects.append({
            "type": PLAYBOOK_TYPE, "id": carrier_id, **common,
            "name": playbook.get("name", ""), "description": playbook.get("description", ""),
            "playbook_id": playbook["id"], "playbook_format": "cacao-json-v2.0",
            "playbook_bin": base64.b64encode(json.dumps(playbook, ensure_ascii=False)
                                             .encode("utf-8")).decode("ascii")})
        action_id = derived_id("course-of-action", advisory_id, playbook["id"])
        objects.append({
            "type": "course-of-action", "id": action_id, **common,
            "name": f"Playbook: {playbook.get('name', '')}"[:250],
            "description": "\n".join(playbook_steps),
            "external_references": [{"source_name": "cacao-playbook",
                                     "external_id": playbook["id"],
                                     "description": f"carried as {carrier_id}"}]})
        refs += [action_id, carrier_id]
    report = {
        "type": "report", "id": advisory_id, **common, "lang": "de",
        "name": document.title.de, "description": _english(document),
        "report_types": ["threat-report"], "labels": [f"severity:{document.severity}"],
        "published": modified, "object_refs": refs or [hub_identity]}
    if document.references:
        report["external_references"] = [
            {"source_name": item.source,
             **({"external_id": item.external_id} if item.external_id else {}),
             **({"url": item.url} if item.url else {})} for item in document.references]
    translation = {
        "type": "language-content", "id": derived_id("language-content", advisory_id), **common,
        "object_ref": advisory_id, "object_modified": modified,
        "contents": {"en": {"name": document.title.en, "description": document.summary.en}}}
    return objects + [report, translation, tlp.marking_definition(document.tlp)]

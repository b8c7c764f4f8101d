"""Marking definitions: marking-definition.json, which is built unlike the other schemas.

It has two branches: the general one ('definition_type' and 'definition', or 'extensions', with
'statement' and 'tlp' reserved) and one that accepts the four TLP 1.0 markings of STIX 2.1
exactly as published, property for property. So a "tlp" marking is one of those four or refused.
"""

from __future__ import annotations

import re
from typing import Any

from cyberhub.core.validation.checks import (
    IDENTIFIER_CHECK,
    STRING,
    TIMESTAMP_CHECK,
    Check,
    array,
    external_reference,
    granular_marking,
    marking_extensions,
    one_of,
    ref_to,
)
from cyberhub.core.validation.values import show

_TLP_1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": ("TLP:WHITE", "white"),
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": ("TLP:GREEN", "green"),
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": ("TLP:AMBER", "amber"),
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": ("TLP:RED", "red"),
}
_TLP_1_PROPERTIES = frozenset({"type", "id", "spec_version", "name", "created", "definition",
                               "definition_type"})
_MARKING_PROPERTIES: dict[str, Check] = {
    "spec_version": one_of(("2.0", "2.1")),
    "name": STRING,
    "created_by_ref": IDENTIFIER_CHECK,
    "created": TIMESTAMP_CHECK,
    "external_references": array(external_reference, 1),
    "object_marking_refs": array(ref_to("marking-definition"), 1),
    "granular_markings": array(granular_marking, 1),
    "extensions": marking_extensions,
}
_STATEMENT_TYPE = re.compile(r"^statement$")
_RESERVED_DEFINITION_TYPE = re.compile(r"^(statement)|(tlp)$")


def _tlp_1(obj: dict[str, Any]) -> bool:
    """marking-definition.json's second branch: one of the four TLP 1.0 markings, verbatim."""
    if not _TLP_1_PROPERTIES.issuperset(obj) or len(obj) != len(_TLP_1_PROPERTIES):
        return False
    expected = _TLP_1.get(obj["id"]) if type(obj["id"]) is str else None
    definition = obj["definition"]
    return (
        expected is not None and obj["spec_version"] == "2.1" and obj["name"] == expected[0]
        and obj["created"] == "2017-01-20T00:00:00.000Z" and obj["definition_type"] == "tlp"
        and type(definition) is dict
        and ("tlp" not in definition or definition["tlp"] == expected[1])
    )


def marking_definition(obj: dict[str, Any]) -> str | None:
    for key, rule in _MARKING_PROPERTIES.items():
        if key in obj:
            problem = rule(obj[key], key)
            if problem:
                return problem
    if obj.get("definition_type") == "tlp" and _tlp_1(obj):
        return None
    for required in ("spec_version", "created"):
        if required not in obj:
            return f"'{required}' is required for marking-definition"
    problem = ref_to("marking-definition")(obj["id"], "id")
    if problem:
        return problem
    has_type, has_definition = "definition_type" in obj, "definition" in obj
    if "extensions" not in obj and not (has_type and has_definition):
        return "a marking-definition needs 'definition_type' and 'definition', or 'extensions'"
    if not has_type:
        if has_definition and type(obj["definition"]) is not dict:
            return f"'definition' must be a JSON object, got {show(obj['definition'])}"
        return None
    definition_type = obj["definition_type"]
    if type(definition_type) is not str:
        return f"'definition_type' must be a string, got {show(definition_type)}"
    if _STATEMENT_TYPE.search(definition_type):
        if not has_definition:
            return "a statement marking needs 'definition'"
        definition = obj["definition"]
        if type(definition) is not dict or "statement" not in definition:
            return "a statement marking's 'definition' must be an object with a 'statement'"
        return STRING(definition["statement"], "definition.statement")
    if _RESERVED_DEFINITION_TYPE.search(definition_type):
        if definition_type == "tlp":
            return ("a TLP 1.0 marking must be one of the four STIX 2.1 TLP markings exactly, "
                    "with no other properties (use TLP 2.0 extensions for anything else)")
        return f"'definition_type' {definition_type!r} is reserved (use 'statement' or 'tlp')"
    if has_definition and type(obj["definition"]) is not dict:
        return f"'definition' must be a JSON object, got {show(obj['definition'])}"
    return None

"""TLP 2.0 (FIRST) as the OASIS STIX marking-definitions. `stix2` ships only TLP 1.0, so the
project carries the five objects itself, exactly as OASIS publishes them. Pure: the hub and the
node agent share it."""

from __future__ import annotations

from typing import Any

EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
LEVELS = tuple(IDS)
LEVEL_OF = {marking_id: level for level, marking_id in IDS.items()}


def level(text: str) -> str | None:
    """'AMBER', 'tlp:amber', 'Amber+Strict' → the level name; None if it is not a TLP 2.0 level."""
    name = text.strip().lower()
    if name.startswith("tlp:"):
        name = name[4:]
    return name if name in IDS else None


def marking_definition(level_name: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": IDS[level_name],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level_name.upper()}",
        "extensions": {EXTENSION: {"extension_type": "property-extension",
                                   "tlp_2_0": level_name}},
    }


# TLP 1.0 as STIX 2.1 predefines it (section 7.2.1.4); still what many exports carry. WHITE is
# what TLP 2.0 calls CLEAR.
TLP1_LEVEL_OF = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
# A marking nobody can resolve may forbid anything; it is read as the strictest level.
UNRESOLVED_LEVEL = "red"


def marking_refs(obj: dict[str, Any]) -> list[str]:
    """Every marking an object names, whole-object and granular."""
    named = obj.get("object_marking_refs")
    refs = [ref for ref in named if isinstance(ref, str)] if isinstance(named, list) else []
    granular_markings = obj.get("granular_markings")
    for granular in granular_markings if isinstance(granular_markings, list) else []:
        if isinstance(granular, dict) and isinstance(granular.get("marking_ref"), str):
            refs.append(granular["marking_ref"])
    return refs


def known_level(ref: str) -> str | None:
    """The TLP level a marking-definition id stands for, in TLP 2.0 or 1.0; None otherwise."""
    return LEVEL_OF.get(ref) or TLP1_LEVEL_OF.get(ref)


def unresolved(refs: list[str], held: set[str]) -> list[str]:
    """The refs that are no TLP level and no marking-definition the hub holds."""
    return sorted({ref for ref in refs if known_level(ref) is None and ref not in held})


def audience_level(refs: list[str], held: set[str]) -> str | None:
    """The strictest level the refs allow: TLP levels as they say, markings nobody can resolve
    as `UNRESOLVED_LEVEL`, markings the hub holds that are not TLP (statements) not at all."""
    levels = [known_level(ref) for ref in refs]
    if unresolved(refs, held):
        levels.append(UNRESOLVED_LEVEL)
    named = [level for level in levels if level is not None]
    return max(named, key=LEVELS.index) if named else None

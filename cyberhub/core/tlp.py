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

"""Checking CACAO 2.0 playbooks against the official OASIS schema, vendored in
`cyberhub/hub/data/cacao/` (see SOURCE.md there).

A module of its own because jsonschema takes over a second to import: every `cyberhub` command
loads `playbooks.py` (drafts propose playbooks), while only the tests (and whoever adds a
playbook) validate them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "cacao" / "schemas"
PLAYBOOK_SCHEMA_ID = (
    "https://raw.githubusercontent.com/oasis-open/cacao-json-schemas/main/schemas/playbook.json"
)


@lru_cache(maxsize=1)
def _validator() -> Any:
    # Every vendored file is registered under its own $id, so the relative $refs between them
    # resolve from the registry; it has no `retrieve`, so nothing is ever fetched from the net.
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7)))
    registry: Registry = Registry().with_resources(resources)
    schema = registry.contents(PLAYBOOK_SCHEMA_ID)
    # The schemas declare draft-07, so that is the draft used (validator_for reads $schema).
    # They also use 2019-09+ keywords such as `unevaluatedProperties`, which draft-07 ignores;
    # read strictly, command-data.json's would forbid the `command` of a manual command, since
    # action.json references only command-data.json, not commands/manual.json that allows it.
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry)


def validate(playbook: Any) -> list[str]:
    """The schema errors of `playbook`, each as "<path>: <message>"; empty when it is valid."""
    errors = sorted(_validator().iter_errors(playbook), key=lambda e: list(map(str, e.path)))
    return [f"{'/'.join(map(str, e.path)) or '<playbook>'}: {e.message}" for e in errors]

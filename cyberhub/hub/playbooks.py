"""Response playbooks for towns, in OASIS CACAO 2.0: load them, propose the one that fits an
incident and list its steps (`playbook_schema.py` checks them against the official schema).

Pure functions: no Flask, no database. The playbooks live as JSON files in the repository's
`playbooks/` folder.

Which incidents a playbook answers is carried in its CACAO `labels`, so the files stay plain
CACAO that any other tool can read:

- `incident-type:<value>`: a STIX 2.1 `event-type-ov` value as the agent reports it in the
  incident's `incident_types` (e.g. `incident-type:ransomware`);
- `attack:<id>`: a MITRE ATT&CK technique or sub-technique id (e.g. `attack:T1566.001`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PLAYBOOKS_DIR = Path(__file__).resolve().parents[2] / "playbooks"

INCIDENT_TYPE_PREFIX = "incident-type:"
ATTACK_PREFIX = "attack:"
# What a label must look like after its prefix; the tests hold every playbook to these.
INCIDENT_TYPE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TECHNIQUE_RE = re.compile(r"^T\d{4}(\.\d{3})?$")


def load(directory: Path | str = PLAYBOOKS_DIR) -> list[dict[str, Any]]:
    """Every `*.json` playbook in `directory`, in file-name order (so ties in `propose` are
    broken the same way on every machine)."""
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(directory).glob("*.json"))]


def _labels(playbook: dict[str, Any], prefix: str) -> set[str]:
    return {label[len(prefix):] for label in playbook.get("labels", [])
            if isinstance(label, str) and label.startswith(prefix)}


def _types_of(playbook: dict[str, Any]) -> set[str]:
    return {value.lower() for value in _labels(playbook, INCIDENT_TYPE_PREFIX)}


def _techniques_of(playbook: dict[str, Any]) -> set[str]:
    return {value.upper() for value in _labels(playbook, ATTACK_PREFIX)}


def _normalised(values: Iterable[str] | str, case: Any) -> set[str]:
    # A lone string would otherwise be read character by character.
    items = [values] if isinstance(values, str) else values
    return {case(v.strip()) for v in items if isinstance(v, str) and v.strip()}


def _score(playbook: dict[str, Any], types: set[str], wanted: set[str]) -> tuple[int, int]:
    # (matches, exact technique matches): a sub-technique also counts for its parent, so
    # T1566.001 finds a playbook labelled T1566; an exact hit only breaks ties, as the more
    # specific playbook.
    own = _techniques_of(playbook)
    exact = len(wanted & own)
    via_parent = sum(1 for t in wanted - own if t.split(".")[0] in own)
    return len(types & _types_of(playbook)) + exact + via_parent, exact


def propose(playbooks: Iterable[dict[str, Any]], *, incident_types: Iterable[str] = (),
            techniques: Iterable[str] = ()) -> dict[str, Any] | None:
    """The playbook that best matches the incident's STIX event types and ATT&CK technique
    ids, or None when none matches at all. Ties go to the earlier playbook."""
    types, wanted = _normalised(incident_types, str.lower), _normalised(techniques, str.upper)
    best, best_score = None, (0, 0)
    for playbook in playbooks:
        score = _score(playbook, types, wanted)
        if score > best_score:
            best, best_score = playbook, score
    return best


def steps(playbook: dict[str, Any]) -> list[str]:
    """The steps in workflow order, each as "name: description": from `workflow_start` along
    `on_completion`/`on_success`, leaving out the start and end steps (they carry no work).
    The same reading as the agent's advisory display, so a town sees the same list."""
    workflow = playbook.get("workflow", {})
    step_id = playbook.get("workflow_start")
    result: list[str] = []
    seen: set[str] = set()
    # `seen` stops a cyclic workflow; a step id that is missing ends the walk.
    while isinstance(step_id, str) and step_id in workflow and step_id not in seen:
        seen.add(step_id)
        step = workflow[step_id]
        if step.get("type") not in ("start", "end"):
            name, description = step.get("name", ""), step.get("description", "")
            result.append(f"{name}: {description}" if name and description
                          else name or description)
        step_id = step.get("on_completion") or step.get("on_success")
    return result

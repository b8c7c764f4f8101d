"""The response steps an advisory carries, as lines for the operator.

From a CACAO playbook in the advisory (an OCA x-oca-playbook object with playbook_bin, base64
of the playbook's JSON), followed from `workflow_start` along `on_completion`/`on_success`;
else from the text of its courses of action, one step a line.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def playbook_steps(group: list[dict[str, Any]]) -> list[str]:
    """The response steps, in order: from a CACAO playbook carried in the advisory (an OCA
    x-oca-playbook object with playbook_bin), else from the courses of action's text."""
    steps: list[str] = []
    for obj in group:
        if obj.get("type") == "x-oca-playbook" and obj.get("playbook_bin"):
            steps += cacao_steps(obj["playbook_bin"])
    if steps:
        return steps
    for obj in group:
        if obj.get("type") == "course-of-action":
            text = obj.get("description") or obj.get("name", "")
            steps += [line.strip() for line in text.splitlines() if line.strip()]
    return steps


def cacao_steps(encoded: str) -> list[str]:
    """The named steps of a base64-encoded CACAO playbook; nothing if it does not decode."""
    try:
        playbook = json.loads(base64.b64decode(encoded, validate=True))
        workflow = playbook["workflow"]
        step_id = playbook["workflow_start"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return []
    steps, seen = [], set()
    while isinstance(step_id, str) and step_id in workflow and step_id not in seen:
        seen.add(step_id)
        step = workflow[step_id]
        if step.get("type") not in ("start", "end"):
            text = step.get("name", "")
            if step.get("description"):
                text = f"{text}: {step['description']}" if text else step["description"]
            if text:
                steps.append(text)
        step_id = step.get("on_completion") or step.get("on_success")
    return steps

"""What the commands load when they start: the agent stays free of the hub's web and database
stack, and no command pays for the schema validator only the playbook tests use."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(module: str, candidates: tuple[str, ...]) -> list[str]:
    code = (f"import sys, {module}; "
            f"print(','.join(m for m in {candidates!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_the_agent_imports_no_flask_and_no_hub_model():
    assert _loaded_after("cyberhub.agent.cli", ("flask", "sqlalchemy", "cyberhub.models",
                                                "cyberhub.web")) == []


def test_commands_do_not_load_the_schema_validator():
    assert _loaded_after("cyberhub.cli", ("jsonschema", "stix2")) == []

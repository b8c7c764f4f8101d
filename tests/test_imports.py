"""The architecture, as the imports show it (README, "Layout").

Read statically from every module of the package, function-local imports included: the import
graph has no loop, and each layer imports only itself and the layers below it. Then, at run
time: the agent stays free of the hub's web and database stack, and no command pays for the
schema validator that only the playbook tests use.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cyberhub

PACKAGE = Path(cyberhub.__file__).resolve().parent

# Lowest first. A module may import modules of its own layer and of the layers before it.
LAYERS = [
    ("core", ["cyberhub.core"]),
    ("agent", ["cyberhub.agent"]),
    ("storage", ["cyberhub.hub.settings", "cyberhub.hub.storage"]),
    ("records", ["cyberhub.hub.accounts", "cyberhub.hub.collections", "cyberhub.hub.nodes",
                 "cyberhub.hub.audit", "cyberhub.hub.receipts", "cyberhub.hub.playbooks",
                 "cyberhub.hub.playbook_schema", "cyberhub.hub.logins",
                 "cyberhub.hub.second_factor", "cyberhub.hub.inbox",
                 "cyberhub.hub.api_tokens", "cyberhub.hub.roster", "cyberhub.hub.principals"]),
    ("services", ["cyberhub.hub.services", "cyberhub.hub.setup"]),
    ("correlation", ["cyberhub.hub.correlation"]),
    ("feeds", ["cyberhub.hub.feeds"]),
    ("advisories", ["cyberhub.hub.advisories", "cyberhub.hub.answers"]),
    ("exports", ["cyberhub.hub.exports"]),
    ("situation", ["cyberhub.hub.situation"]),
    ("federation", ["cyberhub.hub.federation"]),
    ("wiring", ["cyberhub.hub.bootstrap"]),
    ("entry points", ["cyberhub.hub.jobs", "cyberhub.hub.web", "cyberhub.hub.console",
                      "cyberhub.hub.notifications"]),
    ("commands", ["cyberhub.hub.cli"]),
    ("demo", ["cyberhub.demo"]),
    ("main", ["cyberhub.cli", "cyberhub.__main__"]),
]
# What each layer may not import although it sits higher: the agent runs on a town's server
# and shares only the core with the hub.
SEPARATE = {"agent": {"storage", "records", "services", "correlation", "feeds", "advisories",
                      "situation", "federation", "wiring", "entry points", "commands"}}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        parts = ("cyberhub",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules `name` imports, wherever in the file the import stands."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                targets.add(child if child in modules else base)
    return {target for target in targets if target in modules and target != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> str | None:
    best, layer = "", None
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, layer = prefix, name
    return layer


def test_every_module_has_a_layer():
    packages = {"cyberhub", "cyberhub.hub"}  # docstrings only
    assert [m for m in _graph() if m not in packages and _layer(m) is None] == []


def test_the_import_graph_has_no_loop():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert loops == []


def test_no_layer_imports_one_above_it():
    order = {name: rank for rank, (name, _) in enumerate(LAYERS)}
    wrong = []
    for module, targets in _graph().items():
        source = _layer(module)
        if source is None:
            continue
        for target in sorted(targets):
            layer = _layer(target)
            if layer is None:
                continue
            if order[layer] > order[source] or layer in SEPARATE.get(source, ()):
                wrong.append(f"{module} ({source}) imports {target} ({layer})")
    assert wrong == []


def test_the_storage_layer_imports_no_feature():
    graph = _graph()
    storage = [m for m in graph if _layer(m) == "storage"]
    assert {t for m in storage for t in graph[m] if _layer(t) not in ("core", "storage")} == set()


def _loaded_after(module: str, candidates: tuple[str, ...]) -> list[str]:
    code = (f"import sys, {module}; "
            f"print(','.join(m for m in {candidates!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_the_agent_imports_no_flask_and_no_hub_model():
    assert _loaded_after("cyberhub.agent.cli", ("flask", "sqlalchemy", "cyberhub.hub")) == []


def test_commands_do_not_load_the_schema_validator():
    assert _loaded_after("cyberhub.cli", ("jsonschema", "stix2")) == []

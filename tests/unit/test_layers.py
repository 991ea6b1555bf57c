"""The layers hold: every module's imports (read with ``ast``) against tests/support/layers.py.

The rules are written out in that module's docstring; docs/architecture.md's *Layers* table is
generated from the same lists.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.layers import (
    IO_LIBRARIES,
    LAYERS,
    PURE_THREADING_NAMES,
    RELAY_MAY_IMPORT,
    Layer,
    layer_of,
    layers_table,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("relay_server", "suite")


@dataclass(frozen=True)
class Imported:
    """One name a module imports, where (line), and the ``threading`` names it uses."""

    name: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package_marker(path: Path, tree: ast.Module) -> bool:
    """An ``__init__.py`` with nothing but a docstring."""
    if path.name != "__init__.py":
        return False
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def all_modules() -> dict[str, ast.Module]:
    """Every module of the relay and the suite (package markers left out), parsed."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            if not is_package_marker(path, tree):
                modules[module_name(path)] = tree
    return modules


MODULES = all_modules()


def imports_of(module: str, tree: ast.Module) -> list[Imported]:
    """What ``module`` imports, at the top or inside functions; ``from p import sub`` of a
    sub-module counts as importing ``p.sub``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Imported(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                # an __init__ module's own package is its name; a module's is its parent
                package = base if _is_package(module) else base[:-1]
                package = package[: len(package) - (node.level - 1)]
                source = ".".join([*package, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.append(Imported(source, node.lineno))
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.append(Imported(submodule, node.lineno))
    return [item for item in found if item.name != "__future__"]


def _is_package(module: str) -> bool:
    path = REPO_ROOT / module.replace(".", "/") / "__init__.py"
    return path.exists()


def own_module(name: str) -> str | None:
    """The module of ours that importing ``name`` reaches (longest listed prefix), or None."""
    if name.split(".")[0] not in PACKAGES:
        return None
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None  # a package marker: nothing runs


def io_library(name: str) -> str | None:
    for library in IO_LIBRARIES:
        if name == library or name.startswith(library + "."):
            return library
    return None


def threading_names(tree: ast.Module) -> set[str]:
    """What a module takes from ``threading`` (``threading.X``, ``from threading import X``)."""
    used = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "threading"
        ):
            used.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module == "threading":
            used.update(alias.name for alias in node.names)
    return used


def layer_problems(module: str, tree: ast.Module) -> list[str]:
    """Every way ``module`` breaks the rules of its layer (empty: none)."""
    layer = layer_of(module)
    if layer is None:
        return [f"{module} is in no layer: add it to one in tests/support/layers.py"]
    rank = LAYERS.index(layer)
    problems = []
    for item in imports_of(module, tree):
        where = f"{module}:{item.line} imports {item.name}"
        library = io_library(item.name)
        if library and not layer.any_library and library not in layer.may_use:
            problems.append(
                f"{where}: {layer.name} modules import no {library} ({IO_LIBRARIES[library]})"
            )
        target = own_module(item.name)
        if target is None or target == module:
            continue
        target_layer = layer_of(target)
        if target_layer is not None and LAYERS.index(target_layer) > rank:
            problems.append(f"{where}: a {layer.name} module imports a {target_layer.name} module")
    if not layer.any_library and "threading" not in layer.may_use:
        extra = threading_names(tree) - PURE_THREADING_NAMES
        if extra:
            problems.append(
                f"{module} uses threading.{', threading.'.join(sorted(extra))}: below the shells, "
                "only locks (threads, timers and events are I/O scheduling)"
            )
    return problems


def own_imports(module: str) -> set[str]:
    return {
        target
        for item in imports_of(module, MODULES[module])
        if (target := own_module(item.name)) is not None and target != module
    }


def reachable(module: str) -> set[str]:
    """Every module of ours that importing ``module`` runs (transitively)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for target in own_imports(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_keeps_to_its_layer(module):
    """Each module is in a layer and imports no I/O library and no higher layer than its own."""
    assert layer_problems(module, MODULES[module]) == []


def test_every_listed_module_exists_once():
    """The lists name real modules, each in exactly one layer."""
    listed = [name for layer in LAYERS for name in layer.modules]
    assert sorted(name for name in set(listed) if listed.count(name) > 1) == []
    assert sorted(set(listed) - set(MODULES)) == []


def test_relay_imports_only_the_shared_suite_modules():
    """relay_server imports from suite only the contract and shared helpers, which import no
    other suite module; and suite never imports relay_server."""
    problems = []
    for module in MODULES:
        for target in own_imports(module):
            if module.startswith("relay_server") and target.startswith("suite"):
                if target not in RELAY_MAY_IMPORT:
                    problems.append(f"{module} imports {target}")
            if module.startswith("suite") and target.startswith("relay_server"):
                problems.append(f"{module} imports {target}")
    for shared in (name for name in RELAY_MAY_IMPORT if name in MODULES):
        problems += [
            f"{shared} (shared) imports {t}" for t in own_imports(shared) - set(RELAY_MAY_IMPORT)
        ]
    assert problems == []


def test_only_the_agent_app_imports_suite_agent():
    """No module outside suite/agent/ imports suite.agent; the viewer reaches none of it."""
    problems = [
        f"{module} imports {target}"
        for module in MODULES
        if not module.startswith("suite.agent")
        for target in own_imports(module)
        if target.startswith("suite.agent")
    ]
    for viewer in (m for m in MODULES if m.startswith("suite.viewer")):
        problems += [
            f"{viewer} reaches {target}"
            for target in sorted(reachable(viewer))
            if target.startswith("suite.agent")
        ]
    assert problems == []


def test_architecture_doc_table_is_generated_from_the_lists():
    """docs/architecture.md holds exactly the table scripts/gen_layers_doc.py writes."""
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert layers_table() in doc, (
        "docs/architecture.md's Layers table differs from tests/support/layers.py: "
        "run scripts/gen_layers_doc.py"
    )


# ---------- the checker itself catches what it must ----------


def _problems_of(source: str, module: str) -> list[str]:
    return layer_problems(module, ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "import gevent",
        "def later():\n    import socket",
        "from subprocess import Popen",
        "import urllib.request",
        "from tinydb import Query",
        "import threading\nthreading.Thread(target=print).start()",
        "from relay_server.web import app",
        "from relay_server.web.app import build_app",
    ],
)
def test_checker_refuses_io_in_a_pure_core(source):
    """An I/O library, a thread, or a shell module imported by a pure core is reported."""
    assert _problems_of(source, "relay_server.sessions.rooms") != []


def test_checker_allows_locks_and_lower_layers():
    """A pure core may hold a lock and import the wire contract and other cores."""
    source = (
        "import threading\nfrom suite.protocol import encode\n"
        "from relay_server.throttle import FailureThrottle\nlock = threading.Lock()"
    )
    assert _problems_of(source, "relay_server.sessions.rooms") == []


def test_checker_reports_a_module_in_no_layer():
    """A module missing from every list is reported."""
    assert _problems_of("x = 1", "relay_server.nowhere") != []


def test_a_layer_may_use_only_what_it_lists():
    """Storage may write with tinydb but not open sockets."""
    storage: Layer = layer_of("relay_server.store.store")  # type: ignore[assignment]
    assert "tinydb" in storage.may_use
    assert _problems_of("import tinydb", "relay_server.store.store") == []
    assert _problems_of("import socket", "relay_server.store.store") != []

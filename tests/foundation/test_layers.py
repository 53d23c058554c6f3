"""The layer rule (docs/architecture.md) holds, and would catch a break: arrows point down only,
nothing imports server/, only server/ imports schema/, and no module imports itself round
a circle. The contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# GraphQL object types name each other (an Organization has members, a Member an organization);
# Strawberry resolves those references lazily, inside the fields that need them.
TYPES_THAT_NAME_EACH_OTHER = "gatehouse.schema.types"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package under `root`, in its own process (it reconfigures logging)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "2 kept, 0 broken" in result.stdout


def test_a_resolver_importing_the_server_breaks_the_layers(tmp_path):
    # A copy of the package in which one resolver imports the app, checked like the real one.
    shutil.copytree(ROOT / "gatehouse", tmp_path / "gatehouse")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    members = tmp_path / "gatehouse" / "resolvers" / "members.py"
    members.write_text(members.read_text() + "\nimport gatehouse.server.app  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert "gatehouse.resolvers.members -> gatehouse.server.app" in result.stdout


def _circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each import of B by A where B leads back to A, as the circle's modules."""
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                found.add(tuple(sorted({module, *chain})))
    return sorted(list(c) for c in found)


def test_no_module_imports_itself_round_a_circle():
    graph = grimp.build_graph("gatehouse", exclude_type_checking_imports=True, cache_dir=None)
    circles = [
        c for c in _circles(graph) if not all(m.startswith(TYPES_THAT_NAME_EACH_OTHER) for m in c)
    ]
    assert circles == []


def test_the_cycle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.y", imported="a.z")
    assert _circles(graph) == [["a.x", "a.y"]]

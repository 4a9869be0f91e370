"""The package's seams: no import cycles (lazy imports included: one inside a function that
only hides a cycle still couples the two modules both ways)."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import preflight_scanner
import preflight_scanner.policies
import preflight_scanner.reports

# The package-dir mapping (pyproject.toml) makes these three roots, each its own directory.
ROOTS = (preflight_scanner, preflight_scanner.reports, preflight_scanner.policies)


def _modules() -> dict[str, Path]:
    """Every module of the package (reports and policies included), by dotted name."""
    found: dict[str, Path] = {}
    for root in ROOTS:
        found[root.__name__] = Path(str(root.__file__))
        for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}."):
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                found[info.name] = Path(spec.origin)
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules ``name`` imports anywhere but under ``if TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                targets.add(candidate if candidate in known else module)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {t for t in targets if t in known and t != name}


def test_the_package_has_no_import_cycle() -> None:
    modules = _modules()
    assert "preflight_scanner.reports.terminal" in modules  # the walk found the subpackages
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert "preflight_scanner.output" in graph["preflight_scanner.job"]  # edges are found
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None

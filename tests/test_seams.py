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


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in the package (private ones too), each module imported."""
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        if name.endswith(".__main__"):  # running it is all it does
            continue
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseException)
                    and value.__module__.startswith("preflight_scanner")):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


def test_every_exception_of_the_package_derives_from_the_one_hierarchy() -> None:
    from preflight_scanner.errors import PreflightError

    classes = _exception_classes()
    assert len(classes) >= 15  # the walk imported the modules that define them
    outside = [f"{c.__module__}.{c.__qualname__}" for c in classes
               if not issubclass(c, PreflightError)]
    assert outside == []


def test_the_signals_stay_catchable_as_their_builtin_kind_too() -> None:
    from preflight_scanner.aws import MutatingCallBlocked
    from preflight_scanner.errors import PreflightSignal
    from preflight_scanner.iam import UnmappedCall
    from preflight_scanner.policy.patterns import PatternError

    assert issubclass(MutatingCallBlocked, RuntimeError)
    assert issubclass(UnmappedCall, ValueError) and issubclass(PatternError, ValueError)
    assert all(issubclass(c, PreflightSignal)
               for c in (MutatingCallBlocked, UnmappedCall, PatternError))


def test_a_signal_that_escapes_its_catcher_is_reported_as_a_bug(monkeypatch, capsys) -> None:
    import click
    from preflight_scanner import cli
    from preflight_scanner.policy.unevaluable import Unevaluable

    @click.command(name="escape")
    def escape() -> None:
        raise Unevaluable("nobody caught this")

    monkeypatch.setitem(cli.cli.commands, "escape", escape)
    assert cli.main(["escape"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" in err and "nobody caught this" in err


def _commands(group: object, prefix: str = "") -> dict[str, object]:
    import click

    assert isinstance(group, click.Group)
    found: dict[str, object] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
    return found


def test_logging_is_configured_by_the_one_verbosity_option(tmp_path) -> None:
    import logging

    from preflight_scanner import cli
    from preflight_scanner.commands.options import _configure_logging

    verbose = {name: command for name, command in _commands(cli.cli).items()
               if any(p.name == "verbosity" for p in command.params)}  # type: ignore[attr-defined]
    assert {"scan", "merge", "iac", "demo", "drill", "runbooks check"} <= set(verbose)
    for name, command in verbose.items():
        [option] = [p for p in command.params if p.name == "verbosity"]  # type: ignore[attr-defined]
        assert option.callback is _configure_logging, name
    try:
        assert cli.main(["runbooks", "check", "-vv", str(tmp_path / "missing.md")]) == 2
        assert logging.getLogger("preflight").level == logging.DEBUG
        assert logging.getLogger("botocore.endpoint").level == logging.DEBUG
    finally:
        assert cli.main(["runbooks", "check", str(tmp_path / "missing.md")]) == 2
    assert logging.getLogger("preflight").level == logging.ERROR  # the next command resets it
    assert logging.getLogger("botocore.endpoint").handlers == []

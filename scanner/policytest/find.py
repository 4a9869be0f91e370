"""Where case files are: beside the loaded policies, or the paths given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import InputError, Problem
from ..policy.loader import POLICY_SUFFIXES
from ..policy.model import Policy

# Where the cases of a policy live: tests/<policy id>.yml in the policy's own directory
# (a folder the policy loader skips).
TESTS_DIR = "tests"


def cases_path(policy: Policy) -> Path:
    return Path(policy.source).parent / TESTS_DIR / f"{policy.id}.yml"


def files_beside(policies: Sequence[Policy]) -> tuple[list[Path], list[str]]:
    """The case files of ``policies`` and the ids of the policies that have none."""
    found = [(p.id, _shown(cases_path(p))) for p in policies]
    return ([path for _, path in found if path.is_file()],
            [pid for pid, path in found if not path.is_file()])


def _shown(path: Path) -> Path:
    """Relative to the working directory when under it: what a reader can open."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def find_case_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    problems = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.suffix in POLICY_SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, None, "no such file or directory",
                                    "give case files, or directories of them"))
    if problems:
        raise InputError(problems)
    unique: dict[Path, Path] = {}  # a file named twice (itself and its directory) runs once
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())

"""Which files ``preflight iac`` reads: the paths given, directories walked.

Each file named and each file under a directory with a template or plan suffix (tool
directories skipped) is judged by its content (filekind.py). What a walk passes over is
listed, so a template that was not recognised cannot go unnoticed; a named file that is not
infrastructure, or paths holding none at all, is an input error: a pre-deploy gate that
checked nothing must not pass.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, Problem
from .filekind import CONVERT_PLAN, kind_of, not_infrastructure

SKIP_DIRS = {".git", "node_modules", ".terraform", "__pycache__", ".venv", "venv"}
SUFFIXES = {".json", ".yaml", ".yml", ".template"}


def relative(path: Path) -> str:
    """As findings show it: relative to the current directory (the repository root in CI)."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_posix()


def discover(paths: Sequence[str]) -> dict[Path, str]:
    """The templates and plans to read, each with its kind (see ``discover_all``)."""
    return discover_all(paths)[0]


def discover_all(paths: Sequence[str]) -> tuple[dict[Path, str], list[str]]:
    """The templates and plans to read, each with its kind ("cloudformation" or
    "terraform"), and why each file or directory walked past was skipped: each file named,
    and each directory's files with a template or plan suffix (walked, tool directories
    skipped) whose content is one. A named file that is neither, or paths that hold none at
    all, is an input error: a pre-deploy gate that checked nothing must not pass. What a
    walk skips is listed, so a template that was not recognised cannot go unnoticed."""
    skipped: list[str] = []
    seen: set[str] = set()  # the suffixes and names walked past, for a hint
    files, named = _gather(paths, seen, skipped)
    found = _classify(files, named, skipped)
    if not found:
        raise InputError([_nothing_found(paths, len(files), seen)])
    return found, skipped


def _gather(paths: Sequence[str], seen: set[str], skipped: list[str]
            ) -> tuple[list[Path], dict[Path, str | None]]:
    """The files named and walked, and the kind of each named one; every path that is
    missing, unreadable or a named file that is not infrastructure is one input error."""
    files: list[Path] = []
    named: dict[Path, str | None] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        unreadable = _unreadable(path)
        if unreadable is not None:
            problems.append(Problem(raw[:300], None, None, f"cannot read: {unreadable}",
                                    "pass a shorter path (a relative one, or cd nearer)"))
        elif path.is_dir():
            files.extend(_walk(path, seen, skipped))
        elif path.is_file():
            named[path] = kind_of(path)
            if named[path] is None:
                problems.append(not_infrastructure(path, raw))
            files.append(path)
        else:
            problems.append(Problem(raw, None, None, "no such file or directory"))
    if problems:
        raise InputError(problems)
    return files, named


def _classify(files: list[Path], named: dict[Path, str | None], skipped: list[str]
              ) -> dict[Path, str]:
    """Each file (once) with its kind; one that is neither is added to ``skipped``."""
    found: dict[Path, str] = {}
    for file in dict.fromkeys(files):
        kind = named[file] if file in named else kind_of(file)
        if kind is not None:
            found[file] = kind
        else:
            skipped.append(f"skipped {relative(file)}: {_why_not(file)}")
    return found


def _unreadable(path: Path) -> str | None:
    """Why a path cannot even be looked at (a name longer than the file system allows:
    ENAMETOOLONG), or None; a missing path is reported as such by the caller."""
    try:
        path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _walk(directory: Path, seen: set[str], skipped: list[str]) -> list[Path]:
    """The files under ``directory`` with a template or plan suffix; what it leaves out
    (tool directories, other suffixes) is added to ``skipped``."""
    files: list[Path] = []
    others: dict[str, int] = {}
    for root, dirs, names in os.walk(directory):
        for d in sorted(d for d in dirs if d in SKIP_DIRS or d.startswith(".")):
            skipped.append(f"skipped directory {relative(Path(root) / d)}: a tool directory")
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        seen.update(names)
        seen.update(Path(n).suffix.lower() for n in names)
        for name in sorted(names):
            suffix = Path(name).suffix.lower()
            if suffix in SUFFIXES:
                files.append(Path(root) / name)
            else:
                others[suffix or "(none)"] = others.get(suffix or "(none)", 0) + 1
    if others:
        counts = ", ".join(f"{suffix} {n}" for suffix, n in sorted(others.items()))
        skipped.append(f"skipped {sum(others.values())} file(s) under {relative(directory)} "
                       f"without a template or plan suffix ({counts})")
    return files


def _why_not(path: Path) -> str:
    """Why a file walked past is not a template or plan (the problem, without its path)."""
    problem = not_infrastructure(path, str(path))
    where = f"line {problem.line}: " if problem.line is not None else ""
    return where + problem.message.split(": expected", 1)[0]


def _nothing_found(paths: Sequence[str], count: int, seen: set[str]) -> Problem:
    """Directories that hold no template or plan: checking nothing must not pass."""
    suffixes = ", ".join(sorted(SUFFIXES))
    message = (f"no CloudFormation template or Terraform plan found in {count} file(s) "
               f"ending {suffixes}")
    if ".tf" in seen:
        hint = f"did you mean the plan of these .tf files? {CONVERT_PLAN}, then pass plan.json"
    elif "cdk.json" in seen:
        hint = "did you mean the CDK app's templates? run `cdk synth` and pass cdk.out"
    else:
        hint = ("pass the templates (YAML or JSON whose Resources hold AWS:: types) or the "
                "JSON of `terraform show -json plan.out`")
    return Problem(", ".join(paths), None, None, message, hint)

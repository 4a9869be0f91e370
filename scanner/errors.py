"""One exception hierarchy. Every user-facing error says where it is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


class PreflightError(Exception):
    """Base class: anything the CLI turns into a clean message instead of a traceback."""

    exit_code = 2


class PreflightSignal(PreflightError):
    """A signal between Preflight's own parts, caught where it is raised for (a value that
    cannot be computed, a write the read-only guard stopped, an interrupted publication).
    One that reaches the CLI escaped its catcher: a bug, reported with its traceback."""

    exit_code = 3


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, located as precisely as we can."""

    path: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class InputError(PreflightError):
    """Invalid input: policies, config, command line. Carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def some(keys: list[str], shown: int = 5) -> str:
    """The first few keys, quoted: a hostile file may have thousands."""
    text = ", ".join(repr(k[:80]) for k in keys[:shown])
    return text + (f" and {len(keys) - shown} more" if len(keys) > shown else "")

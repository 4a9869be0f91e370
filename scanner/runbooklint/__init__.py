"""`preflight runbooks lint`: every AWS CLI command in a runbook's shell blocks, checked
against the API models botocore ships. Static: no AWS access, no credentials.

find the files -> their fenced shell blocks (markdown.py) -> the simple commands in each
(shell.py) -> the ``aws`` ones -> the rules (checks.py) over the CLI's view of the models
(cli_model.py, customizations.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from .checks import check_invocation
from .markdown import shell_blocks
from .shell import Word, commands

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".txt"})
# Wrappers that run the command after them unchanged.
_PREFIXES = frozenset({"do", "then", "else", "elif", "if", "while", "until", "time", "!", "{",
                       "sudo", "exec", "command", "nohup", "env", "$"})


@dataclass(frozen=True)
class FileReport:
    path: str
    commands: int  # AWS CLI invocations found
    problems: tuple[Problem, ...]


def find_files(paths: Iterable[str]) -> list[Path]:
    """The Markdown files named, and those under the directories named; bad input is exit 2."""
    found: list[Path] = []
    problems: list[Problem] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES)
            if not inside:
                problems.append(Problem(name, None, None, "no Markdown files in this directory",
                                        "name .md files (or .txt files holding Markdown)"))
            found += inside
        elif not path.exists():
            problems.append(Problem(name, None, None, "no such file or directory"))
        elif path.suffix.lower() not in MARKDOWN_SUFFIXES:
            problems.append(Problem(name, None, None, "not a Markdown file",
                                    "name .md, .markdown or .txt files holding Markdown"))
        else:
            found.append(path)
    if problems:
        raise InputError(problems)
    return found


def read_markdown(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError([Problem(str(path), None, None, f"cannot be read: {reason}",
                                  "lint UTF-8 Markdown files")]) from exc
    if "\x00" in text:
        raise InputError([Problem(str(path), None, None, "is binary, not Markdown")])
    return text


def lint_markdown(text: str, path: str) -> FileReport:
    count = 0
    problems: list[Problem] = []
    for block in shell_blocks(text):
        for command in commands(block.text):
            words = _strip_prefixes(command.words)
            if not words or words[0].text != "aws":
                continue
            count += 1
            for issue in check_invocation(words):
                line, column = block.locate(issue.word.line, issue.word.column)
                problems.append(Problem(path, line, column, issue.message, issue.hint))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return FileReport(path, count, tuple(problems))


def _strip_prefixes(words: tuple[Word, ...]) -> tuple[Word, ...]:
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, _ = word.raw.partition("=")
        if word.text in _PREFIXES or (eq and name.isidentifier()):
            i += 1  # `X=1 aws ...`, `do aws ...`, `sudo aws ...`, `$ aws ...` (a prompt)
        else:
            break
    return words[i:]


def lint_files(paths: Iterable[str]) -> list[FileReport]:
    files = find_files(paths)
    return [lint_markdown(read_markdown(path), str(path)) for path in files]


def lint_paths(paths: Iterable[str]) -> list[Problem]:
    """Every problem in the AWS CLI commands of these Markdown files and directories."""
    return [problem for report in lint_files(paths) for problem in report.problems]

"""Runbook sections, found by reference: ``disaster-recovery#restore-a-dynamodb-table``.

A reference names a Markdown file (without .md) and a section anchor, the GitHub-style slug
of the section's heading. The built-in runbooks ship in policies/runbooks/; a config can
point at an organisation's own directory of Markdown files, or at a URL base (a wiki),
keeping the same references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@dataclass(frozen=True)
class Section:
    runbook: str
    anchor: str
    title: str
    level: int
    markdown: str  # the heading and everything under it, up to the next peer heading

    @property
    def ref(self) -> str:
        return f"{self.runbook}#{self.anchor}"


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    sections: dict[str, Section] = field(default_factory=dict)


def parse_runbook(name: str, text: str) -> Runbook:
    lines = text.splitlines()
    headings: list[tuple[int, int, str]] = []  # (line index, level, title)
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            headings.append((i, len(match.group(1)), match.group(2)))
    sections: dict[str, Section] = {}
    title = name
    for n, (start, level, heading) in enumerate(headings):
        if level == 1:
            title = heading
            continue
        end = next((s for s, lvl, _ in headings[n + 1:] if lvl <= level), len(lines))
        anchor = slug(heading)
        sections.setdefault(anchor, Section(name, anchor, heading, level,
                                            "\n".join(lines[start:end]).strip()))
    return Runbook(name, title, sections)


def builtin_runbook_dir() -> Path:
    return Path(str(resources.files("preflight_scanner.policies").joinpath("runbooks")))


class RunbookLibrary:
    """Where runbooks live: a directory of Markdown files, and optionally a URL base for links."""

    def __init__(self, directory: Path | None = None, url: str | None = None):
        # A wiki without a local copy cannot be checked; a directory (given or built-in) can.
        self.checkable = directory is not None or url is None
        self.directory = directory or builtin_runbook_dir()
        self.url = url
        self._cache: dict[str, Runbook | None] = {}

    def runbook(self, name: str) -> Runbook | None:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> Runbook | None:
        path = self.directory / f"{name}.md"
        try:
            return parse_runbook(name, path.read_text(encoding="utf-8")) if path.is_file() else None
        except (OSError, ValueError):
            # A reference longer than the file system allows (ENAMETOOLONG), a NUL in it, a
            # file that is not UTF-8 text: no such runbook, which the caller reports.
            return None

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.md"))

    def section(self, ref: str) -> Section | None:
        name, _, anchor = ref.partition("#")
        book = self.runbook(name)
        return book.sections.get(anchor) if book else None

    def suggest(self, ref: str) -> str:
        """A hint for a reference that does not resolve."""
        name, _, _ = ref.partition("#")
        book = self.runbook(name)
        if book is None:
            return "runbooks available: " + ", ".join(self.names())
        return f"sections of {name}: " + ", ".join(book.sections)

    def link(self, ref: str) -> str:
        """Where a reader follows the reference: the wiki URL, or the Markdown file."""
        name, _, anchor = ref.partition("#")
        if self.url:
            if "{runbook}" in self.url or "{anchor}" in self.url:
                return self.url.format(runbook=name, anchor=anchor)
            return f"{self.url.rstrip('/')}/{name}#{anchor}"
        if self.directory == builtin_runbook_dir():
            # Machine-independent: where the file sits in Preflight's own source tree.
            return f"policies/runbooks/{name}.md#{anchor}"
        return f"{self.directory / name}.md#{anchor}"

"""Runbook sections, found by reference: ``disaster-recovery#restore-a-dynamodb-table``.

A reference names a Markdown file (without .md) and a section anchor, the GitHub-style slug
of the section's heading. The built-in runbooks ship in policies/runbooks/; a config can
point at an organisation's own directory of Markdown files, or at a URL base (a wiki),
keeping the same references.

Headings are found by markdown-it-py, the same CommonMark parser the reports render with and
the runbook linter reads fences with: setext headings count, a ``#`` line in a code fence or
an indented code block does not, and anchors follow GitHub's rules, duplicates included.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token


@cache
def markdown_parser() -> MarkdownIt:
    """CommonMark with GitHub's tables and strikethrough (both in markdown-it-py's core, so no
    plugin package is needed) and raw HTML off: a runbook's ``<script>`` is text.

    Every link target parses as a link, ``javascript:`` included: the HTML renderer
    (reports/markdown_html.py) decides what may be followed and shows the rest as its text,
    rather than markdown-it printing the whole ``[label](target)`` source."""
    parser = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False})
    parser.enable(["table", "strikethrough"])
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


# What GitHub keeps in an anchor: letters, marks, digits, connector punctuation ("_"), the
# hyphen and the space (which becomes a hyphen). Everything else (punctuation, symbols,
# emoji, other spaces, controls) is dropped, as github-slugger does.
_KEPT = ("L", "M", "Nd", "Nl", "Pc")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: lowercase, punctuation dropped, spaces to hyphens."""
    kept = (c for c in heading.lower()
            if c in "- " or unicodedata.category(c).startswith(_KEPT))
    return "".join(kept).replace(" ", "-")


class Slugger:
    """Unique anchors for the headings of one document, in order, the way GitHub numbers
    repeated headings: ``foo``, ``foo-1``, ``foo-2`` (skipping a suffix a heading already took)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, heading: str) -> str:
        base = candidate = slug(heading)
        while candidate in self._seen:
            self._seen[base] += 1
            candidate = f"{base}-{self._seen[base]}"
        self._seen[candidate] = 0
        return candidate


def inline_text(token: Token) -> str:
    """The text a reader sees in an inline token (a heading's): markup dropped, code kept."""
    if not token.children:
        return token.content
    return "".join(" " if child.type in ("softbreak", "hardbreak") else child.content
                   for child in token.children if child.type in _TEXT)


_TEXT = frozenset({"text", "code_inline", "softbreak", "hardbreak"})


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    anchor: str
    line: int  # 0-based line where the heading starts
    nested: bool  # inside a list item or a block quote: an anchor, not a section


def headings(tokens: Sequence[Token]) -> Iterator[Heading]:
    """Every heading of a parsed document with its GitHub anchor, in document order."""
    anchor = Slugger()
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            title = inline_text(tokens[i + 1]).strip()
            yield Heading(int(token.tag[1]), title, anchor(title), token.map[0], token.level > 0)


def lines_of(text: str) -> list[str]:
    """The lines as markdown-it numbers them (it splits on LF, CR LF and CR only)."""
    return re.split(r"\r\n?|\n", text)


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
    """Sections by anchor. The level-1 heading is the title; every other heading outside a
    list or quote starts a section that runs to the next heading of the same or a higher level."""
    lines = lines_of(text)
    found = list(headings(markdown_parser().parse(text)))
    tops = [h for h in found if not h.nested]
    sections: dict[str, Section] = {}
    title = next((h.title for h in tops if h.level == 1), name)
    for n, heading in enumerate(tops):
        if heading.level == 1:
            continue
        end = next((h.line for h in tops[n + 1:] if h.level <= heading.level), len(lines))
        sections[heading.anchor] = Section(name, heading.anchor, heading.title, heading.level,
                                           "\n".join(lines[heading.line:end]).strip())
    return Runbook(name, title, sections)


@lru_cache(maxsize=64)
def _parsed(name: str, text: str) -> Runbook:
    """parse_runbook, once per text: a scan reads the same runbooks through two libraries
    (checking the policies' references, then the report's excerpts), and parsing with
    markdown-it is the cost (about 7 ms for a runbook of the pack). Keyed by the text read,
    so an edited file is parsed again."""
    return parse_runbook(name, text)


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
            return _parsed(name, path.read_text(encoding="utf-8")) if path.is_file() else None
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

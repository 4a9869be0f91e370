"""A runbook file -> its sections and its steps (each AWS CLI command under a heading).

Built on `preflight runbooks lint`'s reading of Markdown and shell (runbooklint): the same
fences, the same words with the same file:line:column, so a step id and a lint problem point
at the same place. Front matter (YAML between ``---`` lines at the top) is read here and
blanked before Markdown parsing, keeping every other line at its own number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from ..errors import InputError, Problem
from ..runbooklint import _strip_prefixes
from ..runbooklint.markdown import Block, shell_blocks
from ..runbooklint.shell import Word, commands
from ..runbooks import slug
from ..yamlfile import Pointer, YamlDocument, load_yaml

_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)=")


@dataclass(frozen=True)
class FrontMatter:
    bindings: dict[str, Any] = field(default_factory=dict)
    scope: dict[str, Any] = field(default_factory=dict)
    document: YamlDocument | None = field(default=None, compare=False, repr=False)

    def problem(self, path: str, pointer: Pointer, message: str, hint: str) -> Problem:
        if self.document is None:
            return Problem(path, None, None, message, hint)
        return self.document.problem(pointer, message, hint)


@dataclass(frozen=True)
class ParsedStep:
    id: str
    section: str  # anchor
    line: int
    column: int
    command: str
    words: tuple[Word, ...]  # from `aws` on
    runtime: frozenset[str]  # shell variables the runbook itself sets (VERSION=$(...))
    loops: tuple[tuple[str, tuple[str, ...]], ...]  # `for m in A B C`: m -> (A, B, C)


@dataclass(frozen=True)
class ParsedSection:
    anchor: str
    title: str
    line: int
    markdown: str


@dataclass(frozen=True)
class ParsedRunbook:
    name: str
    path: str
    title: str
    front: FrontMatter
    sections: tuple[ParsedSection, ...]
    steps: tuple[ParsedStep, ...]


def parse_file(path: Path, text: str) -> ParsedRunbook:
    front, body = _front_matter(str(path), text)
    lines = body.splitlines()
    headings = _headings(body)
    title = next((t for level, t, _ in headings if level == 1), path.stem)
    anchored = _anchored(headings)
    ends = [line for _, _, line in anchored[1:]] + [len(lines) + 1]
    sections = [ParsedSection(anchor, heading, line, "\n".join(lines[line - 1:end - 1]).strip())
                for (anchor, heading, line), end in zip(anchored, ends, strict=True)]
    steps: list[ParsedStep] = []
    counts: dict[str, int] = {}
    for block in shell_blocks(body):
        runtime, loops = _variables(block)
        block_lines = block.text.splitlines()
        for command in commands(block.text):
            words = _strip_prefixes(command.words)
            if not words or words[0].text != "aws":
                continue
            line, column = block.locate(words[0].line, words[0].column)
            section = next((s for s in reversed(sections) if s.line <= line), None)
            anchor = section.anchor if section else ""
            counts[anchor] = counts.get(anchor, 0) + 1
            shown = "\n".join(block_lines[words[0].line:words[-1].line + 1]).strip()
            steps.append(ParsedStep(f"{path.stem}#{anchor}/step-{counts[anchor]}", anchor, line,
                                    column, shown, words, runtime, loops))
    if any(not s.section for s in steps) and not any(s.anchor == "" for s in sections):
        sections.insert(0, ParsedSection("", title, 1, ""))
    return ParsedRunbook(path.stem, str(path), title, front, tuple(sections), tuple(steps))


def _front_matter(path: str, text: str) -> tuple[FrontMatter, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return FrontMatter(), text
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        raise InputError([Problem(path, 1, 1, "front matter starts with --- but never ends",
                                  "close it with a line holding only ---")])
    # The opening --- becomes an empty line, so YAML's line numbers are the file's; the
    # shared loader bounds size, depth and alias expansion.
    doc = load_yaml(path, "\n".join(["", *lines[1:end]]))
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "front matter must be a mapping",
                                      "write bindings: and scope: keys between the --- lines")])
    problems = []
    bindings, scope = data.get("bindings") or {}, data.get("scope") or {}
    if not isinstance(bindings, dict):
        problems.append(doc.problem(("bindings",), "front matter bindings: must map placeholder "
                                    "names to values", "e.g. bindings: {TABLE_NAME: {resource: "
                                    "dynamodb-table}, QUEUE: orders-${ENVIRONMENT}}"))
    if not isinstance(scope, dict) or set(scope) - {"accounts", "environments", "regions"} or \
            not all(isinstance(v, list) for v in scope.values()):
        problems.append(doc.problem(("scope",), "front matter scope: takes lists under "
                                    "accounts, environments and regions",
                                    "e.g. scope: {environments: [prod]}"))
    if problems:
        raise InputError(problems)
    blank = "\n" * (end + 1)  # the front matter's lines stay, empty: numbering is kept
    return FrontMatter({str(k): v for k, v in bindings.items()},
                       {k: [str(v) for v in vs] for k, vs in scope.items()}, doc), \
        blank + "\n".join(lines[end + 1:]) + "\n"


def _headings(body: str) -> list[tuple[int, str, int]]:
    """(level, title, 1-based line) of every heading, setext ones included."""
    tokens = MarkdownIt("commonmark").parse(body)
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            found.append((int(token.tag[1]), tokens[i + 1].content.strip(), token.map[0] + 1))
    return found


def _anchored(headings: list[tuple[int, str, int]]) -> list[tuple[str, str, int]]:
    """GitHub's anchors: the slug, then -1, -2 ... for repeated headings."""
    seen: dict[str, int] = {}
    out = []
    for _, title, line in headings:
        base = slug(title)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append((base if n == 0 else f"{base}-{n}", title, line))
    return out


def _variables(block: Block) -> tuple[frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]:
    """Names the block assigns at run time, and the literal lists its for loops run over."""
    runtime: set[str] = set()
    loops: list[tuple[str, tuple[str, ...]]] = []
    for command in commands(block.text):
        words = command.words
        for word in words:
            if (match := _ASSIGNED.match(word.raw)) is not None:
                runtime.add(match.group(1))
        if len(words) >= 3 and words[0].text == "for" and words[2].text == "in":
            values = tuple(w.text for w in words[3:])
            if values and not any(w.has_hole for w in words[3:]):
                loops.append((words[1].text, values))
            else:
                runtime.add(words[1].text)
        elif words and words[0].text in ("read", "export", "local", "declare"):
            runtime.update(w.raw.partition("=")[0] for w in words[1:]
                           if not w.raw.startswith("-"))
    runtime.difference_update(name for name, _ in loops)
    return frozenset(runtime), tuple(loops)

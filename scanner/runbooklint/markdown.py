"""The shell code blocks of a Markdown document, with where each of their lines sits in the file.

markdown-it-py finds the fences (CommonMark's rules: indented fences in list items, ``~~~``,
fences in block quotes), which a line-by-line regex gets wrong. It strips a list item's
indentation from the content, so each content line is matched back to its line in the file to
keep columns exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt

# The info strings of blocks that hold shell commands. An unlabelled fence counts too: runbooks
# often omit the language.
SHELL_LANGUAGES = frozenset({"", "bash", "sh", "shell", "console", "zsh", "shell-session",
                             "shellsession", "terminal"})
# Blocks that show a terminal session: only lines after a prompt are commands.
SESSION_LANGUAGES = frozenset({"console", "shell-session", "shellsession", "terminal"})


@dataclass(frozen=True)
class Block:
    """A fenced shell block: its text and, per line, the file line and the column offset."""

    language: str
    text: str
    first_line: int  # 1-based file line of the block's first content line
    offsets: tuple[int, ...]  # per content line: characters the renderer removed in front

    def locate(self, line: int, column: int) -> tuple[int, int]:
        """File line and 1-based column of a 0-based (line, column) inside the block."""
        offset = self.offsets[line] if line < len(self.offsets) else 0
        return self.first_line + line, offset + column + 1


def shell_blocks(markdown: str) -> list[Block]:
    lines = markdown.splitlines()
    blocks: list[Block] = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type != "fence" or token.map is None:
            continue
        language = token.info.strip().split(maxsplit=1)[0].lower() if token.info.strip() else ""
        if language not in SHELL_LANGUAGES:
            continue
        start = token.map[0] + 1  # 0-based index of the first content line
        content = token.content.splitlines()
        offsets = tuple(_offset(lines[start + i] if start + i < len(lines) else "", text)
                        for i, text in enumerate(content))
        text = token.content
        if language in SESSION_LANGUAGES:
            text = _session_commands(content)
        blocks.append(Block(language, text, start + 1, offsets))
    return blocks


def _offset(original: str, content: str) -> int:
    if content and original.endswith(content):
        return len(original) - len(content)
    return len(original) - len(original.lstrip(" >"))  # best effort (tabs, odd quoting)


def _session_commands(lines: list[str]) -> str:
    """Keep prompted lines (``$ aws ...``) and their continuations; blank the output lines.

    Blanking rather than dropping keeps every kept line at its own line number.
    """
    kept: list[str] = []
    continuing = False
    for line in lines:
        stripped = line.lstrip()
        if continuing:
            kept.append(line)
        elif stripped.startswith(("$ ", "% ")):
            indent = len(line) - len(stripped)
            kept.append(" " * (indent + 2) + stripped[2:])
        else:
            kept.append("")
            continue
        continuing = line.rstrip().endswith("\\")
    return "\n".join(kept) + "\n"

"""A small shell reader: the simple commands of a script, each word with its position.

Not a shell: enough of POSIX sh and bash to find every command a runbook runs and what each
word will be once the shell has removed quotes. Line continuations, comments, quotes, ``$(...)``
and backquotes (whose commands are found too), ``${...}``/``$VAR``, pipes and lists
(``|``, ``&&``, ``||``, ``;``, ``&``), subshells, redirections and here-documents are handled.
Whatever the shell fills in at run time becomes HOLE in a word's text, so a check can tell a
value it can judge from one it cannot. ``shlex`` is not used: it loses positions and does not
know ``$(...)``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

HOLE = "\x00"  # stands for text the shell (or the reader of a runbook) fills in

# A placeholder a runbook asks the reader to replace: <id>, <PREVIOUS_VERSION>, <account-id>.
# To the shell it would be a redirection; in a runbook it is a value.
_ANGLE = re.compile(r"<[A-Za-z_][\w.:/|-]*>")
_QUOTED_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_]\w*\}|<[A-Za-z_][\w.:/|-]*>")
_NAME = re.compile(r"[A-Za-z_]\w*|[0-9?@*#$!-]")
_BREAK = frozenset(" \t\n;&|()")


@dataclass(frozen=True)
class Word:
    text: str  # the argument the command receives, HOLE where the shell substitutes
    raw: str  # as written in the runbook
    line: int  # 0-based, within the source given to commands()
    column: int  # 0-based

    @property
    def has_hole(self) -> bool:
        return HOLE in self.text


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[Word, ...]


def commands(source: str) -> list[SimpleCommand]:
    """Every simple command in the script, nested ones included, in source order."""
    scanner = _Scanner(source)
    scanner.parse(None)
    return sorted(scanner.found, key=lambda c: (c.words[0].line, c.words[0].column))


class _Scanner:
    def __init__(self, src: str):
        self.src = src
        self.i = 0
        self.found: list[SimpleCommand] = []
        self.heredocs: list[str] = []  # delimiters whose bodies start at the next newline
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", src)]

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.src[j] if j < len(self.src) else ""

    def parse(self, stop: str | None) -> None:
        """Read commands up to ``stop`` (")" or "`") or the end of the source."""
        words: list[Word] = []
        while self.i < len(self.src):
            c = self.peek()
            if c == "\\" and self.peek(1) == "\n":
                self.i += 2
            elif c in " \t\r":
                self.i += 1
            elif c == "\n":
                self._flush(words)
                self.i += 1
                self._skip_heredoc_bodies()
            elif stop is not None and c == stop:
                self.i += 1
                break
            elif c == "#":
                end = self.src.find("\n", self.i)
                self.i = len(self.src) if end < 0 else end
            elif c in ";&|":
                self._flush(words)
                self.i += 2 if self.peek(1) == c else 1
            elif c == "(":
                self._flush(words)
                self.i += 1
                self.parse(")")
            elif c == ")":  # unbalanced: end the command, keep going
                self._flush(words)
                self.i += 1
            elif c in "<>" and not _ANGLE.match(self.src, self.i):
                if words and words[-1].raw.isdigit() and words[-1].column + len(words[-1].raw) == \
                        self._where(self.i)[1]:
                    words.pop()  # 2>file: the digit names a file descriptor
                self._redirection()
            else:
                words.append(self._word(stop))
        self._flush(words)

    def _flush(self, words: list[Word]) -> None:
        if words:
            self.found.append(SimpleCommand(tuple(words)))
            words.clear()

    def _where(self, pos: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, pos) - 1
        return line, pos - self.line_starts[line]

    def _redirection(self) -> None:
        if self.src.startswith("<<<", self.i):
            self.i += 3
            self._skip_blanks()
            self._word(None)
            return
        if self.src.startswith("<<", self.i):
            self.i += 3 if self.peek(2) == "-" else 2
            self._skip_blanks()
            # The delimiter's quotes only say whether the body expands; either way it is text.
            self.heredocs.append(self._word(None).text.replace(HOLE, ""))
            return
        while self.peek() in ("<", ">", "&", "|") and self.peek():
            self.i += 1
        self._skip_blanks()
        if self.peek() and self.peek() not in _BREAK:
            self._word(None)  # the file (or descriptor) redirected to: not an argument

    def _skip_blanks(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def _skip_heredoc_bodies(self) -> None:
        while self.heredocs:
            delimiter = self.heredocs.pop(0)
            while self.i < len(self.src):
                end = self.src.find("\n", self.i)
                end = len(self.src) if end < 0 else end
                line = self.src[self.i:end]
                self.i = min(end + 1, len(self.src))
                if line.strip() == delimiter:
                    break

    def _word(self, stop: str | None) -> Word:
        start = self.i
        text: list[str] = []
        while self.i < len(self.src):
            c = self.peek()
            if c in _BREAK or c == stop:
                break
            if c in "<>":
                angle = _ANGLE.match(self.src, self.i)
                if angle is None:
                    break
                text.append(HOLE)
                self.i = angle.end()
            elif c == "\\":
                if self.peek(1) != "\n":
                    text.append(self.peek(1))
                self.i += 2
            elif c == "'":
                end = self.src.find("'", self.i + 1)
                end = len(self.src) if end < 0 else end
                # The shell keeps '${TABLE}' and '<id>' as they are, but in a runbook they are
                # still placeholders the reader fills in ('{"TargetValue": ${TARGET}}').
                text.append(_QUOTED_PLACEHOLDER.sub(HOLE, self.src[self.i + 1:end]))
                self.i = end + 1
            elif c == '"':
                self._double_quoted(text)
            else:
                self._substitution_or_character(text)
        if self.i == start:  # a stray character no rule takes: consume it so the scan ends
            text.append(self.peek())
            self.i += 1
        line, column = self._where(start)
        return Word("".join(text), self.src[start:self.i], line, column)

    def _double_quoted(self, text: list[str]) -> None:
        self.i += 1
        while self.i < len(self.src) and self.peek() != '"':
            c = self.peek()
            angle = _ANGLE.match(self.src, self.i) if c == "<" else None
            if c == "\\" and self.peek(1) in ('"', "\\", "$", "`", "\n"):
                if self.peek(1) != "\n":
                    text.append(self.peek(1))
                self.i += 2
            elif angle is not None:
                text.append(HOLE)
                self.i = angle.end()
            else:
                self._substitution_or_character(text)
        self.i += 1

    def _substitution_or_character(self, text: list[str]) -> None:
        """``$...`` and backquotes become a hole (a value known only when run), in or out of
        double quotes alike; anything else is itself."""
        c = self.peek()
        if c == "$":
            self._dollar(text)
        elif c == "`":
            self.i += 1
            self.parse("`")
            text.append(HOLE)
        else:
            text.append(c)
            self.i += 1

    def _dollar(self, text: list[str]) -> None:
        nxt = self.peek(1)
        if self.src.startswith("$((", self.i):
            self.i = self._matching(self.i + 1, "(", ")")
        elif nxt == "(":
            self.i += 2
            self.parse(")")
        elif nxt == "{":
            self.i = self._matching(self.i + 1, "{", "}")
        elif nxt == "'":  # $'...': ANSI-C quoting, a literal for our purposes
            end = self.src.find("'", self.i + 2)
            end = len(self.src) if end < 0 else end
            text.append(self.src[self.i + 2:end])
            self.i = end + 1
            return
        elif (name := _NAME.match(self.src, self.i + 1)) is not None:
            self.i = name.end()
        else:
            text.append("$")
            self.i += 1
            return
        text.append(HOLE)

    def _matching(self, start: int, opening: str, closing: str) -> int:
        """The index after the bracket that closes the one at ``start``."""
        depth = 0
        for j in range(start, len(self.src)):
            if self.src[j] == opening:
                depth += 1
            elif self.src[j] == closing:
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(self.src)

"""Making strings from AWS safe to print."""

from __future__ import annotations

import logging
import re

# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder what a
# terminal shows ("Trojan Source"), so a resource name could display as another one.
_BIDI = "\u202a-\u202e\u2066-\u2069"
# C0/C1 control characters (ESC starts terminal escape sequences), except tab, and the above.
_CONTROL = re.compile(f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f{_BIDI}]")
# The same, but newlines stay: multi-line text such as a log record with its traceback.
_CONTROL_BUT_NEWLINE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: object) -> str:
    """A string that cannot move the cursor, recolour or retitle a terminal."""
    return _CONTROL.sub(_escape, str(text))


def inert_lines(text: object) -> str:
    """Like inert, keeping line breaks (\\n) as they are."""
    return _CONTROL_BUT_NEWLINE.sub(_escape, str(text))


class InertFormatter(logging.Formatter):
    """A log formatter whose output cannot carry terminal escape sequences.

    Log messages quote AWS error messages and exceptions, which quote AWS data (names,
    tags); a record and its traceback are printed with every control character but the
    line break escaped.
    """

    def format(self, record: logging.LogRecord) -> str:
        return inert_lines(super().format(record))

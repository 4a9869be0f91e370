"""Regular expressions from policies, run by RE2: time linear in the text, memory bounded.

A policy's ``matches`` / ``any_matches`` pattern may come from a pull request, a config
override or a ``{template: ...}`` rendered per resource, and it runs on AWS strings. With
Python's backtracking ``re``, ``^(a+)+$`` against a 40-character name runs for minutes.
RE2 (``google-re2``) guarantees time linear in the length of the text and compiles each
pattern within a memory budget, so no pattern can stall a scan; in exchange it has no
backreferences (``\\1``, ``(?P=name)``), lookaround (``(?=``, ``(?!``, ``(?<=``,
``(?<!``) or possessive and atomic groups, which a check on names and tags does not need.
A pattern RE2 refuses is a validation error for a literal, and an ``error`` finding with
the reason for one that arrives at scan time (a parameter override, a template).
"""

from __future__ import annotations

import functools
from typing import Any

import re2

from ..errors import PreflightSignal

MAX_PATTERN_CHARS = 2_000
# RE2's memory budget for one compiled pattern (its program and DFA cache); a pattern past
# it does not compile. 2 MiB holds any pattern of MAX_PATTERN_CHARS a policy would write,
# and with at most _CACHED patterns kept compiled, the regex memory of a scan stays bounded.
MAX_PATTERN_MEMORY = 2 << 20
_CACHED = 128

SYNTAX_HINT = ("patterns use RE2 syntax (Python's re without backreferences or lookaround; "
               "\\z instead of \\Z): https://github.com/google/re2/wiki/Syntax")


class PatternError(PreflightSignal, ValueError):
    """A pattern RE2 will not run; ``str()`` says why, ``hint`` how to fix it."""

    hint = SYNTAX_HINT


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False  # RE2 would print its own copy of the error on stderr
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=_CACHED)
def compile_pattern(pattern: str) -> Any:
    """The compiled pattern (``.search(text)`` like ``re``), or PatternError."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"the pattern is {len(pattern):,} characters long, more than "
                           f"{MAX_PATTERN_CHARS:,}")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise PatternError(_reason(exc)) from None
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text can hold it
        raise PatternError("the pattern holds a lone surrogate (not a Unicode character)") from None


def search(pattern: Any, text: str) -> bool:
    """Whether ``pattern`` (compiled) occurs in ``text``; PatternError for text RE2 cannot read."""
    try:
        return pattern.search(text) is not None
    except UnicodeEncodeError:
        raise PatternError("the value holds a lone surrogate (not a Unicode character)") from None


def _reason(exc: Exception) -> str:
    # The binding's message is bytes: b'invalid escape sequence: \\1'.
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text[:200]

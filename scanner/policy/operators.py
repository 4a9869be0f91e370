"""The comparison operators a check leaf can use.

Each operator declares the JSON Schema of its operand, so the policy schema is generated
from this table and the language cannot drift from its validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import patterns
from .unevaluable import Unevaluable

_NUMBER = {"type": "number"}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_ANY = {"type": ["string", "number", "boolean", "null", "array", "object"]}
_LIST = {"type": "array", "items": _SCALAR, "minItems": 1}


@dataclass(frozen=True)
class Operator:
    name: str
    description: str
    operand_schema: dict[str, Any]
    test: Callable[[Any, Any], bool]
    needs_value: bool = True  # False for exists: a missing attribute is a valid answer


def _equals(actual: Any, expected: Any) -> bool:
    # YAML's true is not AWS's 1: booleans only equal booleans, inside lists and maps too.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(_equals, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_equals(v, expected[k])
                                                        for k, v in actual.items())
    return bool(actual == expected)


def _in(actual: Any, expected: Any) -> bool:
    # The operand may come from a parameter or another attribute: not always a list.
    return isinstance(expected, list) and any(_equals(actual, item) for item in expected)


def _not_in(actual: Any, expected: Any) -> bool:
    return isinstance(expected, list) and not any(_equals(actual, item) for item in expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda actual, expected: (
        _is_number(actual) and _is_number(expected) and compare(actual, expected)
    )


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, (list, dict)):  # a mapping holds its keys
        return any(_equals(item, expected) for item in actual)
    return False


def compile_regex(pattern: str) -> Any:
    """The pattern compiled by RE2 (linear time, bounded memory); PatternError if refused."""
    return patterns.compile_pattern(pattern)


def _matches(actual: Any, pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return False
    try:  # the pattern first: a broken one is unknown whatever the value, even null
        regex = compile_regex(pattern)
    except patterns.PatternError as exc:  # a literal is checked at load time; a parameter,
        # an attribute or a rendered template only here
        raise Unevaluable(f"the pattern {pattern[:80]!r} is not a regular expression RE2 "
                          f"runs: {exc}") from None
    try:
        return isinstance(actual, str) and patterns.search(regex, actual)
    except patterns.PatternError as exc:
        raise Unevaluable(str(exc)) from None


def _exists(actual: Any, expected: Any) -> bool:
    # An empty string is absent: AWS returns "" for an unset ARN or name in some answers,
    # and counting it as present would pass a stage with no web ACL.
    present = actual is not None and actual not in ("", {}, [])
    return present is bool(expected)


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", "The value equals the operand", _ANY, _equals),
        Operator("not_equals", "The value differs from the operand", _ANY,
                 lambda a, e: not _equals(a, e)),
        Operator("in", "The value is one of the listed values", _LIST,
                 _in),
        Operator("not_in", "The value is none of the listed values", _LIST,
                 _not_in),
        Operator("contains", "A list or mapping holds the operand, or a string contains it",
                 _SCALAR, _contains),
        Operator("gt", "The value is a number greater than the operand", _NUMBER,
                 _numeric(lambda a, e: a > e)),
        Operator("gte", "The value is a number greater than or equal to the operand", _NUMBER,
                 _numeric(lambda a, e: a >= e)),
        Operator("lt", "The value is a number less than the operand", _NUMBER,
                 _numeric(lambda a, e: a < e)),
        Operator("lte", "The value is a number less than or equal to the operand", _NUMBER,
                 _numeric(lambda a, e: a <= e)),
        Operator("matches", "The value is a string matching the regular expression (search)",
                 {"type": "string", "minLength": 1}, _matches),
        Operator("any_matches", "The value is a list with at least one string matching the "
                 "regular expression (search)", {"type": "string", "minLength": 1},
                 lambda a, e: isinstance(a, list) and any(_matches(item, e) for item in a)),
        Operator("exists", "true: the value is present and not empty; false: it is absent "
                 "or empty", {"type": "boolean"}, _exists, needs_value=False),
    )
}
# The operators whose operand is a regular expression (checked at load time, run by RE2).
REGEX_OPERATORS = frozenset({"matches", "any_matches"})

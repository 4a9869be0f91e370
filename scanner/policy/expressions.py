"""JMESPath expressions from policies, with bounded size and bounded cost.

An expression may come from a pull request. JMESPath has no loops, but it multiplies:
``[name, name] | [@, @] | [@, @] ...`` doubles a value per stage, and ``sort_by``,
``to_string`` or ``==`` over the result then walks 2^30 items. A deeply nested expression
recurses once per level in jmespath's parser and interpreter. So:

- at validation (``compile_expression``): at most MAX_EXPRESSION_CHARS characters,
  brackets and prefix operators nested at most MAX_EXPRESSION_DEPTH deep (checked on the
  tokens, before the recursive parser runs), and a syntax tree of at most
  MAX_EXPRESSION_NODES nodes and MAX_EXPRESSION_DEPTH levels (so evaluation cannot recurse
  deeply either);
- at evaluation (``search``): a budget of MAX_EVALUATION_STEPS per expression and
  resource, spent one step per syntax-tree node visited and one per item (or 64
  characters) of every value the expression builds (a list, an object, a projection, a
  function's result). Past it, the value cannot be computed: ``Unevaluable``, which makes
  the finding ``error`` with the reason. Values read from the resource are not charged:
  they are the resource's own size, not something the expression made.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jmespath
import jmespath.exceptions
from jmespath.lexer import Lexer
from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter

from .functions import OPTIONS
from .unevaluable import Unevaluable

MAX_EXPRESSION_CHARS = 1_000
MAX_EXPRESSION_DEPTH = 40
MAX_EXPRESSION_NODES = 400
MAX_EVALUATION_STEPS = 100_000
_CHARS_PER_STEP = 64

_OPENING = frozenset({"lparen", "lbracket", "lbrace", "filter"})
_CLOSING = frozenset({"rparen", "rbracket", "rbrace"})
_PREFIX = frozenset({"not", "expref"})  # operators that nest what follows them
# Nodes whose result is a value the expression built, rather than a part of the resource.
_BUILDERS = frozenset({"multi_select_list", "multi_select_dict", "projection",
                       "value_projection", "filter_projection", "flatten",
                       "function_expression", "slice"})

EXPRESSION_HINT = "write a simpler expression: one attribute, a filter, a function or two"


class ExpressionRejected(Unevaluable):
    """An expression refused before it runs (too long, too deep, too large)."""


class BudgetExceeded(Unevaluable):
    """An evaluation that spent its whole budget of steps."""


@functools.lru_cache(maxsize=2048)
def compile_expression(expression: str) -> ParsedResult:
    """Parse within the bounds; JMESPathError for bad syntax, ExpressionRejected past a bound."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionRejected(f"the expression is {len(expression):,} characters long, "
                                 f"more than {MAX_EXPRESSION_CHARS:,}")
    _check_nesting(expression)
    try:
        parsed = jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError:  # a ValueError too: the syntax, reported so
        raise
    except RecursionError:  # a safety net: _check_nesting keeps the parser shallow
        raise ExpressionRejected("the expression is nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a number of 5,000 digits: a[99999...]
        raise ExpressionRejected(f"the expression has a value Python cannot read: "
                                 f"{str(exc)[:120]}") from None
    _check_tree(parsed.parsed)
    return parsed


def _check_nesting(expression: str) -> None:
    """Brackets and prefix operators nest the recursive parser: bound them on the tokens."""
    depth = prefixes = 0
    try:
        for token in Lexer().tokenize(expression):
            kind = token["type"]
            depth += (kind in _OPENING) - (kind in _CLOSING)
            prefixes = prefixes + 1 if kind in _PREFIX else (prefixes if kind in _OPENING else 0)
            if depth + prefixes > MAX_EXPRESSION_DEPTH:
                raise ExpressionRejected(f"the expression nests more than "
                                         f"{MAX_EXPRESSION_DEPTH} levels deep (at character "
                                         f"{token['start'] + 1})")
    except jmespath.exceptions.JMESPathError:
        return  # a syntax error: the parser reports it with its position
    except (ValueError, OverflowError) as exc:
        raise ExpressionRejected(f"the expression has a value Python cannot read: "
                                 f"{str(exc)[:120]}") from None


def _check_tree(root: Mapping[str, Any]) -> None:
    """Count the syntax tree's nodes and levels without recursing."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_EXPRESSION_NODES:
            raise ExpressionRejected(f"the expression has more than {MAX_EXPRESSION_NODES} "
                                     "parts")
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionRejected(f"the expression nests more than {MAX_EXPRESSION_DEPTH} "
                                     "levels deep")
        stack.extend((child, depth + 1) for child in node.get("children", ())
                     if isinstance(child, dict))


# JMESPath's type names, as a sentence says them.
_KINDS = {"null": "not set", "array": "a list", "string": "text", "number": "a number",
          "object": "a mapping", "boolean": "true or false", "array-number": "a list of numbers",
          "array-string": "a list of texts", "expref": "an expression"}


def search(expression: str, document: Mapping[str, Any],
           budget: int = MAX_EVALUATION_STEPS) -> Any:
    """Evaluate within the budget; Unevaluable when it cannot be computed (with why)."""
    parsed = compile_expression(expression)
    try:
        return _BoundedInterpreter(budget).visit(parsed.parsed, document)
    except jmespath.exceptions.JMESPathTypeError as exc:  # a finding's message shows it
        wanted = " or ".join(_KINDS.get(t, t) for t in exc.expected_types)
        raise Unevaluable(f"the function {exc.function_name} was given a value that is "
                          f"{_KINDS.get(exc.actual_type, exc.actual_type)} where {wanted} is "
                          "needed") from None
    except jmespath.exceptions.JMESPathError as exc:
        raise Unevaluable(f"{type(exc).__name__}: {exc}") from None
    except RecursionError:  # a value nested deeper than Python recurses (to_string of it)
        raise Unevaluable("the value is nested too deeply to evaluate") from None


class _BoundedInterpreter(TreeInterpreter):
    """jmespath's interpreter, charged a step per node visited and per item it builds."""

    def __init__(self, budget: int):
        super().__init__(OPTIONS)
        self.left = budget
        self.budget = budget

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:  # jmespath's tree node
        self.spend(1)
        result = super().visit(node, *args, **kwargs)
        if node["type"] in _BUILDERS:
            self.spend(_size(result, self.left))
        return result

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise BudgetExceeded(f"the expression needs more than {self.budget:,} steps "
                                 "(values it builds count, item by item): it multiplies "
                                 "values or walks too much data")


def _size(value: Any, limit: int) -> int:
    """Items and 64-character units in ``value``, counting shared parts each time they
    occur (as a report would write them), without recursing; stops past ``limit``."""
    size = 0
    stack = [value]
    while stack and size <= limit:
        item = stack.pop()
        size += 1
        if isinstance(item, str):
            size += len(item) // _CHARS_PER_STEP
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return size

"""Check conditions: leaves compare one attribute, and all/any/not combine them.

Evaluation is pure and never short-circuits, so a finding's evidence lists every
attribute its verdict rests on, and the message names the leaves that decided it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from . import expressions
from .operators import Operator
from .unevaluable import Unevaluable

# Python errors an operator or expression may raise on a value of an unexpected shape (a
# 5,000-digit integer, a cycle): the leaf cannot be computed, which is an error, not a pass.
COMPUTATION_ERRORS = (Unevaluable, TypeError, ValueError, OverflowError, RecursionError)


@dataclass(frozen=True)
class ParamRef:
    """An operand taken from the policy's parameters: ``{param: max_seconds}``."""

    name: str


@dataclass(frozen=True)
class AttrRef:
    """An operand taken from another attribute of the same resource."""

    expression: str


@dataclass(frozen=True)
class TemplateRef:
    """An operand rendered per resource: ``{template: "^{{ params.app }}-{{ environment }}-"}``."""

    source: str


@dataclass(frozen=True)
class LeafResult:
    expression: str
    operator: str
    expected: Any
    actual: Any
    passed: bool
    # The expression the expected value was read from, when the operand is an attribute.
    operand_expression: str | None = None
    # Why this comparison could not be computed; then neither passed nor actual means anything.
    error: str | None = None
    # The policy's sentence (a template) for this comparison deciding a failure: the leaf's
    # own `message`, or that of the innermost group around it that states one.
    message: str | None = None

    def evidence(self) -> dict[str, Any]:
        """Every attribute value this comparison read."""
        if self.error is not None:
            return {self.expression: f"could not be evaluated: {self.error}"}
        found = {self.expression: self.actual}
        if self.operand_expression is not None:
            found[self.operand_expression] = self.expected
        return found

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.expression} could not be evaluated: {self.error}"
        text = f"{self.expression} is {_show(self.actual)}"
        if not self.passed:
            wanted = WORDING.get(self.operator, self.operator.replace("_", " "))
            text += f", expected {wanted} {_show(self.expected)}"
        return text


@dataclass(frozen=True)
class Outcome:
    passed: bool
    leaves: tuple[LeafResult, ...]
    # The leaves that decided the verdict: the failing ones on a fail.
    decisive: tuple[LeafResult, ...]

    @property
    def errors(self) -> tuple[LeafResult, ...]:
        """Leaves that could not be computed: any of them makes the verdict unknown."""
        return tuple(leaf for leaf in self.leaves if leaf.error is not None)


def _worded(outcome: Outcome, message: str | None) -> Outcome:
    """A condition's own message speaks for the leaves that made it fail."""
    if message is None or outcome.passed:
        return outcome
    decisive = tuple(dataclasses.replace(leaf, message=message) for leaf in outcome.decisive)
    return dataclasses.replace(outcome, decisive=decisive)


@dataclass(frozen=True)
class Leaf:
    expression: str
    operator: Operator
    operand: Any
    message: str | None = None

    def evaluate(self, document: Mapping[str, Any], params: Mapping[str, Any]) -> Outcome:
        source = self.operand.expression if isinstance(self.operand, AttrRef) else None
        try:
            actual = search(self.expression, document)
            expected = resolve(self.operand, document, params)
            passed = self.operator.test(actual, expected)
        except COMPUTATION_ERRORS as exc:
            reason = str(exc) if isinstance(exc, Unevaluable) else f"{type(exc).__name__}: {exc}"
            leaf = LeafResult(self.expression, self.operator.name, None, None, False, source,
                              error=_clip(reason))
            return Outcome(False, (leaf,), (leaf,))
        leaf = LeafResult(self.expression, self.operator.name, expected, actual, passed, source,
                          message=None if passed else self.message)
        return Outcome(passed, (leaf,), (leaf,))

    def expressions(self) -> Iterable[str]:
        yield self.expression
        if isinstance(self.operand, AttrRef):
            yield self.operand.expression

    def params(self) -> Iterable[str]:
        if isinstance(self.operand, ParamRef):
            yield self.operand.name


@dataclass(frozen=True)
class _Group:
    """What all and any share: several conditions, the expressions they read, and how their
    outcomes combine (``combine``: all or any); the decisive leaves are those that agree with
    the group's verdict."""

    items: tuple[Condition, ...]
    message: str | None = None
    combine: ClassVar[Callable[[Iterable[bool]], bool]]

    def evaluate(self, document: Mapping[str, Any], params: Mapping[str, Any]) -> Outcome:
        outcomes = [c.evaluate(document, params) for c in self.items]
        passed = type(self).combine(o.passed for o in outcomes)
        decisive = [leaf for o in outcomes if o.passed is passed for leaf in o.decisive]
        return _worded(Outcome(passed, _leaves(outcomes), tuple(decisive)), self.message)

    def expressions(self) -> Iterable[str]:
        for item in self.items:
            yield from item.expressions()

    def params(self) -> Iterable[str]:
        for item in self.items:
            yield from item.params()


@dataclass(frozen=True)
class All(_Group):
    combine = all


@dataclass(frozen=True)
class AnyOf(_Group):
    combine = any


@dataclass(frozen=True)
class Not:
    item: Condition
    message: str | None = None

    def evaluate(self, document: Mapping[str, Any], params: Mapping[str, Any]) -> Outcome:
        inner = self.item.evaluate(document, params)
        # Restate the deciding leaves negated. Their own messages describe them failing,
        # which is not what fails here: they are dropped, and the not's message (if any)
        # speaks instead.
        decisive = tuple(dataclasses.replace(leaf, operator=f"not {leaf.operator}",
                                             passed=not leaf.passed, message=None)
                         for leaf in inner.decisive)
        return _worded(Outcome(not inner.passed, inner.leaves, decisive), self.message)

    def expressions(self) -> Iterable[str]:
        yield from self.item.expressions()

    def params(self) -> Iterable[str]:
        yield from self.item.params()


Condition = Union[Leaf, All, AnyOf, Not]  # noqa: UP007 (a runtime alias on 3.10)


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every comparison in a check, in order."""
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, Not):
        yield from leaves(condition.item)
    else:
        for item in condition.items:
            yield from leaves(item)


PATTERN_OPERATORS = frozenset({"matches", "any_matches"})


def pattern_parameters(condition: Condition) -> set[str]:
    """The parameters a check uses as regular expressions (their overrides must compile)."""
    return {leaf.operand.name for leaf in leaves(condition)
            if leaf.operator.name in PATTERN_OPERATORS and isinstance(leaf.operand, ParamRef)}


def _leaves(outcomes: list[Outcome]) -> tuple[LeafResult, ...]:
    return tuple(leaf for o in outcomes for leaf in o.leaves)


def resolve(operand: Any, document: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    if isinstance(operand, ParamRef):
        return params.get(operand.name)
    if isinstance(operand, AttrRef):
        return search(operand.expression, document)
    if isinstance(operand, TemplateRef):
        from .sandbox import render  # jinja2 only when a template operand is resolved

        try:
            return render(operand.source, document, params)
        except Exception as exc:  # jinja2's errors, the sandbox's refusals, its bounds
            raise Unevaluable(f"template {_clip(operand.source, 60)!r} did not render: "
                              f"{type(exc).__name__}: {exc}") from None
    return operand


def search(expression: str, document: Mapping[str, Any]) -> Any:
    """Evaluate a JMESPath expression; one that cannot be computed raises Unevaluable.

    A missing attribute is null, a value; a type error inside the expression (``length`` of
    a number) is not, and must not be read as one. Nor is an expression past its bounds
    (``expressions.py``): too large to run, or over its budget of steps on this resource.
    """
    return expressions.search(expression, document)


def root_attributes(expression: str) -> set[str]:
    """The top-level attribute names an expression reads, from its syntax tree.

    Raises JMESPathError for bad syntax, ExpressionRejected for one past the bounds.

    ``pitr.status`` reads ``pitr``; ``length(api_integrations)`` reads
    ``api_integrations``; a filter's inner fields belong to the elements, not the root.
    """
    return _roots(expressions.compile_expression(expression).parsed)


def _roots(node: Mapping[str, Any]) -> set[str]:
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field":
        return {node["value"]}
    if kind in ("literal", "current", "identity", "expref"):
        # An expression reference (sort_by(items, &name)) reads the elements, not the root.
        return set()
    if kind in {"subexpression", "index_expression", "projection", "value_projection",
                "flatten", "filter_projection", "pipe"}:
        if not children:
            return set()
        if kind in ("subexpression", "pipe") and children[0].get("type") == "current":
            return _roots(children[1])  # @.pitr.status reads pitr
        return _roots(children[0])
    found: set[str] = set()
    for child in children:
        if isinstance(child, dict):
            found |= _roots(child)
    return found


WORDING = {"equals": "=", "not_equals": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
            "matches": "to match", "exists": "exists ="}
WORDING |= {f"not {op}": f"not {word}" for op, word in WORDING.items()}


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        text = {True: "true", False: "false", None: "null"}[value]
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."

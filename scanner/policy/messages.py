"""Findings in words: the sentence a person would write about one resource.

A policy states its own sentences, as templates rendered in the sandbox with the
resource's values: a condition's ``message`` says what is wrong when that condition
fails, and ``messages: {fail, pass, error}`` speak for the outcome as a whole. Where a
policy states none, a sentence is written from the descriptions the resource types give
their attributes (``preflight resources``): never from the expression's syntax, and a
missing value reads "is not set", never "null". The expressions stay on the finding as
evidence and as its ``decisive`` comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..resources import REGISTRY
from ..resources.base import Attribute
from .conditions import LeafResult, Outcome, root_attributes
from .sandbox import render


@dataclass(frozen=True)
class Messages:
    """The policy's sentences per outcome (templates); None: Preflight writes one."""

    fail: str | None = None
    passed: str | None = None
    error: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Messages:
        raw = raw or {}
        return cls(raw.get("fail"), raw.get("pass"), raw.get("error"))

    def templates(self) -> Iterable[tuple[str, str]]:
        """(key, template) of each stated message, keyed as in the policy file."""
        for key, template in (("fail", self.fail), ("pass", self.passed), ("error", self.error)):
            if template is not None:
                yield key, template


# The names a message template sees beyond the resource and params: the deciding
# comparison's value and what it was compared with (for computed expressions).
EXTRA_NAMES = ("value", "expected")


def failure(messages: Messages, types: Sequence[str], outcome: Outcome,
            document: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """One clause per deciding comparison: its condition's message, else the policy's
    ``messages.fail``, else one written from the attributes' descriptions. A message that
    renders empty says nothing on purpose (``{% if %}`` around a clause that does not apply
    to this resource); when no clause is left, the policy's or the written one stands."""
    clauses = []
    for leaf in outcome.decisive:
        stated = _render(leaf.message, leaf, document, params)
        if stated is None:
            stated = _render(messages.fail, leaf, document, params)
        clauses.append(describe_failure(leaf, types) if stated is None else stated)
    if not any(clauses):
        first = outcome.decisive[0] if outcome.decisive else None
        return _render(messages.fail, first, document, params) or \
            _join(describe_failure(leaf, types) for leaf in outcome.decisive)
    return _join(clauses)


def success(messages: Messages, types: Sequence[str], outcome: Outcome,
            document: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    first = outcome.decisive[0] if outcome.decisive else None
    stated = _render(messages.passed, first, document, params)
    return stated or _join(describe_value(leaf, types) for leaf in outcome.decisive)


def unevaluable(messages: Messages, types: Sequence[str], outcome: Outcome,
                document: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """A comparison that could not be computed: what could not be told, and why."""
    first = outcome.errors[0]
    lead = _render(messages.error, first, document, params)
    reasons = _join(f"{subject(leaf.expression, types)} could not be evaluated ({leaf.error})"
                    for leaf in outcome.errors)
    return f"{lead}: {reasons}" if lead else f"cannot tell: {reasons}"


def unreadable(messages: Messages, types: Sequence[str], attribute: str, reason: str,
               document: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """An attribute the verdict needs could not be read from AWS."""
    if reason.startswith(f"{attribute} "):  # "pitr is unknown before deployment: ..."
        reason = subject(attribute, types) + reason[len(attribute):]
        sentence = reason
    else:
        sentence = f"{subject(attribute, types)} could not be read ({reason})"
    lead = _render(messages.error, None, document, params)
    return f"{lead}: {reason}" if lead else f"cannot tell: {sentence}"


def _render(template: str | None, leaf: LeafResult | None, document: Mapping[str, Any],
            params: Mapping[str, Any]) -> str | None:
    """The rendered template, or None when there is none or it fails on this resource (a
    value of an unexpected shape): the written sentence then stands in, never a traceback.
    """
    if template is None:
        return None
    values = {"value": None, "expected": None} if leaf is None else \
        {"value": leaf.actual, "expected": leaf.expected}
    try:
        return " ".join(render(template, {**document, **values}, params).split())
    except Exception:  # jinja2's errors, the sandbox's refusals and bounds
        return None


def _join(clauses: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(c for c in clauses if c))


# -- sentences written from attribute descriptions -----------------------------------------

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# What a comparison asks for, as the end of "it should ...".
_WANTS = {
    "equals": "be {}", "not_equals": "not be {}", "in": "be one of {}", "not_in": "be none of {}",
    "contains": "contain {}", "gt": "be more than {}", "gte": "be at least {}",
    "lt": "be less than {}", "lte": "be at most {}", "matches": "match the pattern {}",
    "any_matches": "include an item matching the pattern {}",
}


def describe_failure(leaf: LeafResult, types: Sequence[str]) -> str:
    """``point-in-time recovery status is DISABLED; it should be ENABLED``."""
    name = subject(leaf.expression, types)
    negated = leaf.operator.startswith("not ")
    operator = leaf.operator.removeprefix("not ")
    if operator == "exists":
        present = bool(leaf.expected) is not negated
        return f"{name} is {show(leaf.actual)}" if present else \
            f"{name} is set ({show(leaf.actual)}); it should not be"
    if leaf.expected is None and leaf.operand_expression is not None:
        return f"{name} is {show(leaf.actual)}; it cannot be compared: " \
            f"{subject(leaf.operand_expression, types)} is not set"
    wanted = _WANTS.get(operator, "be {}").format(show(leaf.expected))
    if negated:
        wanted = wanted.removeprefix("not ") if wanted.startswith("not ") else f"not {wanted}"
    return f"{name} is {show(leaf.actual)}; it should {wanted}"


def describe_value(leaf: LeafResult, types: Sequence[str]) -> str:
    return f"{subject(leaf.expression, types)} is {show(leaf.actual)}"


def subject(expression: str, types: Sequence[str]) -> str:
    """What an expression reads, named from the attribute descriptions.

    ``pitr.status`` -> "point-in-time recovery status"; anything past a plain path (a
    filter, a function) -> "what the policy computes from CloudWatch alarms ...".
    """
    if _PATH.match(expression):
        root, *path = expression.split(".")
        return " ".join([_attribute_name(root, types), *(p.replace("_", " ") for p in path)])
    try:
        roots = sorted(root_attributes(expression))
    except Exception:  # a broken expression is refused at load; stay safe anyway
        roots = []
    named = " and ".join(_attribute_name(r, types) for r in roots) or "the resource"
    return f"what the policy computes from {named}"


_HEAD = re.compile(r"[:(]|, | \[|\{")
_VALUE_LIST = re.compile(r"\b[A-Z][A-Z_]{1,}\b| or |\.\.\.")


def _attribute_name(name: str, types: Sequence[str]) -> str:
    """The head of the attribute's description when it names the thing ("Point-in-time
    recovery: {...}" -> "point-in-time recovery"); the name itself when the description
    lists values instead ("OFF, ON or OPTIONAL") or asks a question ("Whether ...")."""
    for type_name in types:
        rtype = REGISTRY.get(type_name)
        attribute = _attribute(rtype, name) if rtype else None
        if attribute and attribute.label:
            return attribute.label
        description = attribute.description if attribute else None
        if description:
            head = _HEAD.split(description, maxsplit=1)[0].strip()
            if head and not _VALUE_LIST.search(head) and not head.startswith("Whether"):
                return _lower_first(head)
    return name.replace("_", " ")


def _lower_first(head: str) -> str:
    """"Timeout in seconds" -> "timeout in seconds"; a name ("Application Auto Scaling",
    "CloudWatch alarms", "ARN") keeps its capitals."""
    first, _, rest = head.partition(" ")
    named = not first[1:].islower() or rest[:1].isupper()
    return head if named else head[0].lower() + head[1:]


def _attribute(rtype: Any, name: str) -> Attribute | None:
    attributes = [*rtype.common, *rtype.listed, *(a for d in rtype.details for a in d.attributes)]
    return next((a for a in attributes if a.name == name), None)


def show(value: Any) -> str:
    """A value in a sentence: a missing one is "not set", an empty one "empty"."""
    if value is None:
        return "not set"
    if value in ([], {}, ""):
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = ", ".join(show(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."

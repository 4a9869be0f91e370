"""The second validation pass: build a Policy, collecting every problem a schema cannot see.

The JSON Schema pass (loader.py) checks the shape of everything but the check; the check
is walked here, node by node, so that five mistakes in five leaves are five problems in
one run, each pointed at its own key (an operator typo at the key itself, with a "did you
mean"), instead of one "this condition matches no branch of anyOf" for the whole tree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jmespath.exceptions
from jsonschema import Draft202012Validator

from ..errors import Problem
from ..models import Severity
from ..resources import REGISTRY
from ..suggest import suggestion
from ..yamlfile import Pointer, YamlDocument
from .conditions import (
    COMPUTATION_ERRORS,
    All,
    AnyOf,
    AttrRef,
    Condition,
    Leaf,
    Not,
    ParamRef,
    TemplateRef,
    root_attributes,
    search,
)
from .expressions import EXPRESSION_HINT, BudgetExceeded, ExpressionRejected
from .messages import EXTRA_NAMES, Messages
from .model import Parameter, Policy, Scope
from .operators import OPERATORS, REGEX_OPERATORS, compile_regex
from .patterns import PatternError
from .sandbox import render
from .schema import MAX_MESSAGE, operand_schema
from .templates import TemplateProblem, check_template, sample_resource

GROUPS = ("all", "any", "not")
LEAF_KEYS = ("attribute", "message")
CONDITION_KEYS = (*LEAF_KEYS, *GROUPS, *OPERATORS)
_SHAPE = "a condition is `attribute` plus exactly one operator, or one of all/any/not"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """ "did you mean 'equals'? " for a near miss, else "": the start of a longer hint."""
    hint = suggestion(name, candidates, show=repr)
    return f"{hint} " if hint else ""


@functools.lru_cache(maxsize=len(OPERATORS))
def _operand_validator(op_name: str) -> Draft202012Validator:
    return Draft202012Validator(operand_schema(OPERATORS[op_name].operand_schema))


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "a value")
    if kind == "array":
        return "a list of values"
    return " or ".join(kind) if isinstance(kind, list) else f"a {kind}"


class PolicyBuilder:
    """Builds a Policy from data whose top level the schema found sound (``broken`` names
    the top-level keys it did not: the checks that need them are skipped, not guessed)."""

    def __init__(self, doc: YamlDocument, broken: frozenset[str] = frozenset()):
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.broken = broken
        self.problems: list[Problem] = []
        resource = self.data.get("resource")
        self.types = () if "resource" in broken else \
            tuple(resource) if isinstance(resource, list) else (resource,)
        self.parameters = {} if "parameters" in broken else {
            name: Parameter(name, spec["default"], spec.get("description", ""))
            for name, spec in (self.data.get("parameters") or {}).items()
        }

    def problem(self, pointer: Pointer, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(pointer, message, hint))

    def build(self) -> Policy | None:
        """The policy, or None when a problem was found (all of them are in ``problems``)."""
        data = self.data
        stem = Path(self.doc.path).stem
        if "id" not in self.broken and data["id"] != stem:
            given = str(data["id"])[:80]  # a hostile file's id may be a megabyte long
            self.problem(("id",), f"id {given!r} differs from the file name {stem[:80]!r}",
                         f"rename the file to {given}.yml or set id: {stem[:80]}")
        check = self.condition(data["check"], ("check",)) if "check" in data else None
        remediation = tuple(data.get("remediation") or ()) if "remediation" not in self.broken \
            else ()
        for i, template in enumerate(remediation):
            self.template(template, ("remediation", i))
        messages = Messages() if "messages" in self.broken else \
            Messages.from_dict(data.get("messages"))
        for key, template in messages.templates():
            self.template(template, ("messages", key), EXTRA_NAMES)
        if self.problems or self.broken or check is None:
            return None
        return Policy(
            id=data["id"], title=data["title"], description=data["description"].strip(),
            severity=Severity(data["severity"]), resources=self.types,
            scope=Scope.from_dict(data.get("scope")), check=check, runbook=data["runbook"],
            remediation=remediation, parameters=self.parameters,
            frameworks={k: tuple(v) for k, v in (data.get("frameworks") or {}).items()},
            unmapped=data.get("unmapped", ""), categories=tuple(data.get("categories") or ()),
            source=self.doc.path, messages=messages,
        )

    def template(self, source: str, pointer: Pointer, extra: Iterable[str] = ()) -> None:
        if not self.types:
            return  # without a valid resource type there is no sample to render against
        problem: TemplateProblem | None = check_template(source, self.types, self.parameters,
                                                          tuple(extra))
        if problem:
            self.problem(pointer, problem.message, problem.hint)

    # -- the check, node by node --------------------------------------------------------

    def condition(self, raw: Any, pointer: Pointer) -> Condition | None:
        where = "/".join(map(str, pointer))
        if not isinstance(raw, dict):
            self.problem(pointer, f"{where}: {_SHAPE}", "e.g. {attribute: pitr.status, "
                         "equals: ENABLED}; operators: " + ", ".join(OPERATORS))
            return None
        known = len(self.problems)
        for key in (k for k in raw if k not in CONDITION_KEYS):
            self.problem((*pointer, key), f"{where}: unknown key {str(key)[:80]!r}",
                         did_you_mean(str(key), CONDITION_KEYS)
                         + "operators: " + ", ".join(OPERATORS))
        message = self.message(raw, pointer)
        groups = [k for k in GROUPS if k in raw]
        if groups:
            return self.group(raw, pointer, groups, message, len(self.problems) > known)
        return self.leaf(raw, pointer, message, len(self.problems) > known)

    def message(self, raw: dict[str, Any], pointer: Pointer) -> str | None:
        if "message" not in raw:
            return None
        text = raw["message"]
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            self.problem((*pointer, "message"), "a message is a sentence of 1 to "
                         f"{MAX_MESSAGE} characters",
                         "say what is wrong in the domain's words, e.g. point-in-time "
                         "recovery is off")
            return None
        self.template(text, (*pointer, "message"), EXTRA_NAMES)
        return text

    def group(self, raw: dict[str, Any], pointer: Pointer, groups: list[str],
              message: str | None, broken: bool) -> Condition | None:
        where = "/".join(map(str, pointer))
        others = [k for k in raw if k in OPERATORS or k == "attribute"]
        if len(groups) > 1 or others:
            self.problem((*pointer, [*groups, *others][1]),
                         f"{where}: {_SHAPE}, not several at once",
                         "nest them: all: [{...}, {...}]")
            broken = True
        kind = groups[0]
        if kind == "not":
            inner = self.condition(raw["not"], (*pointer, "not"))
            return None if inner is None or broken else Not(inner, message)
        items = raw[kind]
        if not isinstance(items, list) or not items:
            self.problem((*pointer, kind), f"{where}/{kind}: takes a list of conditions",
                         f"{kind}:\n  - attribute: ...")
            return None
        built = [self.condition(item, (*pointer, kind, i)) for i, item in enumerate(items)]
        if broken or any(c is None for c in built):
            return None
        conditions = tuple(c for c in built if c is not None)
        return All(conditions, message) if kind == "all" else AnyOf(conditions, message)

    def leaf(self, raw: dict[str, Any], pointer: Pointer, message: str | None,
             broken: bool) -> Leaf | None:
        where = "/".join(map(str, pointer))
        operators = [k for k in raw if k in OPERATORS]
        if len(operators) != 1:
            if len(operators) > 1:
                self.problem((*pointer, operators[1]),
                             f"{where}: {_SHAPE}, not {len(operators)} operators",
                             "split it: all: [{...}, {...}]; operators: " + ", ".join(OPERATORS))
            elif not broken:  # an unknown key already said what is wrong
                self.problem(pointer, f"{where}: {_SHAPE}", "operators: " + ", ".join(OPERATORS))
            return None
        expression = raw.get("attribute")
        if not isinstance(expression, str) or not expression:
            self.problem(pointer if "attribute" not in raw else (*pointer, "attribute"),
                         f"{where}: a comparison needs `attribute`: a JMESPath expression",
                         "e.g. attribute: pitr.status (see `preflight resources`)")
            return None
        (op_name,) = operators
        self.expression(expression, (*pointer, "attribute"))
        known = len(self.problems)
        operand = self.operand(op_name, raw[op_name], (*pointer, op_name))
        if operand is None:
            return None
        if op_name in REGEX_OPERATORS:
            self.regex_operand(operand, (*pointer, op_name), len(self.problems) == known)
        if broken or len(self.problems) > known:
            return None
        return Leaf(expression, OPERATORS[op_name], operand, message)

    def operand(self, op_name: str, raw: Any, pointer: Pointer) -> Any:
        where = "/".join(map(str, pointer))
        if next(_operand_validator(op_name).iter_errors(raw), None) is not None:
            self.problem(pointer, f"{where}: {str(raw)[:80]!r} is not a valid operand for "
                         f"{op_name}", f"{op_name} takes "
                         f"{_kind(OPERATORS[op_name].operand_schema)}, or {{param: name}}, "
                         "or {attribute: expression}, or {template: ...}")
            return None
        if isinstance(raw, dict) and set(raw) == {"param"}:
            name = raw["param"]
            if "parameters" in self.broken:  # reported there: no guess about its names
                return ParamRef(str(name))
            if not isinstance(name, str) or name not in self.parameters:
                declared = ", ".join(self.parameters) or "none"
                self.problem(pointer, f"unknown parameter {str(name)[:80]!r}",
                             did_you_mean(str(name), self.parameters)
                             + f"declare it under parameters: (declared: {declared})")
                return ParamRef(str(name))
            return ParamRef(name)
        if isinstance(raw, dict) and set(raw) == {"attribute"}:
            if not isinstance(raw["attribute"], str):
                self.problem((*pointer, "attribute"), "an attribute reference must be a string",
                             "write a JMESPath expression, e.g. {attribute: pitr.status}")
                return AttrRef(str(raw["attribute"]))
            self.expression(raw["attribute"], (*pointer, "attribute"))
            return AttrRef(raw["attribute"])
        if isinstance(raw, dict) and set(raw) == {"template"}:
            self.template(str(raw["template"]), (*pointer, "template"))
            return TemplateRef(str(raw["template"]))
        return raw

    def regex_operand(self, operand: Any, pointer: Pointer, valid: bool) -> None:
        """Check what a matches/any_matches leaf will compile, as far as it is known now."""
        pattern = operand
        if isinstance(operand, ParamRef) and operand.name in self.parameters:
            pattern = self.parameters[operand.name].default  # the default must work too
        if isinstance(pattern, str):
            self.pattern(pattern, pointer)
        elif isinstance(operand, TemplateRef) and valid and self.types:
            self.template_pattern(operand.source, (*pointer, "template"))

    def pattern(self, pattern: str, pointer: Pointer) -> None:
        try:
            compile_regex(pattern)
        except PatternError as exc:
            self.problem(pointer, f"invalid regular expression: {exc}", exc.hint)

    def template_pattern(self, source: str, pointer: Pointer) -> None:
        """A template used as a pattern must give one RE2 runs, on the sample resources."""
        params = {name: p.default for name, p in self.parameters.items()}
        for type_name in self.types:  # renders: check_template has just rendered it so
            self.pattern(render(source, sample_resource(type_name), params), pointer)

    def expression(self, expression: str, pointer: Pointer) -> None:
        try:
            roots = root_attributes(expression)
        except jmespath.exceptions.JMESPathError as exc:
            self.problem(pointer, f"invalid JMESPath expression {expression[:200]!r}: "
                         f"{str(exc)[:300]}", "see https://jmespath.org for the syntax")
            return
        except ExpressionRejected as exc:
            self.problem(pointer, f"expression refused: {exc}", EXPRESSION_HINT)
            return
        unknown = False
        for type_name in self.types:
            known = REGISTRY[type_name].attribute_names()
            for root in sorted(roots - set(known)):
                unknown = True
                self.problem(pointer, f"{type_name} has no attribute {root!r}",
                             did_you_mean(root, known) + "available: " + ", ".join(sorted(known)))
        if not self.types:  # the resource type is wrong: a name no type has is wrong too
            every = sorted({name for t in REGISTRY.values() for name in t.attribute_names()})
            for root in sorted(roots - set(every)):
                self.problem(pointer, f"no resource type has an attribute {root!r}",
                             did_you_mean(root, every) + "see `preflight resources`")
        elif not unknown:
            self.expression_cost(expression, pointer)

    def expression_cost(self, expression: str, pointer: Pointer) -> None:
        """An expression over its budget on a small sample resource is refused here rather
        than turning every finding of the policy into an error at scan time."""
        for type_name in self.types:
            try:
                search(expression, sample_resource(type_name))
            except BudgetExceeded as exc:
                self.problem(pointer, f"expression refused on a sample {type_name}: {exc}",
                             EXPRESSION_HINT)
                return
            except COMPUTATION_ERRORS:
                continue  # a type error on the sample's made-up values proves nothing


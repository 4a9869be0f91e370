"""Find policy files, validate them, and build Policy objects.

Validation runs in two passes: the generated JSON Schema (shape), then the checks a
schema cannot express (id equals file name, attributes exist on the resource type,
expressions and regexes compile, templates are safe). Every problem in every file is
collected before failing, each with file, line, column and a fix.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..errors import InputError, Problem
from ..models import Severity
from ..resources import REGISTRY
from ..runbooks import RunbookLibrary
from ..yamlfile import Pointer, YamlDocument, load_yaml, stray_key_problem
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
from .model import Parameter, Policy, Scope
from .operators import OPERATORS, REGEX_OPERATORS, compile_regex
from .patterns import PatternError
from .schema import policy_schema
from .templates import TemplateProblem, check_template, render, sample_resource

POLICY_SUFFIXES = (".yml", ".yaml")
# Folders of a policy directory that hold other YAML: runbooks, `preflight test` cases,
# framework mappings (judged relative to the directory given, so a pack kept under a
# folder named `tests` still loads).
NOT_POLICIES = frozenset({"runbooks", "tests", "frameworks"})


def builtin_policy_dir() -> Path:
    # Read through importlib.resources: the pack is data inside this package, wherever the
    # package is installed, and no generic top-level module name is involved.
    return Path(str(resources.files("preflight_scanner.policies")))


def find_policy_files(paths: Sequence[Path | str]) -> list[Path]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES
                                    and p.is_file() and not NOT_POLICIES & set(p.relative_to(path).parts)))
            elif path.is_file():
                files.append(path)
            else:
                problems.append(Problem(str(path), None, None, "no such file or directory",
                                        "check the path given to --policies"))
        except (OSError, ValueError) as exc:  # a name too long (ENAMETOOLONG), a NUL in it
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append(Problem(str(path), None, None, f"cannot read it: {reason}",
                                    "check the path given to --policies"))
    if problems:
        raise InputError(problems)
    return files


def load_policies(paths: Sequence[Path | str] | None = None,
                  runbooks: RunbookLibrary | None = None) -> list[Policy]:
    """Load every policy under ``paths`` (the built-in pack when None); all or nothing.

    With ``runbooks``, every policy's runbook reference must name an existing section.
    """
    files = find_policy_files(paths if paths else [builtin_policy_dir()])
    policies: list[Policy] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            policy, doc = _load(file)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if policy.id in seen:
            problems.append(doc.problem(("id",), f"policy id {policy.id!r} is also defined "
                                        f"in {seen[policy.id]}", "give each policy a unique id"))
            continue
        seen[policy.id] = str(file)
        if runbooks is not None and runbooks.checkable and runbooks.section(policy.runbook) is None:
            problems.append(doc.problem(("runbook",), f"no runbook section {policy.runbook[:200]!r} "
                                        f"in {runbooks.directory}", runbooks.suggest(policy.runbook)))
            continue
        policies.append(policy)
    if problems:
        raise InputError(problems)
    if not policies:
        raise InputError([Problem(", ".join(str(p) for p in paths or []), None, None,
                                  "no policy files (*.yml) found")])
    return sorted(policies, key=lambda p: p.id)


def load_policy_file(path: Path | str, text: str | None = None) -> Policy:
    return _load(path, text)[0]


def _load(path: Path | str, text: str | None = None) -> tuple[Policy, YamlDocument]:
    doc = load_yaml(path, text)
    problems = list(_schema_problems(doc))
    if problems:
        raise InputError(problems)
    builder = _PolicyBuilder(doc)
    policy = builder.build()
    if builder.problems:
        raise InputError(builder.problems)
    return policy, doc


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(policy_schema())


def _schema_problems(doc: YamlDocument) -> Iterable[Problem]:
    if not isinstance(doc.data, dict):
        yield doc.problem((), "a policy file must be a YAML mapping (id: ..., title: ...)",
                          "start from an example in the README's policy reference")
        return
    for error in sorted(_validator().iter_errors(doc.data), key=lambda e: list(e.absolute_path)):
        yield _explain(doc, error)


def _explain(doc: YamlDocument, error: ValidationError) -> Problem:
    """Turn a schema error into a sentence a policy author can act on."""
    if error.context:  # anyOf: report the branch that got furthest into the document
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _explain(doc, deepest)
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(str(p) for p in pointer) or "the policy"
    hint = ""
    message = f"{where}: {error.message}"
    enums = [e for e in error.context or () if e.validator == "enum"]
    if error.validator == "required":
        hint = "add the missing key"
    elif error.validator == "additionalProperties":
        stray = stray_key_problem(doc, error, where)
        if stray is not None:
            return stray
        hint = f"allowed keys here: {', '.join(sorted(error.schema.get('properties', {})))}"
    elif error.validator == "enum":
        hint = "use one of: " + ", ".join(map(str, error.validator_value))
    elif error.validator == "pattern" and pointer[-1:] == ("id",):
        hint = "use kebab-case: lowercase letters, digits and hyphens"
    elif error.validator == "pattern" and pointer[-1:] == ("runbook",):
        hint = "write it as runbook-file#section-anchor, e.g. disaster-recovery#restore-a-dynamodb-table"
    elif error.validator == "anyOf" and "check" in pointer and pointer[-1] in OPERATORS:
        name = str(pointer[-1])
        message = f"{where}: {error.instance!r} is not a valid operand for {name}"
        hint = (f"{name} takes {_kind(OPERATORS[name].operand_schema)}, "
                "or {param: name}, or {attribute: expression}")
    elif error.validator in ("minProperties", "maxProperties") or (
        pointer and "check" in pointer and error.validator == "anyOf"
    ):
        message = f"{where}: a condition is `attribute` plus exactly one operator, or all/any/not"
        hint = "operators: " + ", ".join(OPERATORS)
    elif error.validator == "anyOf" and enums:  # e.g. resource: an unregistered type
        message = f"{where}: {error.instance!r} is not one of the allowed values"
        hint = "use one of: " + ", ".join(map(str, enums[0].validator_value))
    return doc.problem(pointer, message, hint)


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "a value")
    if kind == "array":
        return "a list of values"
    return " or ".join(kind) if isinstance(kind, list) else f"a {kind}"


class _PolicyBuilder:
    """Builds a Policy from schema-valid data, collecting semantic problems."""

    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.problems: list[Problem] = []
        resource = self.data["resource"]
        self.types = tuple(resource) if isinstance(resource, list) else (resource,)
        self.parameters = {
            name: Parameter(name, spec["default"], spec.get("description", ""))
            for name, spec in (self.data.get("parameters") or {}).items()
        }

    def problem(self, pointer: Pointer, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(pointer, message, hint))

    def build(self) -> Policy:
        data = self.data
        stem = Path(self.doc.path).stem
        if data["id"] != stem:
            self.problem(("id",), f"id {data['id']!r} differs from the file name {stem!r}",
                         f"rename the file to {data['id']}.yml or set id: {stem}")
        check = self.condition(data["check"], ("check",))
        remediation = tuple(data.get("remediation") or ())
        for i, template in enumerate(remediation):
            problem: TemplateProblem | None = check_template(template, self.types, self.parameters)
            if problem:
                self.problem(("remediation", i), problem.message, problem.hint)
        return Policy(
            id=data["id"],
            title=data["title"],
            description=data["description"].strip(),
            severity=Severity(data["severity"]),
            resources=self.types,
            scope=Scope.from_dict(data.get("scope")),
            check=check,
            runbook=data["runbook"],
            remediation=remediation,
            parameters=self.parameters,
            frameworks={k: tuple(v) for k, v in (data.get("frameworks") or {}).items()},
            unmapped=data.get("unmapped", ""),
            categories=tuple(data.get("categories") or ()),
            source=self.doc.path,
        )

    def condition(self, raw: dict[str, Any], pointer: Pointer) -> Condition:
        if "all" in raw:
            return All(tuple(self.condition(c, (*pointer, "all", i))
                             for i, c in enumerate(raw["all"])))
        if "any" in raw:
            return AnyOf(tuple(self.condition(c, (*pointer, "any", i))
                               for i, c in enumerate(raw["any"])))
        if "not" in raw:
            return Not(self.condition(raw["not"], (*pointer, "not")))
        (op_name,) = (k for k in raw if k != "attribute")
        operator = OPERATORS[op_name]
        self.expression(raw["attribute"], (*pointer, "attribute"))
        known = len(self.problems)
        operand = self.operand(raw[op_name], (*pointer, op_name))
        if op_name in REGEX_OPERATORS:
            self.regex_operand(operand, (*pointer, op_name), len(self.problems) == known)
        return Leaf(raw["attribute"], operator, operand)

    def regex_operand(self, operand: Any, pointer: Pointer, valid: bool) -> None:
        """Check what a matches/any_matches leaf will compile, as far as it is known now."""
        pattern = operand
        if isinstance(operand, ParamRef) and operand.name in self.parameters:
            pattern = self.parameters[operand.name].default  # the default must work too
        if isinstance(pattern, str):
            self.pattern(pattern, pointer)
        elif isinstance(operand, TemplateRef) and valid:  # a broken one is reported already
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

    def operand(self, raw: Any, pointer: Pointer) -> Any:
        if isinstance(raw, dict) and set(raw) == {"param"}:
            name = raw["param"]
            if not isinstance(name, str) or name not in self.parameters:
                declared = ", ".join(self.parameters) or "none"
                self.problem(pointer, f"unknown parameter {name!r}",
                             f"declare it under parameters: (declared: {declared})")
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
            problem = check_template(str(raw["template"]), self.types, self.parameters)
            if problem:
                self.problem((*pointer, "template"), problem.message, problem.hint)
            return TemplateRef(str(raw["template"]))
        return raw

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
            known = set(REGISTRY[type_name].attribute_names())
            for root in sorted(roots - known):
                unknown = True
                self.problem(pointer, f"{type_name} has no attribute {root!r}",
                             "available: " + ", ".join(sorted(known)))
        if not unknown:
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

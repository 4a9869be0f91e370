"""Read `preflight test` case files: schema first, then what a schema cannot know.

A case file names one policy and lists cases: a resource document as `preflight
resources` describes it, the place it lives in (account, region, environment, tags) and
the verdict the policy must give. Every problem in every file is collected, each with
file:line and a fix ("did you mean ...?" for a misspelt policy, attribute or parameter).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import InputError, Problem
from ..models import Account
from ..policy.model import Policy
from ..resources import REGISTRY
from ..suggest import closest, phrase
from ..yamlfile import Pointer, YamlDocument, load_yaml, stray_key_problem
from .schema import Expect, case_file_schema

# A case's defaults: a place that no built-in scope singles out.
DEFAULT_ACCOUNT = Account("123456789012", "test-account", "test")
DEFAULT_REGION = "us-east-1"
DEFAULT_SCAN_TIME = "2026-01-01T00:00:00+00:00"

# Document keys a case sets with its own keys, so there is one way to say each.
_PLACE_KEYS = {"account_id": "account: {id: ...}", "region": "region:",
               "environment": "environment:", "scan_time": "scan_time:", "tags": "tags:"}


@dataclass(frozen=True)
class Case:
    name: str
    policy_id: str
    type: str
    expect: Expect
    message: str | None
    attributes: Mapping[str, Any]  # the resource document, id/name/arn included
    unreadable: Mapping[str, str]
    account: Account
    region: str
    tags: Mapping[str, str] | None  # None: the case says nothing about tags
    parameters: Mapping[str, Any]
    scan_time: str
    path: str
    line: int

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


def load_cases(files: Iterable[Path], policies: Sequence[Policy]) -> list[Case]:
    """Every case of every file; all or nothing, listing every problem."""
    by_id = {p.id: p for p in policies}
    cases: list[Case] = []
    problems: list[Problem] = []
    for path in files:
        try:
            cases.extend(_load_file(path, by_id))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return cases


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(case_file_schema())


def _load_file(path: Path, policies: Mapping[str, Policy]) -> list[Case]:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "a case file is a YAML mapping (policy:, cases:)",
                                      "see the README, \"Testing policies\"")])
    problems = [_schema_problem(doc, e) for e in
                sorted(_validator().iter_errors(doc.data), key=lambda e: list(e.absolute_path))]
    if problems:
        raise InputError(problems)
    policy = policies.get(doc.data["policy"])
    if policy is None:
        raise InputError([doc.problem(("policy",), f"no loaded policy {doc.data['policy']!r}",
                                      _did_you_mean(doc.data["policy"], policies,
                                                    "the policies come from --policies, "
                                                    "by default the built-in pack"))])
    if path.stem in policies and path.stem != policy.id:  # a copied file not yet edited
        raise InputError([doc.problem(("policy",), f"the file is named after policy "
                                      f"{path.stem!r} but tests {policy.id!r}",
                                      f"set policy: {path.stem}, or rename the file")])
    reader = _CaseReader(doc, policy)
    cases = [reader.case(raw, ("cases", i)) for i, raw in enumerate(doc.data["cases"])]
    if reader.problems:
        raise InputError(reader.problems)
    return cases


def _schema_problem(doc: YamlDocument, error: Any) -> Problem:
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(str(p) for p in pointer) or "the file"
    stray = stray_key_problem(doc, error, where)
    if stray is not None:
        return stray
    hint = ""
    if error.validator == "required":
        hint = "add the missing key"
    elif error.validator == "enum":
        hint = "use one of: " + ", ".join(map(str, error.validator_value))
    return doc.problem(pointer, f"{where}: {error.message[:300]}", hint)


def _did_you_mean(name: str, known: Iterable[str], otherwise: str) -> str:
    names = sorted(known)
    # A known name that starts the misspelt one (pitr for pitr_status, pitr.status) is the
    # likeliest meaning; closeness alone would offer table_status.
    prefix = max((k for k in names if name.startswith(k)), key=len, default=None)
    return phrase(prefix or closest(name, names), show=repr, otherwise=otherwise)


class _CaseReader:
    """Builds cases from schema-valid data, collecting what is wrong with each."""

    def __init__(self, doc: YamlDocument, policy: Policy):
        self.doc = doc
        self.policy = policy
        self.problems: list[Problem] = []
        self.names: set[str] = set()

    def problem(self, pointer: Pointer, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(pointer, message, hint))

    def case(self, raw: dict[str, Any], at: Pointer) -> Case:
        if raw["name"] in self.names:
            self.problem((*at, "name"), f"a second case named {raw['name']!r}",
                         "give each case its own name")
        self.names.add(raw["name"])
        type_name = self.type_of(raw, at)
        known: set[str] = set(REGISTRY[type_name].attribute_names())
        attributes = raw.get("resource") or {}
        for key in attributes:
            self.attribute(key, known, type_name, (*at, "resource", key))
        for key in raw.get("unreadable") or {}:
            if key not in known:
                self.unknown((*at, "unreadable", key), type_name, key, known)
        for key in raw.get("parameters") or {}:
            if key not in self.policy.parameters:
                self.problem((*at, "parameters", key), f"{self.policy.id} has no parameter "
                             f"{key!r}", _did_you_mean(key, self.policy.parameters,
                                                       "parameters: " + (", ".join(
                                                           self.policy.parameters) or "none")))
        expect = Expect(raw["expect"])
        if expect is Expect.NOT_APPLICABLE and "message" in raw:
            self.problem((*at, "message"), "a not-applicable case has no finding, so no message",
                         "remove message:, or expect a verdict")
        scan_time = raw.get("scan_time", DEFAULT_SCAN_TIME)
        self.timestamp(scan_time, (*at, "scan_time"))
        account = raw.get("account") or {}
        return Case(
            name=raw["name"], policy_id=self.policy.id, type=type_name, expect=expect,
            message=raw.get("message"), attributes=attributes,
            unreadable=raw.get("unreadable") or {},
            account=Account(account.get("id", DEFAULT_ACCOUNT.id),
                            account.get("name", DEFAULT_ACCOUNT.name),
                            raw.get("environment", DEFAULT_ACCOUNT.environment)),
            region=raw.get("region", DEFAULT_REGION), tags=raw.get("tags"),
            parameters=raw.get("parameters") or {}, scan_time=scan_time,
            path=self.doc.path, line=self.doc.locate(at)[0] or 1,
        )

    def type_of(self, raw: dict[str, Any], at: Pointer) -> str:
        types = self.policy.resources
        if "type" in raw and raw["type"] not in types:
            self.problem((*at, "type"), f"{self.policy.id} does not check {raw['type']}",
                         "use one of: " + ", ".join(types))
        elif "type" not in raw and len(types) > 1:
            self.problem(at, f"{self.policy.id} checks several resource types: say which",
                         "add type: one of " + ", ".join(types))
        return str(raw["type"]) if raw.get("type") in types else types[0]

    def attribute(self, key: str, known: set[str], type_name: str, at: Pointer) -> None:
        if key in _PLACE_KEYS:
            self.problem(at, f"{key} is set by the case, not in resource:",
                         f"move it to the case's {_PLACE_KEYS[key]}")
        elif key not in known:
            self.unknown(at, type_name, key, known)

    def unknown(self, at: Pointer, type_name: str, key: str, known: set[str]) -> None:
        self.problem(at, f"{type_name} has no attribute {key[:80]!r}",
                     _did_you_mean(key, known, "see `preflight resources`"))

    def timestamp(self, value: str, at: Pointer) -> None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            self.problem(at, f"scan_time {value[:80]!r} is not an ISO 8601 timestamp",
                         "write e.g. 2026-01-01T00:00:00+00:00")

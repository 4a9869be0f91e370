"""Find policy files, validate them, and build Policy objects.

Validation runs in two passes: the generated JSON Schema (shape), then the checks a
schema cannot express (id equals file name, attributes exist on the resource type,
expressions and regexes compile, templates are safe). Every problem in every file is
collected before failing, each with file, line, column and a fix.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..errors import InputError, Problem
from ..runbooks import RunbookLibrary
from ..yamlfile import Pointer, YamlDocument, load_yaml, stray_key_problem
from .builder import PolicyBuilder, did_you_mean
from .frameworks import with_frameworks
from .model import Policy
from .pack import NOT_POLICIES, builtin_policy_dir
from .schema import policy_schema

POLICY_SUFFIXES = (".yml", ".yaml")


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
    Each policy carries the framework controls that the mapping files give it (the
    built-in ``frameworks/`` and a directory's own, see ``frameworks.with_frameworks``).
    """
    files = find_policy_files(paths if paths else [builtin_policy_dir()])
    policies: list[Policy] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for file in files:
        policy, doc, found = _check(file)
        problems.extend(found)
        data = doc.data if isinstance(doc.data, dict) else {}
        policy_id, runbook = data.get("id"), data.get("runbook")
        # Ids and runbook references are checked in a file with other problems too: one run
        # of `validate` lists them all.
        if isinstance(policy_id, str) and policy_id in seen:
            problems.append(doc.problem(("id",), f"policy id {policy_id[:80]!r} is also defined "
                                        f"in {seen[policy_id]}", "give each policy a unique id"))
            continue
        if isinstance(policy_id, str):
            seen[policy_id] = str(file)
        if runbooks is not None and runbooks.checkable and isinstance(runbook, str) and \
                runbooks.section(runbook) is None:
            problems.append(doc.problem(("runbook",), f"no runbook section {runbook[:200]!r} "
                                        f"in {runbooks.directory}", runbooks.suggest(runbook)))
            continue
        if policy is not None:
            policies.append(policy)
    if problems:
        raise InputError(problems)
    if not policies:
        raise InputError([Problem(", ".join(str(p) for p in paths or []), None, None,
                                  "no policy files (*.yml) found")])
    own = [Path(p) for p in paths or [] if Path(p).is_dir()]
    return sorted(with_frameworks(policies, own), key=lambda p: p.id)


def load_policy_file(path: Path | str, text: str | None = None) -> Policy:
    return _load(path, text)[0]


def _load(path: Path | str, text: str | None = None) -> tuple[Policy, YamlDocument]:
    policy, doc, problems = _check(path, text)
    if policy is None or problems:
        raise InputError(problems)
    return policy, doc


def _check(path: Path | str, text: str | None = None
           ) -> tuple[Policy | None, YamlDocument, list[Problem]]:
    """Both passes always run (the second on the parts the first found sound), so one run
    reports every problem of the file, in file order."""
    try:
        doc = load_yaml(path, text)
    except InputError as exc:  # not YAML at all: nothing more can be read from it
        return None, YamlDocument(str(path), None), list(exc.problems)
    # Validated once: both the problems and the keys later checks must skip come from it.
    errors = list(_validator().iter_errors(doc.data)) if isinstance(doc.data, dict) else []
    problems = list(_schema_problems(doc, errors))
    policy = None
    if isinstance(doc.data, dict):
        builder = PolicyBuilder(doc, frozenset(str(p) for p in _broken_keys(doc, errors)))
        policy = builder.build()
        problems += builder.problems
    return policy, doc, sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _broken_keys(doc: YamlDocument, errors: Sequence[ValidationError]) -> Iterable[str | int]:
    """The top-level keys a schema problem is about: later checks must not read them. A
    missing required key is broken too (it is absent)."""
    data = doc.data
    yield from (key for key in _REQUIRED if key not in data)
    for error in errors:
        if error.absolute_path and error.absolute_path[0] != "check":
            yield error.absolute_path[0]


_REQUIRED: tuple[str, ...] = tuple(policy_schema()["required"])


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(policy_schema())


def _schema_problems(doc: YamlDocument, errors: Sequence[ValidationError]) -> Iterable[Problem]:
    if not isinstance(doc.data, dict):
        yield doc.problem((), "a policy file must be a YAML mapping (id: ..., title: ...)",
                          "start from an example in the README's policy reference")
        return
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        # The check is walked by the builder, which reports each of its mistakes on its own.
        if list(error.absolute_path)[:1] != ["check"]:
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
        if stray is not None:  # "did you mean" the nearest allowed key, for a typo
            allowed = _schema(error).get("properties", {})
            instance = error.instance if isinstance(error.instance, Mapping) else {}
            key = next(str(k) for k in instance if k not in allowed)
            return dataclasses.replace(stray, hint=did_you_mean(key, allowed) + stray.hint)
        hint = f"allowed keys here: {', '.join(sorted(_schema(error).get('properties', {})))}"
    elif error.validator == "enum":
        hint = did_you_mean(str(error.instance), _values(error)) + \
            "use one of: " + ", ".join(_values(error))
    elif error.validator == "pattern" and pointer[-1:] == ("id",):
        hint = "use kebab-case: lowercase letters, digits and hyphens"
    elif error.validator == "pattern" and pointer[-1:] == ("runbook",):
        hint = "write it as runbook-file#section-anchor, e.g. disaster-recovery#restore-a-dynamodb-table"
    elif error.validator == "anyOf" and enums:  # e.g. resource: an unregistered type
        message = f"{where}: {error.instance!r} is not one of the allowed values"
        allowed = _values(enums[0])
        hint = did_you_mean(str(error.instance), allowed) + "use one of: " + ", ".join(allowed)
    return doc.problem(pointer, message, hint)



# The error's schema and validator value are typed loosely (they may be booleans or unset);
# here they are the mapping and the list an additionalProperties or enum error carries.
def _schema(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _values(error: ValidationError) -> list[str]:
    values = error.validator_value
    return [str(v) for v in values] if isinstance(values, list) else []

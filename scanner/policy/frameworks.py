"""Framework mappings as files: ``frameworks/<name>.yml`` maps a control to policy ids.

A mapping lives outside the policies so that adding a framework (or a control) is one
file, not an edit of every policy. The built-in mappings ship in the policy pack
(``policies/frameworks/``); a policy directory's own ``frameworks/`` folder is read the
same way, and ``with_frameworks`` gives each loaded policy the controls both name.

    framework: aws-fsbp
    title: AWS Foundational Security Best Practices (Security Hub)
    controls:
      DynamoDB.2: [dynamodb-pitr-enabled]

A mapping of one's own that names a policy no loaded file defines is an error (file:line),
never a silently empty control. The built-in mappings may name built-in policies that a
run did not load: those controls simply have nothing to check in that run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import InputError, Problem
from ..suggest import suggestion
from ..yamlfile import YamlDocument, load_yaml, stray_key_problem
from .model import Policy
from .pack import FRAMEWORKS, builtin_policy_dir
from .schema import ID_PATTERN

FRAMEWORK_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["framework", "title", "controls"],
    "additionalProperties": False,
    "properties": {
        "framework": {"type": "string", "pattern": ID_PATTERN},
        "title": {"type": "string", "minLength": 1},
        "controls": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"minLength": 1, "maxLength": 200},
            "additionalProperties": {
                "type": "array", "minItems": 1, "uniqueItems": True,
                "items": {"type": "string", "pattern": ID_PATTERN},
            },
        },
    },
}


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    controls: tuple[tuple[str, tuple[str, ...]], ...]  # (control, policy ids), file order
    source: str
    document: YamlDocument | None = field(default=None, compare=False, repr=False)

    def by_policy(self) -> dict[str, list[str]]:
        """policy id -> the controls it checks, in the file's order."""
        mapping: dict[str, list[str]] = {}
        for control, policy_ids in self.controls:
            for policy_id in policy_ids:
                mapping.setdefault(policy_id, []).append(control)
        return mapping


def frameworks_dir() -> Path:
    return builtin_policy_dir() / FRAMEWORKS


def list_frameworks(directory: Path | None = None) -> list[str]:
    """The names of the mappings in ``directory`` (the built-in ones by default)."""
    return sorted(p.stem for p in (directory or frameworks_dir()).glob("*.yml"))


def framework_controls(name: str, directory: Path | None = None) -> dict[str, list[str]]:
    """policy id -> controls of framework ``name``; InputError (exit 2) when there is no
    such framework or its file is malformed, with file:line and a fix."""
    return load_framework(name, directory).by_policy()


def load_framework(name: str, directory: Path | None = None) -> Framework:
    folder = directory or frameworks_dir()
    known = list_frameworks(folder)
    if name not in known:
        hint = suggestion(name, known, otherwise=f"known: {', '.join(known) or 'none'}")
        raise InputError([Problem(str(folder / f"{name}.yml"), None, None,
                                  f"no framework mapping {name[:80]!r}", hint)])
    return _load(folder / f"{name}.yml")


def unknown_policies(framework: Framework, policy_ids: set[str]) -> list[str]:
    """The ids a mapping names that are not among ``policy_ids``."""
    return sorted({p for _, ids in framework.controls for p in ids} - policy_ids)


def load_frameworks(directory: Path) -> list[Framework]:
    """Every mapping in ``directory``, by name; none when there is no such folder."""
    return [_load(directory / f"{name}.yml") for name in list_frameworks(directory)]


def with_frameworks(policies: Sequence[Policy], policy_dirs: Sequence[Path]) -> list[Policy]:
    """``policies``, each with the controls the mapping files give it: the built-in
    mappings, then those in each of ``policy_dirs``' ``frameworks/`` folders. A policy's
    own ``frameworks:`` key (still accepted for compatibility) is merged in, after them.
    Frameworks come sorted by name; controls in file order, each once."""
    builtin = frameworks_dir()
    own = [f for d in dict.fromkeys((d / FRAMEWORKS).resolve() for d in policy_dirs)
           if d != builtin.resolve() for f in load_frameworks(d)]
    loaded = {p.id for p in policies}
    problems = [_unknown_problem(f, policy_id) for f in own
                for policy_id in unknown_policies(f, loaded)]
    if problems:
        raise InputError(problems)
    given: dict[str, dict[str, list[str]]] = {}  # policy id -> framework -> controls
    for framework in [*load_frameworks(builtin), *own]:
        for policy_id, controls in framework.by_policy().items():
            given.setdefault(policy_id, {}).setdefault(framework.name, []).extend(controls)
    return [_merged(p, given.get(p.id, {})) for p in policies]


def _merged(policy: Policy, given: dict[str, list[str]]) -> Policy:
    if not given:
        return policy
    names = sorted({*given, *policy.frameworks})
    frameworks = {name: tuple(dict.fromkeys([*given.get(name, ()),
                                             *policy.frameworks.get(name, ())]))
                  for name in names}
    return dataclasses.replace(policy, frameworks=frameworks)


def _unknown_problem(framework: Framework, policy_id: str) -> Problem:
    control = next(c for c, ids in framework.controls if policy_id in ids)
    message = f"control {control[:80]!r} names policy {policy_id[:80]!r}, which no loaded " \
              "policy file defines"
    hint = "fix the id, remove it from the mapping, or load the policies that define it"
    if framework.document is None:
        return Problem(framework.source, None, None, message, hint)
    return framework.document.problem(("controls", control), message, hint)


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(FRAMEWORK_SCHEMA)


def _load(path: Path) -> Framework:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "a framework mapping is a YAML mapping",
                                      "write framework:, title: and controls:")])
    problems = []
    for error in _validator().iter_errors(doc.data):
        where = "/".join(str(p) for p in error.absolute_path) or "the mapping"
        problems.append(stray_key_problem(doc, error, where)
                        or doc.problem(tuple(error.absolute_path), f"{where}: {error.message}",
                                       "controls map a control id to a list of policy ids"))
    if not problems and doc.data["framework"] != path.stem:
        problems.append(doc.problem(("framework",), f"framework {doc.data['framework']!r} "
                                    f"differs from the file name {path.stem!r}",
                                    f"set framework: {path.stem}"))
    if problems:
        raise InputError(problems)
    controls = tuple((str(c), tuple(ids)) for c, ids in doc.data["controls"].items())
    return Framework(doc.data["framework"], doc.data["title"], controls, str(path), doc)

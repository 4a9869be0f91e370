"""The scan configuration (preflight.yml): accounts, regions, environments, parameters.

Validated by a JSON Schema (`preflight schema --config`) with file:line errors, like
policies. Missing file means: the caller's account, in the default region.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .drill.schema import DRILL_CONFIG_SCHEMA, HISTORY_CONFIG_SCHEMA
from .errors import InputError, Problem
from .models import Severity
from .policy.schema import scope_schema
from .runbooks import RunbookLibrary
from .suggest import did_you_mean
from .yamlfile import Pointer, YamlDocument, load_yaml, stray_key_problem

ACCOUNT_ID = r"^[0-9]{12}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"
ALL_ENVIRONMENTS = "*"


@dataclass(frozen=True)
class AccountEntry:
    id: str
    name: str | None = None
    environment: str | None = None
    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class PolicyOverride:
    enabled: bool = True
    severity: Severity | None = None
    scope: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RunbookSettings:
    """Bindings and scope for the runbooks whose file name matches ``pattern`` (a glob), as
    their front matter would state them; front matter wins for its own runbook."""

    pattern: str
    bindings: Mapping[str, Any] = field(default_factory=dict)
    scope: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    regions: tuple[str, ...] = ()
    role_name: str | None = None
    external_id: str | None = None
    organization: bool = False
    accounts: tuple[AccountEntry, ...] = ()
    environment_tag: str | None = "Environment"
    default_environment: str = "default"
    # environment (or "*") -> policy id -> parameter -> value
    parameters: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    policies: Mapping[str, PolicyOverride] = field(default_factory=dict)
    max_workers: int = 16
    processes: int | None = None  # worker processes; None: one per core on large estates
    runbook_directory: str | None = None
    runbook_url: str | None = None
    runbook_settings: tuple[RunbookSettings, ...] = ()  # runbooks: check: (in file order)
    history: str | None = None  # SQLite file every scan is recorded in (relative to the config)
    source: str | None = None
    document: YamlDocument | None = field(default=None, compare=False, repr=False)

    def runbooks(self) -> RunbookLibrary:
        directory = Path(self.runbook_directory) if self.runbook_directory else None
        return RunbookLibrary(directory, self.runbook_url)

    def problem(self, pointer: Pointer, message: str, hint: str = "") -> Problem:
        if self.document is None:
            return Problem("(built-in defaults)", None, None, message, hint)
        return self.document.problem(pointer, message, hint)

    def restricted_to(self, loaded: Collection[str], known: Collection[str]
                      ) -> tuple[Config, list[str]]:
        """This config without the overrides of policies that are not loaded, and a note for
        each; an id that no policy has at all (``known``) is a typo: InputError with the
        closest id."""
        named: list[tuple[tuple[str, ...], str]] = [(("policies", pid), pid)
                                                    for pid in self.policies]
        named += [(("parameters", env, pid), pid)
                  for env, per_policy in self.parameters.items() for pid in per_policy]
        problems = [self.problem(pointer, f"no policy has id {pid!r}{did_you_mean(pid, known)}",
                                 "`preflight policies` lists the ids")
                    for pointer, pid in named if pid not in known]
        if problems:
            raise InputError(problems)
        absent = sorted({pid for _, pid in named if pid not in loaded})
        if not absent:
            return self, []
        restricted = replace(
            self,
            policies={pid: o for pid, o in self.policies.items() if pid in loaded},
            parameters={env: {pid: v for pid, v in per_policy.items() if pid in loaded}
                        for env, per_policy in self.parameters.items()})
        return restricted, [f"the config's settings for {pid} are ignored: that policy is not "
                            "loaded in this run" for pid in absent]

    def parameters_for(self, policy_id: str, environment: str) -> dict[str, Any]:
        """Overrides for one policy in one environment; the environment's own win over '*'."""
        merged = dict(self.parameters.get(ALL_ENVIRONMENTS, {}).get(policy_id, {}))
        merged.update(self.parameters.get(environment, {}).get(policy_id, {}))
        return merged


def config_schema() -> dict[str, Any]:
    names = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://preflight.dev/schemas/config.schema.json",
        "title": "Preflight configuration",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "regions": names | {"items": {"type": "string", "pattern": REGION}},
            "role_name": {"type": "string", "minLength": 1,
                          "description": "Role assumed in each account unless it says otherwise"},
            "external_id": {"type": "string", "minLength": 2},
            "organization": {"type": "boolean",
                             "description": "Discover active accounts through AWS Organizations"},
            "accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "pattern": ACCOUNT_ID},
                        "name": {"type": "string", "minLength": 1},
                        "environment": {"type": "string", "minLength": 1},
                        "role_arn": {"type": "string", "pattern": r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+"},
                        "external_id": {"type": "string", "minLength": 2},
                    },
                },
            },
            "environment_tag": {"type": ["string", "null"],
                                "description": "Resource tag that overrides the account's "
                                "environment; null to disable"},
            "default_environment": {"type": "string", "minLength": 1},
            "parameters": {
                "type": "object",
                "description": "environment (or '*') -> policy id -> parameter -> value",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "object"},
                },
            },
            "policies": {
                "type": "object",
                "description": "Per-policy overrides: enabled, severity, scope",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "severity": {"enum": [s.value for s in Severity]},
                        "scope": scope_schema(),
                    },
                },
            },
            "max_workers": {"type": "integer", "minimum": 1, "maximum": 256},
            "processes": {"type": ["integer", "null"], "minimum": 1, "maximum": 64},
            "drill": DRILL_CONFIG_SCHEMA,
            "history": HISTORY_CONFIG_SCHEMA,
            "runbooks": {
                "type": "object",
                "description": "Link your own runbooks instead of the built-in ones, keeping "
                "the same file#section references",
                "additionalProperties": False,
                "properties": {
                    "directory": {"type": "string", "minLength": 1,
                                  "description": "Markdown files, one per runbook (relative "
                                  "paths are relative to this config file)"},
                    "url": {"type": "string", "pattern": "^https?://",
                            "description": "Link base, e.g. https://wiki.example.com/runbooks/ "
                            "or a template with {runbook} and {anchor}"},
                    "check": _runbook_check_schema(),
                },
            },
        },
    }


def _runbook_check_schema() -> dict[str, Any]:
    """runbooks: check: {GLOB: {bindings, scope}}: what front matter states, for runbooks
    that cannot carry it (generated, shared, owned by another team)."""
    from .runbookcheck.kinds import KINDS

    value = {"type": ["string", "integer"]}
    names = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
    return {
        "type": "object",
        "description": "runbook file name glob -> bindings and scope for `runbooks check`, as "
        "in front matter (which wins for its own runbook)",
        "propertyNames": {"minLength": 1, "maxLength": 200},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "bindings": {"type": "object", "additionalProperties": {"oneOf": [
                    value, {"type": "array", "items": value, "minItems": 1},
                    {"type": "object", "required": ["resource"], "additionalProperties": False,
                     "properties": {"resource": {"enum": list(KINDS)}}}]}},
                "scope": {"type": "object", "additionalProperties": False, "properties": {
                    "environments": names, "accounts": names, "regions": names}},
            },
        },
    }


def _runbook_problem(doc: YamlDocument, error: ValidationError) -> Problem | None:
    """Errors under runbooks: check: with the key or kind the author probably meant."""
    from .runbookcheck.kinds import KINDS

    pointer: Pointer = tuple(error.absolute_path)
    if pointer[:1] != ("runbooks",):
        return None
    where = "/".join(map(str, pointer))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        stray = [str(key) for key in error.instance if key not in allowed]
        if stray:
            return doc.problem((*pointer, stray[0]), f"{where}: unknown key {stray[0]!r}"
                               f"{did_you_mean(stray[0], allowed)}",
                               f"allowed keys here: {', '.join(sorted(allowed))}")
    if len(pointer) == 5 and pointer[1] == "check" and pointer[3] == "bindings":
        kind = error.instance.get("resource") if isinstance(error.instance, dict) else None
        if isinstance(kind, str) and kind not in KINDS:
            return doc.problem((*pointer, "resource"), f"{where}: unknown resource kind "
                               f"{kind[:100]!r}{did_you_mean(kind, KINDS)}",
                               "kinds: " + ", ".join(KINDS))
        return doc.problem(pointer, f"{where}: a binding is a value, a list of values or "
                           "{resource: KIND}", "e.g. TABLE_NAME: {resource: dynamodb-table}")
    return None


def _runbook_settings(data: dict[str, Any]) -> tuple[RunbookSettings, ...]:
    check = (data.get("runbooks") or {}).get("check") or {}
    return tuple(RunbookSettings(str(pattern), dict(entry.get("bindings") or {}),
                                 {k: tuple(map(str, v))
                                  for k, v in (entry.get("scope") or {}).items()})
                 for pattern, entry in check.items())


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(config_schema())


def _explain(doc: YamlDocument, error: ValidationError) -> Problem:
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(map(str, pointer)) or "config"
    stray = _runbook_problem(doc, error) or stray_key_problem(doc, error, where)
    if stray is not None:
        return stray
    return doc.problem(pointer, f"{where}: {error.message}", "see the README's configuration section")


def load_config(path: Path | str | None) -> Config:
    if path is None:
        return Config()
    doc = load_yaml(path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "the config file must be a YAML mapping",
                                      "see the README's configuration section")])
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise InputError([_explain(doc, e) for e in errors])
    directory = (data.get("runbooks") or {}).get("directory")
    if directory and not _is_dir(_relative_to(path, directory) or ""):
        raise InputError([doc.problem(("runbooks", "directory"),
                                      f"runbook directory {directory[:200]!r} does not exist",
                                      "paths are relative to the config file")])
    return Config(
        regions=tuple(data.get("regions") or ()),
        role_name=data.get("role_name"),
        external_id=data.get("external_id"),
        organization=bool(data.get("organization", False)),
        accounts=tuple(AccountEntry(**entry) for entry in data.get("accounts") or ()),
        environment_tag=data.get("environment_tag", "Environment"),
        default_environment=data.get("default_environment", "default"),
        parameters=data.get("parameters") or {},
        policies={
            pid: PolicyOverride(
                enabled=o.get("enabled", True),
                severity=Severity(o["severity"]) if "severity" in o else None,
                scope=o.get("scope"),
            )
            for pid, o in (data.get("policies") or {}).items()
        },
        max_workers=data.get("max_workers", 16),
        processes=data.get("processes"),
        runbook_directory=_relative_to(path, (data.get("runbooks") or {}).get("directory")),
        runbook_url=(data.get("runbooks") or {}).get("url"),
        runbook_settings=_runbook_settings(data),
        history=_relative_to(path, data.get("history")),
        source=str(path),
        document=doc,
    )


def _is_dir(path: str) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):  # a name too long for the file system, a NUL in it
        return False


def _relative_to(config_path: Path | str, directory: str | None) -> str | None:
    if directory is None:
        return None
    return str(Path(config_path).parent / Path(directory).expanduser())

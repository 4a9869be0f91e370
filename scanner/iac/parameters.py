"""The parameter values a template is read with: ``--parameters-file`` and ``--parameter``.

Kept apart from run.py: the command line reads them before the run starts, and their files
have problems of their own (a missing ParameterValue, YAML errors) to report at file:line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..yamlfile import YamlDocument, load_yaml, parse_json
from .values import Unknown

_TRUE = (True, "true", "True", "TRUE")


def parse_parameters(pairs: Sequence[str], files: Sequence[str]) -> dict[str, str | Unknown]:
    """--parameters-file (CloudFormation's [{ParameterKey, ParameterValue}] list or a
    {Key: Value} map, JSON or YAML), then --parameter Key=Value, later ones winning. A listed
    parameter with ``UsePreviousValue: true`` is Unknown: its value is the deployed stack's.
    A listed entry with neither is an input error: read as "", it would quietly switch off
    whatever the parameter decides (a prod-only policy's scope, a feature flag)."""
    values: dict[str, str | Unknown] = {}
    for name in files:
        values.update(_file_values(name))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError([Problem("--parameter", None, None,
                                      f"{pair!r} is not Key=Value")])
        values[key] = value
    return values


def _file_values(name: str) -> dict[str, str | Unknown]:
    """One parameters file's values: a [{ParameterKey, ParameterValue}] list or a map,
    either of them also under ``Parameters`` (as `cloudformation deploy` writes them)."""
    document = _parameters_document(name)
    raw: Any = document.data
    pointer: tuple[str, ...] = ()
    if isinstance(raw, dict) and isinstance(raw.get("Parameters"), (dict, list)):
        raw, pointer = raw["Parameters"], ("Parameters",)  # `cloudformation deploy`'s
    if isinstance(raw, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in raw):
        problems = [document.problem((*pointer, n), f"parameter {i['ParameterKey']} has no "
                                     "ParameterValue", "add \"ParameterValue\": \"...\" (or "
                                     "\"UsePreviousValue\": true to keep the deployed value)")
                    for n, i in enumerate(raw) if not _has_value(i)]
        if problems:
            raise InputError(problems)
        return {str(i["ParameterKey"]): _listed(i) for i in raw}
    if isinstance(raw, dict):
        return {str(k): _text(v) for k, v in raw.items()}
    raise InputError([Problem(name, None, None, "parameters must be a "
                     "[{ParameterKey, ParameterValue}] list or a {Key: Value} map")])


def _has_value(entry: Mapping[str, Any]) -> bool:
    return "ParameterValue" in entry or entry.get("UsePreviousValue") in _TRUE


def _parameters_document(name: str) -> YamlDocument:
    """A parameters file's data with its lines: YAML 1.2 (JSON is YAML too; ON, OFF, yes,
    no stay text); a YAML error is one problem at its line."""
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(name, None, None,
                                  f"cannot read parameters: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, None, "cannot read parameters: not UTF-8 text",
                                  "save the file as UTF-8")]) from None
    try:
        return load_yaml(name, text)
    except InputError as exc:
        if text.lstrip().startswith(("{", "[")):
            try:  # JSON that YAML refuses (a tab in a string...): no lines, but its data
                return YamlDocument(name, parse_json(name, text))
            except InputError:
                pass
        raise InputError([dataclasses.replace(p, message=f"cannot read parameters: {p.message}")
                          for p in exc.problems]) from None


def _listed(entry: Mapping[str, Any]) -> str | Unknown:
    """One {ParameterKey, ParameterValue | UsePreviousValue} entry's value."""
    if entry.get("UsePreviousValue") in _TRUE:
        key = entry["ParameterKey"]
        return Unknown(f"parameter {key} uses its previous value, unknown before deployment "
                       f"(pass --parameter {key}=VALUE to check a value)")
    return _text(entry["ParameterValue"])


def _text(value: Any) -> str:
    if value is None:  # `Key:` with nothing after it, or JSON null
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)

"""The shape of a Terraform plan, checked before it is read.

Only the fields Preflight reads are described, each with the type ``terraform show -json``
writes; anything else in the plan is left alone (the format grows). A field of the wrong
type is an input error naming its JSON pointer, never a traceback half-way through mapping.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from ..errors import InputError, Problem
from ..yamlfile import json_pointer

_TEXT = {"type": "string"}
_OBJECT = {"type": "object"}
_RESOURCE_CHANGE = {
    "type": "object",
    "required": ["address", "type", "name"],
    "properties": {
        "address": _TEXT, "type": _TEXT, "name": _TEXT, "mode": _TEXT,
        "module_address": _TEXT,
        "change": {"type": "object", "properties": {
            "after": {"type": ["object", "null"]},
            "after_unknown": {"type": ["object", "boolean"]},
        }},
    },
}
_EXPRESSION_REFERENCES = {"type": "array", "items": _TEXT}
_MODULE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resources": {"type": "array", "items": {"type": "object", "properties": {
            "address": _TEXT, "provider_config_key": _TEXT,
            "expressions": {"type": "object"},
        }}},
        "module_calls": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"source": _TEXT, "module": {"$ref": "#/$defs/module"}},
        }},
    },
}
_PROVIDER = {"type": "object", "properties": {"expressions": {"type": "object", "properties": {
    "default_tags": {"type": "array", "items": {"type": ["object", "null"], "properties": {
        "tags": {"type": ["object", "null"], "properties": {
            "constant_value": {"type": ["object", "null"]}}}}}}}}}}
SCHEMA = {
    "$defs": {"module": _MODULE},
    "type": "object",
    "properties": {
        "errored": {"type": "boolean"},
        "resource_changes": {"type": ["array", "null"], "items": _RESOURCE_CHANGE},
        "deferred_changes": {"type": ["array", "null"], "items": {
            "type": "object", "properties": {"resource_change": _RESOURCE_CHANGE,
                                             "reason": _TEXT}}},
        "configuration": {"type": ["object", "null"], "properties": {
            "provider_config": {"type": ["object", "null"], "additionalProperties": _PROVIDER},
            "root_module": {"$ref": "#/$defs/module"},
        }},
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
MAX_SHOWN = 5


def check(name: str, plan: Any) -> None:
    """InputError listing (the first few) fields of the wrong type, by JSON pointer."""
    errors = sorted(_VALIDATOR.iter_errors(plan), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise InputError([_problem(name, e) for e in errors[:MAX_SHOWN]])


def _problem(name: str, error: Any) -> Problem:
    where = json_pointer(error.absolute_path)
    if error.validator == "required":
        return Problem(name, None, None, f"{where}: not a Terraform plan entry: "
                       f"{error.message[:120]}", "write the plan again with "
                       "`terraform show -json plan.out`")
    expected = error.validator_value
    expected = " or ".join(expected) if isinstance(expected, list) else expected
    return Problem(name, None, None, f"{where}: expected {_article(expected)}, found "
                   f"{_json_type(error.instance)}", "write the plan again with "
                   "`terraform show -json plan.out` (it is not hand-edited)")


def _article(kind: Any) -> str:
    return f"an {kind}" if str(kind)[:1] in "aeiou" else f"a {kind}"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)

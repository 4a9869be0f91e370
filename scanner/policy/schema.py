"""The policy JSON Schema (Draft 2020-12), generated from what is registered.

Resource types, their attribute names and the operators come from the registries, so
adding a resource type or an operator changes the language and its validation at once.
"""

from __future__ import annotations

from typing import Any

from ..models import Severity
from ..resources import REGISTRY
from .operators import OPERATORS

SCHEMA_ID = "https://preflight.dev/schemas/policy.schema.json"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
RUNBOOK_PATTERN = r"^[a-z0-9][a-z0-9-]*#[a-z0-9][a-z0-9-]*$"


def _operand(schema: dict[str, Any]) -> dict[str, Any]:
    """An operand is a literal, a parameter reference or another attribute."""
    return {
        "anyOf": [
            schema,
            {"$ref": "#/$defs/param_ref"},
            {"$ref": "#/$defs/attribute_ref"},
            {"$ref": "#/$defs/template_ref"},
        ]
    }


MAX_MESSAGE = 500  # characters: a sentence, not a report

MESSAGE = {
    "type": "string", "minLength": 1, "maxLength": MAX_MESSAGE,
    "description": "What is wrong when this condition fails, in the domain's words: a "
    "sentence (a sandboxed jinja2 template over the resource's attributes, params.<name>, "
    "and value/expected of the deciding comparison)",
}


def operand_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """One operator's operand on its own: the literal it takes or a reference."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **_operand(schema),
            "$defs": _references()}


def _references() -> dict[str, Any]:
    return {
        "param_ref": {"type": "object", "required": ["param"], "additionalProperties": False,
                      "properties": {"param": {"type": "string"}}},
        "template_ref": {"type": "object", "required": ["template"],
                         "additionalProperties": False,
                         "description": "A string rendered per resource (sandboxed jinja2)",
                         "properties": {"template": {"type": "string", "minLength": 1}}},
        "attribute_ref": {"type": "object", "required": ["attribute"],
                          "additionalProperties": False,
                          "properties": {"attribute": {"type": "string"}}},
    }


def _leaf() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "attribute": {
            "type": "string",
            "minLength": 1,
            "description": "JMESPath expression over the resource's attributes "
            "(see `preflight resources`)",
        },
        "message": MESSAGE,
    }
    for op in OPERATORS.values():
        properties[op.name] = _operand(op.operand_schema) | {"description": op.description}
    return {
        "type": "object",
        "description": "Compare one attribute: `attribute` plus exactly one operator, and "
        "optionally a `message`",
        "required": ["attribute"],
        "properties": properties,
        "additionalProperties": False,
        "oneOf": [{"required": [name]} for name in OPERATORS],  # exactly one operator
    }


def _group(key: str, items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [key], "additionalProperties": False,
            "properties": {key: items, "message": MESSAGE}}


def messages_schema() -> dict[str, Any]:
    sentence = {k: v for k, v in MESSAGE.items() if k != "description"}
    return {
        "type": "object",
        "description": "The finding's sentence per outcome (templates like a condition's "
        "`message`); a condition's own message wins for a failure it decides",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "fail": sentence | {"description": "What is wrong, when the check fails"},
            "pass": sentence | {"description": "What is right, when it passes"},
            "error": sentence | {"description": "What could not be told; the reason follows"},
        },
    }


def _names() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
            "uniqueItems": True}


def scope_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Where the policy applies; omit a key (or list '*') to mean everywhere",
        "properties": {
            "environments": _names(),
            "accounts": _names() | {"description": "Account ids or names"},
            "regions": _names(),
            "tags": {
                "type": "object",
                "description": "Resource tags that must be present; a value, a list of "
                "values, or '*' for any value",
                "additionalProperties": {"anyOf": [{"type": "string"}, _names()]},
            },
        },
        "additionalProperties": False,
    }


def policy_schema() -> dict[str, Any]:
    types = sorted(REGISTRY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Preflight policy",
        "type": "object",
        "required": ["id", "title", "description", "severity", "resource", "check", "runbook"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN,
                   "description": "kebab-case, equal to the file name without .yml"},
            "title": {"type": "string", "minLength": 1, "maxLength": 120},
            "description": {"type": "string", "minLength": 1},
            "severity": {"enum": [s.value for s in Severity]},
            "resource": {
                "description": "The resource type the policy checks (or several with the "
                "same attributes)",
                "anyOf": [
                    {"enum": types},
                    {"type": "array", "items": {"enum": types}, "minItems": 1,
                     "uniqueItems": True},
                ],
            },
            "categories": _names() | {"description": "Free labels, e.g. disaster-recovery"},
            "scope": scope_schema(),
            "check": {"$ref": "#/$defs/condition"},
            "messages": messages_schema(),
            "parameters": {
                "type": "object",
                "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"},
                "additionalProperties": {
                    "type": "object",
                    "required": ["default"],
                    "properties": {
                        "default": {"type": ["string", "number", "boolean", "array"]},
                        "description": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "runbook": {"type": "string", "pattern": RUNBOOK_PATTERN,
                        "description": "runbook-file#section-anchor"},
            "remediation": {"type": "array", "items": {"type": "string", "minLength": 1},
                            "description": "Command templates (jinja2, sandboxed)"},
            "unmapped": {"type": "string", "minLength": 10,
                         "description": "Why no framework control maps to this policy"},
            "frameworks": {
                "type": "object",
                # Kept for packs written before the mapping files; merged with them.
                "description": "Framework name -> control ids; prefer a mapping file "
                               "(frameworks/<name>.yml), with which this is merged",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "$defs": {
            "condition": {
                "description": "A leaf comparison, or all / any / not of conditions",
                "anyOf": [
                    {"$ref": "#/$defs/leaf"},
                    _group("all", {"type": "array", "minItems": 1,
                                   "items": {"$ref": "#/$defs/condition"}}),
                    _group("any", {"type": "array", "minItems": 1,
                                   "items": {"$ref": "#/$defs/condition"}}),
                    _group("not", {"$ref": "#/$defs/condition"}),
                ],
            },
            "leaf": _leaf(),
            **_references(),
            "attributes": {
                "description": "Attributes each resource type offers (informative)",
                "type": "object",
                "properties": {
                    name: {"enum": t.attribute_names()} for name, t in sorted(REGISTRY.items())
                },
            },
        },
    }

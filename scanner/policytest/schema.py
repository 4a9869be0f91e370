"""The JSON Schema of a `preflight test` case file, and the statuses a case can expect.

Resource types come from the registry, as in the policy schema; which attributes a
resource document may hold depends on the policy a file names, so the loader checks
those (with "did you mean") after the schema has passed.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..policy.schema import ID_PATTERN
from ..resources import REGISTRY

SCHEMA_ID = "https://preflight.dev/schemas/policy-test.schema.json"


class Expect(str, Enum):
    """A case's verdict, named as the engine names a finding's status; ``not-applicable``
    is the engine giving no finding (the resource is out of the policy's scope)."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not-applicable"


def _strings(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description,
            "additionalProperties": {"type": "string", "maxLength": 1000}}


def case_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name", "expect"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "What the case shows; unique within the file"},
            "type": {"enum": sorted(REGISTRY),
                     "description": "The resource type; required when the policy has several"},
            "resource": {"type": "object", "description": "The resource document: attributes "
                         "as `preflight resources` lists them (id, name, arn and the type's own)"},
            "unreadable": _strings("Attributes that could not be read, with the reason"),
            "account": {"type": "object", "additionalProperties": False, "properties": {
                "id": {"type": "string", "pattern": r"^[0-9]{12}$"},
                "name": {"type": "string", "minLength": 1}}},
            "environment": {"type": "string", "minLength": 1,
                            "description": "The account's environment"},
            "region": {"type": "string", "minLength": 1},
            "tags": _strings("The resource's tags (an Environment tag overrides the "
                             "account's environment, as in a scan)"),
            "parameters": {"type": "object", "description": "Values that replace the "
                           "policy's parameter defaults, as a config override does"},
            "scan_time": {"type": "string", "minLength": 1,
                          "description": "The scan's clock (ISO 8601) that ages are measured against"},
            "expect": {"enum": [e.value for e in Expect]},
            "message": {"type": "string", "minLength": 1, "maxLength": 1000,
                        "description": "Text the finding's message must contain"},
        },
    }


def case_file_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Preflight policy test cases",
        "type": "object",
        "required": ["policy", "cases"],
        "additionalProperties": False,
        "properties": {
            "policy": {"type": "string", "pattern": ID_PATTERN,
                       "description": "Id of the policy the cases run against"},
            "cases": {"type": "array", "minItems": 1, "items": case_schema()},
        },
    }

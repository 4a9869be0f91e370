"""Resource types a template may declare, as cfn-lint's bundled CloudFormation spec knows them.

A misspelt type (``AWS::DynamoDB::Tabel``) would otherwise map to nothing and its resource
would go unchecked, so an unknown AWS or Alexa type is an input error with the nearest
valid names. Types CloudFormation resolves elsewhere stay allowed: custom resources
(``Custom::*``), third-party and private registry types and modules
(``Company::Team::Thing``, ``...::MODULE``) and the SAM types (in cfn-lint's list).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import Problem

_AMAZON = ("AWS", "Alexa")  # namespaces only AWS publishes: a type there must exist


@functools.lru_cache(maxsize=8)
def known_types(region: str) -> frozenset[str]:
    """Every type cfn-lint's spec lists for ``region`` or us-east-1 (a type missing from one
    region is cfn-lint's regional finding, not a typo)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return frozenset(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1")) | frozenset(
        PROVIDER_SCHEMA_MANAGER.get_resource_types(region))


def is_allowed(type_name: str, region: str) -> bool:
    parts = type_name.split("::")
    if parts[0] == "Custom" and len(parts) == 2 and parts[1]:
        return True
    if parts[0] not in _AMAZON:  # a registry type: Org::Service::Thing[::MODULE]
        return (len(parts) == 3 and all(parts)) or (len(parts) == 4 and parts[3] == "MODULE")
    return type_name in known_types(region)


def unknown_type_problems(rel: str, resources: Mapping[str, Any], lines: Mapping[str, int | None],
                          region: str) -> list[Problem]:
    """A problem (file:line, with a suggestion) for each resource whose string Type is not a
    resource type CloudFormation accepts."""
    problems = []
    for logical_id, resource in resources.items():
        type_name = resource.get("Type") if isinstance(resource, dict) else None
        if not isinstance(type_name, str) or is_allowed(type_name, region):
            continue
        problems.append(Problem(rel, _type_line(resource) or lines.get(logical_id), None,
                                f"{logical_id}: {type_name!r} is not a CloudFormation "
                                "resource type", _suggest(type_name, known_types(region))))
    return problems


def _suggest(type_name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(type_name, sorted(valid), n=3, cutoff=0.75)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return ("use a type from the CloudFormation resource reference, Custom::NAME for a custom "
            "resource, or a registered third-party type (Org::Service::Thing)")


def _type_line(resource: Mapping[str, Any]) -> int | None:
    for key in resource:
        if key == "Type":
            mark = getattr(key, "start_mark", None)
            return mark.line + 1 if mark is not None else None
    return None

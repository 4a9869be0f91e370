"""What a CloudFormation template leaves unexpanded before deployment, and why.

A macro, an ``Fn::Transform``, a loop over an unknown collection, a module, a stack set or a
nested stack whose template is not local may create any resource: each becomes a reason
that makes what it may create an ``error`` for every policy, at its line (never a resource
silently left out). Kept apart from cloudformation.py, which expands what can be expanded;
this names what could not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import foreach, sam
from .include import TRANSFORM, describe, unresolved
from .templatefiles import NESTED, nested_asset

STACK_SET = "AWS::CloudFormation::StackSet"


def macro_reason(body: Mapping[str, Any]) -> str | None:
    """Why the whole template is unexpanded: a Transform other than the two expanded here
    (a macro may rewrite or add any resource)."""
    transform = body.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform else []
    others = [str(n) for n in names if n not in (sam.TRANSFORM, foreach.TRANSFORM)]
    if not others:
        return None
    return (f"the template's Transform {', '.join(others)} is not expanded before deployment "
            "(a macro may change or add any resource)")


def unexpanded_reason(node: Any, loops: list[foreach.Unexpanded]) -> str | None:
    """Why a resource is only partly known: an Fn::Transform or a loop left in it."""
    transform = unresolved(node)
    if transform is not None:
        return f"{transform} is not expanded before deployment"
    for loop in loops:
        if _holds(node, loop.key):
            return loop.reason
    return None


def _holds(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return any(k is key or _holds(v, key) for k, v in node.items())
    return isinstance(node, list) and any(_holds(v, key) for v in node)


def gaps(raw: Mapping[Any, Any], loops: list[foreach.Unexpanded], directory: Path
          ) -> dict[Any, str]:
    """Entries of Resources that create what cannot be read before deployment: the key
    (for its line and name) -> why. Each becomes an ``error`` for every policy."""
    gaps: dict[Any, str] = {}
    for key, resource in raw.items():
        type_name = resource.get("Type") if isinstance(resource, dict) else None
        if str(key).startswith(foreach.PREFIX):
            gaps[key] = next((loop.reason for loop in loops if loop.key is key),
                             f"{key} is not expanded before deployment")
        elif str(key) == TRANSFORM:
            gaps[key] = f"{describe(resource)} is not expanded before deployment"
        elif isinstance(resource, dict) and not isinstance(type_name, str):
            gaps[key] = (f"{key}: Type {_described_type(type_name)} (a module or macro) is not "
                         "expanded before deployment")
        elif type_name == STACK_SET:
            gaps[key] = (f"{key}: the stack set's template (TemplateBody or TemplateURL) is "
                         "deployed elsewhere and is not read")
        elif type_name in NESTED and nested_asset(resource, directory) is None:
            gaps[key] = (f"{key}: the template of the nested {type_name} is not available "
                         "locally (pass the template it deploys, e.g. the output of "
                         "`sam build`/`cdk synth`, or a TemplateURL/Location that is a local "
                         "path)")
    return gaps


def _described_type(type_name: Any) -> str:
    if isinstance(type_name, dict) and len(type_name) == 1:
        (name, arg), = type_name.items()
        return f"{str(name).removeprefix('Fn::')} {arg!s}"
    return repr(type_name)

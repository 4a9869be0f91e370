"""CloudFormation templates (YAML with short tags, JSON, CDK output, SAM) -> planned resources.

A template is read as a stack: its includes, the loops and ``Properties`` a known value
decides, and SAM's resources are expanded here; what cannot be expanded is named by
templategaps.py, and each mapped resource is built from the resulting ``Template``
(template.py). Nested stacks (``AWS::CloudFormation::Stack`` whose template is on disk, as
CDK writes them) are read with the parameter values their parent passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from . import foreach, sam, templateshape
from .cfntypes import unknown_type_problems
from .include import INCLUDE, TRANSFORM, Includer, remark
from .intrinsics import Context, is_intrinsic, parameter_values
from .model import Planned
from .nodes import line_of
from .template import Template
from .templatefiles import NESTED, decode, nested_asset
from .templategaps import gaps, macro_reason, unexpanded_reason
from .values import Unknown

MAX_NESTING = 8


@dataclass(frozen=True)
class _Deployment:
    """Where a stack is deployed and with which parameter values: what its intrinsics
    resolve against."""

    parameters: Mapping[str, Any]
    region: str
    account_id: str

    def context(self, body: dict[str, Any]) -> Context:
        return Context(parameter_values(body, self.parameters), body.get("Resources") or {},
                       body.get("Conditions") or {}, body.get("Mappings") or {}, self.region,
                       self.account_id)


def load(files: Mapping[Path, dict[str, Any]], relative: Any, parameters: Mapping[str, Any],
         region: str, account_id: str) -> list[Planned]:
    """The planned resources of decoded templates; a template that another one deploys as
    a nested stack is read through its parent (with the parameters the parent passes)."""
    nested: set[Path] = set()
    for path, body in files.items():
        for resource in (body.get("Resources") or {}).values():
            if isinstance(resource, dict) and resource.get("Type") in NESTED:
                asset = nested_asset(resource, path.parent)
                if asset is not None:
                    nested.add(asset.resolve())
    deployment = _Deployment(parameters, region, account_id)
    return [planned for path, body in files.items() if path.resolve() not in nested
            for planned in _stack(path, body, relative, deployment, 0)]


def _stack(path: Path, body: dict[str, Any], relative: Any, deployment: _Deployment,
           depth: int) -> list[Planned]:
    """One template's planned resources, then those of the nested stacks it deploys (up to
    MAX_NESTING deep)."""
    template, raw, loops = _template(path, relative(path), body, deployment)
    planned = _placeholders(template, raw, loops, path.parent) + _built(template)
    if depth < MAX_NESTING:
        planned.extend(_nested(template, path.parent, relative, deployment, depth))
    return planned


def _template(path: Path, rel: str, body: dict[str, Any], deployment: _Deployment
              ) -> tuple[Template, dict[Any, Any], list[foreach.Unexpanded]]:
    """The template with all that can be expanded before deployment expanded, each resource
    that is only partly known marked (``tainted``); with its Resources as written (after
    includes and loops) and the loops left unexpanded."""
    loops: list[foreach.Unexpanded] = []
    body = _expanded(path, rel, body, deployment, loops)
    raw = _resources(body)
    _local_definitions(body, Includer(rel, path.parent))
    chosen = _choose_properties(rel, body, deployment.context(body))
    synthesized = sam.expand(body)
    template = Template(rel, body, deployment.context(body))
    template.key_lines.update({k: line_of(node) for k, node in synthesized.items()})
    template.macro = macro_reason(body)
    reasons = {str(k): loops_reason for k, v in raw.items()
               if (loops_reason := unexpanded_reason(v, loops)) is not None}
    template.tainted.update(reasons)
    template.tainted.update(chosen)
    return template, raw, loops


def _expanded(path: Path, rel: str, body: dict[str, Any], deployment: _Deployment,
              loops: list[foreach.Unexpanded]) -> dict[str, Any]:
    """The body with its includes and the loops over known collections expanded (``loops``
    gets the others); a wrong section, arity or resource type is an input error at its line."""
    body = Includer(rel, path.parent).resolve(body)
    templateshape.check(rel, body, line_of)  # wrong section types, arities: exit 2 at the line
    if foreach.uses(body):
        body = foreach.Expander(rel, deployment.context(body).resolve, loops).expand(body, {})
    raw = _resources(body)
    problems = unknown_type_problems(rel, raw, {str(k): line_of(k) for k in raw},
                                     deployment.region)
    if problems:
        raise InputError(problems)
    return body


def _resources(body: Mapping[str, Any]) -> dict[Any, Any]:
    declared = body.get("Resources")
    return declared if isinstance(declared, dict) else {}


def _placeholders(template: Template, raw: Mapping[Any, Any],
                  loops: list[foreach.Unexpanded], directory: Path) -> list[Planned]:
    """What stands for each construct left unexpanded (templategaps.py), the template's
    macro included: every attribute unknown, at the construct's line."""
    planned = [p for key, reason in gaps(raw, loops, directory).items()
               for p in template.placeholders(key, reason)]
    if template.macro is not None:
        planned.extend(template.placeholders(_key(template.body, "Transform"), template.macro))
    return planned


def _built(template: Template) -> list[Planned]:
    """The mapped resources the template creates (a false Condition creates none)."""
    from .mappings import CLOUDFORMATION

    planned: list[Planned] = []
    for logical_id, resource in template.resources.items():
        build = CLOUDFORMATION.get(str(resource.get("Type")))
        if build is None or template.created(resource) is False:
            continue
        built = build(template, logical_id, resource)
        if built is not None:  # e.g. a Deployment that creates no stage
            planned.append(built)
    return planned


def _nested(template: Template, directory: Path, relative: Any, deployment: _Deployment,
            depth: int) -> list[Planned]:
    """The planned resources of the local templates this one deploys as nested stacks,
    each read with the parameter values this one passes it."""
    planned: list[Planned] = []
    for _, stack in template.of_type(*NESTED):
        asset = nested_asset(stack, directory)
        if asset is None or template.created(stack) is False:
            continue
        passed = template.ctx.resolve(template.props(stack).get("Parameters") or {})
        child = replace(deployment, parameters=passed if isinstance(passed, dict) else {})
        planned.extend(_stack(asset, decode(asset), relative, child, depth + 1))
    return planned


def _choose_properties(rel: str, body: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Resources whose whole ``Properties`` is an intrinsic (``!If [Prod, {...}, {...}]``):
    a condition known now picks its branch, in place; otherwise the resource's logical id ->
    why its properties are unknown (every attribute is then an ``error``, never the
    defaults an empty map would give)."""
    unknown: dict[str, str] = {}
    resources = body.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, dict) else ():
        if not isinstance(resource, dict) or not is_intrinsic(resource.get("Properties")):
            continue
        chosen, reason = _branch(str(logical_id), resource["Properties"], ctx)
        if reason is not None:
            unknown[str(logical_id)] = reason
            chosen = {}
        elif not isinstance(chosen, dict):
            raise InputError([Problem(rel, line_of(resource["Properties"]), None,
                                      f"{logical_id}: Properties must be a map, not "
                                      f"{type(chosen).__name__}")])
        resource["Properties"] = chosen
    return unknown


def _branch(logical_id: str, node: Any, ctx: Context) -> tuple[Any, str | None]:
    """The Properties an intrinsic picks (Fn::If on known conditions, AWS::NoValue: none),
    or why that is unknown before deployment."""
    for _ in range(MAX_NESTING):
        if not is_intrinsic(node):
            return node, None
        (fn, arg), = node.items()
        if fn == "Ref" and arg == "AWS::NoValue":
            return {}, None
        if fn != "Fn::If":
            return None, f"{logical_id}: its Properties are a {fn}, not evaluated before deployment"
        value = ctx.condition(str(arg[0]))
        if isinstance(value, Unknown):
            return None, f"{logical_id}: its Properties are !If {arg[0]}: {value.reason}"
        node = arg[1] if value else arg[2]
    return None, f"{logical_id}: its Properties nest more than {MAX_NESTING} Fn::If"


def _key(node: Mapping[Any, Any], name: str) -> Any:
    """The key object (it carries the line) of ``name`` in ``node``."""
    return next((k for k in node if k == name), name)


def _local_definitions(body: Mapping[str, Any], includer: Includer) -> None:
    """SAM's DefinitionUri that is a local file: read as the DefinitionBody (``sam deploy``
    uploads it), so its integrations are judged."""
    resources = body.get("Resources")
    for resource in resources.values() if isinstance(resources, dict) else ():
        if not isinstance(resource, dict) or resource.get("Type") not in (sam.API, sam.HTTP_API):
            continue
        props = resource.get("Properties")
        if not isinstance(props, dict) or "DefinitionBody" in props:
            continue
        uri = props.get("DefinitionUri")
        if isinstance(uri, str) and "://" not in uri:
            spec = {"Name": INCLUDE, "Parameters": {"Location": uri}}
            site = remark({TRANSFORM: spec}, _key(props, "DefinitionUri"))
            props["DefinitionBody"] = includer.resolve(site)


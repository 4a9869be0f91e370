"""CloudFormation templates (YAML with short tags, JSON, CDK output, SAM) -> planned resources.

Templates are decoded by cfn-lint (``cfnlint.decode.decode``), which understands the short
intrinsic tags (``!Ref``, ``!Sub``...) and keeps every node's line. ``Template`` is one
decoded template seen through its intrinsic-function context; the mappings in
``scanner.iac.mappings`` read it to build each resource type's attributes. Nested stacks
(``AWS::CloudFormation::Stack`` whose template is on disk, as CDK writes them) are read with
the parameter values their parent passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from . import sam
from .cfntypes import unknown_type_problems
from .intrinsics import NOVALUE, Context, is_intrinsic, parameter_values, references
from .model import InlineWaiver, Planned
from .values import Deferred, Unknown

MAX_NESTING = 8


def decode(path: Path) -> dict[str, Any]:
    """The template with line-carrying nodes; a template cfn-lint cannot parse is an input
    error naming file:line."""
    from cfnlint.decode import decode as cfn_decode

    template, matches = cfn_decode(str(path))
    if template is None or matches:
        problems = []
        for match in matches or []:
            line = getattr(match, "linenumber", None)
            message = getattr(match, "message", str(match))
            problems.append(Problem(str(path), line, getattr(match, "columnnumber", None),
                                    f"not a valid CloudFormation template: {message}"))
        raise InputError(problems or [Problem(str(path), None, None,
                                              "not a valid CloudFormation template")])
    return template


def line_of(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


@dataclass
class Template:
    """One decoded template: its resources, what intrinsics resolve to, where nodes are."""

    rel: str  # the path findings show
    body: dict[str, Any]
    ctx: Context
    resources: dict[str, dict[str, Any]] = field(init=False)
    key_lines: dict[str, int | None] = field(init=False)

    def __post_init__(self) -> None:
        raw = self.body.get("Resources") or {}
        self.resources = {str(k): v for k, v in raw.items() if isinstance(v, dict)}
        self.key_lines = {str(k): line_of(k) for k in raw}

    def of_type(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, v) for k, v in self.resources.items() if v.get("Type") in types]

    def named(self, raw: Any) -> tuple[str, dict[str, Any]] | None:
        """The (logical id, resource) of this template that a raw value refers to through
        Ref, GetAtt or Sub (``RestApiId: !Ref Api``), if any."""
        for ref in sorted(references(raw)):
            if ref in self.resources:
                return ref, self.resources[ref]
        return None

    @staticmethod
    def props(resource: Mapping[str, Any]) -> Any:
        return resource.get("Properties") or {}

    def loc(self, logical_id: str, resource: Mapping[str, Any], prop: str | None = None
            ) -> SourceLocation:
        """The resource's line, or the line of ``prop`` (a property, or a dotted path into
        one: ``StageDescription.ThrottlingRateLimit``) as deep as the resource (or, for SAM,
        the Globals section merged into it) spells it out."""
        line = self.key_lines.get(logical_id) or line_of(resource) or 1
        found: tuple[int, str] | None = None
        node: Any = self.props(resource)
        for depth, part in enumerate((prop or "").split(".") if prop else []):
            key = next((k for k in node if str(k) == part), None) \
                if isinstance(node, dict) else None
            if key is None or not line_of(key):
                break
            found = (line_of(key) or line, ".".join(prop.split(".")[:depth + 1]))
            node = node[key]
        if found is None:
            return SourceLocation(self.rel, line, line)
        return SourceLocation(self.rel, found[0], line, found[1])

    def value(self, resource: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
        """A property (``path`` into nested maps) with its intrinsics resolved."""
        node: Any = self.props(resource or {})
        for part in path:
            node = self.ctx.resolve(node) if is_intrinsic(node) else node
            if isinstance(node, Unknown):
                return node
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        resolved = self.ctx.resolve(node)
        return default if resolved is NOVALUE else resolved

    def created(self, resource: Mapping[str, Any]) -> Any:
        """True, False or Unknown: the resource's Condition."""
        condition = resource.get("Condition")
        return True if condition is None else self.ctx.condition(str(condition))

    def tags(self, resource: Mapping[str, Any], prop: str = "Tags") -> Any:
        """{key: value} from a [{Key, Value}] list (CloudFormation) or a map (SAM, Cognito)."""
        raw = self.value(resource, prop, default=None)
        if raw is None:
            return {}
        if isinstance(raw, Unknown):
            return raw
        if isinstance(raw, dict):
            return dict(raw)
        tags: dict[str, Any] = {}
        for item in raw:
            if isinstance(item, Unknown):
                return item
            if isinstance(item, dict) and "Key" in item:
                tags[str(item["Key"])] = item.get("Value", "")
        return tags

    def planned(self, logical_id: str, resource: Mapping[str, Any], type_name: str, name: Any,
                data: dict[str, Any], props: Mapping[str, str]) -> Planned:
        """``props``: attribute -> the template property it comes from (for its line)."""
        from .mappings import PLANNABLE

        created = self.created(resource)
        if isinstance(created, Unknown):  # whether it exists at all is unknown: fail closed
            reason = Unknown(f"whether the resource is created depends on condition "
                             f"{resource.get('Condition')}: {created.reason}")
            data = {key: reason for key in PLANNABLE[type_name]}
        locations = {attr: self.loc(logical_id, resource, prop) for attr, prop in props.items()}
        display = name if isinstance(name, str) and name and not isinstance(name, Deferred) \
            else _cdk_path(resource) or logical_id
        return Planned(type_name, f"{self.rel}#{logical_id}", display, None, data,
                       self.loc(logical_id, resource), locations,
                       self.waivers(logical_id, resource))

    def waivers(self, logical_id: str, resource: Mapping[str, Any]) -> list[InlineWaiver]:
        """``Metadata: {preflight: {waive: [{policy, reason, owner?, expires?}]}}``."""
        metadata = resource.get("Metadata") or {}
        section = metadata.get("preflight") if isinstance(metadata, dict) else None
        entries = section.get("waive") if isinstance(section, dict) else None
        out = []
        for entry in entries or []:
            line = line_of(entry) or self.key_lines.get(logical_id)
            if not isinstance(entry, dict) or not entry.get("policy") or not entry.get("reason"):
                raise InputError([Problem(self.rel, line, None, f"{logical_id}: Metadata."
                                          "preflight.waive entries need `policy` and `reason`")])
            out.append(InlineWaiver(str(entry["policy"]), str(entry["reason"]),
                                    SourceLocation(self.rel, line or 1),
                                    str(entry.get("owner", "")), str(entry.get("expires", ""))))
        return out


def load(files: Mapping[Path, dict[str, Any]], relative: Any, parameters: Mapping[str, Any],
         region: str, account_id: str) -> list[Planned]:
    """The planned resources of decoded templates; a template that another one deploys as
    a nested stack is read through its parent (with the parameters the parent passes)."""
    nested: set[Path] = set()
    for path, body in files.items():
        for resource in (body.get("Resources") or {}).values():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudFormation::Stack":
                asset = nested_asset(resource, path.parent)
                if asset is not None:
                    nested.add(asset.resolve())
    planned: list[Planned] = []
    for path, body in files.items():
        if path.resolve() not in nested:
            planned.extend(_stack(path, body, relative, parameters, region, account_id, 0))
    return planned


def _stack(path: Path, body: dict[str, Any], relative: Any, supplied: Mapping[str, Any],
           region: str, account_id: str, depth: int) -> list[Planned]:
    from .mappings import CLOUDFORMATION

    declared = body.get("Resources")
    raw: dict[Any, Any] = declared if isinstance(declared, dict) else {}
    problems = unknown_type_problems(relative(path), raw, {str(k): line_of(k) for k in raw},
                                     region)
    if problems:
        raise InputError(problems)
    synthesized = sam.expand(body)
    ctx = Context(parameter_values(body, supplied), body.get("Resources") or {},
                  body.get("Conditions") or {}, body.get("Mappings") or {}, region, account_id)
    template = Template(relative(path), body, ctx)
    template.key_lines.update({k: line_of(node) for k, node in synthesized.items()})
    planned: list[Planned] = []
    for logical_id, resource in template.resources.items():
        build = CLOUDFORMATION.get(str(resource.get("Type")))
        if build is None or template.created(resource) is False:
            continue
        built = build(template, logical_id, resource)
        if built is not None:  # e.g. a Deployment that creates no stage
            planned.append(built)
    if depth >= MAX_NESTING:
        return planned
    for _, stack in template.of_type("AWS::CloudFormation::Stack"):
        asset = nested_asset(stack, path.parent)
        if asset is None or template.created(stack) is False:
            continue
        passed = ctx.resolve(template.props(stack).get("Parameters") or {})
        planned.extend(_stack(asset, decode(asset), relative,
                              passed if isinstance(passed, dict) else {}, region, account_id,
                              depth + 1))
    return planned


def _cdk_path(resource: Mapping[str, Any]) -> str | None:
    metadata = resource.get("Metadata") or {}
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    return str(path) if path else None


def nested_asset(resource: Mapping[str, Any], template_dir: Path) -> Path | None:
    """The local template a nested stack (AWS::CloudFormation::Stack) deploys: CDK's
    ``aws:asset:path`` metadata, or a TemplateURL that is a path next to the template."""
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    candidates = [asset] if asset else []
    url = (resource.get("Properties") or {}).get("TemplateURL")
    if isinstance(url, str) and "://" not in url:
        candidates.append(url)
    for candidate in candidates:
        path = template_dir / str(candidate)
        if path.is_file():
            return path
    return None

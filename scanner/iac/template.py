"""One decoded CloudFormation template seen through its intrinsic-function context.

``Template`` is what the mappings in ``scanner.iac.mappings`` read to build each resource
type's attributes: a property with its intrinsics resolved, whether a resource is created,
its tags, the line of a property, its ``Metadata`` waivers, and the ``Planned`` resource
they make. Kept apart from cloudformation.py, which reads template files and stacks: the
mappings need this view and nothing of how the template was loaded and expanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from .intrinsics import NOVALUE, Context, is_intrinsic, references
from .model import InlineWaiver, Planned
from .nodes import line_of
from .values import Deferred, Unknown


@dataclass
class Template:
    """One decoded template: its resources, what intrinsics resolve to, where nodes are."""

    rel: str  # the path findings show
    body: dict[str, Any]
    ctx: Context
    resources: dict[str, dict[str, Any]] = field(init=False)
    key_lines: dict[str, int | None] = field(init=False)
    # Why the whole template (a macro) or one resource (an Fn::Transform or a loop left in
    # it) is not fully known: every attribute of what it creates is then unknown.
    macro: str | None = None
    tainted: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        raw = self.body.get("Resources") or {}
        self.resources = {str(k): v for k, v in raw.items() if isinstance(v, dict)
                          and isinstance(v.get("Type"), str)}
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
        parts = prop.split(".") if prop else []
        for depth, part in enumerate(parts):
            key = next((k for k in node if str(k) == part), None) \
                if isinstance(node, dict) else None
            if key is None or not line_of(key):
                break
            found = (line_of(key) or line, ".".join(parts[:depth + 1]))
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
        unexpanded = self.tainted.get(logical_id) or self.macro
        if unexpanded is not None:
            data = {key: Unknown(unexpanded) for key in PLANNABLE[type_name]}
        locations = {attr: self.loc(logical_id, resource, prop) for attr, prop in props.items()}
        display = name if isinstance(name, str) and name and not isinstance(name, Deferred) \
            else _cdk_path(resource) or logical_id
        return Planned(type_name, f"{self.rel}#{logical_id}", display, None, data,
                       self.loc(logical_id, resource), locations,
                       self.waivers(logical_id, resource))

    def placeholders(self, key: Any, reason: str) -> list[Planned]:
        """What an unexpanded construct may create: one resource of every planned type,
        every attribute unknown, so every policy that could apply is an ``error`` at the
        construct's line (never a resource silently left out)."""
        from .mappings import PLANNABLE

        line = line_of(key) or 1
        return [Planned(type_name, f"{self.rel}#{key}", f"{key} (not expanded)", None,
                        {attribute: Unknown(reason) for attribute in attributes},
                        SourceLocation(self.rel, line, line))
                for type_name, attributes in PLANNABLE.items()]

    def waivers(self, logical_id: str, resource: Mapping[str, Any]) -> list[InlineWaiver]:
        """``Metadata: {preflight: {waive: [{policy, reason, owner, expires,
        include_errors?}]}}``; the fields are checked as a waivers file's are."""
        metadata = resource.get("Metadata") or {}
        section = metadata.get("preflight") if isinstance(metadata, dict) else None
        entries = section.get("waive") if isinstance(section, dict) else None
        if entries is not None and not isinstance(entries, list):
            raise InputError([Problem(self.rel, line_of(section) or self.key_lines.get(
                logical_id), None, f"{logical_id}: Metadata.preflight.waive must be a list "
                "of waivers", "write `waive: [{policy, reason, owner, expires}]`")])
        out = []
        for entry in entries or []:
            line = line_of(entry) or self.key_lines.get(logical_id)
            if not isinstance(entry, dict) or not entry.get("policy") or not entry.get("reason"):
                raise InputError([Problem(self.rel, line, None, f"{logical_id}: Metadata."
                                          "preflight.waive entries need `policy` and `reason`",
                                          "and `owner` and `expires: YYYY-MM-DD`, as in a "
                                          "waivers file")])
            out.append(InlineWaiver(str(entry["policy"]), str(entry["reason"]),
                                    SourceLocation(self.rel, line or 1),
                                    str(entry.get("owner", "")), str(entry.get("expires", "")),
                                    entry.get("include_errors") in (True, "true")))
        return out


def _cdk_path(resource: Mapping[str, Any]) -> str | None:
    metadata = resource.get("Metadata") or {}
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    return str(path) if path else None

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
from ..yamlfile import parse_json
from . import foreach, sam, templateshape
from .cfntypes import unknown_type_problems
from .include import INCLUDE, TRANSFORM, Includer, describe, remark, unresolved
from .intrinsics import NOVALUE, Context, is_intrinsic, parameter_values, references
from .model import InlineWaiver, Planned
from .values import Deferred, Unknown

MAX_NESTING = 8
STACK = "AWS::CloudFormation::Stack"
STACK_SET = "AWS::CloudFormation::StackSet"
NESTED = (STACK, sam.APPLICATION)  # a template deploying another: read through it


def decode(path: Path) -> dict[str, Any]:
    """The template with line-carrying nodes; a template cfn-lint cannot parse is an input
    error naming file:line."""
    from cfnlint.decode import decode as cfn_decode

    _check_json(path)
    template: dict[str, Any] | None
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


def _check_json(path: Path) -> None:
    """A JSON template through the bounded JSON loader first: cfn-lint's JSON decoder
    recurses once per level (RecursionError) and converts any integer (ValueError past
    Python's int-string limit). Its YAML loader bounds nesting, aliases and integers itself."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return  # cfn-lint reports an unreadable file itself
    if text.lstrip().startswith("{"):
        parse_json(str(path), text)


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
    planned: list[Planned] = []
    for path, body in files.items():
        if path.resolve() not in nested:
            planned.extend(_stack(path, body, relative, parameters, region, account_id, 0))
    return planned


def _stack(path: Path, body: dict[str, Any], relative: Any, supplied: Mapping[str, Any],
           region: str, account_id: str, depth: int) -> list[Planned]:
    from .mappings import CLOUDFORMATION

    rel = relative(path)
    body = Includer(rel, path.parent).resolve(body)
    templateshape.check(rel, body, line_of)  # wrong section types, arities: exit 2 at the line
    loops: list[foreach.Unexpanded] = []
    if foreach.uses(body):
        before = _context(body, supplied, region, account_id)
        body = foreach.Expander(rel, before.resolve, loops).expand(body, {})
    declared = body.get("Resources")
    raw: dict[Any, Any] = declared if isinstance(declared, dict) else {}
    problems = unknown_type_problems(rel, raw, {str(k): line_of(k) for k in raw}, region)
    if problems:
        raise InputError(problems)
    _local_definitions(body, Includer(rel, path.parent))
    chosen = _choose_properties(rel, body, _context(body, supplied, region, account_id))
    synthesized = sam.expand(body)
    template = Template(rel, body, _context(body, supplied, region, account_id))
    template.key_lines.update({k: line_of(node) for k, node in synthesized.items()})
    template.macro = _macro(body)
    reasons = {str(k): loops_reason for k, v in raw.items()
               if (loops_reason := _unexpanded_in(v, loops)) is not None}
    template.tainted.update(reasons)
    template.tainted.update(chosen)
    planned = [p for key, reason in _gaps(raw, loops, path.parent).items()
               for p in template.placeholders(key, reason)]
    if template.macro is not None:
        planned.extend(template.placeholders(_key(body, "Transform"), template.macro))
    for logical_id, resource in template.resources.items():
        build = CLOUDFORMATION.get(str(resource.get("Type")))
        if build is None or template.created(resource) is False:
            continue
        built = build(template, logical_id, resource)
        if built is not None:  # e.g. a Deployment that creates no stage
            planned.append(built)
    if depth >= MAX_NESTING:
        return planned
    for _, stack in template.of_type(*NESTED):
        asset = nested_asset(stack, path.parent)
        if asset is None or template.created(stack) is False:
            continue
        passed = template.ctx.resolve(template.props(stack).get("Parameters") or {})
        planned.extend(_stack(asset, decode(asset), relative,
                              passed if isinstance(passed, dict) else {}, region, account_id,
                              depth + 1))
    return planned


def _context(body: dict[str, Any], supplied: Mapping[str, Any], region: str,
             account_id: str) -> Context:
    return Context(parameter_values(body, supplied), body.get("Resources") or {},
                   body.get("Conditions") or {}, body.get("Mappings") or {}, region, account_id)


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


def _macro(body: Mapping[str, Any]) -> str | None:
    """Why the whole template is unexpanded: a Transform other than the two expanded here
    (a macro may rewrite or add any resource)."""
    transform = body.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform else []
    others = [str(n) for n in names if n not in (sam.TRANSFORM, foreach.TRANSFORM)]
    if not others:
        return None
    return (f"the template's Transform {', '.join(others)} is not expanded before deployment "
            "(a macro may change or add any resource)")


def _unexpanded_in(node: Any, loops: list[foreach.Unexpanded]) -> str | None:
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


def _gaps(raw: Mapping[Any, Any], loops: list[foreach.Unexpanded], directory: Path
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


def _cdk_path(resource: Mapping[str, Any]) -> str | None:
    metadata = resource.get("Metadata") or {}
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    return str(path) if path else None


def nested_asset(resource: Mapping[str, Any], template_dir: Path) -> Path | None:
    """The local template a nested stack (AWS::CloudFormation::Stack) or a SAM application
    deploys: CDK's ``aws:asset:path`` metadata, or a TemplateURL (a SAM Location) that is a
    path next to the template."""
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    candidates = [asset] if asset else []
    props = resource.get("Properties") or {}
    url = props.get("TemplateURL", props.get("Location")) if isinstance(props, dict) else None
    if isinstance(url, str) and "://" not in url:
        candidates.append(url)
    for candidate in candidates:
        path = template_dir / str(candidate)
        if is_file(path):
            return path
    return None


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False for a name the file system refuses (ENAMETOOLONG),
    which the caller then reports as not available locally."""
    try:
        return path.is_file()
    except OSError:
        return False

"""Terraform plans (``terraform show -json plan.out``) -> planned resources.

Each ``resource_changes[]`` entry that will exist after the apply (not a pure delete) is read
from ``change.after``; a value marked in ``change.after_unknown`` is "known after apply":
``Unknown``. Related resources are joined by value (``table/<name>``, the bucket's name) or,
when the value is unknown, by the references the plan's ``configuration`` section records.

Lines: the plan JSON has neither lines of the .tf files nor comments, so the .tf files are
searched (``--source DIR``; default the plan's own directory) for ``resource "TYPE" "NAME"``
blocks: findings point at the block (or the offending argument inside it) and
``# preflight:waive POLICY reason`` comments on or right above the block's first line (blank
lines between are allowed) are waivers; one on or above no block is an input error.
Without the .tf files, findings point at the resource's entry in the plan file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from ..yamlfile import parse_json
from . import planshape
from .model import InlineWaiver, Planned
from .values import Unknown

_WAIVE = re.compile(r"(?:#|//)\s*preflight:waive\s+([A-Za-z0-9_-]+)\s*(.*)$")


_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')


@dataclass(frozen=True)
class Configured:
    """What the plan's ``configuration`` section says of one resource block."""

    references: dict[str, set[str]]  # argument -> the addresses its expression reads
    arguments: frozenset[str]  # the arguments and blocks the .tf sets
    default_tags: Any = None  # the provider's default_tags: a map, Unknown, or None


@dataclass
class Change:
    """One ``resource_changes[]`` entry that exists after the apply."""

    address: str
    type: str
    name: str
    module: str  # the module instance ("" at the root), e.g. module.app["blue"]
    index: Any  # count/for_each key, None without
    after: dict[str, Any]
    unknown: Any  # after_unknown: a map of the same shape, or True for all of it
    configured: Configured | None = None  # None: the plan has no configuration section

    @property
    def module_path(self) -> str:
        """The module without instance keys: where its configuration (and .tf files) are."""
        return _INSTANCE_KEY.sub("", self.module)

    @property
    def references(self) -> dict[str, set[str]]:
        return self.configured.references if self.configured else {}

    def sets(self, argument: str) -> bool | None:
        """Whether the .tf sets ``argument`` (None: the plan does not say)."""
        return None if self.configured is None else argument in self.configured.arguments

    def get(self, *path: str | int, default: Any = None) -> Any:
        """The planned value at ``path``; Unknown when known after apply, except an unset
        top-level argument the provider computes (``architectures``...), which takes the
        provider's default."""
        value: Any = self.after
        unknown: Any = self.unknown
        for part in path:
            if unknown is True:
                break
            if isinstance(value, list) and isinstance(part, int):
                value = value[part] if part < len(value) else None
                unknown = unknown[part] if isinstance(unknown, list) and part < len(unknown) \
                    else None
            elif isinstance(value, dict):
                value = value.get(part)
                unknown = unknown.get(part) if isinstance(unknown, dict) else None
            else:
                value = None
            if value is None and unknown is not True:
                return default
        if unknown is True:
            if path and self.sets(str(path[0])) is False:
                return default
            return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
        return value

    def block(self, name: str) -> Change:
        """The first nested block (Terraform writes blocks as one-element lists); a block
        known only after apply is unknown throughout, unless the .tf leaves it unset (the
        provider's defaults apply)."""
        unknown = self.unknown.get(name) if isinstance(self.unknown, dict) else None
        if unknown is True and self.sets(name) is False:
            unknown = None
        if unknown is True:
            return Change(f"{self.address}.{name}", self.type, self.name, self.module,
                          self.index, {}, True)
        value = self.get(name, 0)
        first_unknown = unknown[0] if isinstance(unknown, list) and unknown else {}
        return Change(self.address, self.type, self.name, self.module, self.index,
                      value if isinstance(value, dict) else {},
                      first_unknown if isinstance(first_unknown, dict) else {})

    def refers_to_change(self, argument: str, other: Change) -> bool:
        """Whether the .tf expression of ``argument`` reads ``other``: the same module
        instance (a module's references are relative to it) and, when the reference names a
        literal instance (``aws_x.y[0]``, ``aws_x.y["k"]``), that instance."""
        if self.module != other.module:
            return False
        base = f"{other.type}.{other.name}"
        named: set[str] = set()
        found = False
        for ref in self.references.get(argument, ()):
            if ref == base or ref.startswith(base + "."):
                found = True
            elif ref.startswith(base + "["):
                key = _INSTANCE_KEY.match(ref, len(base))
                if key is not None:
                    found = True
                    if _literal_key(key.group(0)):
                        named.add(key.group(0))
        return found and (not named or _key(other.index) in named)


def _literal_key(key: str) -> bool:
    return key.startswith('["') or key[1:-1].isdigit()


def _key(index: Any) -> str:
    return "" if index is None else f"[{json.dumps(index)}]"


def _configuration(plan: dict[str, Any]) -> dict[str, Configured]:
    """Per resource block ("module.app.aws_x.y", instance keys left out): its references,
    the arguments it sets and its provider's default tags."""
    configuration = plan.get("configuration") or {}
    providers = configuration.get("provider_config") or {}
    out: dict[str, Configured] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for resource in module.get("resources") or []:
            expressions = resource.get("expressions") or {}
            provider = providers.get(resource.get("provider_config_key", "")) or {}
            out[prefix + resource.get("address", "")] = Configured(
                {arg: set(_references(e)) for arg, e in expressions.items()},
                frozenset(expressions), _default_tags(provider))
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk(configuration.get("root_module") or {}, "")
    return out


def _default_tags(provider: dict[str, Any]) -> Any:
    blocks = (provider.get("expressions") or {}).get("default_tags") or []
    if not blocks:
        return None
    tags = (blocks[0] or {}).get("tags") or {}
    if "constant_value" in tags:
        return dict(tags["constant_value"] or {})
    return Unknown("the provider's default_tags are computed")


def module_sources(plan: dict[str, Any]) -> dict[str, str]:
    """Module path -> its source as written (``./modules/app``), for the local ones."""
    out: dict[str, str] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for name, call in (module.get("module_calls") or {}).items():
            path = f"{prefix}module.{name}"
            source = str(call.get("source", ""))
            if source.startswith(("./", "../")):
                out[path] = source
            walk(call.get("module") or {}, path + ".")

    walk((plan.get("configuration") or {}).get("root_module") or {}, "")
    return out


def _references(expression: Any) -> list[str]:
    found: list[str] = []
    if isinstance(expression, dict):
        listed = expression.get("references")
        found.extend(str(r) for r in (listed if isinstance(listed, list) else ()))
        for value in expression.values():
            if isinstance(value, (dict, list)):
                found.extend(_references(value))
    elif isinstance(expression, list):
        for item in expression:
            found.extend(_references(item))
    return found


@dataclass
class Block:
    path: str
    line: int
    lines: list[tuple[int, str]]  # the block's lines
    waivers: list[InlineWaiver]


def find_blocks(source_dirs: list[Path], relative: Callable[[Path], str]
                ) -> dict[tuple[str, str], Block]:
    blocks: dict[tuple[str, str], Block] = {}
    start = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"')
    for directory in source_dirs:
        for tf in sorted(directory.rglob("*.tf")):
            if ".terraform" in tf.parts:
                continue
            text = _tf_lines(tf, relative)
            attached: set[int] = set()
            for index, line in enumerate(text):
                match = start.match(line)
                if not match:
                    continue
                comments = _comments_above(text, index)
                attached.update(comments)
                if (match.group(1), match.group(2)) in blocks:
                    continue
                rel = relative(tf)
                waivers = []
                for n in sorted(comments):
                    waive = _WAIVE.search(text[n])
                    if waive:
                        waivers.append(comment_waiver(waive.group(1), waive.group(2),
                                                      SourceLocation(rel, n + 1)))
                depth, body = 0, []
                for n in range(index, len(text)):
                    body.append((n + 1, text[n]))
                    depth += text[n].count("{") - text[n].count("}")
                    if depth <= 0 and n > index - 1 and "{" in "".join(t for _, t in body):
                        break
                blocks[(match.group(1), match.group(2))] = Block(rel, index + 1, body, waivers)
            _stray_waivers(text, attached, relative(tf))
    return blocks


def _tf_lines(tf: Path, relative: Callable[[Path], str]) -> list[str]:
    try:
        return tf.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(relative(tf), None, None, "cannot read the .tf file: "
                                  f"{getattr(exc, 'strerror', None) or exc}",
                                  "save it as UTF-8, or pass --source with the right "
                                  "directory")]) from None


def _comments_above(text: list[str], index: int) -> list[int]:
    """The block's first line and the comments above it, across blank lines: a waiver
    comment separated from its block by a blank line is unambiguous (nothing else stands
    between them), so it is attached rather than silently ignored."""
    comments = [index]
    above = index - 1
    while above >= 0 and (not text[above].strip()
                          or text[above].strip().startswith(("#", "//"))):
        if text[above].strip():
            comments.append(above)
        above -= 1
    return comments


def _stray_waivers(text: list[str], attached: set[int], rel: str) -> None:
    """A ``preflight:waive`` comment that is on or above no resource block (inside a block,
    after the last one) would waive nothing, silently: an input error at its line."""
    problems = [Problem(rel, n + 1, None, "this preflight:waive comment is not on or above a "
                        "resource block, so it waives nothing", "move it onto the line above "
                        "the `resource \"TYPE\" \"NAME\" {` it waives")
                for n, line in enumerate(text) if n not in attached and _WAIVE.search(line)]
    if problems:
        raise InputError(problems)


_FIELD = re.compile(r"(expires|owner|include_errors)=(\S+)\s*")
WAIVE_SYNTAX = ("# preflight:waive POLICY expires=YYYY-MM-DD owner=TEAM [include_errors=true] "
                "why it is acceptable")


def comment_waiver(policy: str, rest: str, source: SourceLocation) -> InlineWaiver:
    """``# preflight:waive POLICY expires=YYYY-MM-DD owner=TEAM [include_errors=true] REASON``:
    the fields first (any order), the rest of the line is the reason."""
    fields: dict[str, str] = {}
    rest = rest.strip()
    while (field := _FIELD.match(rest)) is not None:
        fields[field.group(1)] = field.group(2)
        rest = rest[field.end():]
    if not rest.strip():
        raise InputError([Problem(source.path, source.line, None,
                                  f"a waiver needs a reason: {WAIVE_SYNTAX}")])
    return InlineWaiver(policy, rest.strip(), source, fields.get("owner", ""),
                        fields.get("expires", ""),
                        fields.get("include_errors", "").lower() == "true")


def load(path: Path, relative: Callable[[Path], str], source_dirs: list[str]) -> Plan:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, None, "cannot read the plan: "
                                  f"{getattr(exc, 'strerror', None) or exc}")]) from None
    plan = parse_json(str(path), text)  # nesting, huge numbers, duplicate keys: exit 2
    if not isinstance(plan, dict):
        raise InputError([Problem(str(path), None, None, "not a Terraform plan: not an object")])
    planshape.check(str(path), plan)  # a field of the wrong type: exit 2 at its pointer
    if plan.get("errored") is True:  # its resource_changes stop where the plan failed
        raise InputError([Problem(str(path), None, None, "the plan errored: terraform plan did "
                                  "not finish, so its changes are incomplete",
                                  "fix the errors `terraform plan` reports, then write the plan "
                                  "again")])
    configured = _configuration(plan) if "configuration" in plan else None
    changes: list[Change] = []
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if rc.get("mode", "managed") != "managed" or change.get("after") is None:
            continue  # data sources; deletes and forgets (nothing exists after the apply)
        changes.append(_change(rc, change["after"], change.get("after_unknown") or {},
                               configured))
    deferred = [(_change(d["resource_change"], {}, True, configured), str(d.get("reason", "")))
                for d in plan.get("deferred_changes") or []
                if isinstance(d, dict) and isinstance(d.get("resource_change"), dict)
                and d["resource_change"].get("mode", "managed") == "managed"]
    roots = [Path(d) for d in source_dirs] or [path.parent]
    blocks = {"": find_blocks(roots, relative)}
    for module_path, directory in _module_dirs(roots, module_sources(plan)).items():
        blocks[module_path] = find_blocks([directory], relative)
    return Plan(changes, blocks, relative(path), text, deferred)


def _change(rc: dict[str, Any], after: Any, unknown: Any,
            configured: dict[str, Configured] | None) -> Change:
    module = str(rc.get("module_address") or "")
    key = (_INSTANCE_KEY.sub("", module) + "." if module else "") + f"{rc['type']}.{rc['name']}"
    return Change(rc["address"], rc["type"], rc["name"], module, rc.get("index"), after,
                  unknown, configured.get(key) if configured is not None else None)


def _module_dirs(roots: list[Path], sources: dict[str, str]) -> dict[str, Path]:
    """Module path -> the directory of its .tf files, for modules with a local source
    (a nested module's source is relative to its parent's directory)."""
    dirs: dict[str, Path] = {}
    for module_path in sorted(sources, key=lambda m: m.count(".")):
        parent = module_path.rsplit(".module.", 1)[0] if ".module." in module_path else ""
        bases = [dirs[parent]] if parent else roots
        for base in bases:
            candidate = (base / sources[module_path]).resolve()
            if _is_dir(candidate):
                dirs[module_path] = candidate
                break
    return dirs


def _is_dir(path: Path) -> bool:
    """False too for a source the file system refuses (ENAMETOOLONG): without its .tf
    files, findings point at the plan."""
    try:
        return path.is_dir()
    except OSError:
        return False


class Plan:
    """One plan's changes, with the .tf blocks (per module) they come from."""

    def __init__(self, changes: list[Change], blocks: dict[str, dict[tuple[str, str], Block]],
                 rel: str, text: str, deferred: list[tuple[Change, str]] | None = None) -> None:
        self.changes = changes
        self.deferred = deferred or []
        self.blocks = blocks
        self.rel = rel
        self.text = text

    def of_type(self, type_name: str) -> list[Change]:
        return [c for c in self.changes if c.type == type_name]

    def location(self, c: Change, arguments: Mapping[str, str] | None = None
                 ) -> tuple[SourceLocation, dict[str, SourceLocation], list[InlineWaiver]]:
        """The block's line, the lines of ``arguments`` (attribute -> argument or nested
        block) inside it, and its waiver comments; without the .tf files, the line of the
        resource's entry in the plan."""
        block = self.blocks.get(c.module_path, {}).get((c.type, c.name))
        if block is None:
            line = self._plan_line(c.address)
            return SourceLocation(self.rel, line, line), {}, []
        locations = {}
        for attribute, argument in (arguments or {}).items():
            pattern = re.compile(rf"^\s*{re.escape(argument)}\s*(=|\{{)")
            for number, text in block.lines:
                if pattern.match(text):
                    locations[attribute] = SourceLocation(block.path, number, block.line, argument)
                    break
        return SourceLocation(block.path, block.line, block.line), locations, block.waivers

    def _plan_line(self, address: str) -> int:
        """The line of the resource's ``"address"`` in the plan (a compact plan is one line)."""
        start = max(self.text.find('"resource_changes"'), 0)
        pattern = re.compile(r'"address"\s*:\s*' + re.escape(json.dumps(address)))
        found = pattern.search(self.text, start)
        return self.text.count("\n", 0, found.start()) + 1 if found else 1

    def referenced(self, c: Change, argument: str, type_name: str) -> list[Change]:
        """The resources of ``type_name`` that ``argument``'s expression reads."""
        return [other for other in self.of_type(type_name) if c.refers_to_change(argument, other)]

    def planned(self, c: Change, type_name: str, name: Any, data: dict[str, Any],
                arguments: Mapping[str, str] | None = None,
                elsewhere: Mapping[str, SourceLocation] | None = None) -> Planned:
        """``arguments``: attribute -> the argument it comes from (for its line);
        ``elsewhere``: attributes set by another resource (aws_s3_bucket_versioning...)."""
        location, locations, waivers = self.location(c, arguments)
        locations.update(elsewhere or {})
        display = name if isinstance(name, str) and name else c.address
        return Planned(type_name, f"{self.rel}#{c.address}", display, None, data, location,
                       locations, waivers, kind="terraform")

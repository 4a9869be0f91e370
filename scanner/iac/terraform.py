"""Terraform plans (``terraform show -json plan.out``) -> planned resources.

Each ``resource_changes[]`` entry that will exist after the apply (not a pure delete) is read
from ``change.after``; a value marked in ``change.after_unknown`` is "known after apply":
``Unknown``. Related resources are joined by value (``table/<name>``, the bucket's name) or,
when the value is unknown, by the references the plan's ``configuration`` section records.

Lines: the plan JSON has neither lines of the .tf files nor comments, so the .tf files are
searched (``--source DIR``; default the plan's own directory) for ``resource "TYPE" "NAME"``
blocks: findings point at the block (or the offending argument inside it) and
``# preflight:waive POLICY reason`` comments on or right above the block's first line are
waivers. Without the .tf files, findings point at the resource's entry in the plan file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from .model import InlineWaiver, Planned
from .values import Unknown

_WAIVE = re.compile(r"(?:#|//)\s*preflight:waive\s+([A-Za-z0-9_-]+)\s*(.*)$")


@dataclass
class Change:
    address: str
    type: str
    name: str
    after: dict[str, Any]
    unknown: dict[str, Any]
    references: dict[str, set[str]] = field(default_factory=dict)  # argument -> addresses

    def get(self, *path: str | int, default: Any = None) -> Any:
        value: Any = self.after
        unknown: Any = self.unknown
        for part in path:
            if unknown is True:
                return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
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
            return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
        return value

    def block(self, name: str) -> Change:
        """The first nested block (Terraform writes blocks as one-element lists)."""
        value = self.get(name, 0)
        unknown = self.unknown.get(name) if isinstance(self.unknown, dict) else None
        first_unknown = unknown[0] if isinstance(unknown, list) and unknown else {}
        return Change(self.address, self.type, self.name,
                      value if isinstance(value, dict) else {},
                      first_unknown if isinstance(first_unknown, dict) else {})

    def refers_to(self, argument: str, address: str) -> bool:
        return any(r == address or r.startswith(address + ".")
                   for r in self.references.get(argument, ()))

    def refers_to_change(self, argument: str, other: Change) -> bool:
        """Whether the configuration of ``argument`` names ``other`` (in the same module)."""
        return self.refers_to(argument, module_less(other.address))


def _configuration(module: dict[str, Any], prefix: str, out: dict[str, dict[str, set[str]]]
                   ) -> None:
    for resource in module.get("resources") or []:
        refs: dict[str, set[str]] = {}
        for argument, expression in (resource.get("expressions") or {}).items():
            refs[argument] = set(_references(expression))
        out[prefix + resource.get("address", "")] = refs
    for name, call in (module.get("module_calls") or {}).items():
        _configuration(call.get("module") or {}, f"{prefix}module.{name}.", out)


def _references(expression: Any) -> list[str]:
    found = []
    if isinstance(expression, dict):
        found.extend(str(r) for r in expression.get("references") or [])
        for value in expression.values():
            if isinstance(value, (dict, list)):
                found.extend(_references(value))
    elif isinstance(expression, list):
        for item in expression:
            found.extend(_references(item))
    return found


def module_less(address: str) -> str:
    """module.app.aws_x.y[0] -> aws_x.y (the configuration's relative form)."""
    parts = address.split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return re.sub(r"\[[^\]]*\]$", "", ".".join(parts))


def _module_prefix(address: str) -> str:
    parts = address.split(".")
    prefix = []
    while len(parts) > 2 and parts[0] == "module":
        prefix += parts[:2]
        parts = parts[2:]
    return ".".join(prefix) + "." if prefix else ""


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
            text = tf.read_text(encoding="utf-8").splitlines()
            for index, line in enumerate(text):
                match = start.match(line)
                if not match or (match.group(1), match.group(2)) in blocks:
                    continue
                rel = relative(tf)
                waivers = []
                comments = [index]
                above = index - 1
                while above >= 0 and text[above].strip().startswith(("#", "//")):
                    comments.append(above)
                    above -= 1
                for n in sorted(comments):
                    waive = _WAIVE.search(text[n])
                    if waive:
                        waivers.append(InlineWaiver(waive.group(1), waive.group(2).strip()
                                                    or "(no reason given)",
                                                    SourceLocation(rel, n + 1)))
                depth, body = 0, []
                for n in range(index, len(text)):
                    body.append((n + 1, text[n]))
                    depth += text[n].count("{") - text[n].count("}")
                    if depth <= 0 and n > index - 1 and "{" in "".join(t for _, t in body):
                        break
                blocks[(match.group(1), match.group(2))] = Block(rel, index + 1, body, waivers)
    return blocks


def load(path: Path, relative: Callable[[Path], str], source_dirs: list[str]) -> list[Planned]:
    text = path.read_text(encoding="utf-8")
    try:
        plan = json.loads(text)
    except ValueError as exc:
        raise InputError([Problem(str(path), None, None, f"not a Terraform plan: {exc}")]) \
            from None
    config: dict[str, dict[str, set[str]]] = {}
    _configuration((plan.get("configuration") or {}).get("root_module") or {}, "", config)
    changes: list[Change] = []
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if rc.get("mode", "managed") != "managed" or change.get("actions") == ["delete"]:
            continue
        address = rc["address"]
        refs = config.get(_module_prefix(address) + module_less(address), {})
        changes.append(Change(address, rc["type"], rc["name"], change.get("after") or {},
                              change.get("after_unknown") or {}, refs))
    dirs = [Path(d) for d in source_dirs] or [path.parent]
    blocks = find_blocks(dirs, relative)
    rel = relative(path)
    marker = text.find('"resource_changes"')
    return Plan(changes, blocks, rel, text, max(marker, 0)).run()


class Plan:
    """One plan's changes, with the .tf blocks they come from."""

    def __init__(self, changes: list[Change], blocks: dict[tuple[str, str], Block], rel: str,
                 text: str, offset: int) -> None:
        self.changes = changes
        self.blocks = blocks
        self.rel = rel
        self.text = text
        self.offset = offset

    def of_type(self, type_name: str) -> list[Change]:
        return [c for c in self.changes if c.type == type_name]

    def run(self) -> list[Planned]:
        from .mappings import TERRAFORM

        return [TERRAFORM[c.type](self, c) for c in self.changes if c.type in TERRAFORM]

    def location(self, c: Change, arguments: Mapping[str, str] | None = None
                 ) -> tuple[SourceLocation, dict[str, SourceLocation], list[InlineWaiver]]:
        """The block's line, the lines of ``arguments`` (attribute -> argument or nested
        block) inside it, and its waiver comments; without the .tf files, the line of the
        resource's entry in the plan."""
        block = self.blocks.get((c.type, c.name))
        if block is None:
            at = self.text.find(f'"address": "{c.address}"', self.offset)
            line = self.text.count("\n", 0, at) + 1 if at >= 0 else 1
            return SourceLocation(self.rel, line, line), {}, []
        locations = {}
        for attribute, argument in (arguments or {}).items():
            pattern = re.compile(rf"^\s*{re.escape(argument)}\s*(=|\{{)")
            for number, line in block.lines:
                if pattern.match(line):
                    locations[attribute] = SourceLocation(block.path, number, block.line, argument)
                    break
        return SourceLocation(block.path, block.line, block.line), locations, block.waivers

    def planned(self, c: Change, type_name: str, name: Any, data: dict[str, Any],
                arguments: Mapping[str, str] | None = None,
                elsewhere: Mapping[str, SourceLocation] | None = None) -> Planned:
        """``arguments``: attribute -> the argument it comes from (for its line);
        ``elsewhere``: attributes set by another resource (aws_s3_bucket_versioning...)."""
        location, locations, waivers = self.location(c, arguments)
        locations.update(elsewhere or {})
        display = name if isinstance(name, str) and name else c.address
        return Planned(type_name, f"{self.rel}#{c.address}", display, None, data, location,
                       locations, waivers)


def tags(c: Change) -> Any:
    """tags_all (provider default_tags included) when the plan has it, else tags."""
    value = c.get("tags_all")
    if value is None or (isinstance(value, dict) and not value):
        value = c.get("tags", default={})
    return value if isinstance(value, Unknown) else dict(value or {})


def unset(value: Any) -> Any:
    """The AWS provider writes -1 for "not set" (throttling limits, reserved concurrency)."""
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 \
        else value


def known(value: Any) -> Any:
    return None if isinstance(value, Unknown) or value in ("", None) else value

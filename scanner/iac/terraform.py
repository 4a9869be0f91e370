"""Terraform plans (``terraform show -json plan.out``) -> planned resources.

Each ``resource_changes[]`` entry that will exist after the apply (not a pure delete) becomes
a ``Change`` (planchange.py): its values from ``change.after``, "known after apply" ones
``Unknown``. Related resources are joined by value (``table/<name>``, the bucket's name) or,
when the value is unknown, by the references the plan's ``configuration`` section records.

Lines: findings point at the resource's block in the .tf files (tfsource.py), or, without
them, at the resource's entry in the plan file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from ..yamlfile import parse_json
from . import planshape
from .model import InlineWaiver, Planned
from .planchange import Change, Configured, change_of, read_configuration
from .tfsource import Blocks, blocks_by_module


def load(path: Path, relative: Callable[[Path], str], source_dirs: list[str]) -> Plan:
    """The plan at ``path``: what exists after its apply (and what it defers), with the .tf
    blocks it comes from (under ``source_dirs``; default the plan's own directory)."""
    text, plan = _read(path)
    configured = read_configuration(plan) if "configuration" in plan else None
    changes = _changes(plan, configured)
    deferred = _deferred(plan, configured)
    roots = [Path(d) for d in source_dirs] or [path.parent]
    return Plan(changes, blocks_by_module(plan, roots, relative), relative(path), text, deferred)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The plan's text and JSON; what is not a complete plan is an input error (exit 2)."""
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
    return text, plan


def _changes(plan: dict[str, Any], configured: dict[str, Configured] | None) -> list[Change]:
    """The managed resources that exist after the apply."""
    changes: list[Change] = []
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if rc.get("mode", "managed") != "managed" or change.get("after") is None:
            continue  # data sources; deletes and forgets (nothing exists after the apply)
        changes.append(change_of(rc, change["after"], change.get("after_unknown") or {},
                                 configured))
    return changes


def _deferred(plan: dict[str, Any], configured: dict[str, Configured] | None
              ) -> list[tuple[Change, str]]:
    """The managed resources whose change the plan defers, each wholly unknown, with why."""
    return [(change_of(d["resource_change"], {}, True, configured), str(d.get("reason", "")))
            for d in plan.get("deferred_changes") or []
            if isinstance(d, dict) and isinstance(d.get("resource_change"), dict)
            and d["resource_change"].get("mode", "managed") == "managed"]


class Plan:
    """One plan's changes, with the .tf blocks (per module) they come from."""

    def __init__(self, changes: list[Change], blocks: dict[str, Blocks],
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

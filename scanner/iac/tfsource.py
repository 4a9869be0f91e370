"""The .tf files behind a Terraform plan: where each resource block is, and its waivers.

The plan JSON has neither lines of the .tf files nor comments, so the .tf files are searched
(``--source DIR``; default the plan's own directory, and each local module's source
directory) for ``resource "TYPE" "NAME"`` blocks: findings point at the block (or the
offending argument inside it), and ``# preflight:waive POLICY reason`` comments on or right
above the block's first line (blank lines between are allowed) are its waivers; one on or
above no block is an input error. Kept apart from terraform.py: this reads text files by
line, that one reads the plan's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from .model import InlineWaiver

_RESOURCE = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"')
_WAIVE = re.compile(r"(?:#|//)\s*preflight:waive\s+([A-Za-z0-9_-]+)\s*(.*)$")
_FIELD = re.compile(r"(expires|owner|include_errors)=(\S+)\s*")
WAIVE_SYNTAX = ("# preflight:waive POLICY expires=YYYY-MM-DD owner=TEAM [include_errors=true] "
                "why it is acceptable")


@dataclass(frozen=True)
class Block:
    """One ``resource "TYPE" "NAME" { ... }`` block of a .tf file."""

    path: str
    line: int
    lines: list[tuple[int, str]]  # the block's lines
    waivers: list[InlineWaiver]


Blocks = dict[tuple[str, str], Block]  # (type, name) -> its block


def blocks_by_module(plan: dict[str, Any], roots: list[Path], relative: Callable[[Path], str]
                     ) -> dict[str, Blocks]:
    """Module path ("" for the root) -> its blocks: the root module's under ``roots``, a
    local module's in its source directory (a module without one has none: its findings
    point at the plan)."""
    blocks = {"": find_blocks(roots, relative)}
    for module_path, directory in _module_dirs(roots, _module_sources(plan)).items():
        blocks[module_path] = find_blocks([directory], relative)
    return blocks


def find_blocks(source_dirs: list[Path], relative: Callable[[Path], str]) -> Blocks:
    """The resource blocks of the .tf files under ``source_dirs`` (the first block of a
    (type, name) wins; provider caches under .terraform are not sources)."""
    blocks: Blocks = {}
    for directory in source_dirs:
        for tf in sorted(directory.rglob("*.tf")):
            if ".terraform" not in tf.parts:
                _add_blocks(tf, relative, blocks)
    return blocks


def _add_blocks(tf: Path, relative: Callable[[Path], str], blocks: Blocks) -> None:
    """Adds one .tf file's blocks not already found to ``blocks``; a waiver comment that
    belongs to no block is an input error."""
    text = _tf_lines(tf, relative)
    rel = relative(tf)
    attached: set[int] = set()
    for index, line in enumerate(text):
        match = _RESOURCE.match(line)
        if not match:
            continue
        comments = _comments_above(text, index)
        attached.update(comments)
        key = (match.group(1), match.group(2))
        if key not in blocks:
            waivers = _comment_waivers(text, comments, rel)
            blocks[key] = Block(rel, index + 1, _block_lines(text, index), waivers)
    _stray_waivers(text, attached, rel)


def _block_lines(text: list[str], index: int) -> list[tuple[int, str]]:
    """(line number, text) from the block's first line to the one closing its braces."""
    depth, body = 0, []
    for n in range(index, len(text)):
        body.append((n + 1, text[n]))
        depth += text[n].count("{") - text[n].count("}")
        if depth <= 0 and "{" in "".join(t for _, t in body):
            break
    return body


def _comment_waivers(text: list[str], comments: list[int], rel: str) -> list[InlineWaiver]:
    """The waivers among a block's comments, top to bottom."""
    waivers = []
    for n in sorted(comments):
        waive = _WAIVE.search(text[n])
        if waive:
            waivers.append(comment_waiver(waive.group(1), waive.group(2),
                                          SourceLocation(rel, n + 1)))
    return waivers


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


def _module_sources(plan: dict[str, Any]) -> dict[str, str]:
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

"""``Fn::Transform`` of ``AWS::Include`` (and SAM's local ``DefinitionUri``), resolved from disk.

CloudFormation splices the included snippet where the ``Fn::Transform`` stands: as the value
(``Body: {Fn::Transform: ...}``) or merged into the map that holds it. A ``Location`` that is
a local path is read relative to the including template's directory, so the OpenAPI body of
an API is judged like an inline one. What cannot be read locally (an S3 location, another
macro) is left in place: the caller turns what it affects into ``error`` findings.

Local problems are input errors at the include's line (fixable in the repository): a path
outside the template's directory, a missing or unparsable file, a file larger than
``MAX_BYTES``, an include cycle, or more than ``MAX_DEPTH`` levels of includes.

The included nodes are re-marked with the include's own position, so a finding about an
included value points at the ``Fn::Transform`` line of the template that includes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from .nodes import list_like, map_like, marks

INCLUDE = "AWS::Include"
TRANSFORM = "Fn::Transform"
MAX_BYTES = 2_000_000
MAX_DEPTH = 8


@dataclass(frozen=True)
class Includer:
    """Resolves the includes of one template (``root``: the directory includes must stay in)."""

    rel: str
    root: Path

    def resolve(self, node: Any, chain: tuple[Path, ...] = ()) -> Any:
        """``node`` with every local include spliced in (recursively)."""
        if isinstance(node, list):
            return list_like(node, [self.resolve(item, chain) for item in node])
        if not isinstance(node, dict):
            return node
        spec = node.get(TRANSFORM)
        included: Any = None
        if spec is not None and local_location(spec) is not None:
            path = self._path(spec, node)
            included = self.resolve(self._read(spec, node, chain), (*chain, path))
        rest = {k: self.resolve(v, chain) for k, v in node.items()
                if not (included is not None and k == TRANSFORM)}
        if included is None:
            return map_like(node, rest)
        if not rest:
            return included
        if not isinstance(included, dict):
            raise InputError([self._problem(node, "an include merged into a map must hold a "
                                            "map", "include a YAML/JSON mapping here")])
        return map_like(node, {**included, **rest})

    def _path(self, spec: Any, site: Any) -> Path:
        location = str(local_location(spec))
        path = (self.root / location).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise InputError([self._problem(site, f"include {location!r} is outside the "
                                            "template's directory", "keep included files "
                                            "next to (or below) the template")])
        return path

    def _read(self, spec: Any, site: Any, chain: tuple[Path, ...]) -> Any:
        from cfnlint.decode import decode_str

        path = self._path(spec, site)
        location = str(local_location(spec))
        if path in chain or len(chain) >= MAX_DEPTH:
            what = "includes itself" if path in chain else f"nests more than {MAX_DEPTH} deep"
            raise InputError([self._problem(site, f"include {location!r} {what}",
                                            "remove the cycle")])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise InputError([self._problem(site, f"include {location!r} is larger than "
                                                f"{MAX_BYTES} bytes", "split it")])
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([self._problem(site, f"cannot read include {location!r}: "
                                            f"{getattr(exc, 'strerror', None) or exc}",
                                            "fix the Location, relative to the template")]
                             ) from None
        try:
            data, matches = decode_str(text)
        except Exception as exc:  # cfn-lint's parser raises more than its own errors
            matches, data = [exc], None
        if matches or data is None:
            raise InputError([self._problem(site, f"include {location!r} is not valid YAML or "
                                            f"JSON: {getattr(matches[0], 'message', matches[0])}"
                                            if matches else f"include {location!r} is empty")])
        return remark(data, site)

    def _problem(self, site: Any, message: str, hint: str = "") -> Problem:
        mark = getattr(site, "start_mark", None)
        return Problem(self.rel, mark.line + 1 if mark is not None else None, None, message,
                       hint)


def local_location(spec: Any) -> str | None:
    """The local path of an ``AWS::Include`` spec, or None (S3, another macro, malformed)."""
    if not isinstance(spec, dict) or spec.get("Name") != INCLUDE:
        return None
    parameters = spec.get("Parameters")
    location = parameters.get("Location") if isinstance(parameters, dict) else None
    if not isinstance(location, str) or not location or "://" in location:
        return None
    return location


def unresolved(node: Any) -> str | None:
    """The first ``Fn::Transform`` left in ``node`` (described), or None."""
    if isinstance(node, list):
        return next((found for item in node if (found := unresolved(item))), None)
    if not isinstance(node, dict):
        return None
    if TRANSFORM in node:
        return describe(node[TRANSFORM])
    return next((found for value in node.values() if (found := unresolved(value))), None)


def describe(spec: Any) -> str:
    name = spec.get("Name") if isinstance(spec, dict) else None
    if name == INCLUDE:
        parameters = spec.get("Parameters")
        location = parameters.get("Location") if isinstance(parameters, dict) else None
        return f"Fn::Transform AWS::Include of {location!r} (not a local file)"
    return f"Fn::Transform of macro {name!r}"


def remark(data: Any, site: Any) -> Any:
    """``data`` as cfn-lint nodes carrying ``site``'s position (the include's line)."""
    from cfnlint.decode.node import dict_node, list_node, str_node

    start, end = marks(site) or (None, None)
    if isinstance(data, dict):
        return dict_node({remark(k, site): remark(v, site) for k, v in data.items()}, start,
                         end)
    if isinstance(data, list):
        return list_node([remark(v, site) for v in data], start, end)
    if isinstance(data, str):
        return str_node(data, start, end)
    return data

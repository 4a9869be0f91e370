"""``Transform: AWS::LanguageExtensions``: ``Fn::ForEach`` loops expanded before mapping.

``Fn::ForEach::Name: [Identifier, Collection, {OutputKey: Template}]`` stands for one copy of
the template per collection item: ``${Identifier}`` (and ``&{Identifier}``, alphanumerics
only) replaced in the keys and in ``Fn::Sub`` strings, ``{Ref: Identifier}`` replaced by the
item. ``Fn::Length``, ``Fn::ToJsonString`` and ``Fn::FindInMap``'s ``DefaultValue`` are
evaluated with the other intrinsics (``scanner.iac.intrinsics``).

Why not cfn-lint's transform: it is built to lint, so a collection it cannot resolve becomes
random placeholder names and a parameter's Default (or first AllowedValue) stands in for the
value supplied with ``--parameter``. Here the collection is resolved with the run's parameters
and, when it cannot be (a parameter without a value, an import), the loop is *unexpanded*:
the caller makes what it would have created ``error``. The copies keep the loop's nodes and
lines (cfn-lint's node classes), so findings point into the loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, Problem
from .nodes import list_like, map_like, str_like
from .values import Deferred, Unknown

TRANSFORM = "AWS::LanguageExtensions"
PREFIX = "Fn::ForEach::"
MAX_ITEMS = 1000  # copies per run of one template: a bound on what a loop may multiply to


@dataclass(frozen=True)
class Unexpanded:
    """A loop whose collection is not known before deployment."""

    key: Any  # the Fn::ForEach::Name key (its line)
    reason: str
    output: Any  # the loop's output template (what it would create)


def uses(body: dict[str, Any]) -> bool:
    transform = body.get("Transform")
    return TRANSFORM in (transform if isinstance(transform, list) else [transform])


@dataclass
class Expander:
    rel: str
    resolve: Callable[[Any], Any]  # the template's intrinsic evaluation (its parameters)
    unexpanded: list[Unexpanded]
    copies: int = 0

    def expand(self, node: Any, values: dict[str, str]) -> Any:
        if isinstance(node, list):
            return list_like(node, [self.expand(item, values) for item in node])
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" and isinstance(arg, str) and arg in values:
                return str_like(values[arg], arg)
            if key == "Fn::Sub":
                return map_like(node, {key: self._sub(arg, values)})
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(PREFIX):
                for copy_key, copy in self._loop(key, value, values).items():
                    self._add(out, copy_key, copy)
            else:
                self._add(out, _substitute(key, values), self.expand(value, values))
        return map_like(node, out)

    def _loop(self, key: Any, spec: Any, values: dict[str, str]) -> dict[Any, Any]:
        if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)
                and isinstance(spec[2], dict)):
            raise InputError([self._problem(key, f"{key} needs [Identifier, Collection, "
                                            "{OutputKey: OutputValue}]")])
        identifier, collection, output = spec
        items = self.resolve(self.expand(collection, values))
        reason = _not_a_collection(items)
        if reason is not None:  # left in place: what holds it is unexpanded (see ``gaps``)
            self.unexpanded.append(Unexpanded(key, f"{key}: the collection {reason}", output))
            return {key: spec}
        copies: dict[Any, Any] = {}
        for item in items:
            self.copies += 1
            if self.copies > MAX_ITEMS:
                raise InputError([self._problem(key, f"Fn::ForEach loops make more than "
                                                f"{MAX_ITEMS} copies")])
            expanded = self.expand(output, {**values, identifier: str(item)})
            for copy_key, copy in expanded.items():
                self._add(copies, copy_key, copy)
        return copies

    def _sub(self, arg: Any, values: dict[str, str]) -> Any:
        if isinstance(arg, list) and arg:
            return list_like(arg, [_substitute(arg[0], values),
                                    *[self.expand(a, values) for a in arg[1:]]])
        return _substitute(arg, values)

    def _add(self, out: dict[Any, Any], key: Any, value: Any) -> None:
        if key in out:
            raise InputError([self._problem(key, f"Fn::ForEach makes {key!s} twice",
                                            "make the OutputKey unique per item, e.g. "
                                            "${Identifier}Table")])
        out[key] = value

    def _problem(self, node: Any, message: str, hint: str = "") -> Problem:
        mark = getattr(node, "start_mark", None)
        return Problem(self.rel, mark.line + 1 if mark is not None else None, None, message,
                       hint)


def _not_a_collection(items: Any) -> str | None:
    if isinstance(items, Unknown):
        return f"is unknown before deployment: {items.reason}"
    if isinstance(items, Deferred) or not isinstance(items, list):
        return f"is {items!s}, known only after deployment"
    bad = next((i for i in items if not isinstance(i, str) or isinstance(i, Deferred)), None)
    if bad is not None:
        return (f"item {bad.reason if isinstance(bad, Unknown) else bad!s} is not known "
                "before deployment")
    return None


def _substitute(text: Any, values: dict[str, str]) -> Any:
    if not isinstance(text, str) or not values:
        return text
    out = str(text)
    for name, value in values.items():
        out = out.replace("${" + name + "}", value)
        out = re.sub(r"&\{\s*" + re.escape(name) + r"\s*\}", re.sub("[^0-9A-Za-z]", "", value),
                     out)
    return str_like(out, text) if out != text else text

"""The shape of a CloudFormation (or SAM) template, checked before it is evaluated.

The sections Preflight reads must be maps (``Parameters: [a, b]`` is not), a resource's
``Properties`` and ``Metadata`` maps (or, for Properties, an intrinsic function), and every
intrinsic function must have the arguments CloudFormation accepts (``Fn::Equals`` compares
exactly two values). What is wrong is an input error at its line, with what to write
instead, as ``aws cloudformation validate-template`` would refuse it; never a traceback
half-way through evaluating it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import InputError, Problem

MAX_SHOWN = 5
# A section -> whether each of its entries must be a map too.
_SECTIONS = {"Parameters": True, "Conditions": False, "Mappings": True, "Resources": False,
             "Globals": True, "Outputs": False}


def _text(arg: Any) -> bool:
    return isinstance(arg, str)


def _items(n: int, *rest: int) -> Callable[[Any], bool]:
    counts = (n, *rest)
    return lambda arg: isinstance(arg, list) and len(arg) in counts


def _get_att(arg: Any) -> bool:
    return (isinstance(arg, str) and "." in arg) or (isinstance(arg, list) and len(arg) == 2
                                                     and isinstance(arg[0], str))


def _sub(arg: Any) -> bool:
    return isinstance(arg, str) or (isinstance(arg, list) and len(arg) == 2
                                    and isinstance(arg[0], str) and isinstance(arg[1], dict))


def _if(arg: Any) -> bool:
    return isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)


def _join(arg: Any) -> bool:
    return isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
        and isinstance(arg[1], (list, dict))


def _split(arg: Any) -> bool:
    return isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)


# Function -> (whether its argument is acceptable, what CloudFormation expects).
FUNCTIONS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "Ref": (_text, "a logical id or parameter name"),
    "Fn::GetAtt": (_get_att, "[LogicalId, Attribute] or \"LogicalId.Attribute\""),
    "Fn::Sub": (_sub, "a string, or [string, {Name: value}]"),
    "Fn::If": (_if, "[ConditionName, value if true, value if false]"),
    "Fn::Join": (_join, "[delimiter, [values]]"),
    "Fn::Select": (_items(2), "[index, [values]]"),
    "Fn::Split": (_split, "[delimiter, string]"),
    "Fn::FindInMap": (_items(3, 4), "[MapName, TopLevelKey, SecondLevelKey]"),
    "Fn::Equals": (_items(2), "[value, value]: exactly two values"),
    "Fn::Not": (_items(1), "[condition]: exactly one condition"),
    "Fn::And": (_items(*range(2, 11)), "[condition, condition, ...]: 2 to 10 conditions"),
    "Fn::Or": (_items(*range(2, 11)), "[condition, condition, ...]: 2 to 10 conditions"),
    "Fn::Cidr": (_items(2, 3), "[ipBlock, count, cidrBits]"),
}


def check(rel: str, body: Any, line_of: Callable[[Any], int | None]) -> None:
    """InputError listing (the first few) problems, each at its line."""
    problems = list(_problems(rel, body, line_of))
    if problems:
        raise InputError(problems[:MAX_SHOWN])


def _problems(rel: str, body: Any, line_of: Callable[[Any], int | None]) -> Iterator[Problem]:
    if not isinstance(body, dict):
        yield Problem(rel, line_of(body), None, "a template must be a map of sections")
        return
    for name, entries_are_maps in _SECTIONS.items():
        key = next((k for k in body if k == name), None)
        if key is None or body[key] is None:
            continue
        section = body[key]
        if not isinstance(section, dict):
            yield Problem(rel, line_of(key), None, f"{name} must be a map, not "
                          f"{_kind(section)}", f"write {name}: as `Name: ...` entries")
            continue
        if entries_are_maps:
            yield from (Problem(rel, line_of(k) or line_of(key), None, f"{name}.{k} must be a "
                                f"map, not {_kind(v)}") for k, v in section.items()
                        if not isinstance(v, dict))
    resources = body.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, dict) else ():
        yield from _resource(rel, logical_id, resource, line_of)
    yield from _intrinsics(rel, body, line_of)


def _resource(rel: str, logical_id: Any, resource: Any, line_of: Callable[[Any], int | None]
              ) -> Iterator[Problem]:
    """A resource's Properties, Metadata and Condition (a non-map resource or Type is a
    module, macro or loop: the caller makes it an unexpanded construct)."""
    if not isinstance(resource, dict):
        return
    for attribute, allowed in (("Properties", "a map (or an intrinsic function such as Fn::If)"),
                               ("Metadata", "a map"), ("Condition", "a condition name")):
        key = next((k for k in resource if k == attribute), None)
        value = resource.get(attribute) if key is not None else None
        if value is None:
            continue
        wrong = not isinstance(value, str if attribute == "Condition" else dict)
        if wrong:
            yield Problem(rel, line_of(key) or line_of(logical_id), None,
                          f"{logical_id}: {attribute} must be {allowed}, not {_kind(value)}")


def _intrinsics(rel: str, node: Any, line_of: Callable[[Any], int | None]) -> Iterator[Problem]:
    """Every intrinsic function call with arguments CloudFormation refuses (walked
    without recursion: the decoder bounds the depth, not the width)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        if not isinstance(current, dict):
            continue
        if len(current) == 1:
            (name, arg), = current.items()
            accepts, expected = FUNCTIONS.get(str(name), (None, ""))
            if accepts is not None and not accepts(arg):
                yield Problem(rel, line_of(name) or line_of(current), None,
                              f"{name} takes {expected}, not {_shown(arg)}",
                              f"write {name}: {expected}")
                continue
        stack.extend(current.values())


def _kind(value: Any) -> str:
    names = {dict: "a map", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _shown(arg: Any) -> str:
    if isinstance(arg, list):
        return f"a list of {len(arg)}"
    return _kind(arg)

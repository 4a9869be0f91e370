"""Values that keep a template position: cfn-lint's str/dict/list nodes carry the marks that
give findings their file:line. A value built from another (an expanded Fn::ForEach, a spliced
AWS::Include) takes the original's marks, so its line survives the rewrite. Shared by
everything that reads a decoded template."""

from __future__ import annotations

from typing import Any


def line_of(node: Any) -> int | None:
    """The 1-based line ``node`` starts at, or None for a value without a position."""
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def marks(node: Any) -> tuple[Any, Any] | None:
    start = getattr(node, "start_mark", None)
    return (start, getattr(node, "end_mark", None)) if start is not None else None


def str_like(value: str, original: Any) -> Any:
    """``value`` with ``original``'s position (cfn-lint's str_node) when it had one."""
    from cfnlint.decode.node import str_node

    found = marks(original)
    return str_node(value, *found) if found else value


def map_like(original: Any, items: dict[Any, Any]) -> Any:
    """A map with ``original``'s position (cfn-lint's dict_node) when it had one."""
    from cfnlint.decode.node import dict_node

    found = marks(original)
    return dict_node(items, *found) if found else items


def list_like(original: Any, items: list[Any]) -> Any:
    from cfnlint.decode.node import list_node

    found = marks(original)
    return list_node(items, *found) if found else items

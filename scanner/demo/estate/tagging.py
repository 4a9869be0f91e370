"""Tags in the shape most AWS APIs take them, shared by the creators that tag."""

from __future__ import annotations


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    """``{"team": "shop"}`` -> ``[{"Key": "team", "Value": "shop"}]``; None -> ``[]``."""
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]

"""What the registered types offer and cost, as data: `preflight resources` (text and JSON)
and the README's resource table are rendered from here, so they cannot drift from the specs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .spec import AnyDetail, Attribute, Call, ResourceType

PER_RESOURCE = "per resource"
PER_PLACE = "once per account-region"
PER_ACCOUNT = "once per account"


def call_entry(call: Call) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": call.name, "page_size": call.page_size}
    if call.shared:
        entry["shared"] = call.shared
    if call.per_item_of:
        entry["per_item_of"] = call.per_item_of.name
    if call.only_region:
        entry["only_region"] = call.only_region
    if call.per_value_of:
        entry["per_value_of"] = call.per_value_of
    return entry


def _attributes(attributes: Iterable[Attribute]) -> list[dict[str, Any]]:
    return [{"name": a.name, "description": a.description, "example": a.example}
            for a in attributes]


def detail_cost(rtype: ResourceType, detail: AnyDetail) -> str:
    if detail.per_resource:
        return PER_RESOURCE
    return PER_ACCOUNT if rtype.per_account else PER_PLACE


def type_entry(rtype: ResourceType) -> dict[str, Any]:
    """One type as `preflight resources --format json` describes it."""
    return {
        "name": rtype.name,
        "description": rtype.description,
        "listing": {
            "calls": [call_entry(c) for c in rtype.listing.calls],
            "cost": PER_ACCOUNT if rtype.per_account else PER_PLACE,
            "attributes": _attributes((*rtype.common, *rtype.listed)),
        },
        "details": [{
            "name": d.name,
            "calls": [call_entry(c) for c in d.spec_calls],
            "cost": detail_cost(rtype, d),
            "attributes": _attributes(d.attributes),
        } for d in rtype.details],
        "cloudformation": list(rtype.cloudformation),
        "terraform": list(rtype.terraform),
    }


def text(registry: Mapping[str, ResourceType]) -> str:
    """`preflight resources` for people: each type, its attributes and what they cost."""
    lines: list[str] = []
    for rtype in registry.values():
        lines.append(f"{rtype.name}: {rtype.description}")
        where = PER_ACCOUNT if rtype.per_account else PER_PLACE
        calls = ", ".join(rtype.list_calls) or "no API call"
        lines.append(f"  listing ({calls}; {where}):")
        lines.extend(f"    {a.name:24} {a.description}" for a in (*rtype.common, *rtype.listed))
        for detail in rtype.details:
            lines.append(f"  {detail.name} ({', '.join(detail.calls)}; "
                         f"{detail_cost(rtype, detail)}, only when a policy reads it):")
            lines.extend(f"    {a.name:24} {a.description}" for a in detail.attributes)
        lines.append("")
    return "\n".join(lines)


def readme_table(registry: Mapping[str, ResourceType]) -> str:
    """The README's resource table (Markdown); a test keeps the README equal to it."""
    rows = ["| type | listing | attributes (calls; how often, only when a policy reads them) |",
            "| --- | --- | --- |"]
    for rtype in registry.values():
        where = PER_ACCOUNT if rtype.per_account else PER_PLACE
        calls = ", ".join(_call_text(c) for c in rtype.listing.calls) or "no call"
        listed = f"{calls}, {where}"
        if rtype.listed:
            listed += ": " + ", ".join(f"`{a.name}`" for a in rtype.listed)
        parts = []
        for detail in rtype.details:
            names = ", ".join(f"`{a.name}`" for a in detail.attributes)
            used = ", ".join(_call_text(c) for c in detail.spec_calls)
            parts.append(f"{names} ({used}; {detail_cost(rtype, detail)})")
        rows.append(f"| `{rtype.name}`: {rtype.description} | {listed} | "
                    f"{'; '.join(parts) or '-'} |")
    return "\n".join(rows)


def _call_text(call: Call) -> str:
    if call.shared:
        return f"{call.name} (shared)"
    if call.per_item_of:
        return f"{call.name} per {call.per_item_of.operation} item"
    if call.only_region:
        return f"{call.name} ({', '.join(map(str, call.params.values()))}, {call.only_region} only)"
    if call.per_value_of:
        return f"{call.name} per distinct {call.per_value_of}"
    return call.name

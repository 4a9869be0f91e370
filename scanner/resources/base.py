"""How a resource type is described: mostly data about its API, rarely code.

A resource type says how to list its resources in one account-region, which attributes
that listing already gives, and which *details* cost further calls. The collector
fetches a detail only when a loaded policy references one of its attributes, so the
declared calls double as the cost model (`preflight resources`) and the IAM policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..aws import RegionContext
    from ..models import Resource

Document = dict[str, Any]
ListFn = Callable[["RegionContext"], Iterable["Resource"]]
FetchOne = Callable[["RegionContext", "Resource"], Document]
FetchBatch = Callable[["RegionContext", list["Resource"]], dict[str, Document]]


@dataclass(frozen=True, eq=False)
class Attribute:
    name: str
    description: str
    example: Any = None
    # What the attribute is, as a sentence names it ("versioning"), where the description's
    # head does not say it ("Enabled, Suspended or ..."): findings' messages use it.
    label: str | None = None


@dataclass(frozen=True, eq=False)
class Detail:
    """Attributes that cost extra calls.

    ``per_resource`` details call once per resource; batch details call once per
    account-region for every resource of the type (e.g. DescribeScalableTargets) and
    return a document per resource id.
    """

    name: str
    calls: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    fetch_one: FetchOne | None = None
    fetch_batch: FetchBatch | None = None
    # Set when the detail reads the shared Resource Groups Tagging API listing: the
    # type's filter there (e.g. dynamodb:table), so one listing serves every such type.
    tagging_filter: str | None = None

    @property
    def per_resource(self) -> bool:
        return self.fetch_one is not None


@dataclass(frozen=True)
class ResourceType:
    name: str
    description: str
    list_calls: tuple[str, ...]
    list: ListFn
    listed: tuple[Attribute, ...]
    details: tuple[Detail, ...] = ()
    # True for account-wide things (budgets, dashboards): listed once per account, in the
    # first scanned region, instead of once per account-region.
    per_account: bool = False
    # Built-in keys every resource document carries, whatever the type.
    common: tuple[Attribute, ...] = field(
        default=(
            Attribute("id", "Identifier of the resource within its account and region"),
            Attribute("name", "Human-readable name"),
            Attribute("arn", "Amazon Resource Name"),
            Attribute("account_id", "Account the resource lives in"),
            Attribute("region", "Region the resource lives in"),
            Attribute("environment", "Environment: the account's, or the environment tag's"),
            Attribute("scan_time", "When the scan started (ISO 8601): compare ages with "
                      "days_between(timestamp, scan_time)"),
        ),
        repr=False,
    )

    def attribute_names(self) -> list[str]:
        names = [a.name for a in self.common] + [a.name for a in self.listed]
        for detail in self.details:
            names.extend(a.name for a in detail.attributes)
        return names

    def detail_for(self, attribute: str) -> Detail | None:
        """The detail that provides ``attribute``; None when listing provides it."""
        for detail in self.details:
            if any(a.name == attribute for a in detail.attributes):
                return detail
        return None

    def details_for(self, attributes: Iterable[str]) -> list[Detail]:
        wanted = {detail.name for a in attributes if (detail := self.detail_for(a))}
        return [d for d in self.details if d.name in wanted]


def tags_from_list(items: list[dict[str, str]] | None, key: str = "Key", value: str = "Value") -> dict:
    """AWS returns tags as [{Key, Value}]; policies read them as a mapping."""
    return {item[key]: item.get(value, "") for item in items or []}

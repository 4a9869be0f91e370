"""The fewest API calls the loaded policies need on a known estate.

Computed from the estate (what exists in each account-region) and the policies' declared
needs (the plan: which details each resource type must fetch), never from what a scanner
did, so ``calls made / calls needed`` measures waste. Every rule reads the resource specs
(``preflight_scanner.resources``), so a new type is modelled the moment it is registered:

- accounts: one GetCallerIdentity, the organisation's ListAccounts pages, one AssumeRole
  per account read through a role;
- a listing once per account-region (per account for per-account types), with its pages;
  a call declared ``per_item_of`` another once per item that call listed;
- a per-resource detail's call once per resource, or the pages of the items it lists
  when the estate counts them (a region's detectors, an account's budgets);
- a batch detail's calls once per account-region where the type has resources (pages);
- a call declared ``shared`` (the region's REST and HTTP APIs, CloudWatch alarms, the
  Resource Groups Tagging API listing) once per account-region, whoever needs it.

Page sizes are the specs' (AWS's documented maxima, which a scanner can ask for), or
moto's behaviour where it differs (moto returns many listings whole): MOTO_DEVIATIONS.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight_scanner.resources import (
    REGISTRY,
    apigateway,
    cloudfront,
    cognito,
    dynamodb,
    logs,
    s3,
    secretsmanager,
    tagging,
    wafv2,
)
from preflight_scanner.resources import awslambda as lambda_
from preflight_scanner.resources.spec import Call, ResourceType

LIST_ACCOUNTS = "organizations:ListAccounts"


def _declared() -> dict[str, Call]:
    return {c.name: c for t in REGISTRY.values() for c in t.calls()}


# Page sizes by call name, as the specs declare them; None: the whole listing in one answer.
def aws_pages() -> dict[str, int | None]:
    return {LIST_ACCOUNTS: 20, **{name: c.page_size for name, c in _declared().items()}}


AWS_PAGES = aws_pages()  # for the yardstick: the page sizes a scanner asks for
# Where moto pages otherwise than AWS.
MOTO_DEVIATIONS: dict[str, int | None] = {
    LIST_ACCOUNTS: 100,
    "dynamodb:ListBackups": None,
    "lambda:ListFunctions": None,
    "apigateway:GetRestApis": None,
    "apigateway:GetResources": None,
    "cloudwatch:DescribeAlarms": None,
    # moto packs fewer than 100 tags a page: 99 one-tag resources (see tag_pages)
}


def tagging_types() -> dict[str, str]:
    """Types whose tags come from the shared tagging listing -> their filter there."""
    return {name: d.tagging_filter for name, t in REGISTRY.items() for d in t.details
            if d.tagging_filter}


@dataclass
class PlaceCounts:
    """What one account-region holds: how many items each call lists there, by call name."""

    items: dict[str, int] = field(default_factory=dict)
    # tag counts of the tagged resources by tagging filter, as the tagging API lists them
    tagged: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class AccountCounts:
    id: str
    assumed: bool  # read through a role (AssumeRole), or with the caller's credentials
    # What per-account types list (budgets, hosted zones, health checks), by call name.
    items: dict[str, int] = field(default_factory=dict)


def distinct(call: Call) -> str:
    """The key of a join's count in ``items``: how many distinct values of its attribute a
    place's resources name. Not the call's name, which another type may list by
    (a stage's GetWebACL per ACL it names, the web ACL type's GetWebACL per ACL)."""
    return f"{call.name} per {call.per_value_of}"


def pages(n: int, size: int | None) -> int:
    return 1 if not size or n <= size else math.ceil(n / size)


def tag_pages(tag_counts: list[int], moto: bool) -> int:
    """Pages of GetResources(ResourcesPerPage=100) for resources with these tag counts."""
    size = tagging.GET_RESOURCES.page_size or 100
    if not moto:
        return pages(len(tag_counts), size)
    count, page_resources, page_tags = 1, 0, 0
    for tags in tag_counts:  # moto: a page closes at 100 resources or 100 tags (exclusive)
        if page_resources >= size or page_tags + tags >= 100:
            count, page_resources, page_tags = count + 1, 0, 0
        page_resources += 1
        page_tags += tags
    return count


def minimum_calls(plan: Mapping[str, Iterable[str]], accounts: list[AccountCounts],
                  regions: list[str], places: Mapping[tuple[str, str], PlaceCounts],
                  organization: bool, *, moto: bool = True) -> Counter[str]:
    """``plan``: resource type -> names of the details the policies need."""
    size = {**AWS_PAGES, **_declared_pages(), **(MOTO_DEVIATIONS if moto else {})}
    wanted = {t: set(d) for t, d in plan.items()}
    calls: Counter[str] = Counter()
    calls["sts:GetCallerIdentity"] += 1
    if organization:
        calls[LIST_ACCOUNTS] += pages(len(accounts), size[LIST_ACCOUNTS])
    tag_filters = {d.tagging_filter for t, names in wanted.items() for d in REGISTRY[t].details
                   if d.tagging_filter and d.name in names}
    for account in accounts:
        if account.assumed:
            calls["sts:AssumeRole"] += 1
        for r, region in enumerate(regions):
            place = places.get((account.id, region), PlaceCounts())
            shared: dict[str, int] = {}  # datasets several types read: counted once here
            for type_name, details in wanted.items():
                rtype = REGISTRY[type_name]
                if rtype.per_account and r > 0:
                    continue
                items = account.items if rtype.per_account else place.items

                def tags(p: PlaceCounts = place) -> int:
                    return tag_pages([n for f, counts in p.tagged.items() if f in tag_filters
                                      for n in counts], moto)

                calls.update(_type_calls(rtype, details, items, size, shared, tags, region))
            calls.update(shared)
    return +calls


def _declared_pages() -> dict[str, int | None]:
    # Read afresh: a test may register a type after import.
    return {name: c.page_size for name, c in _declared().items()}


def _type_calls(rtype: ResourceType, details: set[str], items: Mapping[str, int],
                size: Mapping[str, int | None], shared: dict[str, int],
                tags: Callable[[], int], region: str | None = None) -> Counter[str]:
    c: Counter[str] = Counter()
    listing = rtype.listing.calls
    # Resources: what the last listing call lists (stages, not APIs); one if no call lists.
    n = items.get(listing[-1].name, 0) if listing else 1

    def count(call: Call, per_resource: bool) -> None:
        if call is tagging.GET_RESOURCES:
            shared[call.name] = tags()
        elif call.shared:
            shared[call.name] = pages(items.get(call.name, 0), size[call.name])
        elif call.per_item_of is not None:
            c[call.name] += items.get(call.per_item_of.name, 0)
        elif call.per_value_of is not None:  # a join: once per distinct thing named
            c[call.name] += items.get(distinct(call), 0)
        elif per_resource and call.name not in items:
            c[call.name] += n
        else:  # a listing: its pages (GetMetricData's page is 500 functions)
            c[call.name] += pages(items.get(call.name, n), size[call.name])

    for call in listing:
        if not call.only_region or region in (None, call.only_region):
            count(call, per_resource=False)
    if n:
        for detail in rtype.details:
            if detail.name in details:
                for call in detail.spec_calls:
                    count(call, detail.per_resource)
    return c


def place_counts(spec: Any, moto: bool = True
                 ) -> tuple[list[AccountCounts], dict[tuple[str, str], PlaceCounts]]:
    """Counts of a benchmarks.estate.EstateSpec, as moto (or AWS) lists them, by the call
    that lists each thing (the estate has no backups, alarms or detectors: none listed)."""
    accounts = [AccountCounts(i, assumed=i != spec.accounts[0][0]) for i, _, _ in spec.accounts]
    by_id = {a.id: a for a in accounts}
    places = {}
    bucket_tags: dict[str, list[int]] = {}
    for p in spec.places:
        bucket_tags.setdefault(p.account, []).extend(len(b.tags) for b in p.buckets if b.tags)
    for p in spec.places:
        rest = [a for a in p.apis if a.kind == "REST"]
        http = [a for a in p.apis if a.kind == "HTTP"]
        scaling = sum(len(t.autoscaling) for t in p.tables)
        places[(p.account, p.region)] = PlaceCounts(
            items={
                _listed_by(dynamodb.TYPE): len(p.tables),
                dynamodb.SCALABLE_TARGETS.name: scaling,
                dynamodb.SCALING_POLICIES.name: scaling,
                _listed_by(s3.TYPE): len(p.buckets),
                _listed_by(cognito.TYPE): len(p.pools),
                apigateway.REST_APIS.name: len(rest),
                apigateway.REST_STAGES.name: sum(len(a.stages) for a in rest),
                apigateway.HTTP_APIS.name: len(http),
                apigateway.HTTP_STAGES.name: sum(len(a.stages) for a in http),
                _listed_by(lambda_.TYPE): len(p.functions),
                logs.DESCRIBE_LOG_GROUPS.name: len(p.log_groups),
                _listed_by(secretsmanager.TYPE): len(p.secrets),
                # Both scopes answer under one name; CLOUDFRONT's only in us-east-1.
                wafv2.LIST_REGIONAL.name: len(p.web_acls) + (
                    sum(1 for d in p.distributions if d.edge_acl)
                    if p.region == wafv2.CLOUDFRONT_REGION else 0),
                distinct(wafv2.GET_STAGE_WEB_ACL): sum(1 for acl in p.web_acls if acl.stages),
            },
            tagged={
                "dynamodb:table": [len(t.tags) for t in p.tables if t.tags],
                "lambda:function": [len(f.tags) for f in p.functions if f.tags],
                # moto's S3 backend is global: every region lists all the account's buckets
                "s3": bucket_tags[p.account] if moto else
                [len(b.tags) for b in p.buckets if b.tags],
            },
        )
        if p.distributions:  # global: counted on the account
            by_id[p.account].items[_listed_by(cloudfront.TYPE)] = len(p.distributions)
    return accounts, places


def _listed_by(type_name: str) -> str:
    return REGISTRY[type_name].listing.calls[-1].name

"""The fewest API calls the loaded policies need on a known estate.

Computed from the estate (what exists in each account-region) and the policies' declared
needs (the plan: which details each resource type must fetch), never from what a scanner
did, so ``calls made / calls needed`` measures waste:

- accounts: one GetCallerIdentity, the organisation's ListAccounts pages, one AssumeRole
  per account read through a role;
- a listing once per account-region (per account for per-account types), with its pages;
- a per-resource detail once per resource;
- a batch detail once per account-region where the type has resources (its pages);
- a dataset several types share (the region's REST and HTTP APIs, CloudWatch alarms, the
  Resource Groups Tagging API listing) once per account-region.

Page sizes are the server's: AWS's documented maxima (which a scanner can ask for), or
moto's behaviour where it differs (moto returns many listings whole).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Page sizes by operation; None: the whole listing in one answer.
AWS_PAGES: dict[str, int | None] = {
    "organizations:ListAccounts": 20,
    "dynamodb:ListTables": 100,
    "dynamodb:ListBackups": 100,
    "application-autoscaling:DescribeScalableTargets": 50,
    "application-autoscaling:DescribeScalingPolicies": 50,
    "s3:ListBuckets": 10000,
    "cognito-idp:ListUserPools": 60,
    "apigateway:GetRestApis": 500,
    "apigateway:GetResources": 500,
    "apigatewayv2:GetApis": None,
    "lambda:ListFunctions": 50,
    "lambda:ListAliases": 50,
    "lambda:ListVersionsByFunction": 50,
    "cloudwatch:DescribeAlarms": 100,
    "resourcegroupstaggingapi:GetResources": 100,
    "guardduty:ListDetectors": 50,
    "budgets:DescribeBudgets": 100,
    "route53:ListHostedZones": 100,
    "route53:ListHealthChecks": 100,
}
MOTO_PAGES: dict[str, int | None] = {
    **AWS_PAGES,
    "organizations:ListAccounts": 100,
    "dynamodb:ListBackups": None,
    "lambda:ListFunctions": None,
    "apigateway:GetRestApis": None,
    "apigateway:GetResources": None,
    "cloudwatch:DescribeAlarms": None,
    # moto packs fewer than 100 tags a page: 99 one-tag resources (see tag_pages)
}

# The details the model knows, by type (tests check every registered detail is here).
MODELLED_TYPES: dict[str, set[str]] = {
    "aws.dynamodb.table": {"table", "continuous_backups", "autoscaling", "backups", "alarms",
                           "tags"},
    "aws.s3.bucket": {"versioning", "tags"},
    "aws.cognito.user_pool": {"user_pool"},
    "aws.apigateway.stage": {"alarms"},
    "aws.apigatewayv2.stage": {"alarms"},
    "aws.lambda.function": {"concurrency", "tags", "api_integrations", "aliases", "versions",
                            "alarms", "duration"},
    "aws.region": {"guardduty"},
    "aws.account": {"budgets", "dashboards"},
    "aws.route53.hosted_zone": {"records", "tags"},
}

# Types whose tags come from the shared Resource Groups Tagging API listing.
TAGGING_TYPES = {"aws.dynamodb.table": "dynamodb:table", "aws.s3.bucket": "s3",
                 "aws.lambda.function": "lambda:function"}


@dataclass
class PlaceCounts:
    """What one account-region holds."""

    tables: int = 0
    scalable_targets: int = 0
    scaling_policies: int = 0
    backups: int = 0
    buckets: int = 0  # buckets living in this region
    pools: int = 0
    rest_apis: int = 0
    rest_stages: int = 0
    http_apis: int = 0
    http_stages: int = 0
    functions: int = 0
    alarms: int = 0
    detectors: int = 0
    # tag counts of the tagged resources by type, as the tagging API lists them here
    tagged: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class AccountCounts:
    id: str
    assumed: bool  # read through a role (AssumeRole), or with the caller's credentials
    budgets: int = 0
    hosted_zones: int = 0
    health_checks: int = 0


def pages(n: int, size: int | None) -> int:
    return 1 if not size or n <= size else math.ceil(n / size)


def tag_pages(tag_counts: list[int], moto: bool) -> int:
    """Pages of GetResources(ResourcesPerPage=100) for resources with these tag counts."""
    if not moto:
        return pages(len(tag_counts), 100)
    count, page_resources, page_tags = 1, 0, 0
    for tags in tag_counts:  # moto: a page closes at 100 resources or 100 tags (exclusive)
        if page_resources >= 100 or page_tags + tags >= 100:
            count, page_resources, page_tags = count + 1, 0, 0
        page_resources += 1
        page_tags += tags
    return count


def minimum_calls(plan: Mapping[str, Iterable[str]], accounts: list[AccountCounts],
                  regions: list[str], places: Mapping[tuple[str, str], PlaceCounts],
                  organization: bool, *, moto: bool = True) -> Counter[str]:
    """``plan``: resource type -> names of the details the policies need."""
    size = MOTO_PAGES if moto else AWS_PAGES
    plan = {t: set(d) for t, d in plan.items()}
    calls: Counter[str] = Counter()
    calls["sts:GetCallerIdentity"] += 1
    if organization:
        calls["organizations:ListAccounts"] += pages(len(accounts), size["organizations:ListAccounts"])
    tag_filters = {TAGGING_TYPES[t] for t, d in plan.items() if t in TAGGING_TYPES and "tags" in d}
    for account in accounts:
        if account.assumed:
            calls["sts:AssumeRole"] += 1
        for r, region in enumerate(regions):
            place = places.get((account.id, region), PlaceCounts())
            shared: dict[str, int] = {}  # datasets several types read: counted once here

            def share(name: str, n: int, shared: dict[str, int] = shared) -> None:
                shared[name] = n

            for type_name, details in plan.items():
                if type_name in ("aws.account", "aws.route53.hosted_zone") and r > 0:
                    continue
                found = _type_calls(type_name, details, place, account, size, share, moto,
                                    tag_filters)
                calls.update(found)
            calls.update(shared)
    return +calls


def _type_calls(type_name: str, details: set[str], p: PlaceCounts, account: AccountCounts,
                size: Mapping[str, int | None], share, moto: bool,
                tag_filters: set[str]) -> Counter[str]:
    c: Counter[str] = Counter()
    alarms = ("cloudwatch:DescribeAlarms", pages(p.alarms, size["cloudwatch:DescribeAlarms"]))

    def tags() -> None:
        listed = [n for f, counts in p.tagged.items() if f in tag_filters for n in counts]
        share("resourcegroupstaggingapi:GetResources", tag_pages(listed, moto))

    if type_name == "aws.dynamodb.table":
        n = p.tables
        c["dynamodb:ListTables"] += pages(n, size["dynamodb:ListTables"])
        if n:
            if "table" in details:
                c["dynamodb:DescribeTable"] += n
            if "continuous_backups" in details:
                c["dynamodb:DescribeContinuousBackups"] += n
            if "autoscaling" in details:
                c["application-autoscaling:DescribeScalableTargets"] += pages(
                    p.scalable_targets, size["application-autoscaling:DescribeScalableTargets"])
                c["application-autoscaling:DescribeScalingPolicies"] += pages(
                    p.scaling_policies, size["application-autoscaling:DescribeScalingPolicies"])
            if "backups" in details:
                c["dynamodb:ListBackups"] += pages(p.backups, size["dynamodb:ListBackups"])
            if "alarms" in details:
                share(*alarms)
            if "tags" in details:
                tags()
    elif type_name == "aws.s3.bucket":
        n = p.buckets
        c["s3:ListBuckets"] += pages(n, size["s3:ListBuckets"])
        if n:
            if "versioning" in details:
                c["s3:GetBucketVersioning"] += n
            if "tags" in details:
                tags()
    elif type_name == "aws.cognito.user_pool":
        n = p.pools
        c["cognito-idp:ListUserPools"] += pages(n, size["cognito-idp:ListUserPools"])
        if n and "user_pool" in details:
            c["cognito-idp:DescribeUserPool"] += n
    elif type_name == "aws.apigateway.stage":
        share("apigateway:GetRestApis", pages(p.rest_apis, size["apigateway:GetRestApis"]))
        c["apigateway:GetStages"] += p.rest_apis
        if p.rest_stages and "alarms" in details:
            share(*alarms)
    elif type_name == "aws.apigatewayv2.stage":
        share("apigatewayv2:GetApis", pages(p.http_apis, size["apigatewayv2:GetApis"]))
        c["apigatewayv2:GetStages"] += p.http_apis
        if p.http_stages and "alarms" in details:
            share(*alarms)
    elif type_name == "aws.lambda.function":
        n = p.functions
        c["lambda:ListFunctions"] += pages(n, size["lambda:ListFunctions"])
        if n:
            if "concurrency" in details:
                c["lambda:GetFunctionConcurrency"] += n
            if "aliases" in details:
                c["lambda:ListAliases"] += n
            if "versions" in details:
                c["lambda:ListVersionsByFunction"] += n
            if "duration" in details:
                c["cloudwatch:GetMetricData"] += math.ceil(n / 500)
            if "api_integrations" in details:
                share("apigateway:GetRestApis", pages(p.rest_apis, size["apigateway:GetRestApis"]))
                c["apigateway:GetResources"] += p.rest_apis
                share("apigatewayv2:GetApis", pages(p.http_apis, size["apigatewayv2:GetApis"]))
                c["apigatewayv2:GetIntegrations"] += p.http_apis
            if "alarms" in details:
                share(*alarms)
            if "tags" in details:
                tags()
    elif type_name == "aws.region":
        if "guardduty" in details:
            c["guardduty:ListDetectors"] += pages(p.detectors, size["guardduty:ListDetectors"])
            c["guardduty:GetDetector"] += p.detectors
    elif type_name == "aws.account":
        if "budgets" in details:
            c["budgets:DescribeBudgets"] += pages(account.budgets, size["budgets:DescribeBudgets"])
            c["budgets:DescribeNotificationsForBudget"] += account.budgets
        if "dashboards" in details:
            c["cloudwatch:ListDashboards"] += 1
    elif type_name == "aws.route53.hosted_zone":
        n = account.hosted_zones
        c["route53:ListHostedZones"] += pages(n, size["route53:ListHostedZones"])
        if n and "records" in details:
            c["route53:ListResourceRecordSets"] += n
            c["route53:ListHealthChecks"] += pages(account.health_checks,
                                                   size["route53:ListHealthChecks"])
        if n and "tags" in details:
            c["route53:ListTagsForResource"] += n
    else:
        raise KeyError(f"the minimum model does not know {type_name}: add it to benchmarks/minimum.py")
    return c


def place_counts(spec, moto: bool = True
                 ) -> tuple[list[AccountCounts], dict[tuple[str, str], PlaceCounts]]:
    """Counts of a benchmarks.estate.EstateSpec, as moto (or AWS) lists them."""
    accounts = [AccountCounts(i, assumed=i != spec.accounts[0][0]) for i, _, _ in spec.accounts]
    places = {}
    bucket_tags: dict[str, list[int]] = {}
    for p in spec.places:
        bucket_tags.setdefault(p.account, []).extend(len(b.tags) for b in p.buckets if b.tags)
    for p in spec.places:
        rest = [a for a in p.apis if a.kind == "REST"]
        http = [a for a in p.apis if a.kind == "HTTP"]
        places[(p.account, p.region)] = PlaceCounts(
            tables=len(p.tables),
            scalable_targets=sum(len(t.autoscaling) for t in p.tables),
            scaling_policies=sum(len(t.autoscaling) for t in p.tables),
            buckets=len(p.buckets), pools=len(p.pools),
            rest_apis=len(rest), rest_stages=sum(len(a.stages) for a in rest),
            http_apis=len(http), http_stages=sum(len(a.stages) for a in http),
            functions=len(p.functions),
            tagged={
                "dynamodb:table": [len(t.tags) for t in p.tables if t.tags],
                "lambda:function": [len(f.tags) for f in p.functions if f.tags],
                # moto's S3 backend is global: every region lists all the account's buckets
                "s3": bucket_tags[p.account] if moto else
                [len(b.tags) for b in p.buckets if b.tags],
            },
        )
    return accounts, places

"""Account-level preconditions: GuardDuty per region, budgets and dashboards per account.

Some runbook steps presume something about an account or a region rather than a resource
("GuardDuty raised it", "the budget alert fired", "open the environment's dashboard"). They
are modelled as resources too, one per account-region (``aws.region``) or per account
(``aws.account``), so the same policy language, scope and report apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import engine
from .spec import Attribute, Call, CustomDetail, CustomListing, Detail, Document, Field, Get, ResourceType

REGION_TYPE = "aws.region"
ACCOUNT_TYPE = "aws.account"

LIST_DETECTORS = Call("guardduty", "ListDetectors", "DetectorIds", page_size=50)
GET_DETECTOR = Call("guardduty", "GetDetector", per_item_of=LIST_DETECTORS)
# Budgets authorises its reads as one action, budgets:ViewBudget.
DESCRIBE_BUDGETS = Call("budgets", "DescribeBudgets", "Budgets", page_size=100,
                        iam_action="budgets:ViewBudget")
BUDGET_NOTIFICATIONS = Call("budgets", "DescribeNotificationsForBudget", "Notifications",
                            per_item_of=DESCRIBE_BUDGETS, iam_action="budgets:ViewBudget")
# ListDashboards answers up to 1000 dashboards a page (AWS's documented maximum).
LIST_DASHBOARDS = Call("cloudwatch", "ListDashboards", "DashboardEntries", page_size=1000)


def _list_region(ctx: RegionContext) -> Iterator[Resource]:
    yield ctx.resource(REGION_TYPE, f"{ctx.account.id}/{ctx.region}", ctx.region, None, {})


def _list_account(ctx: RegionContext) -> Iterator[Resource]:
    partition = ctx.sessions.partition(ctx.region)
    yield ctx.resource(ACCOUNT_TYPE, ctx.account.id, ctx.account.name,
                       f"arn:{partition}:iam::{ctx.account.id}:root", {})


def _guardduty(ctx: RegionContext, region: Resource) -> Document:
    detectors = engine.items(ctx, LIST_DETECTORS)
    statuses = ctx.map(
        lambda d: engine.answer(ctx, GET_DETECTOR, DetectorId=d).get("Status", "DISABLED"),
        detectors)
    return {"guardduty": {
        "detector_ids": detectors,
        "status": "ENABLED" if "ENABLED" in statuses else ("DISABLED" if detectors else "NONE"),
    }}


def _budgets(ctx: RegionContext, account: Resource) -> Document:
    # The Budgets API has one endpoint per partition, in its first region.
    region = "us-east-1" if ctx.sessions.partition(ctx.region) == "aws" else ctx.region
    client = ctx.sessions.client(ctx.account, "budgets", region)
    paginator = client.get_paginator(DESCRIBE_BUDGETS.method)
    listed = [budget for page in paginator.paginate(AccountId=ctx.account.id)
              for budget in page.get(DESCRIBE_BUDGETS.result, [])]

    def describe(budget: dict[str, Any]) -> dict[str, Any]:
        notes = getattr(client, BUDGET_NOTIFICATIONS.method)(
            AccountId=ctx.account.id, BudgetName=budget["BudgetName"]
        ).get(BUDGET_NOTIFICATIONS.result, [])
        limit = budget.get("BudgetLimit") or {}
        return {
            "name": budget["BudgetName"],
            "type": budget.get("BudgetType"),
            "time_unit": budget.get("TimeUnit"),
            "limit": float(limit["Amount"]) if limit.get("Amount") else None,
            "notifications": [
                {"type": n.get("NotificationType"), "threshold": n.get("Threshold"),
                 "comparison": n.get("ComparisonOperator")}
                for n in notes
            ],
        }

    return {"budgets": ctx.map(describe, listed)}


def _dashboard_names(entries: list[dict[str, Any]]) -> list[str]:
    return sorted(e["DashboardName"] for e in entries)


REGION_RESOURCE = ResourceType(
    name=REGION_TYPE,
    description="An account's region (one per scanned account and region)",
    listing=CustomListing((), _list_region),
    details=(
        CustomDetail("guardduty", (LIST_DETECTORS, GET_DETECTOR),
               (Attribute("guardduty", "GuardDuty in this region: {detector_ids, status: "
                          "ENABLED|DISABLED|NONE}", {"detector_ids": ["abc"], "status": "ENABLED"}),),
               fetch_one=_guardduty),
    ),
)

ACCOUNT_RESOURCE = ResourceType(
    name=ACCOUNT_TYPE,
    description="An AWS account (one per scanned account, read in the first scanned region)",
    listing=CustomListing((), _list_account),
    per_account=True,
    details=(
        CustomDetail("budgets", (DESCRIBE_BUDGETS, BUDGET_NOTIFICATIONS),
               (Attribute("budgets", "AWS Budgets: [{name, type, time_unit, limit, "
                          "notifications: [{type, threshold, comparison}]}]",
                          [{"name": "monthly", "type": "COST", "time_unit": "MONTHLY",
                            "limit": 1000.0, "notifications": [
                                {"type": "ACTUAL", "threshold": 80.0,
                                 "comparison": "GREATER_THAN"}]}]),),
               fetch_one=_budgets),
        Detail("dashboards", LIST_DASHBOARDS, {},
               (Field(Attribute("dashboards", "Names of the account's CloudWatch dashboards "
                                "(dashboards are global)", ["shop-prod-dashboard"],
                                "CloudWatch dashboards"), Get("", convert=_dashboard_names)),)),
    ),
)

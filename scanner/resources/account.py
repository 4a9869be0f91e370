"""Account-level preconditions: GuardDuty per region, budgets and dashboards per account.

Some runbook steps presume something about an account or a region rather than a resource
("GuardDuty raised it", "the budget alert fired", "open the environment's dashboard"). They
are modelled as resources too, one per account-region (``aws.region``) or per account
(``aws.account``), so the same policy language, scope and report apply.
"""

from __future__ import annotations

from typing import Any

from ..aws import RegionContext
from ..models import Resource
from .base import Attribute, Detail, Document, ResourceType

REGION_TYPE = "aws.region"
ACCOUNT_TYPE = "aws.account"


def _list_region(ctx: RegionContext):
    yield ctx.resource(REGION_TYPE, f"{ctx.account.id}/{ctx.region}", ctx.region, None, {})


def _list_account(ctx: RegionContext):
    partition = ctx.sessions.partition(ctx.region)
    yield ctx.resource(ACCOUNT_TYPE, ctx.account.id, ctx.account.name,
                       f"arn:{partition}:iam::{ctx.account.id}:root", {})


def _guardduty(ctx: RegionContext, region: Resource) -> Document:
    client = ctx.client("guardduty")
    detectors = ctx.paginate("guardduty", "list_detectors", "DetectorIds")
    statuses = ctx.map(lambda d: client.get_detector(DetectorId=d).get("Status", "DISABLED"),
                       detectors)
    return {"guardduty": {
        "detector_ids": detectors,
        "status": "ENABLED" if "ENABLED" in statuses else ("DISABLED" if detectors else "NONE"),
    }}


def _budgets(ctx: RegionContext, account: Resource) -> Document:
    # The Budgets API has one endpoint per partition, in its first region.
    region = "us-east-1" if ctx.sessions.partition(ctx.region) == "aws" else ctx.region
    client = ctx.sessions.client(ctx.account, "budgets", region)
    listed = [budget
              for page in client.get_paginator("describe_budgets").paginate(AccountId=ctx.account.id)
              for budget in page.get("Budgets", [])]

    def describe(budget: dict[str, Any]) -> dict[str, Any]:
        notes = client.describe_notifications_for_budget(
            AccountId=ctx.account.id, BudgetName=budget["BudgetName"]
        ).get("Notifications", [])
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


def _dashboards(ctx: RegionContext, account: Resource) -> Document:
    entries = ctx.paginate("cloudwatch", "list_dashboards", "DashboardEntries")
    return {"dashboards": sorted(e["DashboardName"] for e in entries)}


REGION_RESOURCE = ResourceType(
    name=REGION_TYPE,
    description="An account's region (one per scanned account and region)",
    list_calls=(),
    list=_list_region,
    listed=(),
    details=(
        Detail("guardduty", ("guardduty:ListDetectors", "guardduty:GetDetector"),
               (Attribute("guardduty", "GuardDuty in this region: {detector_ids, status: "
                          "ENABLED|DISABLED|NONE}", {"detector_ids": ["abc"], "status": "ENABLED"}),),
               fetch_one=_guardduty),
    ),
)

ACCOUNT_RESOURCE = ResourceType(
    name=ACCOUNT_TYPE,
    description="An AWS account (one per scanned account, read in the first scanned region)",
    list_calls=(),
    list=_list_account,
    listed=(),
    per_account=True,
    details=(
        Detail("budgets", ("budgets:DescribeBudgets", "budgets:DescribeNotificationsForBudget"),
               (Attribute("budgets", "AWS Budgets: [{name, type, time_unit, limit, "
                          "notifications: [{type, threshold, comparison}]}]",
                          [{"name": "monthly", "type": "COST", "time_unit": "MONTHLY",
                            "limit": 1000.0, "notifications": [
                                {"type": "ACTUAL", "threshold": 80.0,
                                 "comparison": "GREATER_THAN"}]}]),),
               fetch_one=_budgets),
        Detail("dashboards", ("cloudwatch:ListDashboards",),
               (Attribute("dashboards", "Names of the account's CloudWatch dashboards "
                          "(dashboards are global)", ["shop-prod-dashboard"],
                          "CloudWatch dashboards"),),
               fetch_one=_dashboards),
    ),
)

"""CloudWatch alarms, listed once per account-region and joined to the resources they watch.

A runbook that starts with "the throttling alarm fired" presumes an alarm exists and pages
someone. Each resource type that can be watched gets an ``alarms`` attribute from one
shared DescribeAlarms listing, instead of a call per resource or per policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import engine
from .spec import Attribute, Call, CustomDetail, Document

DESCRIBE_ALARMS = Call("cloudwatch", "DescribeAlarms", "MetricAlarms", page_size=100,
                       page_param="MaxRecords", shared="cloudwatch.alarms")


def alarms(ctx: RegionContext) -> list[dict[str, Any]]:
    """Every metric alarm in the account-region, normalised; listed once per scan."""
    return [_normalise(alarm) for alarm in engine.shared_items(ctx, DESCRIBE_ALARMS)]


def _normalise(alarm: dict[str, Any]) -> dict[str, Any]:
    metrics = []
    if alarm.get("MetricName"):
        metrics.append((alarm.get("Namespace"), alarm["MetricName"], alarm.get("Dimensions")))
    for query in alarm.get("Metrics") or []:  # metric-math alarms
        stat = (query.get("MetricStat") or {}).get("Metric") or {}
        if stat.get("MetricName"):
            metrics.append((stat.get("Namespace"), stat["MetricName"], stat.get("Dimensions")))
    return {
        "name": alarm["AlarmName"],
        "metrics": [
            {"namespace": ns, "metric": name,
             "dimensions": {d["Name"]: d["Value"] for d in dims or []}}
            for ns, name, dims in metrics
        ],
        "has_actions": bool(alarm.get("AlarmActions")),
        "actions_enabled": bool(alarm.get("ActionsEnabled", True)),
        "state": alarm.get("StateValue"),
    }


def watches(alarm_metric: dict[str, Any], namespace: str, identity: dict[str, str],
            required: set[str]) -> bool:
    """Does a metric of an alarm watch this resource?

    The required dimensions (TableName, FunctionName, ApiName) must be present and equal;
    other identity dimensions (Stage) must agree when present; anything else (Operation)
    narrows the alarm without making it about another resource.
    """
    dims = alarm_metric["dimensions"]
    if alarm_metric["namespace"] != namespace or not required <= dims.keys():
        return False
    return all(dims[key] == value for key, value in identity.items() if key in dims)


def alarm_detail(namespace: str, identity: Callable[[Resource], dict[str, str]],
                 required: set[str]) -> CustomDetail:
    """A batch detail giving each resource the alarms that watch it."""

    def fetch(ctx: RegionContext, resources: list[Resource]) -> dict[str, Document]:
        listing = alarms(ctx)
        docs = {}
        for resource in resources:
            ident = identity(resource)
            docs[resource.id] = {"alarms": [
                {"name": alarm["name"], "metric": metric["metric"],
                 "dimensions": metric["dimensions"], "has_actions": alarm["has_actions"],
                 "actions_enabled": alarm["actions_enabled"], "state": alarm["state"]}
                for alarm in listing for metric in alarm["metrics"]
                if watches(metric, namespace, ident, required)
            ]}
        return docs

    return CustomDetail(
        "alarms", (DESCRIBE_ALARMS,),
        (Attribute("alarms", f"CloudWatch alarms on {namespace} metrics of this resource: "
                   "[{name, metric, dimensions, has_actions, actions_enabled, state}]",
                   [{"name": "orders-throttles", "metric": "ThrottledRequests",
                     "dimensions": {}, "has_actions": True, "actions_enabled": True,
                     "state": "OK"}]),),
        fetch_batch=fetch,
    )

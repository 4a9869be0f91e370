"""CloudWatch metric alarms, and metric datapoints as a service would have published them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3


def create_alarm(session: boto3.Session, region: str, name: str, *, namespace: str,
                 metric: str, dimensions: dict[str, str], with_action: bool = True) -> None:
    """A metric alarm; ``with_action`` adds an SNS action, so it pages someone."""
    params: dict[str, Any] = {
        "AlarmName": name, "Namespace": namespace, "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    if with_action:
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
        params["AlarmActions"] = [f"arn:aws:sns:{region}:{account}:oncall-page"]
    session.client("cloudwatch", region_name=region).put_metric_alarm(**params)


def put_metric(session: boto3.Session, region: str, namespace: str, metric: str,
               dimensions: dict[str, str] | None = None, value: float = 1.0) -> None:
    """One datapoint, so ListMetrics lists the metric as a service would have published it."""
    session.client("cloudwatch", region_name=region).put_metric_data(
        Namespace=namespace,
        MetricData=[{"MetricName": metric, "Value": value, "Timestamp": datetime.now(UTC),
                     "Dimensions": [{"Name": k, "Value": v}
                                    for k, v in (dimensions or {}).items()]}])

"""What an account or one of its regions has, rather than a resource: GuardDuty detectors,
budgets and CloudWatch dashboards (as the scanner's ``aws.region``/``aws.account`` types)."""

from __future__ import annotations

import boto3


def enable_guardduty(session: boto3.Session, region: str) -> str:
    """An enabled GuardDuty detector in ``region``; its id."""
    detector = session.client("guardduty", region_name=region).create_detector(Enable=True)
    return str(detector["DetectorId"])


def create_budget(session: boto3.Session, name: str, *, amount: float = 1000.0,
                  alert_at_percent: float | None = 80.0) -> None:
    """A monthly cost budget; ``alert_at_percent`` e-mails on-call when actual spend passes
    that share of ``amount`` (None: a budget that alerts nobody)."""
    client = session.client("budgets", region_name="us-east-1")
    account = session.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    notifications = []
    if alert_at_percent is not None:
        notifications.append({
            "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                             "Threshold": alert_at_percent, "ThresholdType": "PERCENTAGE"},
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "oncall@example.com"}],
        })
    client.create_budget(
        AccountId=account,
        Budget={"BudgetName": name, "BudgetLimit": {"Amount": str(amount), "Unit": "USD"},
                "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        NotificationsWithSubscribers=notifications,
    )


def create_dashboard(session: boto3.Session, region: str, name: str) -> None:
    """A CloudWatch dashboard without widgets."""
    session.client("cloudwatch", region_name=region).put_dashboard(
        DashboardName=name, DashboardBody='{"widgets": []}')

"""DynamoDB tables: billing mode, point-in-time recovery, on-demand backups, autoscaling,
throttling alarms, tags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import cloudwatch, tagging
from .base import Attribute, Detail, Document, ResourceType

TYPE = "aws.dynamodb.table"


def _list(ctx: RegionContext):
    for name in ctx.paginate("dynamodb", "list_tables", "TableNames"):
        yield ctx.resource(TYPE, name, name, ctx.arn("dynamodb", f"table/{name}"), {})


def _describe(ctx: RegionContext, table: Resource) -> Document:
    desc = ctx.client("dynamodb").describe_table(TableName=table.name)["Table"]
    throughput = desc.get("ProvisionedThroughput", {})
    return {
        # Tables created before billing modes existed have no summary: they are provisioned.
        "billing_mode": desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        "table_status": desc.get("TableStatus"),
        "provisioned_throughput": {
            "read": throughput.get("ReadCapacityUnits"),
            "write": throughput.get("WriteCapacityUnits"),
        },
        "deletion_protection": bool(desc.get("DeletionProtectionEnabled", False)),
    }


def _continuous_backups(ctx: RegionContext, table: Resource) -> Document:
    response = ctx.client("dynamodb").describe_continuous_backups(TableName=table.name)
    pitr = response["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    return {
        "pitr": {
            "status": pitr.get("PointInTimeRecoveryStatus", "DISABLED"),
            "earliest_restorable_time": _iso(pitr.get("EarliestRestorableDateTime")),
            "latest_restorable_time": _iso(pitr.get("LatestRestorableDateTime")),
        }
    }


def _autoscaling(ctx: RegionContext, tables: list[Resource]) -> dict[str, Document]:
    """One DescribeScalableTargets and one DescribeScalingPolicies for the whole region."""
    # Both listings at once, 50 a page (their maximum; moto's default is larger).
    targets, policies = ctx.map(
        lambda args: ctx.paginate("application-autoscaling", args[0], args[1],
                                  ServiceNamespace="dynamodb", MaxResults=50),
        [("describe_scalable_targets", "ScalableTargets"),
         ("describe_scaling_policies", "ScalingPolicies")])
    by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for policy in policies:
        key = (policy["ResourceId"], policy["ScalableDimension"])
        by_target.setdefault(key, []).append(
            {"name": policy["PolicyName"], "type": policy["PolicyType"]}
        )
    scaling: dict[str, dict[str, Any]] = {}
    for target in targets:
        kind, _, table_name = target["ResourceId"].partition("/")
        if kind != "table" or "/" in table_name:  # index/... targets belong to GSIs
            continue
        dimension = target["ScalableDimension"].rsplit(":", 1)[-1]
        direction = {"ReadCapacityUnits": "read", "WriteCapacityUnits": "write"}.get(dimension)
        if direction:
            scaling.setdefault(table_name, {})[direction] = {
                "min_capacity": target["MinCapacity"],
                "max_capacity": target["MaxCapacity"],
                "policies": by_target.get((target["ResourceId"], target["ScalableDimension"]), []),
            }
    return {
        t.id: {"autoscaling": {"read": scaling.get(t.name, {}).get("read"),
                               "write": scaling.get(t.name, {}).get("write")}}
        for t in tables
    }


# Backups a runbook can restore from: on-demand ones (USER) and AWS Backup's. SYSTEM backups
# are the ones DynamoDB makes itself when a table is deleted: they belong to a table that no
# longer exists, even if a new one now has its name.
_RESTORABLE_TYPES = ("USER", "AWS_BACKUP")


def _backups(ctx: RegionContext, tables: list[Resource]) -> dict[str, Document]:
    """One paginated ListBackups for the whole region, joined to the tables by name."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for backup in ctx.paginate("dynamodb", "list_backups", "BackupSummaries", BackupType="ALL"):
        # CREATING cannot be restored yet, DELETED never again.
        if backup.get("BackupType") in _RESTORABLE_TYPES and \
                backup.get("BackupStatus") == "AVAILABLE":
            by_table.setdefault(backup["TableName"], []).append(backup)
    docs = {}
    for table in tables:
        found = by_table.get(table.name, [])
        latest = max(found, key=lambda b: _utc(b["BackupCreationDateTime"]), default=None)
        docs[table.id] = {
            "backup_count": len(found),
            "latest_backup": None if latest is None else {
                "name": latest.get("BackupName"),
                "arn": latest.get("BackupArn"),
                "created_at": _iso(latest["BackupCreationDateTime"]),
                "type": latest.get("BackupType"),
            },
        }
    return docs


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: Any) -> str | None:
    """Timestamps as ISO 8601 in UTC, whatever zone botocore parsed them into."""
    return _utc(value).isoformat() if isinstance(value, datetime) else None


RESOURCE = ResourceType(
    name=TYPE,
    description="A DynamoDB table",
    list_calls=("dynamodb:ListTables",),
    list=_list,
    listed=(),
    details=(
        Detail(
            "table",
            ("dynamodb:DescribeTable",),
            (
                Attribute("billing_mode", "PROVISIONED or PAY_PER_REQUEST", "PROVISIONED"),
                Attribute("table_status", "ACTIVE, CREATING, UPDATING, ...", "ACTIVE"),
                Attribute("provisioned_throughput", "{read, write} capacity units",
                          {"read": 5, "write": 5}),
                Attribute("deletion_protection", "Whether deletion protection is on", True),
            ),
            fetch_one=_describe,
        ),
        Detail(
            "continuous_backups",
            ("dynamodb:DescribeContinuousBackups",),
            (Attribute("pitr", "Point-in-time recovery: {status: ENABLED|DISABLED, "
                       "earliest_restorable_time, latest_restorable_time}",
                       {"status": "ENABLED", "earliest_restorable_time": None,
                        "latest_restorable_time": None}),),
            fetch_one=_continuous_backups,
        ),
        Detail(
            "autoscaling",
            ("application-autoscaling:DescribeScalableTargets",
             "application-autoscaling:DescribeScalingPolicies"),
            (Attribute("autoscaling", "Application Auto Scaling per direction: {read, write}, "
                       "each null or {min_capacity, max_capacity, policies: [{name, type}]}",
                       {"read": {"min_capacity": 5, "max_capacity": 100, "policies": []},
                        "write": None}, "Application Auto Scaling"),),
            fetch_batch=_autoscaling,
        ),
        Detail(
            "backups",
            ("dynamodb:ListBackups",),
            (
                Attribute("latest_backup", "Newest AVAILABLE on-demand or AWS Backup backup: "
                          "{name, arn, created_at (ISO 8601), type: USER|AWS_BACKUP}, or null",
                          {"name": "orders-backup-20260101",
                           "arn": "arn:aws:dynamodb:us-east-1:111111111111:table/orders/"
                                  "backup/01767225600000-1a2b3c4d",
                           "created_at": "2026-01-01T00:00:00+00:00", "type": "USER"}),
                Attribute("backup_count", "How many such backups the table has", 4,
                          "number of backups"),
            ),
            fetch_batch=_backups,
        ),
        cloudwatch.alarm_detail("AWS/DynamoDB", identity=lambda t: {"TableName": t.name},
                                required={"TableName"}),
        tagging.tags_detail("dynamodb:table"),
    ),
)

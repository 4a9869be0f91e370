"""DynamoDB tables: billing mode, point-in-time recovery, on-demand backups, autoscaling,
throttling alarms, tags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import cloudwatch, engine, tagging
from .spec import (
    Attribute,
    Call,
    CustomDetail,
    Detail,
    Document,
    Field,
    Get,
    Listing,
    ResourceType,
    boolean,
    iso_time,
)

TYPE = "aws.dynamodb.table"

BILLING_MODE = Field(
    Attribute("billing_mode", "PROVISIONED or PAY_PER_REQUEST", "PROVISIONED"),
    # Tables created before billing modes existed have no summary: they are provisioned.
    Get("BillingModeSummary.BillingMode", "PROVISIONED"))
DELETION_PROTECTION = Field(
    Attribute("deletion_protection", "Whether deletion protection is on", True),
    Get("DeletionProtectionEnabled", False, boolean))
PITR = Field(
    Attribute("pitr", "Point-in-time recovery: {status: ENABLED|DISABLED, "
              "earliest_restorable_time, latest_restorable_time}",
              {"status": "ENABLED", "earliest_restorable_time": None,
               "latest_restorable_time": None}),
    {"status": Get("PointInTimeRecoveryDescription.PointInTimeRecoveryStatus", "DISABLED"),
     "earliest_restorable_time": Get("PointInTimeRecoveryDescription."
                                     "EarliestRestorableDateTime", convert=iso_time),
     "latest_restorable_time": Get("PointInTimeRecoveryDescription.LatestRestorableDateTime",
                                   convert=iso_time)})

# Application Auto Scaling's two listings for the region, 50 a page (their maximum; moto's
# default is larger).
SCALABLE_TARGETS = Call("application-autoscaling", "DescribeScalableTargets", "ScalableTargets",
                        {"ServiceNamespace": "dynamodb"}, page_size=50, page_param="MaxResults")
SCALING_POLICIES = Call("application-autoscaling", "DescribeScalingPolicies", "ScalingPolicies",
                        {"ServiceNamespace": "dynamodb"}, page_size=50, page_param="MaxResults")
LIST_BACKUPS = Call("dynamodb", "ListBackups", "BackupSummaries", {"BackupType": "ALL"},
                    page_size=100)


def _autoscaling(ctx: RegionContext, tables: list[Resource]) -> dict[str, Document]:
    """One DescribeScalableTargets and one DescribeScalingPolicies for the whole region."""
    # Both listings at once, 50 a page (their maximum; moto's default is larger).
    targets, policies = ctx.map(lambda call: engine.items(ctx, call),
                                [SCALABLE_TARGETS, SCALING_POLICIES])
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
    return join_backups(engine.items(ctx, LIST_BACKUPS), tables)


def join_backups(summaries: list[dict[str, Any]], tables: list[Resource]) -> dict[str, Document]:
    """Each table's restorable backups, from the region's ListBackups summaries."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for backup in summaries:
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
                "created_at": iso_time(latest["BackupCreationDateTime"]),
                "type": latest.get("BackupType"),
            },
        }
    return docs


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


RESOURCE = ResourceType(
    name=TYPE,
    description="A DynamoDB table",
    listing=Listing(Call("dynamodb", "ListTables", "TableNames", page_size=100),
                    id=Get(""), arn="arn:{partition}:dynamodb:{region}:{account}:table/{name}"),
    details=(
        Detail(
            "table", Call("dynamodb", "DescribeTable", "Table"), {"TableName": "name"},
            (
                BILLING_MODE,
                Field(Attribute("table_status", "ACTIVE, CREATING, UPDATING, ...", "ACTIVE"),
                      Get("TableStatus")),
                Field(Attribute("provisioned_throughput", "{read, write} capacity units",
                                {"read": 5, "write": 5}),
                      {"read": Get("ProvisionedThroughput.ReadCapacityUnits"),
                       "write": Get("ProvisionedThroughput.WriteCapacityUnits")}),
                DELETION_PROTECTION,
            ),
        ),
        Detail("continuous_backups",
               Call("dynamodb", "DescribeContinuousBackups", "ContinuousBackupsDescription"),
               {"TableName": "name"}, (PITR,)),
        CustomDetail(
            "autoscaling", (SCALABLE_TARGETS, SCALING_POLICIES),
            (Attribute("autoscaling", "Application Auto Scaling per direction: {read, write}, "
                       "each null or {min_capacity, max_capacity, policies: [{name, type}]}",
                       {"read": {"min_capacity": 5, "max_capacity": 100, "policies": []},
                        "write": None}, "Application Auto Scaling"),),
            fetch_batch=_autoscaling,
        ),
        CustomDetail(
            "backups", (LIST_BACKUPS,),
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
    cloudformation=("AWS::DynamoDB::Table",),
    terraform=("aws_dynamodb_table",),
)

"""CloudWatch Logs log groups: retention, stored bytes, KMS key, creation time.

Runbooks read logs first ("filter the function's log group", "search the stage's execution
logs"): a group that does not exist, or that kept nothing older than a day, leaves the
responder without evidence. One DescribeLogGroups listing per account-region (50 groups a
page) is the type's listing and, shared under one key, the source of the ``log_group``
joins of other types (a Lambda function's /aws/lambda/<name>, a REST stage's execution
log group): no call per function or per stage. Tags would cost a ListTagsForResource
per group (the Resource Groups Tagging API's fake in the demo does not list log groups),
so they are not read: a log group's environment is its account's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import engine
from .spec import Attribute, Call, CustomDetail, Document, Field, Get, Listing, ResourceType, epoch_millis

TYPE = "aws.logs.log_group"

DESCRIBE_LOG_GROUPS = Call("logs", "DescribeLogGroups", "logGroups", page_size=50,
                           page_param="limit", shared="logs.log_groups")

RETENTION = Field(
    Attribute("retention_in_days", "Days events are kept, null when they never expire", 30,
              "retention"),
    Get("retentionInDays"))  # AWS leaves the key out of a group whose events never expire
STORED_BYTES = Field(Attribute("stored_bytes", "Bytes stored (AWS updates it with a delay)",
                               1048576), Get("storedBytes", 0))
KMS_KEY = Field(Attribute("kms_key_id", "ARN of the KMS key that encrypts it, or null", None),
                Get("kmsKeyId"))
CREATED = Field(Attribute("creation_time", "When the group was created (ISO 8601)",
                          "2026-01-05T09:30:00+00:00"), Get("creationTime", convert=epoch_millis))

RESOURCE = ResourceType(
    name=TYPE,
    description="A CloudWatch Logs log group",
    listing=Listing(
        DESCRIBE_LOG_GROUPS,
        id=Get("logGroupName"),
        arn="arn:{partition}:logs:{region}:{account}:log-group:{name}",
        fields=(RETENTION, STORED_BYTES, KMS_KEY, CREATED),
    ),
    cloudformation=("AWS::Logs::LogGroup",),
    terraform=("aws_cloudwatch_log_group",),
)


def log_groups(ctx: RegionContext) -> dict[str, dict[str, Any]]:
    """Every log group of the account-region by name; one shared listing per scan."""
    return {group["logGroupName"]: group for group in engine.shared_items(ctx, DESCRIBE_LOG_GROUPS)}


def log_group_detail(attribute: str, description: str,
                     name_of: Callable[[Resource], str]) -> CustomDetail:
    """A batch detail giving each resource the log group its runbook reads, by name.

    ``name_of`` names the group a resource writes to (``/aws/lambda/<function>``). The
    document says whether it exists and its retention, so a policy can require both.
    """

    def fetch(ctx: RegionContext, resources: list[Resource]) -> dict[str, Document]:
        groups = log_groups(ctx)
        docs = {}
        for resource in resources:
            name = name_of(resource)
            group = groups.get(name)
            docs[resource.id] = {attribute: {
                "name": name, "exists": group is not None,
                "retention_in_days": RETENTION.read(group) if group else None,
            }}
        return docs

    return CustomDetail(
        attribute, (DESCRIBE_LOG_GROUPS,),
        (Attribute(attribute, f"{description}: {{name, exists, retention_in_days}} (one "
                   "DescribeLogGroups listing per account-region; retention null when the "
                   "group is missing or never expires)",
                   {"name": "/aws/lambda/orders-handler", "exists": True,
                    "retention_in_days": 30}, "log group"),),
        fetch_batch=fetch,
    )

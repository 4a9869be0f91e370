"""What the options of AWS CLI commands name, declared as data (in the manner of Cloud
Custodian's resource specs): which option names which kind of resource, where the names of
that kind are listed, which operations need more than existence.

A placeholder used as the whole value of one of these options stands for every resource of
that kind in a place (``--table-name ${TABLE_NAME}``: each DynamoDB table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import Resource

# Listings this package makes itself (the collector does not cover them); the rest are the
# collector's resource types.
LOGS, WAF = "logs:DescribeLogGroups", "wafv2:ListIPSets"


def _names(resources: list[Resource]) -> dict[str, Resource | None]:
    return {r.name: r for r in resources}


def _ids(resources: list[Resource]) -> dict[str, Resource | None]:
    return {r.id: r for r in resources}


def _api_ids(resources: list[Resource]) -> dict[str, Resource | None]:
    return {str(r.data.get("api_id")): r for r in resources}


def _stages(resources: list[Resource]) -> dict[str, Resource | None]:
    return {str(r.data.get("stage_name")): r for r in resources}


def _dashboards(resources: list[Resource]) -> dict[str, Resource | None]:
    return {str(name): None for r in resources for name in r.data.get("dashboards") or []}


def _table_of_backup(value: str) -> str:
    """arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/backup/ID -> NAME; a name stays itself."""
    _, found, rest = value.partition(":table/")
    return rest.split("/", 1)[0] if found else value


def function_and_qualifier(value: str) -> tuple[str, str]:
    """--function-name takes NAME, NAME:QUALIFIER or an ARN (with or without a qualifier)."""
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value, parts[7] if len(parts) > 7 else ""
    name, _, qualifier = value.partition(":")
    return name, qualifier


def _function_name(value: str) -> str:
    return function_and_qualifier(value)[0]


@dataclass(frozen=True)
class Kind:
    name: str  # as front matter names it: bindings: {X: {resource: NAME}}
    label: str
    listing: str  # a collector resource type, or LOGS / WAF
    fix: str  # how to make one exist
    values: Callable[[list[Resource]], dict[str, Resource | None]] = _names
    attributes: tuple[str, ...] = ()  # collector attributes the checks of this kind read
    lookup: Callable[[str], str] = str  # a value as written -> the name it is listed under


KINDS: Mapping[str, Kind] = {k.name: k for k in (
    Kind("dynamodb-table", "DynamoDB table", "aws.dynamodb.table",
         "create the table, or correct the name the runbook uses"),
    Kind("dynamodb-backup", "DynamoDB table's backup", "aws.dynamodb.table",
         "take an on-demand backup (aws dynamodb create-backup)", lookup=_table_of_backup),
    Kind("lambda-function", "Lambda function", "aws.lambda.function",
         "deploy the function, or correct the name the runbook uses", lookup=_function_name),
    Kind("s3-bucket", "S3 bucket", "aws.s3.bucket", "create the bucket, or correct its name"),
    Kind("user-pool", "Cognito user pool", "aws.cognito.user_pool",
         "correct the user pool id the runbook uses", values=_ids),
    Kind("rest-api", "API Gateway REST API (with a stage)", "aws.apigateway.stage",
         "deploy the API to a stage, or correct the id", values=_api_ids),
    Kind("rest-api-stage", "API Gateway REST API stage", "aws.apigateway.stage",
         "create the stage, or correct its name", values=_stages),
    Kind("dashboard", "CloudWatch dashboard", "aws.account",
         "create the dashboard (aws cloudwatch put-dashboard)", values=_dashboards,
         attributes=("dashboards",)),
    Kind("log-group", "CloudWatch Logs log group", LOGS,
         "turn on the logging that writes to it, or correct the name"),
    Kind("waf-ip-set", "WAF IP set (regional)", WAF, "create the IP set, or correct its name"),
)}

# (service, option) -> kind; an operation may override with (service, operation, option).
OPTIONS: Mapping[tuple[str, ...], str] = {
    ("dynamodb", "table-name"): "dynamodb-table",
    ("dynamodb", "source-table-name"): "dynamodb-table",
    ("dynamodb", "backup-arn"): "dynamodb-backup",
    ("lambda", "function-name"): "lambda-function",
    ("s3api", "bucket"): "s3-bucket",
    ("cognito-idp", "user-pool-id"): "user-pool",
    ("apigateway", "rest-api-id"): "rest-api",
    ("apigateway", "stage-name"): "rest-api-stage",
    ("cloudwatch", "dashboard-name"): "dashboard",
    ("logs", "log-group-name"): "log-group",
    ("logs", "log-group-names"): "log-group",
    ("logs", "log-group-identifier"): "log-group",
    ("wafv2", "get-ip-set", "name"): "waf-ip-set",
    ("wafv2", "update-ip-set", "name"): "waf-ip-set",
    ("wafv2", "get-ip-set", "id"): "waf-ip-set",
    ("wafv2", "update-ip-set", "id"): "waf-ip-set",
}

# The options that name what the operation creates: no need for it to exist already.
CREATED: Mapping[tuple[str, str], frozenset[str]] = {
    ("dynamodb", "create-table"): frozenset({"table-name"}),
    ("lambda", "create-function"): frozenset({"function-name"}),
    ("s3api", "create-bucket"): frozenset({"bucket"}),
    ("cloudwatch", "put-dashboard"): frozenset({"dashboard-name"}),
    ("logs", "create-log-group"): frozenset({"log-group-name"}),
    ("apigateway", "create-stage"): frozenset({"stage-name"}),
    ("wafv2", "create-ip-set"): frozenset({"name"}),
}

# Metric dimensions that name a resource: ``Name=FunctionName,Value=${FUNCTION_NAME}``.
DIMENSIONS: Mapping[str, str] = {
    "FunctionName": "lambda-function",
    "TableName": "dynamodb-table",
}

# Operations that read a log group's events: it must exist and have received some.
READS_EVENTS = frozenset({("logs", "filter-log-events"), ("logs", "get-log-events"),
                          ("logs", "start-query"), ("logs", "tail"),
                          ("logs", "start-live-tail")})

# Operations whose success depends on a built-in policy holding for the resource an option
# names: the step is judged by the same policy, on the same collected resource, so a step
# and a policy never disagree.
POLICIES: Mapping[tuple[str, str], tuple[str, str]] = {
    ("dynamodb", "restore-table-to-point-in-time"): ("source-table-name", "dynamodb-pitr-enabled"),
    ("dynamodb", "restore-table-from-backup"): ("backup-arn", "dynamodb-recent-backup"),
    ("s3api", "list-object-versions"): ("bucket", "s3-versioning-enabled"),
}

# Lambda operations on an alias: (alias option, whether an earlier version must exist).
ALIASES: Mapping[str, bool] = {"get-alias": False, "update-alias": True, "delete-alias": False}
# The alias the built-in rollback policy checks: update-alias on it is judged by the policy.
ROLLBACK_POLICY = ("production", "lambda-production-alias")
LAMBDA_ATTRIBUTES = ("aliases", "versions")

# Operations whose metric (namespace, name, dimensions) must be published.
METRIC_OPERATIONS = frozenset({("cloudwatch", "get-metric-statistics"),
                               ("cloudwatch", "put-metric-alarm")})

# Namespaces of global services: their metrics are published in one region only.
METRIC_HOME_REGIONS: Mapping[str, str] = {"AWS/CloudFront": "us-east-1",
                                          "AWS/Route53": "us-east-1", "AWS/Billing": "us-east-1"}


def metric_region(namespace: str, region: str) -> str:
    return METRIC_HOME_REGIONS.get(namespace, region)


# Placeholders every place fills in itself: normalised name -> what fills it.
PLACE_VALUES: Mapping[str, str] = {
    "ENVIRONMENT": "environment", "ENV": "environment",
    "REGION": "region", "AWSREGION": "region", "AWSDEFAULTREGION": "region",
    "ACCOUNTID": "account_id", "AWSACCOUNTID": "account_id", "ACCOUNT": "account_id",
}


def place_value(name: str) -> str | None:
    return PLACE_VALUES.get(name.upper().replace("-", "").replace("_", ""))


def kind_for(service: str, operation: str, option: str) -> Kind | None:
    name = OPTIONS.get((service, operation, option)) or OPTIONS.get((service, option))
    return KINDS[name] if name else None


def collector_needs(kinds: set[str], policies: Mapping[str, Any]) -> dict[str, set[str]]:
    """Collector resource type -> attributes, for these kinds and policy checks."""
    needs: dict[str, set[str]] = {}
    for name in kinds:
        kind = KINDS[name]
        if kind.listing not in (LOGS, WAF):
            needs.setdefault(kind.listing, set()).update(kind.attributes)
    for policy in policies.values():
        for type_name in policy.resources:
            needs.setdefault(type_name, set()).update(policy.attributes())
    return needs

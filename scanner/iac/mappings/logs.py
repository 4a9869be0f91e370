"""aws.logs.log_group from AWS::Logs::LogGroup and aws_cloudwatch_log_group, and
aws.apigateway.account from AWS::ApiGateway::Account and aws_api_gateway_account.

Both are about where the runbooks' logs go: a log group's retention, and the role API
Gateway needs before any stage can write execution logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources import apigateway_account, logs
from .. import sam
from ..model import Planned
from ..planvalues import deferred
from ..remediation import Fix
from ..values import as_number

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = logs.TYPE
ACCOUNT_TYPE = apigateway_account.TYPE
PLANNABLE = {TYPE: frozenset({"retention_in_days", "kms_key_id"}),
             ACCOUNT_TYPE: frozenset({"cloudwatch_role_arn", "rest_api_count"})}
# The live default, from the spec: a group without retention never expires.
NEVER_EXPIRES = logs.RETENTION.default


def log_group_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {
        "retention_in_days": as_number(t.value(r, "RetentionInDays", default=NEVER_EXPIRES),
                                       "RetentionInDays"),
        "kms_key_id": t.value(r, "KmsKeyId"),
    }
    return t.planned(logical_id, r, TYPE, t.value(r, "LogGroupName"), data,
                     {"retention_in_days": "RetentionInDays", "kms_key_id": "KmsKeyId"})


def log_group_from_plan(p: Plan, c: Change) -> Planned:
    retention = c.get("retention_in_days", default=0)
    data = {
        # The provider writes 0 for "never expire".
        "retention_in_days": NEVER_EXPIRES if retention == 0 else retention,
        "kms_key_id": c.get("kms_key_id") or None,
    }
    return p.planned(c, TYPE, c.get("name"), data, {
        "retention_in_days": "retention_in_days", "kms_key_id": "kms_key_id"})


# REST APIs a template or plan declares: the account settings' rest_api_count before
# deployment (the live count adds the APIs already there, which a template cannot know).
_CFN_REST_APIS = ("AWS::ApiGateway::RestApi", sam.API)


def account_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {"cloudwatch_role_arn": t.value(r, "CloudWatchRoleArn"),
            "rest_api_count": len(t.of_type(*_CFN_REST_APIS))}
    return t.planned(logical_id, r, ACCOUNT_TYPE, logical_id, data,
                     {"cloudwatch_role_arn": "CloudWatchRoleArn"})


def account_from_plan(p: Plan, c: Change) -> Planned:
    # A role created in the same plan has its ARN after apply: it will be set.
    role = deferred(c, "cloudwatch_role_arn", c.get("cloudwatch_role_arn"))
    data = {"cloudwatch_role_arn": role or None,
            "rest_api_count": len(p.of_type("aws_api_gateway_rest_api"))}
    return p.planned(c, ACCOUNT_TYPE, c.address, data,
                     {"cloudwatch_role_arn": "cloudwatch_role_arn"})


FIXES = {
    TYPE: {"retention_in_days": Fix("set RetentionInDays: DAYS", "set retention_in_days = DAYS",
                                    bounded=True)},
    ACCOUNT_TYPE: {"cloudwatch_role_arn": Fix(
        "set CloudWatchRoleArn: !GetAtt <a role trusting apigateway.amazonaws.com>.Arn",
        "set cloudwatch_role_arn = <a role trusting apigateway.amazonaws.com>.arn")},
}
CLOUDFORMATION = {"AWS::Logs::LogGroup": log_group_from_template,
                  "AWS::ApiGateway::Account": account_from_template}
TERRAFORM = {"aws_cloudwatch_log_group": log_group_from_plan,
             "aws_api_gateway_account": account_from_plan}

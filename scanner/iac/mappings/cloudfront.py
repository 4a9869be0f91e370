"""aws.cloudfront.distribution from AWS::CloudFront::Distribution and
aws_cloudfront_distribution, with the monitoring subscription that names the distribution
joined in as ``additional_metrics`` (AWS::CloudFront::MonitoringSubscription,
aws_cloudfront_monitoring_subscription), as the live detail reads it per distribution.

In both languages a logging block that is present means standard logging is on (neither has
an ``Enabled`` switch), and an absent web ACL id means none. The defaults are the live
spec's (``resources/cloudfront.py``), so an undeclared setting reads as AWS answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources import cloudfront as live
from ..intrinsics import references
from ..model import Planned
from ..planvalues import deferred
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..values import Unknown

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = live.TYPE
PLANNABLE = {TYPE: frozenset({"logging", "web_acl_id", "additional_metrics", "tags"})}
NO_METRICS = live.ADDITIONAL_METRICS.default  # no subscription: "Disabled", as live


def _logging(bucket: Any, prefix: Any, declared: bool) -> Any:
    if isinstance(bucket, Unknown):
        return bucket
    if not declared:
        return live.LOGGING.default
    return {"enabled": True, "bucket": bucket or None, "prefix": prefix or None}


# -- CloudFormation ----------------------------------------------------------------------

def distribution_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    config = t.value(r, "DistributionConfig")
    declared = isinstance(config, dict) and config.get("Logging") is not None
    data = {
        "logging": config if isinstance(config, Unknown) else _logging(
            t.value(r, "DistributionConfig", "Logging", "Bucket"),
            t.value(r, "DistributionConfig", "Logging", "Prefix"), declared),
        "web_acl_id": t.value(r, "DistributionConfig", "WebACLId") or None,
        "additional_metrics": _template_metrics(t, logical_id),
        "tags": t.tags(r),
    }
    return t.planned(logical_id, r, TYPE, t.value(r, "DistributionConfig", "Comment") or None,
                     data, {"logging": "DistributionConfig.Logging",
                            "web_acl_id": "DistributionConfig.WebACLId", "tags": "Tags"})


def _template_metrics(t: Template, logical_id: str) -> Any:
    """The status of a MonitoringSubscription whose DistributionId refers to this one."""
    for _, subscription in t.of_type("AWS::CloudFront::MonitoringSubscription"):
        if logical_id in references(t.props(subscription).get("DistributionId")) \
                and t.created(subscription) is not False:
            return t.value(subscription, "MonitoringSubscription",
                           "RealtimeMetricsSubscriptionConfig",
                           "RealtimeMetricsSubscriptionStatus", default=NO_METRICS)
    return NO_METRICS


# -- Terraform ---------------------------------------------------------------------------

def distribution_from_plan(p: Plan, c: Change) -> Planned:
    block = c.block("logging_config")
    declared = bool(block.after) or block.unknown is True
    data = {
        "logging": _logging(block.get("bucket"), block.get("prefix"), declared),
        "web_acl_id": deferred(c, "web_acl_id", c.get("web_acl_id")) or None,
        "additional_metrics": _plan_metrics(p, c),
        "tags": plan_tags(c),
    }
    return p.planned(c, TYPE, c.get("comment") or None, data, {
        "logging": "logging_config", "web_acl_id": "web_acl_id", "tags": "tags"})


def _plan_metrics(p: Plan, distribution: Change) -> Any:
    for subscription in p.of_type("aws_cloudfront_monitoring_subscription"):
        named = subscription.get("distribution_id")
        if subscription.refers_to_change("distribution_id", distribution) or (
                not isinstance(named, Unknown) and named == distribution.get("id")):
            return subscription.block("monitoring_subscription").block(
                "realtime_metrics_subscription_config").get(
                "realtime_metrics_subscription_status", default=NO_METRICS)
    return NO_METRICS


FIXES = {TYPE: {
    "logging": Fix("add DistributionConfig.Logging with Bucket: <log bucket>.s3.amazonaws.com "
                   "(and a Prefix)",
                   "add logging_config { bucket = \"<log bucket>.s3.amazonaws.com\" }"),
    "web_acl_id": Fix("set DistributionConfig.WebACLId to a CLOUDFRONT-scope web ACL's ARN "
                      "(!GetAtt <WebACL>.Arn)",
                      "set web_acl_id = aws_wafv2_web_acl.<name>.arn (scope CLOUDFRONT)"),
    "additional_metrics": Fix(
        "add an AWS::CloudFront::MonitoringSubscription with DistributionId: !Ref <this> and "
        "RealtimeMetricsSubscriptionStatus: Enabled",
        "add aws_cloudfront_monitoring_subscription { distribution_id = <this>.id "
        "monitoring_subscription { realtime_metrics_subscription_config { "
        "realtime_metrics_subscription_status = \"Enabled\" } } }"),
}}
CLOUDFORMATION = {"AWS::CloudFront::Distribution": distribution_from_template}
TERRAFORM = {"aws_cloudfront_distribution": distribution_from_plan}

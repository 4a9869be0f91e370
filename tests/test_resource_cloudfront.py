"""aws.cloudfront.distribution: listed once per account on moto (logging, web ACL, tags);
GetMonitoringSubscription, which moto lacks, through botocore's Stubber on that call only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from preflight_scanner.aws import RegionContext, Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Account, Status
from preflight_scanner.resources import cloudfront, engine

from tests.faultproxy import Fault
from tests.support import by_name, write_probe

ACCOUNT = estate.MANAGEMENT_ACCOUNT
TYPE = cloudfront.TYPE
PROD = {"Environment": "prod"}
REGIONS = ["us-east-1", "eu-west-1"]

PROBE = {"all": [
    {"attribute": "logging.enabled", "equals": True},
    {"attribute": "web_acl_id", "exists": True},
    {"attribute": "tags", "exists": True},
]}


def _estate(session: boto3.Session) -> dict[str, str]:
    return {
        "guarded": estate.create_distribution(session, "guarded", logging_bucket="shop-logs",
                                              web_acl=True, tags=PROD),
        "bare": estate.create_distribution(session, "bare", tags={"Team": "web"}),
    }


def test_logging_web_acl_tags_and_identity(aws, scan, tmp_path: Path) -> None:
    ids = _estate(boto3.Session())

    result = scan({"regions": REGIONS},
                  policy_paths=[write_probe(tmp_path, "probe", TYPE, PROBE)])

    assert not result.errors
    found = {f.resource.id: f for f in result.findings}
    guarded, bare = found[ids["guarded"]], found[ids["bare"]]
    assert guarded.evidence["logging.enabled"] is True
    assert guarded.evidence["web_acl_id"].startswith("arn:aws:wafv2:us-east-1:")
    assert guarded.evidence["tags"] == PROD
    assert bare.evidence == {"logging.enabled": False, "web_acl_id": None, "tags": {"Team": "web"}}
    assert (guarded.status, bare.status) == (Status.PASS, Status.FAIL)
    # Global: one resource per distribution, read in the first scanned region.
    assert len(result.findings) == 2
    resource = guarded.resource
    assert (resource.type, resource.account_id, resource.region) == (TYPE, ACCOUNT, "us-east-1")
    assert resource.arn == f"arn:aws:cloudfront::{ACCOUNT}:distribution/{ids['guarded']}"
    assert resource.environment == "prod" and bare.resource.environment == "default"


def test_the_logging_and_waf_policies_pass_and_fail(aws, scan) -> None:
    ids = _estate(boto3.Session())
    unscoped = estate.create_distribution(boto3.Session(), "dev-cdn",
                                          tags={"Environment": "dev"})

    result = scan({"regions": REGIONS},
                  policies=["cloudfront-logging-enabled", "cloudfront-waf-attached"])

    assert not result.errors
    logging = {f.resource.id: f for f in result.findings
               if f.policy_id == "cloudfront-logging-enabled"}
    assert {k: f.status for k, f in logging.items()} == {
        ids["guarded"]: Status.PASS, ids["bare"]: Status.FAIL, unscoped: Status.FAIL}
    assert logging[ids["guarded"]].message == \
        "standard logs go to shop-logs.s3.amazonaws.com/cloudfront/"
    waf = by_name(result, "cloudfront-waf-attached")  # named by their comments
    # Only the prod-tagged one is in scope (the account's environment is "default").
    assert {name: f.status for name, f in waf.items()} == {"guarded": Status.PASS}
    assert waf["guarded"].resource.id == ids["guarded"]


def test_listed_once_per_account_and_described_once_each(aws, scan) -> None:
    _estate(boto3.Session())
    aws.seen.clear()
    aws.operations.clear()

    result = scan({"regions": REGIONS}, policies=["cloudfront-logging-enabled"])

    assert len(result.findings) == 2
    calls = aws.operations  # CloudFront is a REST API: `seen` names its paths, this its calls
    assert calls["cloudfront:ListDistributions"] == 1  # global: not once per region
    assert calls["cloudfront:GetDistributionConfig"] == 2
    # No policy here reads tags or the additional metrics: those calls are not made.
    assert calls["cloudfront:ListTagsForResource"] == 0
    assert calls["cloudfront:GetMonitoringSubscription"] == 0
    assert result.api_calls == sum(aws.seen.values())


def test_no_distributions_is_an_empty_listing_not_an_error(aws, scan) -> None:
    """ListDistributions leaves Items out when there are none: that alone is no error."""
    result = scan({"regions": REGIONS}, policies=["cloudfront-logging-enabled"])
    assert not result.errors and not result.findings


@pytest.mark.parametrize("operation", ["ListDistributions", "GetDistributionConfig"])
def test_a_failed_call_is_an_error_finding_never_a_pass(aws, scan, operation: str) -> None:
    _estate(boto3.Session())
    aws.faults.append(Fault(service="cloudfront", operation=operation, code="AccessDenied"))

    result = scan({"regions": REGIONS}, policies=["cloudfront-logging-enabled"])

    assert aws.faults[0].hits
    assert result.findings and all(f.status is Status.ERROR for f in result.findings)
    assert [e.operation for e in result.errors][:1] == [operation]


def test_without_the_monitoring_call_the_metrics_policy_is_an_error(aws, scan) -> None:
    """moto has no GetMonitoringSubscription: a scan against it cannot tell, and says so."""
    ids = _estate(boto3.Session())

    result = scan({"regions": REGIONS}, policies=["cloudfront-additional-metrics"])

    [finding] = result.findings  # the prod-tagged one; its tags were read to know that
    assert finding.resource.id == ids["guarded"]
    assert finding.status is Status.ERROR
    # moto's "404 Not Found" is not AWS's NoSuchMonitoringSubscription: never read as "off".
    assert {(e.operation, e.code) for e in result.errors} == {("GetMonitoringSubscription",
                                                                "404")}


# --- GetMonitoringSubscription through the Stubber ------------------------------------------


def _monitoring(stubbed: list[tuple[str, Any]]) -> tuple[RegionContext, Stubber]:
    ctx = RegionContext(Sessions(), Account(ACCOUNT, "management", "prod"), "us-east-1")
    stubber = Stubber(ctx.client("cloudfront"))
    for kind, value in stubbed:
        if kind == "answer":
            stubber.add_response("get_monitoring_subscription", value,
                                 {"DistributionId": "E2QWRUHAPOMQZL"})
        else:
            stubber.add_client_error("get_monitoring_subscription", value, http_status_code=404
                                     if value == "NoSuchMonitoringSubscription" else 403)
    stubber.activate()
    return ctx, stubber


def _distribution(ctx: RegionContext):
    return ctx.resource(TYPE, "E2QWRUHAPOMQZL", "E2QWRUHAPOMQZL",
                        f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHAPOMQZL", {})


DETAIL = next(d for d in cloudfront.RESOURCE.details if d.name == "monitoring")


@pytest.mark.parametrize(("answer", "expected"), [
    ({"MonitoringSubscription": {"RealtimeMetricsSubscriptionConfig": {
        "RealtimeMetricsSubscriptionStatus": "Enabled"}}}, "Enabled"),
    ({"MonitoringSubscription": {"RealtimeMetricsSubscriptionConfig": {
        "RealtimeMetricsSubscriptionStatus": "Disabled"}}}, "Disabled"),
])
def test_the_subscription_status_is_read(answer: dict[str, Any], expected: str) -> None:
    ctx, stubber = _monitoring([("answer", answer)])

    document = engine.fetch_one(DETAIL, ctx, _distribution(ctx))

    stubber.assert_no_pending_responses()
    assert document == {"additional_metrics": expected}
    assert ctx.sessions.call_log.counts["cloudfront:GetMonitoringSubscription"] == 1


def test_no_subscription_means_the_metrics_are_off() -> None:
    ctx, _ = _monitoring([("error", "NoSuchMonitoringSubscription")])
    assert engine.fetch_one(DETAIL, ctx, _distribution(ctx)) == {"additional_metrics": "Disabled"}


def test_a_denied_subscription_read_raises_rather_than_reading_disabled() -> None:
    ctx, _ = _monitoring([("error", "AccessDenied")])
    with pytest.raises(ClientError) as raised:
        engine.fetch_one(DETAIL, ctx, _distribution(ctx))
    assert raised.value.response["Error"]["Code"] == "AccessDenied"

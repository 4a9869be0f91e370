"""The Lambda part of the built-in pack, on moto: the attributes it reads (aliases, versions,
alarms, duration, API integration timeouts), what they cost, and each policy passing and
failing on real resources with its remediation filled in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from preflight_scanner.aws import RegionContext, Sessions
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.models import Account, Severity, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import awslambda
from preflight_scanner.runbooks import RunbookLibrary

from tests.faultproxy import Fault
from tests.support import by_name, statuses, write_probe

TYPE = "aws.lambda.function"
REGION = "us-east-1"
PROD = {"Environment": "prod"}
PACK = {
    "lambda-timeout-headroom": (Severity.MEDIUM, "lambda-errors#timeouts"),
    "lambda-production-alias": (Severity.HIGH, "lambda-errors#roll-back-with-the-production-alias"),
    "lambda-error-alarm": (Severity.HIGH, "lambda-errors#error-alarms"),
    "lambda-reserved-concurrency": (Severity.LOW, "lambda-errors#reserved-concurrency"),
    "apigateway-lambda-timeout-fits": (Severity.MEDIUM, "api-gateway#integration-timeouts"),
}


# --- helpers ------------------------------------------------------------------------------


def write_policy(tmp_path: Path, policy_id: str, check: dict[str, Any]) -> Path:
    return write_probe(tmp_path, policy_id, TYPE, check)


def fix(finding) -> list[str]:
    assert finding.status is Status.FAIL and finding.remediation
    return list(finding.remediation)


def lam(session: boto3.Session, region: str = REGION):
    return session.client("lambda", region_name=region)


def put_alarm_actions_disabled(session: boto3.Session, name: str, function: str) -> None:
    """An Errors alarm that has an action but will not fire it."""
    session.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}], Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[f"arn:aws:sns:{REGION}:{estate.MANAGEMENT_ACCOUNT}:oncall-page"],
        ActionsEnabled=False)


def put_duration_at(session: boto3.Session, function: str, ms: float, when: datetime) -> None:
    session.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{"MetricName": "Duration", "Value": ms, "Unit": "Milliseconds",
                     "Timestamp": when,
                     "Dimensions": [{"Name": "FunctionName", "Value": function}]}])


def test_the_lambda_policies_are_in_the_pack_with_runbooks_and_mappings():
    policies = {p.id: p for p in load_policies()}
    runbooks = RunbookLibrary()
    for policy_id, (severity, runbook) in PACK.items():
        policy = policies[policy_id]
        assert (policy.severity, policy.runbook) == (severity, runbook)
        assert runbooks.section(policy.runbook) is not None, policy.runbook
        assert policy.frameworks or policy.unmapped, policy_id
        assert policy.resources == (TYPE,)
    assert dict(policies["lambda-reserved-concurrency"].frameworks) == \
        {"aws-config": ("lambda-concurrency-check",)}
    for prod_only in ("lambda-production-alias", "lambda-error-alarm",
                      "lambda-reserved-concurrency"):
        assert policies[prod_only].scope.environments == {"prod"}


# --- aliases and versions -----------------------------------------------------------------


def test_aliases_and_versions(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_function(session, REGION, "released")
    estate.publish_versions(session, REGION, "released", 3)
    lam(session).create_alias(FunctionName="released", Name="canary", FunctionVersion="2")
    estate.create_function(session, REGION, "on-latest")
    lam(session).create_alias(FunctionName="on-latest", Name="production",
                              FunctionVersion="$LATEST")
    estate.create_function(session, REGION, "bare")
    probe = write_policy(tmp_path, "probe", {"all": [
        {"attribute": "aliases", "exists": True}, {"attribute": "versions", "exists": True}]})

    result = scan({"regions": [REGION]}, policy_paths=[probe])

    assert not result.errors
    found = by_name(result, "probe")
    released = found["released"].evidence
    assert sorted(released["aliases"], key=lambda a: a["name"]) == [
        {"name": "canary", "function_version": "2"},
        {"name": "production", "function_version": "3"},
    ]
    assert released["versions"] == [1, 2, 3]  # integers, ascending, no $LATEST
    assert found["on-latest"].evidence == {
        "aliases": [{"name": "production", "function_version": "$LATEST"}], "versions": []}
    assert found["bare"].evidence == {"aliases": [], "versions": []}
    assert found["released"].status is Status.PASS and found["bare"].status is Status.FAIL


def test_aliases_and_versions_are_listed_only_when_read(aws, scan, tmp_path):
    session = boto3.Session()
    for name in ("a", "b"):
        estate.create_function(session, REGION, name)
        estate.publish_versions(session, REGION, name, 1)
    aliases_only = write_policy(tmp_path, "aliases-only", {"attribute": "aliases",
                                                            "exists": True})
    sessions = Sessions()

    result = scan({"regions": [REGION]}, policy_paths=[aliases_only], sessions=sessions)

    assert [f.status for f in result.findings] == [Status.PASS, Status.PASS]
    assert sessions.call_log.counts["lambda:ListAliases"] == 2
    assert sessions.call_log.counts["lambda:ListVersionsByFunction"] == 0

    versions_only = write_policy(tmp_path / "v", "versions-only", {"attribute": "versions",
                                                                    "exists": True})
    sessions = Sessions()
    scan({"regions": [REGION]}, policy_paths=[versions_only], sessions=sessions)
    assert sessions.call_log.counts["lambda:ListVersionsByFunction"] == 2
    assert sessions.call_log.counts["lambda:ListAliases"] == 0

    sessions = Sessions()
    scan({"regions": [REGION]}, policies=["lambda-timeout-bounds"], sessions=sessions)
    calls = sessions.call_log.counts
    assert calls["lambda:ListFunctions"] == 1
    assert calls["lambda:ListAliases"] == calls["lambda:ListVersionsByFunction"] == 0
    assert calls["cloudwatch:GetMetricData"] == calls["cloudwatch:DescribeAlarms"] == 0


def test_lambda_production_alias(aws, scan):
    session = boto3.Session()
    for name in ("released", "single", "on-latest", "no-alias"):
        estate.create_function(session, REGION, name, tags=PROD)
    estate.publish_versions(session, REGION, "released", 3)
    estate.publish_versions(session, REGION, "single", 1)
    lam(session).create_alias(FunctionName="on-latest", Name="production",
                              FunctionVersion="$LATEST")
    estate.publish_versions(session, REGION, "no-alias", 2, alias="live")
    # Outside prod: no production alias needed, so no finding at all.
    estate.create_function(session, REGION, "scratch", tags={"Environment": "dev"})

    result = scan({"regions": [REGION]}, policies=["lambda-production-alias"])

    assert not result.errors
    assert statuses(result, "lambda-production-alias") == {
        "released": Status.PASS, "single": Status.FAIL, "on-latest": Status.FAIL,
        "no-alias": Status.FAIL}
    found = by_name(result, "lambda-production-alias")
    alias_expr = "aliases[?name=='production'] | [0].function_version"
    number = f"to_number({alias_expr})"  # the operand of the comparison is evidence too
    assert found["released"].evidence == {alias_expr: "3", "min(versions)": 1, number: 3}
    assert found["single"].evidence == {alias_expr: "1", "min(versions)": 1, number: 1}
    # The earliest published version is the alias's own: nothing earlier to roll back to.
    assert found["single"].message == ("no published version older than the one the production "
                                       "alias points at (1): nothing to roll back to")
    assert [d.keys for d in found["single"].decisive] == [("min(versions)", number)]
    assert found["on-latest"].evidence == {alias_expr: "$LATEST", "min(versions)": None,
                                           number: None}
    assert found["on-latest"].message == ("the production alias points at $LATEST, not a "
                                          "published version: nothing to roll back to")
    assert found["no-alias"].message == "no production alias: nothing to roll back to"
    assert found["single"].severity is Severity.HIGH
    # The alias exists: move it; it does not: create it. Either way on a published version.
    publish, move = fix(found["single"])
    assert publish == ("VERSION=$(aws lambda publish-version --region us-east-1 "
                       "--function-name single --query Version --output text)")
    assert move == ("aws lambda update-alias --region us-east-1 --function-name single "
                    '--name production --function-version "${VERSION}"')
    assert fix(found["no-alias"])[1].startswith(
        "aws lambda create-alias --region us-east-1 --function-name no-alias --name production")


# --- alarms -------------------------------------------------------------------------------


def test_alarms_and_lambda_error_alarm(aws, scan):
    session = boto3.Session()
    for name in ("watched", "via-alias", "silent", "muted", "throttles-only", "unwatched"):
        estate.create_function(session, REGION, name, tags=PROD)
    lambda_alarm = {"namespace": "AWS/Lambda", "metric": "Errors"}
    estate.create_alarm(session, REGION, "watched-errors", **lambda_alarm,
                        dimensions={"FunctionName": "watched"})
    estate.create_alarm(session, REGION, "via-alias-errors", **lambda_alarm,
                        dimensions={"FunctionName": "via-alias",
                                    "Resource": "via-alias:production"})
    estate.create_alarm(session, REGION, "silent-errors", **lambda_alarm,
                        dimensions={"FunctionName": "silent"}, with_action=False)
    put_alarm_actions_disabled(session, "muted-errors", "muted")
    estate.create_alarm(session, REGION, "throttles", namespace="AWS/Lambda",
                        metric="Throttles", dimensions={"FunctionName": "throttles-only"})
    # Alarms that are not about "unwatched": another function's, and another namespace's.
    estate.create_alarm(session, REGION, "elsewhere-errors", **lambda_alarm,
                        dimensions={"FunctionName": "elsewhere"})
    estate.create_alarm(session, REGION, "not-lambda", namespace="Custom/App", metric="Errors",
                        dimensions={"FunctionName": "unwatched"})

    result = scan({"regions": [REGION]}, policies=["lambda-error-alarm"])

    assert not result.errors
    assert statuses(result, "lambda-error-alarm") == {
        "watched": Status.PASS, "via-alias": Status.PASS, "silent": Status.FAIL,
        "muted": Status.FAIL, "throttles-only": Status.FAIL, "unwatched": Status.FAIL}
    found = by_name(result, "lambda-error-alarm")
    expr = "alarms[?metric=='Errors' && has_actions && actions_enabled].name"
    assert found["watched"].evidence == {expr: ["watched-errors"]}
    assert found["via-alias"].evidence == {expr: ["via-alias-errors"]}
    assert found["silent"].evidence == {expr: []}
    assert found["unwatched"].message == \
        "no CloudWatch alarm with enabled actions watches this function's errors"
    assert found["unwatched"].decisive_keys == (expr,)
    command = fix(found["unwatched"])[0]
    assert command.startswith("aws cloudwatch put-metric-alarm --region us-east-1 "
                              "--alarm-name unwatched-errors --namespace AWS/Lambda "
                              "--metric-name Errors --dimensions Name=FunctionName,Value=unwatched ")
    assert '--alarm-actions "${SNS_TOPIC_ARN:?' in command


def test_alarms_attribute_lists_what_watches_each_function(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_function(session, REGION, "silent")
    estate.create_function(session, REGION, "unwatched")
    estate.create_alarm(session, REGION, "silent-errors", namespace="AWS/Lambda",
                        metric="Errors", dimensions={"FunctionName": "silent"},
                        with_action=False)
    estate.create_alarm(session, REGION, "elsewhere-errors", namespace="AWS/Lambda",
                        metric="Errors", dimensions={"FunctionName": "elsewhere"})
    sessions = Sessions()

    result = scan({"regions": [REGION]}, sessions=sessions,
                  policy_paths=[write_policy(tmp_path, "probe", {"attribute": "alarms",
                                                                 "exists": True})])

    found = by_name(result, "probe")
    assert found["silent"].evidence["alarms"] == [{
        "name": "silent-errors", "metric": "Errors", "dimensions": {"FunctionName": "silent"},
        "has_actions": False, "actions_enabled": True, "state": "OK"}]  # moto starts at OK
    assert found["unwatched"].evidence["alarms"] == []
    assert sessions.call_log.counts["cloudwatch:DescribeAlarms"] == 1  # not one per function


# --- duration -----------------------------------------------------------------------------


def test_duration_is_the_maximum_within_the_window(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_function(session, REGION, "busy", timeout=3)
    estate.create_function(session, REGION, "relaxed", timeout=10)
    estate.create_function(session, REGION, "idle", timeout=10)
    estate.create_function(session, REGION, "stale", timeout=10)
    estate.put_durations(session, REGION, "busy", [120.0, 2850.25, 900.0])
    estate.put_durations(session, REGION, "relaxed", [500.0, 1234.0])
    # Outside the 14-day window: not counted.
    put_duration_at(session, "stale", 9000.0, datetime.now(UTC) - timedelta(days=20))
    # Another metric of the idle function: not a Duration.
    session.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/Lambda", MetricData=[{
            "MetricName": "Invocations", "Value": 5000.0,
            "Dimensions": [{"Name": "FunctionName", "Value": "idle"}]}])

    result = scan({"regions": [REGION]},
                  policy_paths=[write_policy(tmp_path, "probe", {"attribute": "duration.max_ms",
                                                                 "exists": True})])

    assert not result.errors
    found = {name: f.evidence for name, f in by_name(result, "probe").items()}
    assert set(found) == {"busy", "relaxed", "idle", "stale"}
    assert found["busy"] == {"duration.max_ms": 2850.25}
    assert found["relaxed"] == {"duration.max_ms": 1234.0}
    assert found["idle"] == {"duration.max_ms": None}
    assert found["stale"] == {"duration.max_ms": None}


def test_lambda_timeout_headroom(aws, scan):
    session = boto3.Session()
    estate.create_function(session, REGION, "busy", timeout=3)
    estate.create_function(session, REGION, "relaxed", timeout=10)
    estate.create_function(session, REGION, "idle", timeout=10)
    estate.put_durations(session, REGION, "busy", [120.0, 2850.25])
    estate.put_durations(session, REGION, "relaxed", [500.0, 1234.0])

    result = scan({"regions": [REGION]}, policies=["lambda-timeout-headroom"])

    assert not result.errors
    assert statuses(result, "lambda-timeout-headroom") == {
        "busy": Status.FAIL, "relaxed": Status.PASS, "idle": Status.PASS}
    found = by_name(result, "lambda-timeout-headroom")
    assert found["busy"].evidence == {"duration.max_ms": 2850.25,
                                      "duration.ratio_of_timeout": 0.95}
    assert found["busy"].message == ("its slowest run of the last 14 days took 2.9 s, 95% of its "
                                     "3 s timeout (more than 80%): it is close to timing out")
    assert found["busy"].decisive_keys == ("duration.max_ms", "duration.ratio_of_timeout")
    assert found["relaxed"].evidence == {"duration.max_ms": 1234.0,
                                         "duration.ratio_of_timeout": 0.123}
    # No datapoints: a pass that says nothing was measured, not a measured headroom.
    assert found["idle"].evidence == {"duration.max_ms": None,
                                      "duration.ratio_of_timeout": None}
    assert found["idle"].message == "not invoked recently"
    # 2.85 s / 0.8 = 3.56 s: the suggested timeout restores the headroom.
    assert fix(found["busy"]) == [
        "aws lambda update-function-configuration --region us-east-1 "
        "--function-name busy --timeout 4"]


def test_duration_full_document_and_a_parameter_override(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_function(session, REGION, "steady", timeout=5)
    estate.put_durations(session, REGION, "steady", [3000.0])
    probe = write_policy(tmp_path, "probe", {"attribute": "duration", "exists": True})

    result = scan({"regions": [REGION]}, policy_paths=[probe])
    (finding,) = result.findings
    assert finding.evidence == {"duration": {"max_ms": 3000.0, "window_days": 14,
                                             "ratio_of_timeout": 0.6}}

    # 0.6 of the timeout passes the default 0.8 and fails a stricter 0.5.
    strict = scan({"regions": [REGION],
                   "parameters": {"*": {"lambda-timeout-headroom": {"max_fraction": 0.5}}}},
                  policies=["lambda-timeout-headroom"])
    assert [f.status for f in strict.findings] == [Status.FAIL]
    assert fix(strict.findings[0]) == [
        "aws lambda update-function-configuration --region us-east-1 "
        "--function-name steady --timeout 6"]


def test_get_metric_data_is_one_call_per_account_region(aws, scan):
    session = boto3.Session()
    for i in range(4):
        estate.create_function(session, REGION, f"east-{i}", timeout=10)
        estate.put_durations(session, REGION, f"east-{i}", [1000.0 * (i + 1)])
    for i in range(2):
        estate.create_function(session, "eu-west-1", f"west-{i}", timeout=10)
    sessions = Sessions()

    result = scan({"regions": [REGION, "eu-west-1"]}, policies=["lambda-timeout-headroom"],
                  sessions=sessions)

    assert not result.errors
    assert {f.resource.name: f.evidence["duration.ratio_of_timeout"]
            for f in result.findings} == {"east-0": 0.1, "east-1": 0.2, "east-2": 0.3,
                                          "east-3": 0.4, "west-0": None, "west-1": None}
    calls = sessions.call_log.counts
    assert calls["cloudwatch:GetMetricData"] == 2  # six functions, two account-regions
    assert calls["cloudwatch:GetMetricStatistics"] == 0
    assert calls["lambda:ListAliases"] == 0  # nothing reads aliases
    assert calls["cloudwatch:DescribeAlarms"] == 0


def test_get_metric_data_splits_at_the_query_limit(aws, scan, monkeypatch):
    """500 queries per call in AWS; a limit of 2 shows the split on three functions."""
    monkeypatch.setattr(awslambda, "METRIC_QUERIES_PER_CALL", 2)
    session = boto3.Session()
    for i, ms in enumerate([100.0, 200.0, 300.0]):
        estate.create_function(session, REGION, f"fn-{i}", timeout=1)
        estate.put_durations(session, REGION, f"fn-{i}", [ms])
    sessions = Sessions()

    result = scan({"regions": [REGION]}, policies=["lambda-timeout-headroom"],
                  sessions=sessions)

    assert sessions.call_log.counts["cloudwatch:GetMetricData"] == 2
    # Query ids restart per call: each result still lands on its own function.
    assert {f.resource.name: f.evidence["duration.max_ms"] for f in result.findings} == \
        {"fn-0": 100.0, "fn-1": 200.0, "fn-2": 300.0}


def _stubbed_context(stub_responses: list[dict[str, Any]]) -> tuple[RegionContext, Stubber]:
    sessions = Sessions()
    account = Account(estate.MANAGEMENT_ACCOUNT, "management", "prod")
    ctx = RegionContext(sessions, account, REGION)
    stubber = Stubber(ctx.client("cloudwatch"))
    for response in stub_responses:
        stubber.add_response("get_metric_data", response)
    stubber.activate()
    return ctx, stubber


def _function(ctx: RegionContext, name: str, timeout: int):
    return ctx.resource(TYPE, name, name, f"arn:aws:lambda:{REGION}:1:function:{name}",
                        {"timeout": timeout})


def test_duration_follows_next_token_and_merges_a_query_across_pages(aws):
    """moto never pages GetMetricData; AWS does, and a query's values may span pages."""
    ctx, stubber = _stubbed_context([
        {"MetricDataResults": [{"Id": "f0", "Values": [100.0], "StatusCode": "PartialData"}],
         "NextToken": "page-2"},
        {"MetricDataResults": [{"Id": "f0", "Values": [2500.0], "StatusCode": "Complete"},
                               {"Id": "f1", "Values": [], "StatusCode": "Complete"}]},
    ])
    functions = [_function(ctx, "paged", 5), _function(ctx, "quiet", 5)]

    docs = awslambda._duration(ctx, functions)

    stubber.assert_no_pending_responses()
    assert docs == {
        "paged": {"duration": {"max_ms": 2500.0, "window_days": 14, "ratio_of_timeout": 0.5}},
        "quiet": {"duration": {"max_ms": None, "window_days": 14, "ratio_of_timeout": None}},
    }
    assert ctx.sessions.call_log.counts["cloudwatch:GetMetricData"] == 2


def test_a_query_cloudwatch_could_not_answer_is_an_error_not_no_data(aws):
    ctx, _ = _stubbed_context([
        {"MetricDataResults": [{"Id": "f0", "Values": [], "StatusCode": "Forbidden"}]}])

    with pytest.raises(ClientError) as raised:
        awslambda._duration(ctx, [_function(ctx, "hidden", 5)])

    assert raised.value.response["Error"]["Code"] == "Forbidden"
    assert raised.value.operation_name == "GetMetricData"


def test_unreadable_metrics_make_error_findings(aws, scan):
    session = boto3.Session()
    estate.create_function(session, REGION, "fn", timeout=3)
    aws.faults.append(Fault(service="monitoring", operation="GetMetricData",
                            code="AccessDenied"))

    result = scan({"regions": [REGION]}, policies=["lambda-timeout-headroom"])

    (finding,) = result.findings
    assert finding.status is Status.ERROR
    assert "AccessDenied" in finding.message
    assert [e.operation for e in result.errors] == ["GetMetricData"]


# --- API Gateway integrations -------------------------------------------------------------


def test_api_integrations_carry_timeout_seconds(aws, scan, tmp_path):
    session = boto3.Session()
    arn = estate.create_function(session, REGION, "both", timeout=10)
    rest_id = estate.create_rest_api(session, REGION, "rest", [Stage("prod")], lambda_arn=arn,
                                     timeout_ms=12500)
    http_id = estate.create_http_api(session, REGION, "http", [Stage("prod")], lambda_arn=arn)

    result = scan({"regions": [REGION]},
                  policy_paths=[write_policy(tmp_path, "probe", {"attribute": "api_integrations",
                                                                 "exists": True})])

    (finding,) = result.findings
    assert sorted(finding.evidence["api_integrations"], key=lambda i: i["api_type"]) == [
        {"api_type": "HTTP", "api_id": http_id, "path": None, "method": None,
         "timeout_ms": 30000, "timeout_seconds": 30.0},
        {"api_type": "REST", "api_id": rest_id, "path": "/items", "method": "GET",
         "timeout_ms": 12500, "timeout_seconds": 12.5},
    ]


def test_apigateway_lambda_timeout_fits(aws, scan):
    session = boto3.Session()
    fits = estate.create_function(session, REGION, "fits", timeout=10)
    slow = estate.create_function(session, REGION, "too-slow", timeout=20)
    patient = estate.create_function(session, REGION, "long-integration", timeout=25)
    http_only = estate.create_function(session, REGION, "http-only", timeout=60)
    estate.create_function(session, REGION, "no-api", timeout=300)
    estate.create_rest_api(session, REGION, "fits", [Stage("prod")], lambda_arn=fits,
                           timeout_ms=12000)
    estate.create_rest_api(session, REGION, "slow", [Stage("prod")], lambda_arn=slow,
                           timeout_ms=12000)
    long_api = estate.create_rest_api(session, REGION, "long", [Stage("prod")],
                                      lambda_arn=patient, timeout_ms=60000)
    estate.create_http_api(session, REGION, "http", [Stage("prod")], lambda_arn=http_only)
    sessions = Sessions()

    result = scan({"regions": [REGION]},
                  policies=["apigateway-lambda-timeout-fits", "lambda-timeout-bounds"],
                  sessions=sessions)

    assert not result.errors
    assert statuses(result, "apigateway-lambda-timeout-fits") == {
        "fits": Status.PASS, "too-slow": Status.FAIL, "long-integration": Status.FAIL,
        "http-only": Status.PASS, "no-api": Status.PASS}
    found = by_name(result, "apigateway-lambda-timeout-fits")
    count = "length(api_integrations[?api_type=='REST'])"
    highest = "max(api_integrations[?api_type=='REST'].timeout_seconds)"
    lowest = "min(api_integrations[?api_type=='REST'].timeout_seconds)"
    assert found["fits"].evidence == {count: 1, "timeout": 10, highest: 12.0, lowest: 12.0}
    assert found["fits"].decisive_keys == ("timeout", lowest, highest)
    assert found["too-slow"].message == (
        "1 API Gateway REST integration(s) invoke this function; its timeout (20 s) is not "
        "shorter than the shortest integration timeout (12.0 s): API Gateway gives up before "
        "the function does")
    assert found["long-integration"].message == (
        "1 API Gateway REST integration(s) invoke this function; an integration waits 60.0 s, "
        "more than the 29 s API Gateway allows")
    assert found["http-only"].decisive_keys == (count,)
    assert found["too-slow"].severity is Severity.MEDIUM
    assert fix(found["too-slow"]) == [
        "aws lambda update-function-configuration --region us-east-1 "
        "--function-name too-slow --timeout 11",
        "# every REST integration of too-slow is already at most 29 s"]
    lambda_fix, api_fix = fix(found["long-integration"])
    assert lambda_fix == "# the timeout of long-integration (25 s) already fits under 29 s"
    assert api_fix == (
        f"aws apigateway update-integration --region us-east-1 --rest-api-id {long_api} "
        f"--resource-id \"$(aws apigateway get-resources --region us-east-1 "
        f"--rest-api-id {long_api} --query 'items[?path=='\"'\"'/items'\"'\"'].id' "
        "--output text)\" --http-method GET "
        f"--patch-operations op=replace,path=/timeoutInMillis,value={29 * 1000}")
    # Relational: both policies share one pass over the region's APIs.
    calls = sessions.call_log.counts
    assert calls["apigateway:GetRestApis"] == 1
    assert calls["apigateway:GetResources"] == 3
    assert calls["apigatewayv2:GetApis"] == 1


# --- reserved concurrency -----------------------------------------------------------------


def test_lambda_reserved_concurrency(aws, scan):
    session = boto3.Session()
    estate.create_function(session, REGION, "capped", reserved=50, tags=PROD)
    estate.create_function(session, REGION, "uncapped", tags=PROD)
    estate.create_function(session, REGION, "braked", reserved=0, tags=PROD)
    estate.create_function(session, REGION, "dev-fn", tags={"Environment": "dev"})

    result = scan({"regions": [REGION]}, policies=["lambda-reserved-concurrency"])

    assert not result.errors
    assert statuses(result, "lambda-reserved-concurrency") == {
        "capped": Status.PASS, "uncapped": Status.FAIL, "braked": Status.FAIL}
    found = by_name(result, "lambda-reserved-concurrency")
    assert found["capped"].evidence == {"reserved_concurrency": 50}
    assert found["uncapped"].message == ("no reserved concurrency: other functions can use up "
                                         "the account's concurrency and starve this one")
    assert found["braked"].message == "reserved concurrency is 0: every invocation is throttled"
    assert found["braked"].evidence == {"reserved_concurrency": 0}
    assert found["uncapped"].severity is Severity.LOW
    assert fix(found["uncapped"]) == [
        "aws lambda put-function-concurrency --region us-east-1 --function-name uncapped "
        "--reserved-concurrent-executions 100"]

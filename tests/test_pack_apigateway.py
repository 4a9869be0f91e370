"""The API Gateway part of the built-in pack on moto: the stages' `alarms` attribute (joined
from one DescribeAlarms per account-region), and the execution-logging, 5XX alarm, latency
alarm and WAF policies, each with a stage that passes and one that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.models import Severity, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.runbooks import RunbookLibrary

from tests.support import by_name, write_probe

ACCOUNT = estate.MANAGEMENT_ACCOUNT
REST = "aws.apigateway.stage"
HTTP = "aws.apigatewayv2.stage"
GW = "AWS/ApiGateway"
PACK = {
    # id: (severity, runbook, resource types, frameworks)
    "apigateway-execution-logging": (
        Severity.MEDIUM, "api-gateway#enable-execution-logging", (REST,),
        {"aws-fsbp": ("APIGateway.1",), "aws-config": ("api-gw-execution-logging-enabled",)}),
    "apigateway-5xx-alarm": (
        Severity.HIGH, "api-gateway#alarms-on-5xx-and-latency", (REST, HTTP), {}),
    "apigateway-latency-alarm": (
        Severity.MEDIUM, "api-gateway#alarms-on-5xx-and-latency", (REST, HTTP), {}),
    "apigateway-waf-attached": (
        Severity.MEDIUM, "api-gateway#attach-a-web-acl", (REST,),
        {"aws-fsbp": ("APIGateway.4",), "aws-config": ("api-gw-associated-with-waf",)}),
}
PROD = {"regions": ["us-east-1"], "accounts": [{"id": ACCOUNT, "environment": "prod"}]}


# --- helpers --------------------------------------------------------------------------------


def write_policy(tmp_path: Path, resource: str | list[str], check: dict[str, Any]) -> Path:
    return write_probe(tmp_path, "probe", resource, check, directory="probe-policies")


def fix(finding) -> str:
    assert finding.status is Status.FAIL and finding.remediation
    return "\n".join(finding.remediation)


def alarm(session: boto3.Session, name: str, metric: str, *, actions: bool = True,
          enabled: bool = True, region: str = "us-east-1", **dimensions: str) -> None:
    """An AWS/ApiGateway alarm; ``enabled=False`` keeps the action but disables actions."""
    if enabled:
        estate.create_alarm(session, region, name, namespace=GW, metric=metric,
                            dimensions=dimensions, with_action=actions)
        return
    session.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=name, Namespace=GW, MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold", ActionsEnabled=False,
        AlarmActions=[f"arn:aws:sns:{region}:{ACCOUNT}:oncall-page"])


def create_websocket_api(session: boto3.Session, region: str, name: str, stage: str) -> str:
    client = session.client("apigatewayv2", region_name=region)
    api_id = client.create_api(Name=name, ProtocolType="WEBSOCKET",
                               RouteSelectionExpression="$request.body.action")["ApiId"]
    client.create_stage(ApiId=api_id, StageName=stage)
    return api_id


def attach_web_acl(session: boto3.Session, region: str, api_id: str, stage: str) -> str:
    waf = session.client("wafv2", region_name=region)
    acl = waf.create_web_acl(
        Name="edge", Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                          "MetricName": "edge"})["Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=(
        f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"))
    return acl


def watched(alarms: list[dict[str, Any]]) -> dict[str, tuple[str, bool, bool]]:
    """alarm name -> (metric, has_actions, actions_enabled)."""
    return {a["name"]: (a["metric"], a["has_actions"], a["actions_enabled"]) for a in alarms}


# --- the policies as data -------------------------------------------------------------------


def test_pack_policies_are_declared_as_the_issue_asks():
    loaded = {p.id: p for p in load_policies()}
    runbooks = RunbookLibrary()
    for policy_id, (severity, runbook, types, frameworks) in PACK.items():
        policy = loaded[policy_id]
        assert policy.severity is severity, policy_id
        assert policy.runbook == runbook, policy_id
        assert runbooks.section(runbook) is not None, f"{policy_id}: no section {runbook}"
        assert policy.resources == types, policy_id
        assert policy.frameworks == frameworks, policy_id
        assert bool(policy.unmapped) is not bool(frameworks), \
            f"{policy_id}: a mapping, or the reason there is none"
        assert policy.parameters or policy_id == "apigateway-waf-attached", policy_id
    assert "access logs only" in loaded["apigateway-execution-logging"].description
    assert "HTTP APIs cannot" in loaded["apigateway-waf-attached"].description
    for alarmed in ("apigateway-5xx-alarm", "apigateway-latency-alarm"):
        assert loaded[alarmed].scope.environments == frozenset({"prod"})


# --- the alarms attribute -------------------------------------------------------------------


def test_rest_stage_alarms_join_by_api_name_and_stage(aws, scan, tmp_path):
    session = boto3.Session()
    orders = estate.create_rest_api(session, "us-east-1", "orders-api",
                                    [Stage("prod"), Stage("canary")])
    estate.create_rest_api(session, "us-east-1", "catalog-api", [Stage("prod")])
    alarm(session, "orders-prod-5xx", "5XXError", ApiName="orders-api", Stage="prod")
    alarm(session, "orders-canary-latency", "Latency", ApiName="orders-api", Stage="canary")
    alarm(session, "orders-all-stages-5xx", "5XXError", ApiName="orders-api")
    alarm(session, "orders-prod-silent", "5XXError", actions=False,
          ApiName="orders-api", Stage="prod")
    alarm(session, "orders-prod-muted", "Latency", enabled=False,
          ApiName="orders-api", Stage="prod")
    alarm(session, "orders-prod-get-items", "5XXError", ApiName="orders-api", Stage="prod",
          Method="GET", Resource="/items")  # narrower, still about this stage
    # Not about any orders-api stage: another namespace, another API, or HTTP-style ApiId.
    estate.create_alarm(session, "us-east-1", "lambda-named-like-the-api", namespace="AWS/Lambda",
                        metric="Errors", dimensions={"FunctionName": "orders-api"})
    alarm(session, "catalog-prod-5xx", "5XXError", ApiName="catalog-api", Stage="prod")
    alarm(session, "by-api-id", "5xx", ApiId=orders, Stage="prod")

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[write_policy(tmp_path, REST, {"attribute": "alarms",
                                                               "exists": True})])

    assert not result.errors
    stages = by_name(result, "probe")
    assert watched(stages["orders-api/prod"].evidence["alarms"]) == {
        "orders-prod-5xx": ("5XXError", True, True),
        "orders-all-stages-5xx": ("5XXError", True, True),
        "orders-prod-silent": ("5XXError", False, True),
        "orders-prod-muted": ("Latency", True, False),
        "orders-prod-get-items": ("5XXError", True, True),
    }
    assert watched(stages["orders-api/canary"].evidence["alarms"]) == {
        "orders-canary-latency": ("Latency", True, True),
        "orders-all-stages-5xx": ("5XXError", True, True),
    }
    assert watched(stages["catalog-api/prod"].evidence["alarms"]) == {
        "catalog-prod-5xx": ("5XXError", True, True)}
    whole_api = next(a for a in stages["orders-api/canary"].evidence["alarms"]
                     if a["name"] == "orders-all-stages-5xx")
    assert whole_api == {"name": "orders-all-stages-5xx", "metric": "5XXError",
                         "dimensions": {"ApiName": "orders-api"}, "has_actions": True,
                         "actions_enabled": True, "state": "OK"}


def test_http_stage_alarms_join_by_api_id_and_stage(aws, scan, tmp_path):
    session = boto3.Session()
    web = estate.create_http_api(session, "us-east-1", "web-api", [Stage("$default"),
                                                                    Stage("beta")])
    estate.create_rest_api(session, "us-east-1", "web-api", [Stage("beta")])  # same name
    alarm(session, "web-default-5xx", "5xx", ApiId=web, Stage="$default")
    alarm(session, "web-all-stages-latency", "Latency", ApiId=web)
    alarm(session, "rest-style-beta-5xx", "5XXError", ApiName="web-api", Stage="beta")

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[write_policy(tmp_path, [REST, HTTP], {"attribute": "alarms",
                                                                       "exists": True})])

    found = {(f.resource.type, f.resource.name): watched(f.evidence["alarms"])
             for f in result.findings}
    assert found == {
        (HTTP, "web-api/$default"): {"web-default-5xx": ("5xx", True, True),
                                     "web-all-stages-latency": ("Latency", True, True)},
        (HTTP, "web-api/beta"): {"web-all-stages-latency": ("Latency", True, True)},
        (REST, "web-api/beta"): {"rest-style-beta-5xx": ("5XXError", True, True)},
    }


# --- apigateway-5xx-alarm ---------------------------------------------------------------------


def test_5xx_alarm_policy_on_rest_http_and_websocket_stages(aws, scan):
    session = boto3.Session()
    orders = estate.create_rest_api(session, "us-east-1", "orders-api", [
        Stage("prod"), Stage("silent"), Stage("muted"), Stage("latency-only"),
        Stage("dev", tags={"Environment": "dev"})])
    estate.create_rest_api(session, "us-east-1", "catalog-api", [Stage("prod"), Stage("v2")])
    web = estate.create_http_api(session, "us-east-1", "web-api", [Stage("$default"),
                                                                    Stage("beta")])
    chat = create_websocket_api(session, "us-east-1", "chat-api", "live")
    alarm(session, "orders-prod-5xx", "5XXError", ApiName="orders-api", Stage="prod")
    alarm(session, "orders-silent-5xx", "5XXError", actions=False,
          ApiName="orders-api", Stage="silent")
    alarm(session, "orders-muted-5xx", "5XXError", enabled=False,
          ApiName="orders-api", Stage="muted")
    alarm(session, "orders-latency", "Latency", ApiName="orders-api", Stage="latency-only")
    alarm(session, "catalog-5xx", "5XXError", ApiName="catalog-api")  # every stage
    alarm(session, "web-default-5xx", "5xx", ApiId=web, Stage="$default")
    alarm(session, "chat-integration-errors", "IntegrationError", ApiId=chat, Stage="live")

    config = {**PROD, "parameters": {"prod": {"apigateway-5xx-alarm": {
        "alarm_topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:api-oncall"}}}}
    result = scan(config, policies=["apigateway-5xx-alarm"])

    assert not result.errors
    # orders-api/dev is tagged dev: out of the policy's prod scope, so no finding.
    assert {(f.resource.type, f.resource.name): f.status for f in result.findings} == {
        (REST, "orders-api/prod"): Status.PASS,
        (REST, "orders-api/silent"): Status.FAIL,
        (REST, "orders-api/muted"): Status.FAIL,
        (REST, "orders-api/latency-only"): Status.FAIL,
        (REST, "catalog-api/prod"): Status.PASS,
        (REST, "catalog-api/v2"): Status.PASS,
        (HTTP, "web-api/$default"): Status.PASS,
        (HTTP, "web-api/beta"): Status.FAIL,
        (HTTP, "chat-api/live"): Status.PASS,
    }
    findings = {f.resource.name: f for f in result.findings}
    expression = next(iter(findings["orders-api/prod"].evidence))
    assert findings["orders-api/prod"].evidence[expression] == ["orders-prod-5xx"]
    assert findings["catalog-api/v2"].evidence[expression] == ["catalog-5xx"]
    assert findings["orders-api/silent"].evidence[expression] == []
    assert findings["orders-api/silent"].severity is Severity.HIGH
    assert findings["orders-api/silent"].runbook == "api-gateway#alarms-on-5xx-and-latency"

    assert fix(findings["orders-api/silent"]) == (
        "aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name orders-api-silent-5xx "
        "--namespace AWS/ApiGateway --dimensions Name=ApiName,Value=orders-api "
        "Name=Stage,Value=silent --metric-name 5XXError --statistic Average --threshold 0.05 "
        "--period 60 --evaluation-periods 5 --datapoints-to-alarm 3 "
        "--comparison-operator GreaterThanThreshold --treat-missing-data notBreaching "
        f"--alarm-actions arn:aws:sns:us-east-1:{ACCOUNT}:api-oncall")
    http_fix = fix(findings["web-api/beta"])
    assert http_fix.startswith(
        "aws cloudwatch put-metric-alarm --region us-east-1 --alarm-name web-api-beta-5xx "
        f"--namespace AWS/ApiGateway --dimensions Name=ApiId,Value={web} "
        "Name=Stage,Value=beta --metric-name 5xx --statistic Average")
    assert orders not in http_fix


def test_5xx_alarm_remediation_quotes_names_and_asks_for_a_topic(aws, scan):
    session = boto3.Session()
    web = estate.create_http_api(session, "eu-west-1", "web api", [Stage("$default")])

    result = scan({**PROD, "regions": ["eu-west-1"]}, policies=["apigateway-5xx-alarm"])

    (finding,) = result.findings
    assert finding.status is Status.FAIL
    assert fix(finding) == (
        "aws cloudwatch put-metric-alarm --region eu-west-1 "
        "--alarm-name 'web api-$default-5xx' --namespace AWS/ApiGateway "
        f"--dimensions Name=ApiId,Value={web} 'Name=Stage,Value=$default' "
        "--metric-name 5xx --statistic Average --threshold 0.05 --period 60 "
        "--evaluation-periods 5 --datapoints-to-alarm 3 --comparison-operator "
        "GreaterThanThreshold --treat-missing-data notBreaching --alarm-actions "
        '"${SNS_TOPIC_ARN:?set SNS_TOPIC_ARN to the on-call topic ARN}"')


def test_alarm_policies_stay_in_prod_unless_widened(aws, scan):
    session = boto3.Session()
    estate.create_rest_api(session, "us-east-1", "orders-api", [Stage("prod")])
    staging = {"regions": ["us-east-1"], "accounts": [{"id": ACCOUNT,
                                                       "environment": "staging"}]}
    policies = ["apigateway-5xx-alarm", "apigateway-latency-alarm"]

    assert scan(staging, policies=policies).findings == ()

    widened = {**staging, "policies": {p: {"scope": {"environments": ["prod", "staging"]}}
                                       for p in policies}}
    result = scan(widened, policies=policies)
    assert {(f.policy_id, f.status) for f in result.findings} == {
        ("apigateway-5xx-alarm", Status.FAIL), ("apigateway-latency-alarm", Status.FAIL)}


# --- apigateway-latency-alarm -----------------------------------------------------------------


def test_latency_alarm_policy(aws, scan):
    session = boto3.Session()
    estate.create_rest_api(session, "us-east-1", "orders-api", [
        Stage("prod"), Stage("integration"), Stage("errors-only")])
    web = estate.create_http_api(session, "us-east-1", "web-api", [Stage("prod"),
                                                                    Stage("beta")])
    other = estate.create_http_api(session, "us-east-1", "other-api", [Stage("prod")])
    alarm(session, "orders-p99", "Latency", ApiName="orders-api", Stage="prod")
    alarm(session, "orders-integration-p99", "IntegrationLatency",
          ApiName="orders-api", Stage="integration")
    alarm(session, "orders-5xx", "5XXError", ApiName="orders-api", Stage="errors-only")
    alarm(session, "web-latency", "Latency", ApiId=web)  # the whole API
    alarm(session, "other-latency-silent", "Latency", actions=False, ApiId=other,
          Stage="prod")

    result = scan(PROD, policies=["apigateway-latency-alarm"])

    assert not result.errors
    assert {(f.resource.type, f.resource.name): f.status for f in result.findings} == {
        (REST, "orders-api/prod"): Status.PASS,
        (REST, "orders-api/integration"): Status.PASS,
        (REST, "orders-api/errors-only"): Status.FAIL,
        (HTTP, "web-api/prod"): Status.PASS,
        (HTTP, "web-api/beta"): Status.PASS,
        (HTTP, "other-api/prod"): Status.FAIL,
    }
    findings = {f.resource.name: f for f in result.findings}
    assert list(findings["web-api/beta"].evidence.values()) == [["web-latency"]]
    assert findings["orders-api/errors-only"].severity is Severity.MEDIUM
    assert fix(findings["orders-api/errors-only"]) == (
        "aws cloudwatch put-metric-alarm --region us-east-1 "
        "--alarm-name orders-api-errors-only-p99-latency --namespace AWS/ApiGateway "
        "--metric-name Latency --dimensions Name=ApiName,Value=orders-api "
        "Name=Stage,Value=errors-only --extended-statistic p99 --period 60 "
        "--evaluation-periods 5 --datapoints-to-alarm 3 --threshold 3000 "
        "--comparison-operator GreaterThanThreshold --treat-missing-data notBreaching "
        '--alarm-actions "${SNS_TOPIC_ARN:?set SNS_TOPIC_ARN to the on-call topic ARN}"')
    assert f"--metric-name Latency --dimensions Name=ApiId,Value={other} Name=Stage,Value=prod" \
        in fix(findings["other-api/prod"])


# --- apigateway-execution-logging -------------------------------------------------------------


def set_log_level(session: boto3.Session, api_id: str, stage: str, level: str) -> None:
    session.client("apigateway", region_name="us-east-1").update_stage(
        restApiId=api_id, stageName=stage, patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": level}])


def test_execution_logging_policy(aws, scan):
    session = boto3.Session()
    api = estate.create_rest_api(session, "us-east-1", "orders-api", [
        Stage("info"), Stage("error"), Stage("off"), Stage("never set")])
    set_log_level(session, api, "info", "INFO")
    set_log_level(session, api, "error", "ERROR")
    set_log_level(session, api, "off", "OFF")
    estate.create_http_api(session, "us-east-1", "web-api", [Stage("prod")])  # not checked

    result = scan({"regions": ["us-east-1"]}, policies=["apigateway-execution-logging"])

    assert not result.errors
    assert {(f.resource.type, f.resource.name): f.status for f in result.findings} == {
        (REST, "orders-api/info"): Status.PASS,
        (REST, "orders-api/error"): Status.PASS,
        (REST, "orders-api/off"): Status.FAIL,
        (REST, "orders-api/never set"): Status.FAIL,
    }
    findings = by_name(result, "apigateway-execution-logging")
    assert findings["orders-api/off"].evidence == {"logging_level": "OFF"}
    assert findings["orders-api/never set"].remediation == (
        "aws apigateway get-account --region us-east-1 --query cloudwatchRoleArn "
        "--output text # must print a role ARN; if it prints None, set the role first as "
        "the runbook shows",
        f"aws apigateway update-stage --region us-east-1 --rest-api-id {api} "
        "--stage-name 'never set' "
        "--patch-operations 'op=replace,path=/*/*/logging/loglevel,value=ERROR'",
    )


def test_execution_logging_levels_are_a_parameter(aws, scan):
    session = boto3.Session()
    api = estate.create_rest_api(session, "us-east-1", "orders-api", [Stage("error")])
    set_log_level(session, api, "error", "ERROR")
    config = {**PROD, "parameters": {"prod": {"apigateway-execution-logging": {
        "levels": ["INFO"]}}}}

    result = scan(config, policies=["apigateway-execution-logging"])

    (finding,) = result.findings
    assert finding.status is Status.FAIL
    assert finding.message.startswith("execution logging is ERROR")
    assert "(it should be INFO)" in finding.message


# --- apigateway-waf-attached ------------------------------------------------------------------


def test_waf_attached_policy(aws, scan):
    session = boto3.Session()
    api = estate.create_rest_api(session, "us-east-1", "orders-api", [Stage("prod"),
                                                                       Stage("canary")])
    acl = attach_web_acl(session, "us-east-1", api, "prod")
    estate.create_http_api(session, "us-east-1", "web-api", [Stage("prod")])  # cannot have one

    result = scan({"regions": ["us-east-1"]}, policies=["apigateway-waf-attached"])

    assert not result.errors
    assert {(f.resource.type, f.resource.name): f.status for f in result.findings} == {
        (REST, "orders-api/prod"): Status.PASS, (REST, "orders-api/canary"): Status.FAIL}
    findings = by_name(result, "apigateway-waf-attached")
    assert findings["orders-api/prod"].evidence == {"web_acl_arn": acl}
    assert findings["orders-api/canary"].evidence == {"web_acl_arn": None}
    assert findings["orders-api/canary"].remediation == (
        "aws wafv2 list-web-acls --region us-east-1 --scope REGIONAL "
        "--query 'WebACLs[].[Name,ARN]' --output table",
        "aws wafv2 associate-web-acl --region us-east-1 "
        '--web-acl-arn "${WEB_ACL_ARN:?set WEB_ACL_ARN to a web ACL listed above}" '
        f"--resource-arn arn:aws:apigateway:us-east-1::/restapis/{api}/stages/canary",
    )


# --- call economy -----------------------------------------------------------------------------


@pytest.mark.parametrize("policies", [
    ["apigateway-5xx-alarm", "apigateway-latency-alarm"],
    ["apigateway-5xx-alarm"],
])
def test_alarms_listed_once_per_account_region(aws, scan, policies):
    session = boto3.Session()
    for region in ("us-east-1", "eu-west-1"):
        estate.create_rest_api(session, region, "orders-api", [Stage("prod"), Stage("dev")])
        estate.create_http_api(session, region, "web-api", [Stage("prod")])
        alarm(session, "orders-5xx", "5XXError", region=region, ApiName="orders-api")
    sessions = Sessions()

    result = scan({**PROD, "regions": ["us-east-1", "eu-west-1"]}, policies=policies,
                  sessions=sessions)

    assert len(result.findings) == 3 * 2 * len(policies)
    calls = sessions.call_log.counts
    assert calls["cloudwatch:DescribeAlarms"] == 2
    assert calls["apigateway:GetRestApis"] == calls["apigatewayv2:GetApis"] == 2

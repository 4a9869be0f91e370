"""API Gateway stages on moto: REST (v1) method settings and HTTP (v2) default route
throttling, all read from the stage listing itself.

API Gateway speaks REST, so per-operation counts come from the scanner's call log (a
Sessions passed to the scan); the proxy's paths cross-check what reached the wire.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.models import Status

from tests.support import by_name, write_probe

ACCOUNT = estate.MANAGEMENT_ACCOUNT
REST = "aws.apigateway.stage"
HTTP = "aws.apigatewayv2.stage"


def write_policy(tmp_path: Path, policy_id: str, resource: str, check: dict[str, Any]) -> Path:
    return write_probe(tmp_path, policy_id, resource, check)


REST_PROBE = {"all": [
    {"attribute": "throttling", "exists": True},
    {"attribute": "logging_level", "equals": "INFO"},
    {"attribute": "metrics_enabled", "equals": True},
    {"attribute": "method_settings", "exists": True},
    {"attribute": "tags", "exists": True},
    {"attribute": "stage_name", "exists": True},
    {"attribute": "api_id", "exists": True},
    {"attribute": "api_name", "exists": True},
]}


def test_rest_stage_throttling_logging_and_method_settings(aws, scan, tmp_path):
    session = boto3.Session()
    api_id = estate.create_rest_api(session, "us-east-1", "orders-api", [
        Stage("prod", rate=100.0, burst=200, tags={"Environment": "prod"}),
        Stage("dev"),
        Stage("metrics-only"),
    ])
    client = session.client("apigateway", region_name="us-east-1")
    client.update_stage(restApiId=api_id, stageName="metrics-only", patchOperations=[
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
    client.update_stage(
        restApiId=api_id, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/items/GET/throttling/rateLimit", "value": "5"},
            {"op": "replace", "path": "/items/GET/throttling/burstLimit", "value": "7"},
            {"op": "replace", "path": "/items/GET/logging/loglevel", "value": "ERROR"},
        ])

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[write_policy(tmp_path, "probe", REST, REST_PROBE)])

    assert not result.errors
    stages = by_name(result, "probe")
    assert set(stages) == {"orders-api/prod", "orders-api/dev", "orders-api/metrics-only"}

    prod = stages["orders-api/prod"]
    assert prod.status is Status.PASS
    ref = prod.resource
    assert (ref.type, ref.id, ref.account_id, ref.region) == \
        (REST, f"{api_id}/prod", ACCOUNT, "us-east-1")
    assert ref.arn == f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/prod"
    assert prod.evidence["throttling"] == {"rate_limit": 100.0, "burst_limit": 200}
    assert prod.evidence["logging_level"] == "INFO"
    assert prod.evidence["metrics_enabled"] is True
    assert prod.evidence["method_settings"] == {
        "*/*": {"rate_limit": 100.0, "burst_limit": 200, "logging_level": "INFO"},
        "items/GET": {"rate_limit": 5.0, "burst_limit": 7, "logging_level": "ERROR"},
    }
    assert prod.evidence["tags"] == {"Environment": "prod"}
    assert (prod.evidence["stage_name"], prod.evidence["api_id"], prod.evidence["api_name"]) == \
        ("prod", api_id, "orders-api")
    assert ref.environment == "prod"  # from the stage's Environment tag

    dev = stages["orders-api/dev"]
    assert dev.status is Status.FAIL
    assert dev.evidence["throttling"] == {"rate_limit": None, "burst_limit": None}
    assert dev.evidence["logging_level"] == "OFF"
    assert dev.evidence["metrics_enabled"] is False
    assert dev.evidence["method_settings"] is None or dev.evidence["method_settings"] == {}
    assert dev.evidence["tags"] == {}
    assert dev.resource.id == f"{api_id}/dev"

    # Once any */* setting exists, API Gateway reports the account default limits (moto:
    # 1000/2000) as the stage's own: the collector passes on what the API says.
    metrics_only = stages["orders-api/metrics-only"]
    assert metrics_only.evidence["metrics_enabled"] is True
    assert metrics_only.evidence["logging_level"] == "OFF"
    assert metrics_only.evidence["throttling"] == {"rate_limit": 1000.0, "burst_limit": 2000}


HTTP_PROBE = {"all": [
    {"attribute": "throttling.rate_limit", "gt": 0},
    {"attribute": "throttling.burst_limit", "gt": 0},
    {"attribute": "protocol_type", "equals": "HTTP"},
    {"attribute": "tags", "exists": True},
]}


def test_http_stage_default_route_throttling(aws, scan, tmp_path):
    session = boto3.Session()
    api_id = estate.create_http_api(session, "eu-west-1", "web-api", [
        Stage("$default", rate=50.0, burst=75, tags={"Team": "web"}),
        Stage("beta"),
    ])

    result = scan({"regions": ["eu-west-1"]},
                  policy_paths=[write_policy(tmp_path, "probe", HTTP, HTTP_PROBE)])

    assert not result.errors
    stages = by_name(result, "probe")
    assert set(stages) == {"web-api/$default", "web-api/beta"}
    default = stages["web-api/$default"]
    assert default.status is Status.PASS
    assert default.evidence == {"throttling.rate_limit": 50.0, "throttling.burst_limit": 75,
                                "protocol_type": "HTTP", "tags": {"Team": "web"}}
    ref = default.resource
    assert (ref.type, ref.id, ref.account_id, ref.region) == \
        (HTTP, f"{api_id}/$default", ACCOUNT, "eu-west-1")
    assert ref.arn == f"arn:aws:apigateway:eu-west-1::/apis/{api_id}/stages/$default"

    beta = stages["web-api/beta"]
    assert beta.status is Status.FAIL
    assert beta.evidence["throttling.rate_limit"] is None
    assert beta.evidence["throttling.burst_limit"] is None


def test_builtin_throttling_policy_covers_both_stage_kinds(aws, scan):
    session = boto3.Session()
    rest_id = estate.create_rest_api(session, "us-east-1", "rest", [
        Stage("limited", rate=10.0, burst=20), Stage("open")])
    http_id = estate.create_http_api(session, "us-east-1", "http", [
        Stage("limited", rate=10.0, burst=20), Stage("open")])

    result = scan({"regions": ["us-east-1"]}, policies=["apigateway-stage-throttling"])

    verdicts = {(f.resource.type, f.resource.name): f.status for f in result.findings}
    assert verdicts == {
        (REST, "rest/limited"): Status.PASS,
        (REST, "rest/open"): Status.FAIL,
        (HTTP, "http/limited"): Status.PASS,
        (HTTP, "http/open"): Status.FAIL,
    }
    failing = {f.resource.name: f for f in result.findings if f.status is Status.FAIL}
    assert failing["rest/open"].evidence == {"throttling.rate_limit": None,
                                             "throttling.burst_limit": None}
    rest_fix = " ".join(failing["rest/open"].remediation)
    assert rest_fix.startswith("aws apigateway update-stage --region us-east-1")
    assert f"--rest-api-id {rest_id} --stage-name open" in rest_fix
    http_fix = " ".join(failing["http/open"].remediation)
    assert http_fix.startswith("aws apigatewayv2 update-stage --region us-east-1")
    assert f"--api-id {http_id} --stage-name open" in http_fix


# --- call economy ---------------------------------------------------------------------------


def test_apis_listed_once_per_region_and_stages_once_per_api(aws, scan):
    session = boto3.Session()
    rest_ids = [estate.create_rest_api(session, "us-east-1", f"rest-{i}",
                                       [Stage("prod", 10.0, 20), Stage("dev")]) for i in range(3)]
    http_ids = [estate.create_http_api(session, "us-east-1", f"http-{i}",
                                       [Stage("prod", 10.0, 20)]) for i in range(2)]
    estate.create_rest_api(session, "eu-west-1", "west", [Stage("prod")])
    aws.seen.clear()
    sessions = Sessions()

    result = scan({"regions": ["us-east-1", "eu-west-1"]},
                  policies=["apigateway-stage-throttling"], sessions=sessions)

    assert len(result.findings) == 3 * 2 + 2 + 1
    calls = sessions.call_log.counts
    assert calls["apigateway:GetRestApis"] == 2
    assert calls["apigateway:GetStages"] == 4
    assert calls["apigatewayv2:GetApis"] == 2
    assert calls["apigatewayv2:GetStages"] == 2
    assert result.api_calls == sum(calls.values()) == sum(aws.seen.values()) == 1 + 10
    # What reached the wire: one stage listing per API, nothing else per stage.
    for api_id in rest_ids:
        assert aws.seen[f"apigateway:GET /restapis/{api_id}/stages"] == 1
    for api_id in http_ids:
        assert aws.seen[f"apigateway:GET /v2/apis/{api_id}/stages"] == 1


def test_rest_api_listing_is_shared_with_lambda_integrations(aws, scan):
    session = boto3.Session()
    arn = estate.create_function(session, "us-east-1", "handler", timeout=10)
    estate.create_rest_api(session, "us-east-1", "rest", [Stage("prod", 10.0, 20)],
                           lambda_arn=arn)
    estate.create_http_api(session, "us-east-1", "http", [Stage("prod", 10.0, 20)],
                           lambda_arn=arn)
    sessions = Sessions()

    result = scan({"regions": ["us-east-1"]},
                  policies=["apigateway-stage-throttling", "lambda-timeout-bounds"],
                  sessions=sessions)

    assert {(f.policy_id, f.status) for f in result.findings} == {
        ("apigateway-stage-throttling", Status.PASS), ("lambda-timeout-bounds", Status.PASS)}
    calls = sessions.call_log.counts
    assert calls["apigateway:GetRestApis"] == 1
    assert calls["apigatewayv2:GetApis"] == 1
    assert calls["apigateway:GetResources"] == 1
    assert calls["apigatewayv2:GetIntegrations"] == 1

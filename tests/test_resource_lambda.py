"""aws.lambda.function on moto: configuration, concurrency, tags, and the API Gateway
integrations that invoke each function (REST and HTTP APIs, joined in one pass).

Lambda and API Gateway speak REST, so per-operation counts come from the scanner's call
log (a Sessions passed to the scan).
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
TYPE = "aws.lambda.function"


def write_policy(tmp_path: Path, policy_id: str, check: dict[str, Any]) -> Path:
    return write_probe(tmp_path, policy_id, TYPE, check)


PROBE = {"all": [
    {"attribute": "timeout", "lte": 29},
    {"attribute": "memory_size", "exists": True},
    {"attribute": "runtime", "exists": True},
    {"attribute": "package_type", "exists": True},
    {"attribute": "architectures", "exists": True},
    {"attribute": "reserved_concurrency", "exists": True},
    {"attribute": "tags", "exists": True},
    {"attribute": "api_integrations", "exists": True},
]}


def test_function_configuration_concurrency_and_tags(aws, scan, tmp_path):
    session = boto3.Session()
    tuned_arn = estate.create_function(session, "us-east-1", "tuned", timeout=25, reserved=50,
                                       tags={"Team": "orders", "Environment": "prod"})
    session.client("lambda", region_name="us-east-1").update_function_configuration(
        FunctionName="tuned", MemorySize=512, Runtime="python3.11")
    estate.create_function(session, "us-east-1", "plain", timeout=900)

    result = scan({"regions": ["us-east-1"]}, policy_paths=[write_policy(tmp_path, "probe", PROBE)])

    assert not result.errors
    functions = by_name(result, "probe")
    assert set(functions) == {"tuned", "plain"}
    tuned = functions["tuned"]
    assert tuned.evidence["timeout"] == 25
    assert tuned.evidence["memory_size"] == 512
    assert tuned.evidence["runtime"] == "python3.11"
    assert tuned.evidence["package_type"] == "Zip"
    assert tuned.evidence["architectures"] == ["x86_64"]
    assert tuned.evidence["reserved_concurrency"] == 50
    assert tuned.evidence["tags"] == {"Team": "orders", "Environment": "prod"}
    assert tuned.evidence["api_integrations"] == []
    ref = tuned.resource
    assert (ref.type, ref.id, ref.name, ref.account_id, ref.region, ref.environment) == \
        (TYPE, "tuned", "tuned", ACCOUNT, "us-east-1", "prod")
    assert ref.arn == tuned_arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:tuned"

    plain = functions["plain"]
    assert plain.status is Status.FAIL
    assert plain.evidence["timeout"] == 900
    assert plain.evidence["memory_size"] == 128
    assert plain.evidence["runtime"] == "python3.12"
    assert plain.evidence["reserved_concurrency"] is None
    assert plain.evidence["tags"] == {}
    assert plain.resource.environment == "default"


def test_api_integrations_from_rest_and_http_apis(aws, scan, tmp_path):
    session = boto3.Session()
    both = estate.create_function(session, "us-east-1", "both", timeout=20)
    via_alias = estate.create_function(session, "us-east-1", "via-alias", timeout=20)
    estate.create_function(session, "us-east-1", "unused", timeout=20)
    rest_id = estate.create_rest_api(session, "us-east-1", "rest", [Stage("prod")],
                                     lambda_arn=both, timeout_ms=12000)
    http_id = estate.create_http_api(session, "us-east-1", "http", [Stage("prod")],
                                     lambda_arn=both)
    # An integration that targets an alias still belongs to the function.
    alias_api = estate.create_rest_api(session, "us-east-1", "alias", [Stage("prod")],
                                       lambda_arn=f"{via_alias}:live")
    # A MOCK integration points at no function at all.
    estate.create_rest_api(session, "us-east-1", "mock", [Stage("prod")])

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[write_policy(tmp_path, "probe", {"attribute": "api_integrations",
                                                                 "exists": False})])

    assert not result.errors
    functions = by_name(result, "probe")
    assert sorted(functions["both"].evidence["api_integrations"],
                  key=lambda i: i["api_type"]) == [
        {"api_type": "HTTP", "api_id": http_id, "path": None, "method": None,
         "timeout_ms": 30000, "timeout_seconds": 30.0},
        {"api_type": "REST", "api_id": rest_id, "path": "/items", "method": "GET",
         "timeout_ms": 12000, "timeout_seconds": 12.0},
    ]
    assert functions["via-alias"].evidence["api_integrations"] == [
        {"api_type": "REST", "api_id": alias_api, "path": "/items", "method": "GET",
         "timeout_ms": 29000, "timeout_seconds": 29.0},
    ]
    assert functions["unused"].evidence["api_integrations"] == []
    assert functions["unused"].status is Status.PASS


def test_http_integration_given_as_invocation_uri(aws, scan, tmp_path):
    """HTTP APIs accept the function ARN or the apigateway invocation URI: both match."""
    session = boto3.Session()
    arn = estate.create_function(session, "eu-west-1", "target", timeout=60)
    v2 = session.client("apigatewayv2", region_name="eu-west-1")
    api_id = v2.create_api(Name="uri-api", ProtocolType="HTTP")["ApiId"]
    v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
        IntegrationUri=(f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
                        f"{arn}/invocations"), TimeoutInMillis=15000)

    result = scan({"regions": ["eu-west-1"]}, policies=["lambda-timeout-bounds"])

    (finding,) = result.findings
    assert finding.resource.region == "eu-west-1"
    assert finding.resource.arn == arn
    assert finding.evidence["length(api_integrations)"] == 1
    assert finding.status is Status.FAIL  # 60 s behind API Gateway


# --- call economy ---------------------------------------------------------------------------


def _seed_three_functions_behind_apis(session: boto3.Session) -> None:
    arns = [estate.create_function(session, "us-east-1", f"fn-{i}", timeout=10,
                                   tags={"Environment": "prod"}) for i in range(3)]
    estate.create_rest_api(session, "us-east-1", "rest-a", [Stage("prod")], lambda_arn=arns[0])
    estate.create_rest_api(session, "us-east-1", "rest-b", [Stage("prod")], lambda_arn=arns[1])
    estate.create_http_api(session, "us-east-1", "http-a", [Stage("prod")], lambda_arn=arns[2])


def test_timeout_policy_costs_one_integration_pass_per_region(aws, scan):
    _seed_three_functions_behind_apis(boto3.Session())
    sessions = Sessions()

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["lambda-timeout-bounds"],
                  sessions=sessions)

    assert [f.status for f in result.findings] == [Status.PASS] * 3
    assert {f.resource.name: f.evidence["length(api_integrations)"]
            for f in result.findings} == {"fn-0": 1, "fn-1": 1, "fn-2": 1}
    calls = sessions.call_log.counts
    assert calls["lambda:ListFunctions"] == 2
    assert calls["apigateway:GetRestApis"] == 1  # eu-west-1 has no functions: no join there
    assert calls["apigateway:GetResources"] == 2  # one per REST API, not per function
    assert calls["apigatewayv2:GetApis"] == 1
    assert calls["apigatewayv2:GetIntegrations"] == 1
    # Nothing the policy does not read, and tags only if something depended on them.
    assert calls["lambda:GetFunctionConcurrency"] == 0
    assert calls["lambda:ListTags"] == 0
    assert calls["lambda:GetFunction"] == 0
    assert result.api_calls == sum(calls.values())


def test_environment_parameters_make_tags_worth_reading(aws, scan):
    _seed_three_functions_behind_apis(boto3.Session())
    sessions = Sessions()

    result = scan({"regions": ["us-east-1"],
                   "parameters": {"prod": {"lambda-timeout-bounds": {"max_seconds": 5}}}},
                  policies=["lambda-timeout-bounds"], sessions=sessions)

    # One Resource Groups Tagging API listing for the region, not one ListTags per function.
    assert sessions.call_log.counts["resourcegroupstaggingapi:GetResources"] == 1
    assert sessions.call_log.counts["lambda:ListTags"] == 0
    # The Environment tag made them prod, so prod's max of 5 s applies to their 10 s.
    assert {(f.resource.environment, f.status) for f in result.findings} == \
        {("prod", Status.FAIL)}


def test_reserved_concurrency_read_only_when_a_policy_reads_it(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_function(session, "us-east-1", "capped", reserved=5)
    estate.create_function(session, "us-east-1", "uncapped")
    sessions = Sessions()
    policies = write_policy(tmp_path, "reserved", {"attribute": "reserved_concurrency",
                                                   "exists": True})

    result = scan({"regions": ["us-east-1"]}, policy_paths=[policies], sessions=sessions)

    assert {f.resource.name: (f.status, f.evidence["reserved_concurrency"])
            for f in result.findings} == {"capped": (Status.PASS, 5),
                                          "uncapped": (Status.FAIL, None)}
    calls = sessions.call_log.counts
    assert calls["lambda:GetFunctionConcurrency"] == 2
    assert calls["apigateway:GetRestApis"] == 0
    assert calls["apigatewayv2:GetApis"] == 0
    assert calls["lambda:ListTags"] == 0

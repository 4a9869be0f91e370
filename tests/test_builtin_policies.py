"""The engine's six founding policies, on real moto resources: something passes, something
fails, and a failing finding's remediation names the real resource and region."""

from __future__ import annotations

from typing import Any

import boto3
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.models import Severity, Status
from preflight_scanner.policy import load_policies

from tests.support import by_name, statuses

BUILTIN = {
    "apigateway-stage-throttling",
    "cognito-mfa-on-in-prod",
    "dynamodb-autoscaling-registered",
    "dynamodb-pitr-enabled",
    "lambda-timeout-bounds",
    "s3-versioning-enabled",
}


def fix(finding) -> str:
    assert finding.status is Status.FAIL and finding.remediation
    return " ".join(finding.remediation)


def org_config(accounts: dict[str, str], regions: list[str], **extra: Any) -> dict[str, Any]:
    """accounts: account id -> environment."""
    return {
        "organization": True,
        "role_name": estate.MEMBER_ROLE,
        "accounts": [{"id": i, "environment": env} for i, env in accounts.items()],
        "regions": regions,
        **extra,
    }


def test_the_founding_policies_are_in_the_builtin_pack():
    assert {p.id for p in load_policies()} >= BUILTIN


def test_dynamodb_pitr_enabled(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "ledger", pitr=True)
    estate.create_table(session, "eu-west-1", "sessions")

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["dynamodb-pitr-enabled"])

    assert not result.errors
    assert statuses(result, "dynamodb-pitr-enabled") == \
        {"ledger": Status.PASS, "sessions": Status.FAIL}
    failing = by_name(result, "dynamodb-pitr-enabled")["sessions"]
    assert failing.severity is Severity.HIGH
    assert failing.evidence == {"pitr.status": "DISABLED"}
    assert failing.message.startswith("point-in-time recovery is off")
    assert failing.runbook == "disaster-recovery#restore-a-dynamodb-table"
    assert fix(failing) == (
        "aws dynamodb update-continuous-backups --region eu-west-1 --table-name sessions "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true")


def test_dynamodb_autoscaling_registered(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "scaled", autoscaling=("read", "write"))
    estate.create_table(session, "us-east-1", "on-demand", on_demand=True)
    estate.create_table(session, "us-east-1", "read-only", autoscaling=("read",))
    estate.create_table(session, "us-east-1", "fixed")

    result = scan({"regions": ["us-east-1"]}, policies=["dynamodb-autoscaling-registered"])

    assert statuses(result, "dynamodb-autoscaling-registered") == {
        "scaled": Status.PASS, "on-demand": Status.PASS,
        "read-only": Status.FAIL, "fixed": Status.FAIL,
    }
    read_only = by_name(result, "dynamodb-autoscaling-registered")["read-only"]
    assert read_only.evidence["billing_mode"] == "PROVISIONED"
    assert read_only.evidence["autoscaling.read"]["min_capacity"] == 5
    assert read_only.evidence["autoscaling.write"] is None
    assert "autoscaling.write" in read_only.decisive_keys
    assert "reads and writes are not both auto scaled" in read_only.message
    assert "--region us-east-1" in fix(read_only)
    assert "--resource-id table/read-only" in fix(read_only)
    assert "dynamodb:table:WriteCapacityUnits" in fix(read_only)


def test_s3_versioning_enabled(aws, scan):
    session = boto3.Session()
    estate.create_bucket(session, "us-east-1", "kept-versions", versioning="Enabled")
    estate.create_bucket(session, "eu-west-1", "paused-versions", versioning="Suspended")
    estate.create_bucket(session, "us-east-1", "no-versions")

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["s3-versioning-enabled"])

    assert statuses(result, "s3-versioning-enabled") == {
        "kept-versions": Status.PASS, "paused-versions": Status.FAIL,
        "no-versions": Status.FAIL,
    }
    buckets = by_name(result, "s3-versioning-enabled")
    assert buckets["paused-versions"].evidence == {"versioning": "Suspended"}
    assert buckets["no-versions"].evidence == {"versioning": "Disabled"}
    assert fix(buckets["paused-versions"]) == (
        "aws s3api put-bucket-versioning --region eu-west-1 --bucket paused-versions "
        "--versioning-configuration Status=Enabled")
    assert "--region us-east-1 --bucket no-versions" in fix(buckets["no-versions"])


def test_cognito_mfa_on_in_prod_across_accounts(aws, scan):
    ids = estate.create_organization(["prod", "staging"])
    prod, staging = ids["prod"], ids["staging"]
    prod_session = estate.account_session(prod)
    staging_session = estate.account_session(staging)
    estate.create_user_pool(prod_session, "us-east-1", "customers", mfa="ON")
    estate.create_user_pool(prod_session, "us-east-1", "partners", mfa="OPTIONAL")
    lax_id = estate.create_user_pool(prod_session, "us-east-1", "admins")
    # The Environment tag overrides the account's environment, either way.
    estate.create_user_pool(prod_session, "us-east-1", "sandbox",
                            tags={"Environment": "staging"})
    estate.create_user_pool(staging_session, "us-east-1", "testers")
    tagged_id = estate.create_user_pool(staging_session, "us-east-1", "prod-in-staging",
                                        tags={"Environment": "prod"})

    result = scan(org_config({prod: "prod", staging: "staging"}, ["us-east-1"]),
                  policies=["cognito-mfa-on-in-prod"])

    assert not result.errors
    assert {a.id for a in result.accounts} == {estate.MANAGEMENT_ACCOUNT, prod, staging}
    assert statuses(result, "cognito-mfa-on-in-prod") == {
        "customers": Status.PASS,
        "partners": Status.FAIL,
        "admins": Status.FAIL,
        "prod-in-staging": Status.FAIL,
    }  # no finding for "sandbox" or "testers": not prod
    pools = by_name(result, "cognito-mfa-on-in-prod")
    admins = pools["admins"]
    assert admins.severity is Severity.CRITICAL
    assert (admins.resource.account_id, admins.resource.environment) == (prod, "prod")
    assert admins.resource.arn == f"arn:aws:cognito-idp:us-east-1:{prod}:userpool/{lax_id}"
    assert admins.evidence == {"mfa_configuration": "OFF"}
    assert f"--region us-east-1 --user-pool-id {lax_id}" in fix(admins)
    assert pools["partners"].evidence == {"mfa_configuration": "OPTIONAL"}
    moved = pools["prod-in-staging"]
    assert (moved.resource.account_id, moved.resource.environment) == (staging, "prod")
    assert f"--user-pool-id {tagged_id}" in fix(moved)


def test_apigateway_stage_throttling(aws, scan):
    session = boto3.Session()
    rest_id = estate.create_rest_api(session, "us-east-1", "orders", [
        Stage("prod", rate=500.0, burst=1000), Stage("dev")])
    http_id = estate.create_http_api(session, "eu-west-1", "web", [
        Stage("prod", rate=50.0, burst=100), Stage("preview")])

    result = scan({"regions": ["us-east-1", "eu-west-1"]},
                  policies=["apigateway-stage-throttling"])

    assert statuses(result, "apigateway-stage-throttling") == {
        "orders/prod": Status.PASS, "orders/dev": Status.FAIL,
        "web/prod": Status.PASS, "web/preview": Status.FAIL,
    }
    stages = by_name(result, "apigateway-stage-throttling")
    assert stages["orders/prod"].evidence == {"throttling.rate_limit": 500.0,
                                              "throttling.burst_limit": 1000}
    assert stages["web/preview"].evidence == {"throttling.rate_limit": None,
                                              "throttling.burst_limit": None}
    rest_fix = fix(stages["orders/dev"])
    assert rest_fix.startswith(
        f"aws apigateway update-stage --region us-east-1 --rest-api-id {rest_id} "
        "--stage-name dev")
    http_fix = fix(stages["web/preview"])
    assert http_fix.startswith(
        f"aws apigatewayv2 update-stage --region eu-west-1 --api-id {http_id} "
        "--stage-name preview")


def test_lambda_timeout_bounds(aws, scan):
    session = boto3.Session()
    estate.create_function(session, "us-east-1", "worker-30", timeout=30)
    estate.create_function(session, "us-east-1", "batch-900", timeout=900)
    slow_api = estate.create_function(session, "us-east-1", "api-60", timeout=60)
    quick_api = estate.create_function(session, "us-east-1", "api-25", timeout=25)
    estate.create_rest_api(session, "us-east-1", "slow", [Stage("prod")], lambda_arn=slow_api)
    estate.create_http_api(session, "us-east-1", "quick", [Stage("prod")], lambda_arn=quick_api)

    result = scan({"regions": ["us-east-1"]}, policies=["lambda-timeout-bounds"])

    assert not result.errors
    assert statuses(result, "lambda-timeout-bounds") == {
        "worker-30": Status.PASS, "batch-900": Status.FAIL,
        "api-60": Status.FAIL, "api-25": Status.PASS,
    }
    functions = by_name(result, "lambda-timeout-bounds")
    batch = functions["batch-900"]
    assert batch.evidence == {"timeout": 900, "length(api_integrations)": 0}
    assert batch.message == "its timeout (900 s) is longer than 300 s"
    assert fix(batch) == ("aws lambda update-function-configuration --region us-east-1 "
                          "--function-name batch-900 --timeout 300")
    api = functions["api-60"]
    assert api.evidence == {"timeout": 60, "length(api_integrations)": 1}
    assert "its timeout (60 s) is longer than the 29 s API Gateway waits" in api.message
    assert fix(api) == ("aws lambda update-function-configuration --region us-east-1 "
                        "--function-name api-60 --timeout 29")
    assert functions["api-25"].evidence == {"timeout": 25, "length(api_integrations)": 1}


def test_lambda_timeout_bounds_parameter_override_per_environment(aws, scan):
    ids = estate.create_organization(["prod", "staging"])
    prod, staging = ids["prod"], ids["staging"]
    estate.create_function(estate.account_session(prod), "us-east-1", "prod-60", timeout=60)
    estate.create_function(estate.account_session(staging), "us-east-1", "staging-60",
                           timeout=60)
    accounts = {prod: "prod", staging: "staging"}

    defaults = scan(org_config(accounts, ["us-east-1"]), policies=["lambda-timeout-bounds"])
    assert statuses(defaults, "lambda-timeout-bounds") == \
        {"prod-60": Status.PASS, "staging-60": Status.PASS}

    tightened = scan(org_config(accounts, ["us-east-1"], parameters={
        "prod": {"lambda-timeout-bounds": {"max_seconds": 29}}}),
        policies=["lambda-timeout-bounds"])
    assert statuses(tightened, "lambda-timeout-bounds") == \
        {"prod-60": Status.FAIL, "staging-60": Status.PASS}
    failing = by_name(tightened, "lambda-timeout-bounds")["prod-60"]
    assert (failing.resource.account_id, failing.resource.environment) == (prod, "prod")
    assert failing.resource.arn == f"arn:aws:lambda:us-east-1:{prod}:function:prod-60"
    assert failing.message == "its timeout (60 s) is longer than 29 s"
    assert fix(failing) == ("aws lambda update-function-configuration --region us-east-1 "
                            "--function-name prod-60 --timeout 29")

"""The log groups the runbooks read, joined to Lambda functions and REST stages from one
DescribeLogGroups listing per account-region, and Lambda Insights read from the layers
ListFunctions already returns."""

from __future__ import annotations

import boto3
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.faultproxy import Fault
from tests.support import by_name

EAST = "us-east-1"
PROD = {"Environment": "prod"}
FUNCTION_LOGS = "lambda-log-group-exists"
STAGE_LOGS = "apigateway-execution-log-group"
INSIGHTS = "lambda-insights-enabled"
RETENTION = "logs-retention-set"


def _estate(session: boto3.Session) -> str:
    for name in ("ran", "never-ran", "watched"):
        estate.create_function(session, EAST, name, tags=PROD)
    estate.create_log_group(session, EAST, "/aws/lambda/ran", events=("START",))
    estate.create_log_group(session, EAST, "/aws/lambda/watched")
    estate.add_insights_layer(session, EAST, "watched")
    api = estate.create_rest_api(session, EAST, "orders-api",
                                 [estate.Stage("prod", tags=PROD), estate.Stage("canary"),
                                  estate.Stage("quiet")])
    estate.set_execution_logging(session, EAST, api, "prod")
    estate.set_execution_logging(session, EAST, api, "canary", "ERROR")
    estate.create_log_group(session, EAST, f"API-Gateway-Execution-Logs_{api}/prod")
    return api


def test_log_groups_joined_to_functions_and_stages_from_one_listing(aws, scan):
    api = _estate(boto3.Session())
    aws.seen.clear()

    result = scan({"regions": [EAST]}, policies=[FUNCTION_LOGS, STAGE_LOGS, RETENTION])

    assert not result.errors
    functions = by_name(result, FUNCTION_LOGS)
    assert {n: f.status for n, f in functions.items()} == {
        "ran": Status.PASS, "never-ran": Status.FAIL, "watched": Status.PASS}
    assert functions["never-ran"].message == ("its log group /aws/lambda/never-ran does not "
                                              "exist: its errors are recorded nowhere")
    stages = by_name(result, STAGE_LOGS)
    assert {n: f.status for n, f in stages.items()} == {
        "orders-api/prod": Status.PASS, "orders-api/canary": Status.FAIL,
        "orders-api/quiet": Status.PASS}
    assert stages["orders-api/canary"].evidence["execution_log_group.exists"] is False
    assert f"API-Gateway-Execution-Logs_{api}/canary" in stages["orders-api/canary"].message
    # The log-group type and both joins share one listing: one call, not one per resource.
    assert aws.seen["logs:DescribeLogGroups"] == 1


def test_lambda_insights_from_the_listed_layers(aws, scan):
    _estate(boto3.Session())
    aws.seen.clear()

    result = scan({"regions": [EAST]}, policies=[INSIGHTS])

    found = by_name(result, INSIGHTS)
    assert {n: f.status for n, f in found.items()} == {
        "ran": Status.FAIL, "never-ran": Status.FAIL, "watched": Status.PASS}
    assert found["watched"].message == "Lambda Insights publishes its memory use"
    # No call beyond the listing (and the tags that decide the environment).
    assert set(aws.seen) <= {"sts:GetCallerIdentity", "lambda:GET /2015-03-31/functions",
                             "tagging:GetResources"}, aws.seen


def test_unlisted_log_groups_make_the_joins_errors(aws, scan):
    _estate(boto3.Session())
    aws.faults.append(Fault(service="logs", operation="DescribeLogGroups"))

    result = scan({"regions": [EAST]}, policies=[FUNCTION_LOGS, STAGE_LOGS])

    assert aws.faults[0].hits
    statuses = {(f.policy_id, f.resource.name): f.status for f in result.findings}
    assert set(statuses.values()) == {Status.ERROR}
    assert len(statuses) == 6

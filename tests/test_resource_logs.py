"""aws.logs.log_group and aws.apigateway.account on moto: one DescribeLogGroups listing per
account-region, GetAccount once per account-region, and every failure an error finding."""

from __future__ import annotations

from datetime import datetime

import boto3
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.faultproxy import Fault
from tests.support import by_name

ACCOUNT = estate.MANAGEMENT_ACCOUNT
EAST, WEST = "us-east-1", "eu-west-1"
RETENTION = "logs-retention-set"
ROLE = "apigateway-account-logging-role"


def _groups(session: boto3.Session) -> None:
    estate.create_log_group(session, EAST, "/aws/lambda/kept", events=("START",))
    estate.set_log_retention(session, EAST, "/aws/lambda/kept", 30)
    estate.create_log_group(session, EAST, "/aws/lambda/forever")
    estate.create_log_group(session, EAST, "/aws/lambda/brief")
    estate.set_log_retention(session, EAST, "/aws/lambda/brief", 3)
    estate.create_log_group(session, WEST, "west-app")
    estate.set_log_retention(session, WEST, "west-app", 365)


def test_log_groups_and_their_retention(aws, scan):
    _groups(boto3.Session())
    aws.seen.clear()

    result = scan({"regions": [EAST, WEST]}, policies=[RETENTION])

    assert not result.errors
    groups = by_name(result, RETENTION)
    assert {name: f.status for name, f in groups.items()} == {
        "/aws/lambda/kept": Status.PASS, "/aws/lambda/forever": Status.FAIL,
        "/aws/lambda/brief": Status.FAIL, "west-app": Status.PASS}
    assert groups["/aws/lambda/forever"].message == \
        "its events never expire (no retention period is set)"
    assert groups["/aws/lambda/brief"].message.startswith("it keeps events for 3 days, fewer")
    kept = groups["/aws/lambda/kept"].resource
    assert (kept.type, kept.id, kept.region, kept.account_id) == \
        ("aws.logs.log_group", "/aws/lambda/kept", EAST, ACCOUNT)
    assert kept.arn == f"arn:aws:logs:{EAST}:{ACCOUNT}:log-group:/aws/lambda/kept"
    assert groups["west-app"].resource.region == WEST
    # One listing per account-region, nothing per group.
    assert {op: n for op, n in aws.seen.items() if op.startswith("logs:")} == \
        {"logs:DescribeLogGroups": 2}


def test_stored_bytes_kms_key_and_creation_time(aws, scan, tmp_path):
    from tests.support import write_probe

    _groups(boto3.Session())
    probe = write_probe(tmp_path, "probe", "aws.logs.log_group", {"all": [
        {"attribute": "stored_bytes", "gte": 0}, {"attribute": "kms_key_id", "exists": False},
        {"attribute": "creation_time", "exists": True}]})

    result = scan({"regions": [EAST]}, policy_paths=[probe])

    found = by_name(result, "probe")
    assert found["/aws/lambda/kept"].evidence["stored_bytes"] == len("START")
    assert found["/aws/lambda/forever"].evidence["stored_bytes"] == 0
    created = datetime.fromisoformat(found["/aws/lambda/kept"].evidence["creation_time"])
    assert created.utcoffset() is not None and created.year >= 2024
    assert {f.status for f in found.values()} == {Status.PASS}


def test_a_failed_log_group_listing_is_an_error_never_a_pass(aws, scan):
    _groups(boto3.Session())
    aws.faults.append(Fault(service="logs", operation="DescribeLogGroups", region=EAST))

    result = scan({"regions": [EAST, WEST]}, policies=[RETENTION])

    assert aws.faults[0].hits
    east = [f for f in result.findings if f.resource.region == EAST]
    assert [(f.resource.id, f.status) for f in east] == [("*", Status.ERROR)]
    assert "DescribeLogGroups" in east[0].message
    assert statuses_in(result, WEST) == {"west-app": Status.PASS}


def statuses_in(result, region: str) -> dict[str, Status]:
    return {f.resource.name: f.status for f in result.findings if f.resource.region == region}


def test_the_api_gateway_role_where_rest_apis_live(aws, scan):
    session = boto3.Session()
    estate.create_rest_api(session, EAST, "orders-api", [estate.Stage("prod")])
    estate.create_rest_api(session, WEST, "partners-api", [estate.Stage("prod")])
    role = estate.set_apigateway_logs_role(session, EAST, "apigateway-logs")
    estate.create_http_api(session, "ap-southeast-2", "hooks", [estate.Stage("prod")])
    aws.seen.clear()

    result = scan({"regions": [EAST, WEST, "ap-southeast-2"]}, policies=[ROLE])

    regions = by_name(result, ROLE)
    assert {name: f.status for name, f in regions.items()} == {
        EAST: Status.PASS, WEST: Status.FAIL, "ap-southeast-2": Status.PASS}
    assert regions[EAST].evidence["cloudwatch_role_arn"] == role
    assert regions[EAST].message == f"API Gateway writes logs with {role}"
    assert regions[WEST].message.startswith("1 REST API(s) here, but API Gateway has no")
    assert regions["ap-southeast-2"].message == "no REST APIs in this region: no role needed"
    west = regions[WEST].resource
    assert (west.type, west.id, west.arn) == ("aws.apigateway.account", f"{ACCOUNT}/{WEST}",
                                              f"arn:aws:apigateway:{WEST}::/account")
    # One GetAccount per account-region; the REST API listing is the stages' shared one.
    assert aws.seen["apigateway:GET /account"] == 3
    assert aws.seen["apigateway:GET /restapis"] == 3


def test_a_denied_get_account_is_an_error(aws, scan):
    session = boto3.Session()
    estate.create_rest_api(session, EAST, "orders-api", [estate.Stage("prod")])
    aws.faults.append(Fault(service="apigateway", operation="GetAccount"))

    result = scan({"regions": [EAST]}, policies=[ROLE])

    assert aws.faults[0].hits
    [finding] = result.findings
    assert finding.status is Status.ERROR
    assert "GetAccount" in finding.message

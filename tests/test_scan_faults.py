"""What cannot be read is an error finding, never a pass; the rest is still evaluated."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from preflight_scanner.aws import Sessions
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.faultproxy import Fault

EAST, WEST = "us-east-1", "eu-west-1"


@pytest.fixture
def two_accounts(aws):
    """An organization with prod and staging members, each with a table and a bucket."""
    ids = estate.create_organization(["prod", "staging"])
    for name, pitr in (("prod", True), ("staging", False)):
        session = estate.account_session(ids[name])
        estate.create_table(session, EAST, f"{name}-orders", pitr=pitr,
                            autoscaling=("read", "write"))
        estate.create_bucket(session, EAST, f"{name}-assets-bucket", versioning="Enabled")
    config = {
        "regions": [EAST],
        "organization": True,
        "role_name": estate.MEMBER_ROLE,
        "accounts": [{"id": ids["prod"], "environment": "prod"},
                     {"id": ids["staging"], "environment": "staging"}],
    }
    return ids, config


def by_status(result, policy_id):
    return Counter(f.status for f in result.findings if f.policy_id == policy_id)


def test_access_denied_on_one_call_errors_exactly_the_policies_that_need_it(scan, aws, two_accounts):
    ids, config = two_accounts
    aws.faults.append(Fault(service="dynamodb", operation="DescribeContinuousBackups",
                            account=ids["prod"]))
    result = scan(config, policies=["dynamodb-pitr-enabled", "dynamodb-autoscaling-registered",
                                    "s3-versioning-enabled"])
    pitr = {f.resource.account_id: f for f in result.findings
            if f.policy_id == "dynamodb-pitr-enabled"}
    assert pitr[ids["prod"]].status is Status.ERROR
    assert "AccessDeniedException" in pitr[ids["prod"]].message
    assert pitr[ids["staging"]].status is Status.FAIL  # the other account is still judged
    assert by_status(result, "dynamodb-autoscaling-registered") == {Status.PASS: 2}
    assert by_status(result, "s3-versioning-enabled") == {Status.PASS: 2}
    [error] = [e for e in result.errors if e.account_id == ids["prod"]]
    assert (error.operation, error.code, error.resource_id) == (
        "DescribeContinuousBackups", "AccessDeniedException", "prod-orders")
    assert result.incomplete


def test_exit_code_3_when_incomplete_without_failures(aws, two_accounts, write_config, tmp_path,
                                                      capsys):
    ids, config = two_accounts
    aws.faults.append(Fault(service="s3", path=r"^/prod-assets-bucket", account=ids["prod"]))
    path = write_config(config)
    code = main(["scan", "--config", str(path), "--policies", "policies/s3-versioning-enabled.yml",
                 "--out", str(tmp_path / "out")])
    assert code == 3
    assert (tmp_path / "out" / "report.json").exists()
    assert "read error" in capsys.readouterr().out


def test_exit_code_1_beats_3_when_failures_exist(aws, two_accounts, write_config, tmp_path):
    ids, config = two_accounts
    aws.faults.append(Fault(service="s3", path=r"^/prod-assets-bucket", account=ids["prod"]))
    path = write_config(config)
    code = main(["scan", "--config", str(path), "--out", str(tmp_path / "out"),
                 "--policies", "policies/s3-versioning-enabled.yml",
                 "--policies", "policies/dynamodb-pitr-enabled.yml"])
    assert code == 1  # staging-orders has no PITR


def test_fail_on_threshold_decides_exit_code(aws, two_accounts, write_config, tmp_path):
    _, config = two_accounts
    path = write_config(config)
    args = ["scan", "--config", str(path), "--out", str(tmp_path / "out"),
            "--policies", "policies/dynamodb-pitr-enabled.yml"]  # severity high
    assert main([*args, "--fail-on", "high"]) == 1
    assert main([*args, "--fail-on", "critical"]) == 0


def test_an_account_whose_role_cannot_be_assumed_does_not_stop_the_others(scan, aws, two_accounts):
    ids, config = two_accounts
    aws.faults.append(Fault(service="sts", operation="AssumeRole", body=ids["staging"]))
    result = scan(config, policies=["dynamodb-pitr-enabled", "s3-versioning-enabled"])
    staging = [f for f in result.findings if f.resource.account_id == ids["staging"]]
    prod = [f for f in result.findings if f.resource.account_id == ids["prod"]]
    # One error per policy for the unreachable account, naming the role problem.
    assert sorted((f.policy_id, f.status, f.resource.id) for f in staging) == [
        ("dynamodb-pitr-enabled", Status.ERROR, "*"), ("s3-versioning-enabled", Status.ERROR, "*")]
    assert all("AssumeRole" in f.message for f in staging)
    assert {f.status for f in prod} == {Status.PASS}
    assert len(prod) == 2


def test_a_region_that_is_not_enabled_is_reported_per_policy(scan, aws, two_accounts):
    _, config = two_accounts
    config["regions"] = [EAST, WEST]
    aws.faults.append(Fault(region=WEST, status=403, code="UnrecognizedClientException",
                            message="The security token included in the request is invalid"))
    result = scan(config, policies=["dynamodb-pitr-enabled"])
    west = [f for f in result.findings if f.resource.region == WEST]
    assert len(west) == 3  # one per account (management too): every table there is unknown
    assert {f.status for f in west} == {Status.ERROR}
    assert all("UnrecognizedClientException" in f.message for f in west)
    east = [f for f in result.findings if f.resource.region == EAST]
    assert sorted(f.status.value for f in east) == ["fail", "pass"]


def test_a_failed_second_page_is_an_error_not_a_short_list(scan, aws):
    ddb = boto3.client("dynamodb", region_name=EAST)
    for i in range(101):  # ListTables pages at 100
        ddb.create_table(TableName=f"t{i:03d}", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    aws.faults.append(Fault(service="dynamodb", operation="ListTables",
                            body="ExclusiveStartTableName", status=500,
                            code="InternalServerError", message="boom"))
    result = scan({"regions": [EAST]}, policies=["dynamodb-pitr-enabled"],
                  sessions=Sessions(max_retries=2))
    assert [(f.status, f.resource.id) for f in result.findings] == [(Status.ERROR, "*")]
    assert "InternalServerError" in result.findings[0].message
    assert aws.faults[0].hits == 3  # the second page was asked for, and retried twice


def test_throttled_calls_are_retried_to_the_same_answer(scan, aws, two_accounts):
    _, config = two_accounts
    clean = scan(config, policies=["dynamodb-pitr-enabled", "s3-versioning-enabled"])
    aws.faults.append(Fault(service="dynamodb", status=400, code="ThrottlingException",
                            message="Rate exceeded", times=4))
    aws.faults.append(Fault(service="s3", status=503, code="SlowDown",
                            message="Please reduce your request rate", times=3))
    throttled = scan(config, policies=["dynamodb-pitr-enabled", "s3-versioning-enabled"])
    assert [f.to_dict() for f in throttled.findings] == [f.to_dict() for f in clean.findings]
    assert not throttled.errors
    assert all(f.hits == f.times for f in aws.faults)  # the faults really fired


def test_an_unassumable_account_gets_one_error_per_account_level_policy(scan, aws, two_accounts):
    ids, config = two_accounts
    config["regions"] = [EAST, WEST]
    aws.faults.append(Fault(service="sts", operation="AssumeRole", body=ids["staging"]))
    result = scan(config, policies=["budget-alerts-configured", "dynamodb-pitr-enabled"])
    staging = sorted((f.policy_id, f.resource.region) for f in result.findings
                     if f.resource.account_id == ids["staging"])
    assert staging == [("budget-alerts-configured", EAST),  # once: budgets are account-wide
                       ("dynamodb-pitr-enabled", WEST), ("dynamodb-pitr-enabled", EAST)]

"""aws.cognito.user_pool on moto: MFA configuration and tags from one DescribeUserPool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.support import by_name, write_probe

ACCOUNT = estate.MANAGEMENT_ACCOUNT
TYPE = "aws.cognito.user_pool"


def write_policy(tmp_path: Path, policy_id: str, check: dict[str, Any]) -> Path:
    return write_probe(tmp_path, policy_id, TYPE, check)


PROBE = {"all": [
    {"attribute": "mfa_configuration", "equals": "ON"},
    {"attribute": "tags", "exists": True},
    {"attribute": "deletion_protection", "exists": True},
]}


def test_mfa_configuration_tags_and_identity(aws, scan, tmp_path):
    session = boto3.Session()
    ids = {
        "required": estate.create_user_pool(session, "us-east-1", "required", mfa="ON",
                                            tags={"Environment": "prod", "Team": "identity"}),
        "optional": estate.create_user_pool(session, "us-east-1", "optional", mfa="OPTIONAL"),
        "off": estate.create_user_pool(session, "us-east-1", "off", tags={"Team": "web"}),
    }

    result = scan({"regions": ["us-east-1"]}, policy_paths=[write_policy(tmp_path, "probe", PROBE)])

    assert not result.errors
    pools = by_name(result, "probe")
    assert {name: f.evidence["mfa_configuration"] for name, f in pools.items()} == \
        {"required": "ON", "optional": "OPTIONAL", "off": "OFF"}
    assert {name: f.evidence["tags"] for name, f in pools.items()} == {
        "required": {"Environment": "prod", "Team": "identity"},
        "optional": {},
        "off": {"Team": "web"},
    }
    assert {f.evidence["deletion_protection"] for f in pools.values()} == {"INACTIVE"}
    assert {name: f.status for name, f in pools.items()} == \
        {"required": Status.PASS, "optional": Status.FAIL, "off": Status.FAIL}

    required = pools["required"].resource
    pool_id = ids["required"]
    assert (required.type, required.id, required.name, required.account_id, required.region) == \
        (TYPE, pool_id, "required", ACCOUNT, "us-east-1")
    assert required.arn == f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool_id}"
    # The Environment tag sets the resource's environment; untagged ones get the account's.
    assert required.environment == "prod"
    assert pools["off"].resource.environment == "default"


def test_pools_are_found_per_region(aws, scan):
    session = boto3.Session()
    estate.create_user_pool(session, "us-east-1", "east", mfa="ON", tags={"Environment": "prod"})
    west_id = estate.create_user_pool(session, "eu-west-1", "west", tags={"Environment": "prod"})

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["cognito-mfa-on-in-prod"])

    pools = by_name(result, "cognito-mfa-on-in-prod")
    assert set(pools) == {"east", "west"}
    west = pools["west"]
    assert west.resource.region == "eu-west-1"
    assert west.resource.arn == f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/{west_id}"
    assert west.status is Status.FAIL
    assert west.evidence == {"mfa_configuration": "OFF"}


# --- call economy ---------------------------------------------------------------------------


def test_pools_listed_once_per_region_and_described_once_each(aws, scan):
    session = boto3.Session()
    for i in range(4):
        estate.create_user_pool(session, "us-east-1", f"pool-{i}", tags={"Environment": "prod"})
    estate.create_user_pool(session, "eu-west-1", "west", tags={"Environment": "prod"})
    aws.seen.clear()

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["cognito-mfa-on-in-prod"])

    assert len(result.findings) == 5
    assert aws.seen["cognito-idp:ListUserPools"] == 2
    # Tags (for the environment scope) and MFA come back from the same call.
    assert aws.seen["cognito-idp:DescribeUserPool"] == 5
    assert aws.seen["cognito-idp:ListTagsForResource"] == 0
    assert aws.seen["cognito-idp:GetUserPoolMfaConfig"] == 0
    assert result.api_calls == sum(aws.seen.values()) == 1 + 2 + 5


def test_no_policy_on_pools_means_no_cognito_calls(aws, scan):
    estate.create_user_pool(boto3.Session(), "us-east-1", "pool")
    aws.seen.clear()

    scan({"regions": ["us-east-1"]}, policies=["dynamodb-pitr-enabled"])

    assert not [op for op in aws.seen if op.startswith("cognito-idp:")]
    assert aws.seen["dynamodb:ListTables"] == 1

"""aws.secretsmanager.secret on moto: rotation from the ListSecrets listing alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.faultproxy import Fault
from tests.support import by_name

ACCOUNT = estate.MANAGEMENT_ACCOUNT
TYPE = "aws.secretsmanager.secret"
PROD = {"Environment": "prod"}
POLICIES = ["secretsmanager-rotation-enabled", "secretsmanager-rotated-recently"]


def _estate() -> dict[str, str]:
    session = boto3.Session()
    return {
        "rotating": estate.create_secret(session, "us-east-1", "rotating", rotate_every_days=30,
                                         tags={**PROD, "Team": "orders"}),
        "static": estate.create_secret(session, "us-east-1", "static", tags=PROD),
        "staging": estate.create_secret(session, "us-east-1", "staging-only"),
    }


def test_rotation_and_last_rotation_come_from_the_listing(aws, scan):
    arns = _estate()
    sessions = Sessions()

    result = scan({"regions": ["us-east-1"]}, policies=POLICIES, sessions=sessions)

    assert not result.errors
    enabled = by_name(result, "secretsmanager-rotation-enabled")
    recent = by_name(result, "secretsmanager-rotated-recently")
    # The untagged secret is in the account's environment, not prod: out of scope.
    assert set(enabled) == set(recent) == {"rotating", "static"}
    assert {n: f.status for n, f in enabled.items()} == {"rotating": Status.PASS,
                                                         "static": Status.FAIL}
    assert {n: f.status for n, f in recent.items()} == {"rotating": Status.PASS,
                                                        "static": Status.FAIL}
    assert enabled["rotating"].message == "automatic rotation is on, every 30 days"
    assert recent["static"].message == "the secret has never been rotated"
    rotated = datetime.fromisoformat(recent["rotating"].evidence["last_rotated"])
    assert abs(rotated - datetime.now(UTC)) < timedelta(minutes=5)
    ref = enabled["rotating"].resource
    assert (ref.type, ref.id, ref.arn, ref.account_id, ref.environment) == \
        (TYPE, "rotating", arns["rotating"], ACCOUNT, "prod")
    # Both policies read the one listing: no call per secret.
    assert sessions.call_log.counts == {"sts:GetCallerIdentity": 1,
                                        "secretsmanager:ListSecrets": 1}


def test_a_failed_listing_is_an_error_for_every_policy_never_a_pass(aws, scan):
    _estate()
    aws.faults.append(Fault(service="secretsmanager", operation="ListSecrets"))

    result = scan({"regions": ["us-east-1"], "accounts": [{"id": ACCOUNT,
                                                           "environment": "prod"}]},
                  policies=POLICIES)

    assert aws.faults[0].hits
    assert {(f.policy_id, f.resource.id, f.status) for f in result.findings} == {
        (policy, "*", Status.ERROR) for policy in POLICIES}

"""preflight iac for secrets (joined with their rotation resource) and WAF web ACLs (their
IP-set block rules), CloudFormation and Terraform, at each finding's file:line; and the same
verdict live on moto as planned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.iac import run_iac
from preflight_scanner.policy import load_policies

from tests.support import BUILTIN_POLICIES

STACK = "tests/data/iac/secwaf/stack.yaml"
TF = "tests/data/iac/secwaf/terraform/main.tf"
IDS = ["secretsmanager-rotation-enabled", "secretsmanager-rotated-recently",
       "wafv2-ip-block-rule"]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # paths relative to the repo
    monkeypatch.setattr("preflight_scanner.iac.run.now",
                        lambda: datetime(2027, 1, 1, tzinfo=UTC))


def _table(*paths: str) -> set[tuple[str, str, str, str]]:
    policies = [p for p in load_policies([BUILTIN_POLICIES]) if p.id in IDS]
    result = run_iac(list(paths), load_config(None), policies, environment="prod")
    return {(f.policy_id, f.status.value, f.resource.name, f.location.describe())
            for f in result.findings}


def test_cloudformation_joins_the_rotation_schedule_and_reads_block_rules() -> None:
    # last_rotated exists only after deployment: secretsmanager-rotated-recently does not
    # apply to a template. A pass points at the resource, a failure at what decided it.
    assert _table(STACK) == {
        ("secretsmanager-rotation-enabled", "pass", "orders-db", f"{STACK}:4"),
        ("secretsmanager-rotation-enabled", "fail", "partner-api-key", f"{STACK}:16"),
        ("wafv2-ip-block-rule", "pass", "orders-api", f"{STACK}:27"),
        # A Count rule over the set blocks nothing.
        ("wafv2-ip-block-rule", "fail", "shop-cdn", f"{STACK}:49"),
    }


def test_terraform_joins_the_secret_rotation_and_reads_block_rules() -> None:
    assert _table("tests/data/iac/secwaf/terraform") == {
        ("secretsmanager-rotation-enabled", "pass", "orders-db", f"{TF}:1"),
        ("secretsmanager-rotation-enabled", "fail", "partner-api-key", f"{TF}:14"),
        ("wafv2-ip-block-rule", "pass", "orders-api", f"{TF}:25"),
        ("wafv2-ip-block-rule", "fail", "shop-edge", f"{TF}:69"),
    }


def test_same_verdict_live_and_planned(scan, aws, tmp_path: Path) -> None:
    session = boto3.Session()
    estate.create_secret(session, "us-east-1", "orders-db", rotate_every_days=30)
    estate.create_secret(session, "us-east-1", "partner-api-key")
    estate.create_web_acl(session, "orders-api", block_ip_set=True)
    estate.create_web_acl(session, "shop-cdn", scope="CLOUDFRONT")
    live = scan({"default_environment": "prod"}, policies=IDS)
    live_status = {(f.policy_id, f.resource.name): f.status.value for f in live.findings
                   if f.policy_id != "secretsmanager-rotated-recently"}
    planned = {(policy, name): status for policy, status, name, _ in _table(STACK)}
    assert planned == live_status
    assert len(planned) == 4

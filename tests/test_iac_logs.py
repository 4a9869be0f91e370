"""preflight iac on log groups and API Gateway's account settings: CloudFormation and a
Terraform plan give the same attributes the live scan reads (retention, the logging role)."""

from __future__ import annotations

from pathlib import Path

import pytest
from preflight_scanner.config import load_config
from preflight_scanner.iac import run_iac
from preflight_scanner.policy import load_policies

from tests.support import BUILTIN_POLICIES

DATA = "tests/data/iac/logs"
OURS = {"logs-retention-set", "apigateway-account-logging-role"}


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # paths relative to the repo


def _table(*paths: str) -> set[tuple[str, str, str, str]]:
    policies = [p for p in load_policies([BUILTIN_POLICIES]) if p.id in OURS]
    result = run_iac(list(paths), load_config(None), policies)
    return {(f.policy_id, f.status.value, f.resource.name, f.location.describe())
            for f in result.findings}


def test_cloudformation_log_groups_and_account_role() -> None:
    assert _table(f"{DATA}/cfn/template.yaml", f"{DATA}/cfn/no-role.yaml") == {
        ("logs-retention-set", "pass", "/aws/lambda/orders-handler", f"{DATA}/cfn/template.yaml:4"),
        # no RetentionInDays: never expires, pointed at the resource
        ("logs-retention-set", "fail", "audit", f"{DATA}/cfn/template.yaml:9"),
        # the role is another resource's ARN: set once deployed
        ("apigateway-account-logging-role", "pass", "ApiGatewayAccount",
         f"{DATA}/cfn/template.yaml:17"),
        ("apigateway-account-logging-role", "fail", "ApiGatewayAccount",
         f"{DATA}/cfn/no-role.yaml:8"),
    }


def test_terraform_plan_log_groups_and_account_role() -> None:
    tf = f"{DATA}/terraform/main.tf"
    assert _table(f"{DATA}/terraform") == {
        # 14 days is fewer than the 30 the policy asks for
        ("logs-retention-set", "fail", "/aws/lambda/orders-handler", f"{tf}:3"),
        # retention_in_days = 0 (the provider's "never expire")
        ("logs-retention-set", "fail", "audit", f"{tf}:6"),
        ("apigateway-account-logging-role", "pass", "aws_api_gateway_account.this", f"{tf}:14"),
    }

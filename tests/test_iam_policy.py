"""`preflight iam-policy`: read-only actions only, exactly those the loaded policies need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from preflight_scanner.aws import Sessions, is_read_operation
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo.run import seed_demo_estate
from preflight_scanner.iam import (
    READ_ACTIONS_OUTSIDE_THE_NAMING_RULE,
    actions_of,
    iam_action,
    iam_policy,
    is_read_action,
)
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY
from preflight_scanner.runbookcheck.run import required_calls

from tests.support import BUILTIN_POLICIES

POLICY_DIR = BUILTIN_POLICIES  # the installed pack, not the checkout's copy


def generate(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["iam-policy", *args]) == 0
    return json.loads(capsys.readouterr().out)


def policy_args(*ids: str) -> list[str]:
    return [arg for i in ids for arg in ("--policies", str(POLICY_DIR / f"{i}.yml"))]


def config_file(tmp_path: Path, config: dict) -> str:
    path = tmp_path / "preflight.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_every_declared_call_maps_to_a_read_action(type_name):
    rtype = REGISTRY[type_name]
    calls = [*rtype.list_calls, *(c for d in rtype.details for c in d.calls)]
    for call in calls:
        action, resources = iam_action(call)
        assert is_read_action(action), (call, action)
        assert resources, call


def test_the_full_pack_needs_only_reads_and_no_wildcards(capsys, tmp_path):
    config = config_file(tmp_path, {"organization": True, "role_name": "PreflightReadOnly",
                                    "accounts": [{"id": "111111111111", "environment": "prod",
                                                  "role_arn": "arn:aws:iam::111111111111:role/X"}]})
    document = generate(capsys, "--config", config)
    assert document["Version"] == "2012-10-17"
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}
    actions = actions_of(document)
    outside = {a for a in actions
               if not a.split(":")[1].startswith(("List", "Get", "Describe"))}
    # Nothing outside List/Get/Describe but AssumeRole, apigateway:GET and Budgets' reads.
    assert outside <= {"sts:AssumeRole", "apigateway:GET", "budgets:ViewBudget"}
    assert outside <= READ_ACTIONS_OUTSIDE_THE_NAMING_RULE
    assert not any("*" in a for a in actions)
    assert "sts:GetCallerIdentity" not in actions  # needs no permission
    assert "organizations:ListAccounts" in actions
    [assume] = [s for s in document["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert assume["Resource"] == ["arn:aws:iam::*:role/PreflightReadOnly",
                                  "arn:aws:iam::111111111111:role/X"]
    [gateway] = [s for s in document["Statement"] if s["Action"] == "apigateway:GET"]
    assert all(r.startswith("arn:aws:apigateway:*::/") for r in gateway["Resource"])
    assert "s3:ListAllMyBuckets" in actions and "s3:ListBuckets" not in actions


def test_only_the_details_the_loaded_policies_read(capsys):
    assert actions_of(generate(capsys, *policy_args("dynamodb-pitr-enabled"))) == {
        "dynamodb:ListTables", "dynamodb:DescribeContinuousBackups"}
    assert actions_of(generate(capsys, *policy_args("s3-versioning-enabled"))) == {
        "s3:ListAllMyBuckets", "s3:GetBucketVersioning"}
    document = generate(capsys, *policy_args("apigateway-stage-throttling"))
    assert actions_of(document) == {"apigateway:GET"}  # stages come with their listing
    assert document["Statement"][0]["Resource"] == [
        "arn:aws:apigateway:*::/apis", "arn:aws:apigateway:*::/apis/*/stages",
        "arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*/stages"]


def test_the_config_decides_tags_roles_discovery_and_disabled_policies(capsys, tmp_path):
    base = actions_of(generate(capsys, *policy_args("cognito-mfa-on-in-prod",
                                                    "dynamodb-throttle-alarm")))
    no_tags = config_file(tmp_path, {"environment_tag": None})
    assert "tag:GetResources" in base  # the environment tag decides the prod scope
    assert "tag:GetResources" not in actions_of(generate(
        capsys, "--config", no_tags, *policy_args("cognito-mfa-on-in-prod",
                                                  "dynamodb-throttle-alarm")))
    disabled = config_file(tmp_path, {"policies": {"dynamodb-throttle-alarm": {"enabled": False}}})
    assert actions_of(generate(capsys, "--config", disabled,
                               *policy_args("cognito-mfa-on-in-prod",
                                            "dynamodb-throttle-alarm"))) == {
        "cognito-idp:ListUserPools", "cognito-idp:DescribeUserPool"}
    assert "sts:AssumeRole" not in base and "organizations:ListAccounts" not in base


def test_a_bad_config_is_exit_2_with_its_line(capsys, tmp_path):
    path = tmp_path / "preflight.yml"
    path.write_text("regions: [us-east-1]\nrole_nam: x\n", encoding="utf-8")
    assert main(["iam-policy", "--config", str(path)]) == 2
    assert f"{path}:2" in capsys.readouterr().err


def test_other_partitions(capsys):
    document = generate(capsys, "--partition", "aws-cn", *policy_args("apigateway-stage-throttling"))
    assert all(r.startswith("arn:aws-cn:") for r in document["Statement"][0]["Resource"])


def test_the_declared_calls_cover_every_call_a_scan_makes(demo_aws, demo_scan, write_config):
    """A full scan of the demo estate (every resource type) issues no call the generated
    policy would not allow: the declarations the policy is built from are complete."""
    config = load_config(write_config(demo_aws.config))
    policies = load_policies([POLICY_DIR])
    sessions = demo_scan.sessions
    granted = actions_of(iam_policy(policies, config)) | {"sts:GetCallerIdentity"}
    made = {iam_action(call)[0] if call != "sts:GetCallerIdentity" else call
            for call in sessions.call_log.counts}
    assert made <= granted
    assert len(made) >= 15


RUNBOOKS = POLICY_DIR / "runbooks"
ORDERS = Path(__file__).parent / "data" / "runbooks-check" / "orders.md"


def test_runbooks_adds_what_a_check_of_those_runbooks_reads(capsys):
    scan_only = actions_of(generate(capsys, *policy_args("s3-versioning-enabled")))
    with_runbook = actions_of(generate(capsys, *policy_args("s3-versioning-enabled"),
                                       "--runbooks", str(ORDERS)))
    # orders.md reads log groups, metrics, tables (and their PITR, through the policy),
    # functions with their aliases and versions, and dashboards.
    assert with_runbook - scan_only >= {
        "logs:DescribeLogGroups", "cloudwatch:ListMetrics", "dynamodb:ListTables",
        "dynamodb:DescribeContinuousBackups", "lambda:ListFunctions", "lambda:ListAliases",
        "cloudwatch:ListDashboards"}
    assert "wafv2:ListIPSets" not in with_runbook  # no step of orders.md names an IP set
    assert scan_only <= with_runbook
    assert not {"logs:DescribeLogGroups", "cloudwatch:ListMetrics"} & scan_only


def test_runbook_calls_are_reads_the_guard_lets_through(capsys):
    """Every call a check of Preflight's own runbooks (or the test's) can make is a read by
    both the IAM rule here and the read-only guard in aws.py."""
    actions = actions_of(generate(capsys, "--runbooks", str(RUNBOOKS), "--runbooks",
                                  str(ORDERS)))
    assert {"logs:DescribeLogGroups", "cloudwatch:ListMetrics", "wafv2:ListIPSets"} <= actions
    assert all(is_read_action(a) for a in actions), actions
    calls = required_calls([str(RUNBOOKS), str(ORDERS)], load_config(None))
    assert [c for c in calls if not is_read_operation(*c.split(":"))] == []


def test_a_bad_runbook_is_exit_2(capsys, tmp_path):
    assert main(["iam-policy", "--runbooks", str(tmp_path / "missing.md")]) == 2
    assert "missing.md" in capsys.readouterr().err


def test_the_declared_runbook_calls_cover_every_call_a_check_makes(aws, write_config):
    """A check of all our runbooks on the demo estate (plus a WAF IP set) issues no call the
    policy from `iam-policy --runbooks` would not allow."""
    from preflight_scanner.demo import estate
    from preflight_scanner.runbookcheck import check_runbooks

    demo = seed_demo_estate()
    estate.create_ip_set(estate.account_session(estate.MANAGEMENT_ACCOUNT), "us-east-1",
                         "blocked")
    config = load_config(write_config(demo))
    sessions = Sessions()
    check_runbooks([str(RUNBOOKS)], config, sessions=sessions)
    granted = actions_of(iam_policy(load_policies([POLICY_DIR]), config,
                                    extra_calls=required_calls([str(RUNBOOKS)], config)))
    made = {iam_action(call)[0] for call in sessions.call_log.counts
            if call != "sts:GetCallerIdentity"}
    assert {"logs:DescribeLogGroups", "cloudwatch:ListMetrics", "wafv2:ListIPSets"} <= made
    assert made <= granted, made - granted

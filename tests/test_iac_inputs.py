"""preflight iac, the edges of its inputs: parameter files, CloudFormation conditions and
intrinsics, Terraform plan shapes (modules, indexes, deletes, data sources, unknown values,
waiver comments), discovery and the exit codes. Small inputs are written to tmp_path, which
is also the working directory, so finding locations read as short relative paths."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.errors import InputError
from preflight_scanner.iac import run_iac
from preflight_scanner.iac.discover import discover
from preflight_scanner.iac.filekind import kind_of
from preflight_scanner.iac.parameters import parse_parameters
from preflight_scanner.iac.values import Unknown
from preflight_scanner.models import ScanResult, Status
from preflight_scanner.policy import load_policies

from tests.support import BUILTIN_POLICIES

POLICIES = BUILTIN_POLICIES  # the installed pack, not the checkout's copy


NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)  # the waivers written below expire 2027-01-31


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # locations relative to tmp_path: "app.yaml:12"
    monkeypatch.setattr("preflight_scanner.iac.run.now", lambda: NOW)


def _write(name: str, text: str) -> str:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return name


def _policy(policy_id: str) -> str:
    return str(POLICIES / f"{policy_id}.yml")


def _run(paths: list[str], *ids: str, **kwargs: Any) -> ScanResult:
    policies = [p for p in load_policies([POLICIES]) if p.id in ids]
    assert {p.id for p in policies} == set(ids), "unknown policy id in the test"
    return run_iac(paths, load_config(None), policies, **kwargs)


def _verdicts(result: ScanResult) -> dict[tuple[str, str], str]:
    return {(f.policy_id, f.resource.name): f.status.value for f in result.findings}


def _finding(result: ScanResult, policy_id: str, name: str):
    matches = [f for f in result.findings if f.policy_id == policy_id and f.resource.name == name]
    assert len(matches) == 1, _verdicts(result)
    return matches[0]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["iac", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _clean_input_error(err: str, *names: str) -> str:
    """The single `error:` line of an input error; no traceback, every name in it."""
    assert "Traceback" not in err and "internal error" not in err
    lines = err.splitlines()
    assert lines[-1] == "1 problem(s) found", err
    assert len(lines) == 2, f"the message spans several lines:\n{err}"
    for name in names:
        assert name in lines[0]
    return lines[0]


def _line_of(path: str, needle: str) -> int:
    numbers = [n for n, line in enumerate(Path(path).read_text().splitlines(), 1) if needle in line]
    assert len(numbers) == 1, (needle, numbers)
    return numbers[0]


# -- 1. parameters ------------------------------------------------------------------------

def test_parameters_file_in_cloudformation_list_form() -> None:
    _write("params.json", json.dumps([
        {"ParameterKey": "Env", "ParameterValue": "prod"},
        {"ParameterKey": "Pitr", "ParameterValue": "true"},
    ]))
    assert parse_parameters([], ["params.json"]) == {"Env": "prod", "Pitr": "true"}


def test_parameters_file_as_yaml_map_turns_booleans_numbers_and_lists_into_text() -> None:
    _write("params.yaml", """
        Env: prod
        Pitr: true
        Versioning: false
        Capacity: 5
        Subnets: [subnet-a, subnet-b]
    """)
    assert parse_parameters([], ["params.yaml"]) == {
        "Env": "prod", "Pitr": "true", "Versioning": "false", "Capacity": "5",
        "Subnets": "subnet-a,subnet-b"}


def test_parameters_file_keeps_on_and_off_as_written() -> None:
    _write("params.yaml", "MfaMode: ON\nFallback: OFF\nOff: 'x'\n")
    assert parse_parameters([], ["params.yaml"]) == {
        "MfaMode": "ON", "Fallback": "OFF", "Off": "x"}


def test_parameters_file_as_json_map() -> None:
    _write("params.json", json.dumps({"Env": "staging", "Pitr": False}))
    assert parse_parameters([], ["params.json"]) == {"Env": "staging", "Pitr": "false"}


def test_parameters_file_in_cloudformation_deploy_wrapper() -> None:
    _write("deploy.json", json.dumps({"Parameters": {"Env": "prod"}, "Tags": {"team": "x"}}))
    _write("wrapped-list.json", json.dumps(
        {"Parameters": [{"ParameterKey": "Pitr", "ParameterValue": "false"}]}))
    assert parse_parameters([], ["deploy.json"]) == {"Env": "prod"}
    assert parse_parameters([], ["wrapped-list.json"]) == {"Pitr": "false"}


def test_later_parameters_file_wins_and_parameter_flag_wins_over_files() -> None:
    _write("base.yaml", "Env: dev\nPitr: 'false'\nTeam: core\n")
    _write("prod.json", json.dumps([{"ParameterKey": "Env", "ParameterValue": "prod"},
                                    {"ParameterKey": "Pitr", "ParameterValue": "true"}]))
    assert parse_parameters([], ["base.yaml", "prod.json"]) == {
        "Env": "prod", "Pitr": "true", "Team": "core"}
    assert parse_parameters(["Pitr=false", "Url=https://x?a=b"], ["base.yaml", "prod.json"]) == {
        "Env": "prod", "Pitr": "false", "Team": "core", "Url": "https://x?a=b"}


PITR_TEMPLATE = """
    Parameters:
      Pitr:
        Type: String
        AllowedValues: ["true", "false"]
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: orders
          BillingMode: PAY_PER_REQUEST
          PointInTimeRecoverySpecification:
            PointInTimeRecoveryEnabled: !Ref Pitr
"""


@pytest.mark.parametrize(("source", "expected"), [
    ("Pitr: true\n", "pass"),  # a YAML boolean in a map
    ("Pitr: 'false'\n", "fail"),
    ('[{"ParameterKey": "Pitr", "ParameterValue": "true"}]', "pass"),
    ('{"Parameters": {"Pitr": false}}', "fail"),
])
def test_parameter_value_from_a_file_decides_the_pitr_verdict(source: str, expected: str) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("params.yaml", source)
    parameters = parse_parameters([], ["params.yaml"])
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", parameters=parameters)
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): expected}


def test_parameter_using_its_previous_value_is_unknown_before_deployment() -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("params.json", json.dumps([{"ParameterKey": "Pitr", "UsePreviousValue": True}]))
    parameters = parse_parameters([], ["params.json"])
    assert isinstance(parameters["Pitr"], Unknown)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", parameters=parameters)
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): "error"}
    assert "parameter Pitr uses its previous value, unknown before deployment" in \
        result.findings[0].message
    assert parse_parameters(["Pitr=true"], ["params.json"]) == {"Pitr": "true"}


def test_parameter_outside_its_allowed_values_is_never_a_pass() -> None:
    _write("app.yaml", PITR_TEMPLATE)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", parameters={"Pitr": "maybe"})
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): "error"}


def test_cli_parameters_file_then_parameter_flag(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("params.yaml", "Pitr: true\n")
    code, out, _ = _cli(capsys, "app.yaml", "--parameters-file", "params.yaml",
                        "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out")
    assert code == 0
    assert "1 pass, 0 fail, 0 error" in out
    code, out, _ = _cli(capsys, "app.yaml", "--parameters-file", "params.yaml",
                        "--parameter", "Pitr=false",
                        "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out")
    assert code == 1
    assert "app.yaml:12: fail dynamodb-pitr-enabled [high] orders" in out


@pytest.mark.parametrize(("name", "content"), [
    ("scalar.yaml", "just some text\n"),
    ("numbers.json", "[1, 2, 3]\n"),
    ("mixed.json", '[{"ParameterKey": "Env", "ParameterValue": "prod"}, "Pitr=true"]\n'),
])
def test_parameters_file_that_is_not_a_list_or_map_exits_2(
        capsys: pytest.CaptureFixture[str], name: str, content: str) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write(name, content)
    code, _, err = _cli(capsys, "app.yaml", "--parameters-file", name, "--out", "out")
    assert code == 2
    line = _clean_input_error(err, name)
    assert "[{ParameterKey, ParameterValue}] list or a {Key: Value} map" in line
    assert not Path("out").exists()


def test_parameters_file_with_invalid_yaml_exits_2_naming_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("broken.yaml", "Env: prod\nPitr: [true, false\n")
    code, out, err = _cli(capsys, "app.yaml", "--parameters-file", "broken.yaml", "--out", "out")
    assert (code, out) == (2, "")
    assert err.startswith("error: broken.yaml:") and "cannot read parameters" in err
    assert "Traceback" not in err and "internal error" not in err


def test_parameters_file_with_invalid_yaml_is_one_line_with_its_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("broken.yaml", "Env: prod\nPitr: [true, false\n")
    code, _, err = _cli(capsys, "app.yaml", "--parameters-file", "broken.yaml", "--out", "out")
    assert code == 2
    line = _clean_input_error(err, "broken.yaml")
    assert line.startswith(("error: broken.yaml:2:", "error: broken.yaml:3:"))
    assert "<unicode string>" not in line


def test_missing_parameters_file_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    code, _, err = _cli(capsys, "app.yaml", "--parameters-file", "missing.json", "--out", "out")
    assert code == 2
    assert "missing.json" in err and "Traceback" not in err
    with pytest.raises(InputError, match=re.escape("missing.json: cannot read parameters")):
        parse_parameters([], ["missing.json"])


@pytest.mark.parametrize("pair", ["Pitr", "=true"])
def test_parameter_flag_without_key_and_equals_exits_2(
        capsys: pytest.CaptureFixture[str], pair: str) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    code, _, err = _cli(capsys, "app.yaml", "--parameter", pair, "--out", "out")
    assert code == 2
    line = _clean_input_error(err, "--parameter", repr(pair))
    assert "is not Key=Value" in line


LIST_TEMPLATE = """
    Parameters:
      Names:
        Type: CommaDelimitedList
        Default: "first-default,second-default"
      Subnets:
        Type: List<AWS::EC2::Subnet::Id>
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: !Select [1, !Ref Names]
          BillingMode: PAY_PER_REQUEST
      Bucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Join ["+", !Ref Subnets]
"""


def test_list_parameters_are_split_on_commas() -> None:
    _write("app.yaml", LIST_TEMPLATE)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", "s3-versioning-enabled",
                  parameters={"Names": "a, b ,c", "Subnets": "subnet-1, subnet-2"})
    assert set(_verdicts(result)) == {("dynamodb-pitr-enabled", "b"),
                                      ("s3-versioning-enabled", "subnet-1+subnet-2")}


def test_list_parameter_default_and_list_from_a_yaml_map_are_split() -> None:
    _write("app.yaml", LIST_TEMPLATE)
    _write("params.yaml", "Subnets: [subnet-x, subnet-y, subnet-z]\n")
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", "s3-versioning-enabled",
                  parameters=parse_parameters([], ["params.yaml"]))
    assert set(_verdicts(result)) == {("dynamodb-pitr-enabled", "second-default"),
                                      ("s3-versioning-enabled", "subnet-x+subnet-y+subnet-z")}


# -- 2. CloudFormation conditions and intrinsics ---------------------------------------------

CONDITIONS_HEAD = """
    Parameters:
      Env:
        Type: String
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
      IsStaging: !Equals [!Ref Env, staging]
      ProdOrStaging: !Or [!Condition IsProd, !Condition IsStaging]
      NotProd: !Not [!Condition IsProd]
      ProdInEast: !And [!Condition IsProd, !Equals [!Ref "AWS::Region", us-east-1]]
      NestedNot: !Not [!Condition ProdOrStaging]
      AlwaysOr: !Or [!Condition IsProd, !Equals [a, a]]
      NeverAnd: !And [!Condition IsProd, !Equals [a, b]]
    Resources:
"""
CONDITIONS = ["IsProd", "IsStaging", "ProdOrStaging", "NotProd", "ProdInEast", "NestedNot",
              "AlwaysOr", "NeverAnd", None]


def _conditions_template() -> str:
    """One versioned bucket per condition (named after it, lower case), and one without."""
    lines = [textwrap.dedent(CONDITIONS_HEAD).strip("\n")]
    for condition in CONDITIONS:
        name = condition or "Unconditional"
        lines += [f"  {name}Bucket:", "    Type: AWS::S3::Bucket"]
        if condition:
            lines.append(f"    Condition: {condition}")
        lines += ["    Properties:", f"      BucketName: {name.lower()}",
                  "      VersioningConfiguration: {Status: Enabled}"]
    return _write("conditions.yaml", "\n".join(lines) + "\n")


@pytest.mark.parametrize(("env", "region", "created"), [
    ("prod", "us-east-1", {"isprod", "prodorstaging", "prodineast", "alwaysor"}),
    ("prod", "eu-west-1", {"isprod", "prodorstaging", "alwaysor"}),
    ("staging", "us-east-1", {"isstaging", "prodorstaging", "notprod", "alwaysor"}),
    ("dev", "us-east-1", {"notprod", "nestednot", "alwaysor"}),
])
def test_conditions_and_or_not_and_nested_references_decide_which_resources_exist(
        env: str, region: str, created: set[str]) -> None:
    path = _conditions_template()
    result = _run([path], "s3-versioning-enabled", parameters={"Env": env}, region=region)
    assert _verdicts(result) == {("s3-versioning-enabled", name): "pass"
                                 for name in created | {"unconditional"}}


def test_condition_on_a_parameter_without_value_makes_errors_naming_the_condition() -> None:
    path = _conditions_template()
    result = _run([path], "s3-versioning-enabled")
    assert _verdicts(result) == {
        ("s3-versioning-enabled", "unconditional"): "pass",
        ("s3-versioning-enabled", "alwaysor"): "pass",  # Or with a true side: known
        # NeverAnd (And with a false side) is known not to exist
        **{("s3-versioning-enabled", c.lower()): "error"
           for c in ["IsProd", "IsStaging", "ProdOrStaging", "NotProd", "ProdInEast",
                     "NestedNot"]},
    }
    for condition in ["ProdOrStaging", "NestedNot"]:
        message = _finding(result, "s3-versioning-enabled", condition.lower()).message
        assert f"condition {condition}" in message
        assert "parameter Env has no value" in message


def test_circular_and_missing_conditions_are_errors_naming_them() -> None:
    _write("app.yaml", """
        Conditions:
          Loop: !Condition Back
          Back: !Not [!Condition Loop]
        Resources:
          Circular:
            Type: AWS::S3::Bucket
            Condition: Loop
            Properties: {BucketName: circular, VersioningConfiguration: {Status: Enabled}}
          Dangling:
            Type: AWS::S3::Bucket
            Condition: Missing
            Properties: {BucketName: dangling, VersioningConfiguration: {Status: Enabled}}
    """)
    result = _run(["app.yaml"], "s3-versioning-enabled")
    assert _verdicts(result) == {("s3-versioning-enabled", "circular"): "error",
                                 ("s3-versioning-enabled", "dangling"): "error"}
    assert "refers to itself" in _finding(result, "s3-versioning-enabled", "circular").message
    assert "no condition Missing in the template" in \
        _finding(result, "s3-versioning-enabled", "dangling").message


NOVALUE_TEMPLATE = """
    Parameters:
      Env:
        Type: String
        Default: dev
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: orders
          BillingMode: PAY_PER_REQUEST
          PointInTimeRecoverySpecification: !If
            - IsProd
            - PointInTimeRecoveryEnabled: true
            - !Ref AWS::NoValue
          DeletionProtectionEnabled: !If [IsProd, true, !Ref "AWS::NoValue"]
      Bucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: assets
          VersioningConfiguration:
            Status: !If [IsProd, Enabled, !Ref "AWS::NoValue"]
"""


@pytest.mark.parametrize(("env", "expected"), [("prod", "pass"), ("dev", "fail")])
def test_if_with_novalue_removes_the_property_so_its_default_applies(env: str,
                                                                     expected: str) -> None:
    _write("app.yaml", NOVALUE_TEMPLATE)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", "dynamodb-deletion-protection",
                  "s3-versioning-enabled", parameters={"Env": env}, environment="prod")
    assert _verdicts(result) == {
        ("dynamodb-pitr-enabled", "orders"): expected,
        ("dynamodb-deletion-protection", "orders"): expected,
        ("s3-versioning-enabled", "assets"): expected,
    }


FINDINMAP_TEMPLATE = """
    Mappings:
      RegionMap:
        us-east-1: {Pitr: true}
        eu-west-1: {Pitr: "false"}
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: orders
          BillingMode: PAY_PER_REQUEST
          PointInTimeRecoverySpecification:
            PointInTimeRecoveryEnabled: !FindInMap [RegionMap, !Ref "AWS::Region", Pitr]
"""


@pytest.mark.parametrize(("region", "expected"), [
    ("us-east-1", "pass"), ("eu-west-1", "fail"), ("ap-south-1", "error")])
def test_findinmap_keyed_on_the_region(region: str, expected: str) -> None:
    _write("app.yaml", FINDINMAP_TEMPLATE)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", region=region)
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): expected}
    if expected == "error":
        assert "FindInMap" in result.findings[0].message


def test_cli_region_reaches_findinmap_and_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", FINDINMAP_TEMPLATE)
    code, out, _ = _cli(capsys, "app.yaml", "--region", "eu-west-1",
                        "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out")
    assert code == 1
    assert "app.yaml:12: fail dynamodb-pitr-enabled [high] orders" in out
    report = json.loads(Path("out/report.json").read_text())
    assert report["scan"]["regions"] == ["eu-west-1"]
    assert [f["resource"]["region"] for f in report["findings"]] == ["eu-west-1"]


def test_import_value_is_an_error_naming_the_import() -> None:
    _write("app.yaml", """
        Parameters:
          Env: {Type: String, Default: prod}
        Resources:
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: orders
              BillingMode: PAY_PER_REQUEST
              PointInTimeRecoverySpecification:
                PointInTimeRecoveryEnabled: !ImportValue shared-pitr
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: assets
              VersioningConfiguration:
                Status:
                  Fn::ImportValue: !Sub "${Env}-versioning"
    """)
    result = _run(["app.yaml"], "dynamodb-pitr-enabled", "s3-versioning-enabled")
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): "error",
                                 ("s3-versioning-enabled", "assets"): "error"}
    assert "shared-pitr" in _finding(result, "dynamodb-pitr-enabled", "orders").message
    assert "prod-versioning" in _finding(result, "s3-versioning-enabled", "assets").message


# -- 3. Terraform plans -------------------------------------------------------------------

def _change(address: str, type_name: str, after: dict[str, Any] | None,
            unknown: dict[str, Any] | None = None, actions: tuple[str, ...] = ("create",),
            mode: str = "managed") -> dict[str, Any]:
    local = address.split(".")[-1].split("[")[0]
    entry: dict[str, Any] = {"address": address, "mode": mode, "type": type_name, "name": local}
    if address.startswith("module."):
        entry["module_address"] = ".".join(address.split(".")[:2])
    entry["change"] = {"actions": list(actions), "after": after, "after_unknown": unknown or {}}
    return entry


def _plan(path: str, *changes: dict[str, Any], configuration: dict[str, Any] | None = None
          ) -> str:
    document: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.7.5",
                                "resource_changes": list(changes)}
    if configuration is not None:
        document["configuration"] = configuration
    return _write(path, json.dumps(document, indent=2) + "\n")


def _address_line(plan: str, address: str) -> int:
    return _line_of(plan, f'"address": {json.dumps(address)}')


TABLE_NO_PITR = {"name": "orders", "billing_mode": "PAY_PER_REQUEST",
                 "point_in_time_recovery": [{"enabled": False}]}


def test_plan_without_tf_files_points_at_the_address_line_in_the_plan() -> None:
    plan = _plan("plan/plan.json",
                 _change("aws_s3_bucket.assets", "aws_s3_bucket", {"bucket": "assets"}),
                 _change("aws_dynamodb_table.orders", "aws_dynamodb_table", TABLE_NO_PITR))
    result = _run([plan], "dynamodb-pitr-enabled", "s3-versioning-enabled")
    located = {(f.policy_id, f.status.value, f.location.describe()) for f in result.findings}
    assert located == {
        ("s3-versioning-enabled", "fail",
         f"plan/plan.json:{_address_line(plan, 'aws_s3_bucket.assets')}"),
        ("dynamodb-pitr-enabled", "fail",
         f"plan/plan.json:{_address_line(plan, 'aws_dynamodb_table.orders')}"),
    }


MAIN_TF = """
    resource "aws_dynamodb_table" "orders" {
      name         = "orders"
      billing_mode = "PAY_PER_REQUEST"
      hash_key     = "pk"

      point_in_time_recovery {
        enabled = false
      }
    }

    resource "aws_s3_bucket" "assets" {
      bucket = "assets"
    }
"""


def test_source_dir_elsewhere_moves_findings_to_the_tf_lines(
        capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan("build/plan.json",
                 _change("aws_s3_bucket.assets", "aws_s3_bucket", {"bucket": "assets"}),
                 _change("aws_dynamodb_table.orders", "aws_dynamodb_table", TABLE_NO_PITR))
    _write("infra/main.tf", MAIN_TF)
    result = _run([plan], "dynamodb-pitr-enabled", "s3-versioning-enabled",
                  source_dirs=["infra"])
    assert {(f.policy_id, f.location.describe()) for f in result.findings} == {
        ("dynamodb-pitr-enabled", "infra/main.tf:6"),  # the point_in_time_recovery block
        ("s3-versioning-enabled", "infra/main.tf:11"),
    }
    code, out, _ = _cli(capsys, plan, "--source", "infra", "--out", "out",
                        "--policies", _policy("dynamodb-pitr-enabled"))
    assert code == 1
    assert "infra/main.tf:6: fail dynamodb-pitr-enabled [high] orders" in out


WAIVERS_TF = """
    # preflight:waive s3-versioning-enabled expires=2027-01-31 owner=platform logs are disposable
    resource "aws_s3_bucket" "logs" {
      bucket = "logs"
    }

    // preflight:waive dynamodb-pitr-enabled expires=2027-01-31 owner=platform cache table, rebuilt on deploy
    resource "aws_dynamodb_table" "cache" {
      name         = "cache"
      billing_mode = "PAY_PER_REQUEST"
    }

    # preflight:waive s3-versioning-enabled expires=2027-01-31 owner=platform scratch space, rebuilt
    resource "aws_s3_bucket" "scratch" {
      bucket = "scratch"
    }

    # preflight:waive s3-versioning-enabled expires=2027-01-31 owner=platform blank line between: attached

    resource "aws_s3_bucket" "detached" {
      bucket = "detached"
    }

    # preflight:waive s3-versioning-enabld expires=2027-01-31 owner=platform typo in the policy id
    resource "aws_s3_bucket" "typo" {
      bucket = "typo"
    }

    # preflight:waive s3-versioning-enabled expires=2027-01-31 owner=platform versioning is on anyway
    resource "aws_s3_bucket" "versioned" {
      bucket = "versioned"
    }
"""


def _waivers_plan() -> str:
    _write("main.tf", WAIVERS_TF)
    return _plan(
        "plan.json",
        *[_change(f"aws_s3_bucket.{b}", "aws_s3_bucket", {"bucket": b})
          for b in ["logs", "scratch", "detached", "typo"]],
        _change("aws_s3_bucket.versioned", "aws_s3_bucket",
                {"bucket": "versioned", "versioning": [{"enabled": True}]}),
        _change("aws_dynamodb_table.cache", "aws_dynamodb_table",
                {"name": "cache", "billing_mode": "PAY_PER_REQUEST"}))


def test_waive_comments_above_terraform_blocks() -> None:
    result = _run([_waivers_plan()], "dynamodb-pitr-enabled", "s3-versioning-enabled")
    assert _verdicts(result) == {
        ("s3-versioning-enabled", "logs"): "waived",
        ("dynamodb-pitr-enabled", "cache"): "waived",
        ("s3-versioning-enabled", "scratch"): "waived",
        ("s3-versioning-enabled", "detached"): "waived",  # was silently ignored
        ("s3-versioning-enabled", "typo"): "fail",
        ("s3-versioning-enabled", "versioned"): "pass",
    }
    waivers = {f.resource.name: f.waiver for f in result.findings if f.waiver is not None}
    assert (waivers["logs"].reason, waivers["logs"].status, waivers["logs"].source) == (
        "logs are disposable", Status.FAIL, "main.tf:1")
    assert (waivers["cache"].reason, waivers["cache"].source) == (
        "cache table, rebuilt on deploy", "main.tf:6")
    assert waivers["scratch"].reason == "scratch space, rebuilt"


def test_waive_comment_without_a_reason_exits_2_naming_its_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("main.tf", """
        # preflight:waive s3-versioning-enabled
        resource "aws_s3_bucket" "scratch" {
          bucket = "scratch"
        }
    """)
    plan = _plan("plan.json", _change("aws_s3_bucket.scratch", "aws_s3_bucket",
                                      {"bucket": "scratch"}))
    code, out, err = _cli(capsys, plan, "--policies", _policy("s3-versioning-enabled"),
                          "--out", "out")
    assert (code, out) == (2, "")
    line = _clean_input_error(err, "main.tf:1")
    assert "a waiver needs a reason" in line
    assert not Path("out").exists()


def test_waive_comment_naming_an_unknown_policy_is_a_note_an_unneeded_one_unused() -> None:
    result = _run([_waivers_plan()], "dynamodb-pitr-enabled", "s3-versioning-enabled")
    assert "waiver at main.tf:23 names no loaded policy 's3-versioning-enabld'" in result.notes
    assert result.waivers is not None
    assert [(w.source, w.owner, w.expires) for w in result.waivers.in_state("unused")] == [
        ("main.tf:28", "platform", "2027-01-31")]
    assert {w.source for w in result.waivers.in_state("applied")} == {
        "main.tf:1", "main.tf:6", "main.tf:12", "main.tf:17"}  # 17: a blank line below it


def test_waive_comment_among_other_comments_above_the_block() -> None:
    _write("main.tf", """
        # Build artefacts, rebuilt by CI.
        // preflight:waive s3-versioning-enabled expires=2027-01-31 owner=ci rebuilt by each pipeline run
        # owner: platform
        resource "aws_s3_bucket" "artefacts" {
          bucket = "artefacts"
        }
    """)
    plan = _plan("plan.json", _change("aws_s3_bucket.artefacts", "aws_s3_bucket",
                                      {"bucket": "artefacts"}))
    result = _run([plan], "s3-versioning-enabled")
    finding = _finding(result, "s3-versioning-enabled", "artefacts")
    assert finding.status is Status.WAIVED
    assert (finding.waiver.reason, finding.waiver.source) == (
        "rebuilt by each pipeline run", "main.tf:2")
    assert finding.location.describe() == "main.tf:4"


def test_deletes_and_data_sources_are_ignored_replacements_are_not() -> None:
    plan = _plan(
        "plan.json",
        _change("aws_s3_bucket.gone", "aws_s3_bucket", None, actions=("delete",)),
        _change("aws_s3_bucket.replaced", "aws_s3_bucket", {"bucket": "replaced"},
                actions=("delete", "create")),
        _change("aws_s3_bucket.kept", "aws_s3_bucket", {"bucket": "kept"}, actions=("no-op",)),
        _change("data.aws_s3_bucket.existing", "aws_s3_bucket", {"bucket": "existing"},
                actions=("read",), mode="data"),
    )
    result = _run([plan], "s3-versioning-enabled")
    assert _verdicts(result) == {("s3-versioning-enabled", "replaced"): "fail",
                                 ("s3-versioning-enabled", "kept"): "fail"}


def test_module_and_indexed_addresses_are_separate_resources() -> None:
    plan = _plan(
        "plan.json",
        _change("module.app.aws_dynamodb_table.t", "aws_dynamodb_table",
                {"name": "app-orders", "billing_mode": "PAY_PER_REQUEST",
                 "point_in_time_recovery": [{"enabled": True}]}),
        _change("aws_s3_bucket.b[0]", "aws_s3_bucket",
                {"bucket": "b-zero", "versioning": [{"enabled": True}]}),
        _change('aws_s3_bucket.b["logs"]', "aws_s3_bucket", {"bucket": None},
                {"bucket": True}),  # bucket_prefix: the name is known after apply
    )
    result = _run([plan], "dynamodb-pitr-enabled", "s3-versioning-enabled")
    assert {(f.policy_id, f.resource.id, f.resource.name, f.status.value)
            for f in result.findings} == {
        ("dynamodb-pitr-enabled", "plan.json#module.app.aws_dynamodb_table.t", "app-orders",
         "pass"),
        ("s3-versioning-enabled", "plan.json#aws_s3_bucket.b[0]", "b-zero", "pass"),
        ("s3-versioning-enabled", 'plan.json#aws_s3_bucket.b["logs"]',
         'aws_s3_bucket.b["logs"]', "fail"),
    }
    module_table = _finding(result, "dynamodb-pitr-enabled", "app-orders")
    assert module_table.location.describe() == \
        f"plan.json:{_address_line(plan, 'module.app.aws_dynamodb_table.t')}"
    indexed = _finding(result, "s3-versioning-enabled", "b-zero")
    assert indexed.location.line == _address_line(plan, "aws_s3_bucket.b[0]")


def test_for_each_string_key_points_at_its_address_line() -> None:
    plan = _plan("plan.json",
                 _change("aws_s3_bucket.b[0]", "aws_s3_bucket", {"bucket": "b-zero"}),
                 _change('aws_s3_bucket.b["logs"]', "aws_s3_bucket", {"bucket": "b-logs"}))
    result = _run([plan], "s3-versioning-enabled")
    finding = _finding(result, "s3-versioning-enabled", "b-logs")
    assert finding.location.line == _address_line(plan, 'aws_s3_bucket.b["logs"]')


def _autoscaling_configuration() -> dict[str, Any]:
    def target(direction: str) -> dict[str, Any]:
        return {"address": f"aws_appautoscaling_target.{direction}",
                "expressions": {"resource_id": {"references": [
                    "aws_dynamodb_table.t.name", "aws_dynamodb_table.t"]}}}

    def policy(direction: str) -> dict[str, Any]:
        return {"address": f"aws_appautoscaling_policy.{direction}",
                "expressions": {"resource_id": {"references": [
                    f"aws_appautoscaling_target.{direction}.resource_id",
                    f"aws_appautoscaling_target.{direction}"]}}}

    resources = [target("read"), target("write"), policy("read"), policy("write")]
    return {"root_module": {
        "resources": [{"address": "aws_dynamodb_table.t", "expressions": {}}],
        "module_calls": {"app": {"module": {"resources": [
            {"address": "aws_dynamodb_table.t", "expressions": {}}, *resources]}}}}}


def _autoscaled_module_changes() -> list[dict[str, Any]]:
    changes = [_change("module.app.aws_dynamodb_table.t", "aws_dynamodb_table",
                       {"name": "app-orders", "billing_mode": "PROVISIONED", "read_capacity": 5,
                        "write_capacity": 5})]
    for direction, units in [("read", "ReadCapacityUnits"), ("write", "WriteCapacityUnits")]:
        dimension = f"dynamodb:table:{units}"
        changes.append(_change(f"module.app.aws_appautoscaling_target.{direction}",
                               "aws_appautoscaling_target",
                               {"service_namespace": "dynamodb", "scalable_dimension": dimension,
                                "min_capacity": 5, "max_capacity": 50},
                               {"resource_id": True}))
        changes.append(_change(f"module.app.aws_appautoscaling_policy.{direction}",
                               "aws_appautoscaling_policy",
                               {"name": f"{direction}-tracking",
                                "policy_type": "TargetTrackingScaling",
                                "scalable_dimension": dimension},
                               {"resource_id": True}))
    return changes


def test_module_autoscaling_joined_through_configuration_references() -> None:
    plan = _plan("plan.json", *_autoscaled_module_changes(),
                 configuration=_autoscaling_configuration())
    result = _run([plan], "dynamodb-autoscaling-registered")
    assert _verdicts(result) == {("dynamodb-autoscaling-registered", "app-orders"): "pass"}


def test_module_autoscaling_does_not_credit_a_root_table_of_the_same_name() -> None:
    root = _change("aws_dynamodb_table.t", "aws_dynamodb_table",
                   {"name": "root-orders", "billing_mode": "PROVISIONED", "read_capacity": 5,
                    "write_capacity": 5})
    plan = _plan("plan.json", root, *_autoscaled_module_changes(),
                 configuration=_autoscaling_configuration())
    result = _run([plan], "dynamodb-autoscaling-registered")
    assert _verdicts(result) == {("dynamodb-autoscaling-registered", "app-orders"): "pass",
                                 ("dynamodb-autoscaling-registered", "root-orders"): "fail"}


def test_known_after_apply_attribute_is_an_error_naming_it() -> None:
    plan = _plan("plan.json", _change(
        "aws_dynamodb_table.orders", "aws_dynamodb_table",
        {"name": "orders", "billing_mode": "PAY_PER_REQUEST", "point_in_time_recovery": [{}]},
        {"point_in_time_recovery": [{"enabled": True}], "deletion_protection_enabled": True}))
    result = _run([plan], "dynamodb-pitr-enabled", "dynamodb-deletion-protection",
                  environment="prod")
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): "error",
                                 ("dynamodb-deletion-protection", "orders"): "error"}
    for finding in result.findings:
        assert "known after apply" in finding.message
        assert "aws_dynamodb_table.orders" in finding.message


def test_whole_block_known_after_apply_is_an_error_not_a_fail() -> None:
    plan = _plan("plan.json", _change(
        "aws_dynamodb_table.orders", "aws_dynamodb_table",
        {"name": "orders", "billing_mode": "PAY_PER_REQUEST"},
        {"point_in_time_recovery": True}))
    result = _run([plan], "dynamodb-pitr-enabled")
    assert _verdicts(result) == {("dynamodb-pitr-enabled", "orders"): "error"}
    assert "known after apply" in result.findings[0].message


# -- 4. discovery -------------------------------------------------------------------------

BUCKET_TEMPLATE = """
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Bucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: {name}
          VersioningConfiguration: {{Status: {status}}}
"""


TEMPLATE_TEXT = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
PLAN_TEXT = '{"format_version": "1.2", "resource_changes": []}'


def test_directory_walk_skips_tool_directories_and_keeps_iac_suffixes() -> None:
    for name in ["infra/app.yaml", "infra/stack.template", "infra/sub/plan.json",
                 "infra/notes.md", "infra/node_modules/pkg/template.yaml",
                 "infra/.terraform/modules/plan.json", "infra/.git/config.yml",
                 "infra/.cache/x.yaml", "infra/venv/lib/t.yaml"]:
        _write(name, PLAN_TEXT if name.endswith(".json") else TEMPLATE_TEXT)
    assert [p.as_posix() for p in discover(["infra"])] == [
        "infra/app.yaml", "infra/stack.template", "infra/sub/plan.json"]
    assert [p.as_posix() for p in discover(["infra/notes.md", "infra", "infra/app.yaml"])] == [
        "infra/notes.md", "infra/app.yaml", "infra/stack.template", "infra/sub/plan.json"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("package.json", '{"name": "app", "version": "1.0.0"}', "content not recognised"),
    ("notes.md", "# Notes\n", "content not recognised"),
    ("broken.json", '{"Resources": ', "broken.json:1:15: invalid JSON"),
    ("main.tf", 'resource "aws_s3_bucket" "b" {}\n', "terraform show -json plan.out"),
])
def test_cli_named_file_that_is_not_a_template_or_plan_exits_2(
        capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str) -> None:
    _write("app.yaml", TEMPLATE_TEXT)
    _write(name, text)
    code, out, err = _cli(capsys, "app.yaml", name, "--out", "out")
    assert (code, out) == (2, "")
    line = _clean_input_error(err, name, expected)
    assert line.startswith(f"error: {name}:")
    assert "expected a CloudFormation template" in line
    assert not Path("out").exists()


@pytest.mark.parametrize(("files", "hint"), [
    ({"infra/package.json": '{"name": "app"}', "infra/settings.yaml": "replicas: 3\n"},
     "pass the templates"),
    ({"infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n'}, "terraform show -json plan.out"),
    ({"infra/cdk.json": '{"app": "npx ts-node bin/app.ts"}'}, "cdk synth"),
    ({"infra/.terraform/plan.json": PLAN_TEXT,  # only skipped directories hold any
      "infra/node_modules/x/stack.yaml": TEMPLATE_TEXT}, "pass the templates"),
])
def test_cli_paths_holding_no_template_or_plan_exit_2(
        capsys: pytest.CaptureFixture[str], files: dict[str, str], hint: str) -> None:
    for name, text in files.items():
        _write(name, text)
    code, out, err = _cli(capsys, "infra", "--out", "out")
    assert (code, out) == (2, "")
    line = _clean_input_error(err, "infra", hint)
    assert "no CloudFormation template or Terraform plan found" in line
    assert not Path("out").exists()


def test_discover_of_a_missing_path_names_it() -> None:
    with pytest.raises(InputError, match=re.escape("nope/app.yaml: no such file or directory")):
        discover(["nope/app.yaml"])


def test_kind_of_recognises_iac_by_content() -> None:
    kinds = {
        "package.json": ('{"name": "app", "version": "1.0.0", "dependencies": {}}', None),
        "config.yaml": ("name: app\nResources:\n  cpu: 2\n", None),
        "list.json": ("[1, 2]", None),
        "broken.json": ('{"Resources": ', None),
        "stack.template": (BUCKET_TEMPLATE.format(name="a", status="Enabled"), "cloudformation"),
        "stack.yml": ("Resources:\n  T:\n    Type: 'AWS::DynamoDB::Table'\n", "cloudformation"),
        "cdk.template.json": ('{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}',
                              "cloudformation"),
        "plan.json": ('{"format_version": "1.2", "resource_changes": []}', "terraform"),
        "values.json": ('{"format_version": "1.2", "planned_values": {}}', "terraform"),
    }
    for name, (text, _) in kinds.items():
        _write(name, text)
    assert {name: kind_of(Path(name)) for name in kinds} == {
        name: kind for name, (_, kind) in kinds.items()}


def test_kind_of_json_template_with_template_suffix() -> None:
    _write("stack.template", json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09",
         "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}, indent=2))
    assert kind_of(Path("stack.template")) == "cloudformation"


@pytest.mark.parametrize(("name", "text"), [
    ("commented.yaml", "Resources:  # the stack\n  B:\n    Type: AWS::S3::Bucket\n"),
    ("bom.json", '\ufeff{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}'),
])
def test_kind_of_template_with_comment_after_resources_or_a_bom(name: str, text: str) -> None:
    Path(name).write_text(text, encoding="utf-8")
    assert kind_of(Path(name)) == "cloudformation"


def test_cli_reads_a_json_template_with_a_bom_whatever_its_suffix(
        capsys: pytest.CaptureFixture[str]) -> None:
    body = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": "assets", "VersioningConfiguration": {"Status": "Enabled"}}}}}
    Path("stack.template").write_text("\ufeff" + json.dumps(body, indent=2), encoding="utf-8")
    code, out, err = _cli(capsys, "stack.template", "--policies",
                          _policy("s3-versioning-enabled"), "--out", "out")
    assert (code, err) == (0, "")
    assert "1 pass, 0 fail, 0 error" in out
    report = json.loads(Path("out/report.json").read_text())
    assert [f["location"] for f in report["findings"]] == [
        {"path": "stack.template", "line": 3, "resource_line": 3}]


def test_cli_walk_judges_only_templates_outside_skipped_directories(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("infra/package.json", '{"name": "app", "scripts": {"build": "tsc"}}')
    _write("infra/settings.yaml", "name: app\nreplicas: 3\n")
    _write("infra/stack.template", BUCKET_TEMPLATE.format(name="kept", status="Enabled"))
    _write("infra/node_modules/lib/stack.yaml",
           BUCKET_TEMPLATE.format(name="vendored", status="Suspended"))
    _write("infra/.terraform/stack.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n  [\n")
    code, out, err = _cli(capsys, "infra", "--policies", _policy("s3-versioning-enabled"),
                          "--out", "out")
    assert (code, err) == (0, "")
    assert "1 pass, 0 fail, 0 error" in out
    report = json.loads(Path("out/report.json").read_text())
    assert [(f["resource"]["name"], f["location"]["path"]) for f in report["findings"]] == [
        ("kept", "infra/stack.template")]


def test_cli_nonexistent_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "missing-dir", "--out", "out")
    assert code == 2
    assert "missing-dir" in err and "Traceback" not in err


def test_cli_broken_cloudformation_yaml_exits_2_with_file_and_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("broken.yaml", """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: [unclosed
    """)
    code, _, err = _cli(capsys, "broken.yaml", "--out", "out")
    assert code == 2
    assert "Traceback" not in err and "internal error" not in err
    first = err.splitlines()[0]
    assert first.startswith("error: broken.yaml:")
    line = int(first.split(":")[2])
    assert line in (5, 6)  # the unclosed sequence, or the end of the file where it is noticed
    assert "not a valid CloudFormation template" in first
    assert not Path("out").exists()


# -- 5. exit codes and the report ---------------------------------------------------------

FUNCTION_TEMPLATE = """
    Resources:
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: worker
          Runtime: python3.12
          Handler: app.handler
          Role: arn:aws:iam::000000000000:role/worker
          Code: {ZipFile: "def handler(e, c): pass"}
          Timeout: 30
"""


def test_exit_0_when_everything_passes_and_report_json_in_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", BUCKET_TEMPLATE.format(name="assets", status="Enabled"))
    code, out, _ = _cli(capsys, "app.yaml", "--policies", _policy("s3-versioning-enabled"),
                        "--out", "reports/iac")
    assert code == 0
    assert "1 pass, 0 fail, 0 error" in out
    assert "report: reports/iac/report.json" in out
    report = json.loads(Path("reports/iac/report.json").read_text())
    assert [(f["policy_id"], f["status"], f["location"]) for f in report["findings"]] == [
        ("s3-versioning-enabled", "pass", {"path": "app.yaml", "line": 3, "resource_line": 3})]


@pytest.mark.parametrize(("fail_on", "expected"), [("low", 1), ("medium", 0), ("critical", 0)])
def test_low_failure_blocks_only_at_fail_on_low(capsys: pytest.CaptureFixture[str],
                                                 fail_on: str, expected: int) -> None:
    _write("app.yaml", FUNCTION_TEMPLATE)
    code, out, _ = _cli(capsys, "app.yaml", "--environment", "prod",
                        "--policies", _policy("lambda-reserved-concurrency"),
                        "--fail-on", fail_on, "--out", "out")
    assert code == expected
    assert "app.yaml:2: fail lambda-reserved-concurrency [low] worker" in out


@pytest.mark.parametrize(("fail_on", "expected"), [("high", 1), ("critical", 0)])
def test_high_failure_blocks_at_or_below_high(capsys: pytest.CaptureFixture[str], fail_on: str,
                                              expected: int) -> None:
    _write("app.yaml", BUCKET_TEMPLATE.format(name="assets", status="Suspended"))
    code, _, _ = _cli(capsys, "app.yaml", "--policies", _policy("s3-versioning-enabled"),
                      "--fail-on", fail_on, "--out", "out")
    assert code == expected


def test_error_findings_exit_3_unless_no_fail_on_error(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)  # Pitr has no value and no default
    args = ["app.yaml", "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out"]
    code, out, _ = _cli(capsys, *args)
    assert code == 3
    assert "app.yaml:12: error dynamodb-pitr-enabled [high] orders" in out
    report = json.loads(Path("out/report.json").read_text())
    assert [f["status"] for f in report["findings"]] == ["error"]
    code, _, _ = _cli(capsys, *args, "--no-fail-on-error")
    assert code == 0


def test_a_failure_outranks_an_error_in_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    _write("bucket.yaml", BUCKET_TEMPLATE.format(name="assets", status="Suspended"))
    code, _, _ = _cli(capsys, "app.yaml", "bucket.yaml",
                      "--policies", _policy("dynamodb-pitr-enabled"),
                      "--policies", _policy("s3-versioning-enabled"), "--out", "out")
    assert code == 1


# -- 6. fail-closed: nothing of a modelled family may go unchecked -------------------------

def test_cli_misspelt_resource_type_exits_2_with_a_suggestion(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Resources:
          Orders:
            Type: AWS::DynamoDB::Tabel
            Properties:
              TableName: orders
    """)
    code, out, err = _cli(capsys, "app.yaml", "--out", "out")
    assert (code, out) == (2, "")
    line = _clean_input_error(err, "app.yaml:3", "'AWS::DynamoDB::Tabel'")
    assert "did you mean AWS::DynamoDB::Table" in line
    assert not Path("out").exists()


def test_custom_registry_and_sam_types_stay_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Seed:
            Type: Custom::SeedData
            Properties: {ServiceToken: arn:aws:lambda:us-east-1:000000000000:function:seed}
          Thing:
            Type: Company::Team::Thing
          Module:
            Type: Company::Team::Network::MODULE
          Stack:
            Type: AWS::CloudFormation::CustomResource
            Properties: {ServiceToken: arn:aws:sns:us-east-1:000000000000:t}
          Table:
            Type: AWS::Serverless::SimpleTable
            Properties: {TableName: sessions}
    """)
    code, out, err = _cli(capsys, "app.yaml", "--policies", _policy("dynamodb-pitr-enabled"),
                          "--out", "out")
    assert (code, err) == (1, "")
    assert "app.yaml:13: fail dynamodb-pitr-enabled [high] sessions" in out


def test_cli_indented_yaml_template_is_read_named_or_walked(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("infra/app.yaml", """
        ---
          Resources:
            Logs:
              Type: AWS::S3::Bucket
              Properties:
                BucketName: logs
    """)
    for path in ("infra/app.yaml", "infra"):
        code, out, err = _cli(capsys, path, "--policies", _policy("s3-versioning-enabled"),
                              "--out", "out")
        assert (code, err) == (1, ""), (path, err)
        assert "infra/app.yaml:3: fail s3-versioning-enabled [high] logs" in out


def test_cli_walk_lists_every_file_and_directory_it_skipped(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("infra/app.yaml", BUCKET_TEMPLATE.format(name="assets", status="Enabled"))
    _write("infra/settings.yaml", "replicas: 3\n")
    _write("infra/broken.yml", "a: [unclosed\n")
    _write("infra/README.md", "# infra\n")
    _write("infra/node_modules/x/stack.yaml", TEMPLATE_TEXT)
    code, out, _ = _cli(capsys, "infra", "--policies", _policy("s3-versioning-enabled"),
                        "--out", "out")
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith("note: skipped")]
    assert notes == [
        "note: skipped directory infra/node_modules: a tool directory",
        "note: skipped 1 file(s) under infra without a template or plan suffix (.md 1)",
        "note: skipped infra/broken.yml: line 2: invalid YAML "
        "(did not find expected ',' or ']')",
        "note: skipped infra/settings.yaml: content not recognised",
    ], notes
    report = json.loads(Path("out/report.json").read_text())
    assert [n for n in report["notes"] if n.startswith("skipped")] == \
        [n.removeprefix("note: ") for n in notes]


@pytest.mark.parametrize(("name", "text", "line"), [
    ("params.json", '[\n  {"ParameterKey": "Env", "ParameterValue": "prod"},\n'
                    '  {"ParameterKey": "Pitr"}\n]\n', 3),
    ("params.yaml", "Parameters:\n  - ParameterKey: Env\n    ParameterValue: prod\n"
                    "  - ParameterKey: Pitr\n", 4),
])
def test_cli_parameters_file_entry_without_a_value_exits_2_at_its_line(
        capsys: pytest.CaptureFixture[str], name: str, text: str, line: int) -> None:
    _write("app.yaml", PITR_TEMPLATE)
    Path(name).write_text(text, encoding="utf-8")
    code, out, err = _cli(capsys, "app.yaml", "--parameters-file", name,
                          "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out")
    assert (code, out) == (2, "")
    message = _clean_input_error(err, f"{name}:{line}", "parameter Pitr has no ParameterValue")
    assert "UsePreviousValue" in message
    assert not Path("out").exists()


def test_cli_simple_table_passes_point_in_time_recovery_through_as_sam_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          SimpleTable:
            SSESpecification: {SSEEnabled: true}
        Resources:
          Recoverable:
            Type: AWS::Serverless::SimpleTable
            Properties:
              TableName: recoverable
              PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
          Plain:
            Type: AWS::Serverless::SimpleTable
            Properties:
              TableName: plain
              PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: false}
    """)
    code, out, _ = _cli(capsys, "app.yaml", "--policies", _policy("dynamodb-pitr-enabled"),
                        "--out", "out")
    assert code == 1
    assert "1 pass, 1 fail, 0 error" in out
    assert "app.yaml:15: fail dynamodb-pitr-enabled [high] plain" in out
    report = json.loads(Path("out/report.json").read_text())
    assert {f["resource"]["name"]: f["status"] for f in report["findings"]} == {
        "recoverable": "pass", "plain": "fail"}


INCLUDING_API = """
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: included-fn
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/fn
          Code: {ZipFile: "x"}
          Timeout: 20
          ReservedConcurrentExecutions: 5
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: included
          Body:
            Fn::Transform:
              Name: AWS::Include
              Parameters: {Location: LOCATION}
"""
OPENAPI = """
    openapi: "3.0.1"
    paths:
      /orders:
        get:
          x-amazon-apigateway-integration:
            timeoutInMillis: 15000
            uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/\\
              ${Fn.Arn}/invocations"
"""
TIMEOUT_FITS = "apigateway-lambda-timeout-fits"


def test_cli_local_include_is_read_and_its_integrations_judged(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("infra/app.yaml", INCLUDING_API.replace("LOCATION", "openapi/api.yaml"))
    _write("infra/openapi/api.yaml", OPENAPI)
    code, out, _ = _cli(capsys, "infra/app.yaml", "--environment", "prod",
                        "--policies", _policy(TIMEOUT_FITS), "--out", "out")
    assert code == 1
    assert "infra/app.yaml:10: fail apigateway-lambda-timeout-fits [medium] included-fn" in out
    assert "its timeout (20 s) is not shorter than the shortest integration timeout (15.0 s)" in out


def test_cli_include_from_s3_makes_every_function_an_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", INCLUDING_API.replace("LOCATION", "s3://bucket/api.yaml"))
    args = ["app.yaml", "--environment", "prod", "--policies", _policy(TIMEOUT_FITS),
            "--out", "out"]
    code, out, _ = _cli(capsys, *args)
    assert code == 3
    assert "error apigateway-lambda-timeout-fits [medium] included-fn" in out
    report = json.loads(Path("out/report.json").read_text())
    assert [f["status"] for f in report["findings"]] == ["error"]
    assert "'s3://bucket/api.yaml' (not a local file)" in report["findings"][0]["message"]
    assert _cli(capsys, *args, "--no-fail-on-error")[0] == 0  # the explicit opt-out


@pytest.mark.parametrize(("location", "files", "message"), [
    ("../outside.yaml", {"outside.yaml": "openapi: 3.0.1\n"}, "is outside the template's"),
    ("missing.yaml", {}, "cannot read include 'missing.yaml'"),
    ("loop.yaml", {"infra/loop.yaml": "Fn::Transform: {Name: AWS::Include, "
                   "Parameters: {Location: loop.yaml}}\n"}, "includes itself"),
])
def test_cli_local_include_that_cannot_be_read_exits_2_at_its_line(
        capsys: pytest.CaptureFixture[str], location: str, files: dict[str, str],
        message: str) -> None:
    _write("infra/app.yaml", INCLUDING_API.replace("LOCATION", location))
    for name, text in files.items():
        _write(name, text)
    code, out, err = _cli(capsys, "infra/app.yaml", "--out", "out")
    assert (code, out) == (2, "")
    _clean_input_error(err, "infra/app.yaml:17", message)


@pytest.mark.parametrize(("resources", "reason"), [
    ("""
      Fn::Transform:
        Name: AWS::Include
        Parameters: {Location: s3://bucket/tables.yaml}
    """, "Fn::Transform AWS::Include of 's3://bucket/tables.yaml'"),
    ("""
      Tables:
        Type: !Rain::Module ./tables.yaml
    """, "Type Rain::Module ./tables.yaml"),
    ("""
      Everywhere:
        Type: AWS::CloudFormation::StackSet
        Properties:
          StackSetName: tables
          PermissionModel: SELF_MANAGED
          TemplateBody: "Resources: {T: {Type: 'AWS::DynamoDB::Table'}}"
    """, "the stack set's template"),
    ("""
      Child:
        Type: AWS::CloudFormation::Stack
        Properties: {TemplateURL: https://example.com/child.yaml}
    """, "template of the nested AWS::CloudFormation::Stack is not available locally"),
    ("""
      App:
        Type: AWS::Serverless::Application
        Properties:
          Location: {ApplicationId: arn:aws:serverlessrepo:us-east-1:1:applications/x,
                     SemanticVersion: 1.0.0}
    """, "template of the nested AWS::Serverless::Application"),
])
def test_cli_construct_that_cannot_be_expanded_is_an_error_for_every_policy(
        capsys: pytest.CaptureFixture[str], resources: str, reason: str) -> None:
    Path("app.yaml").write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n"
                                + textwrap.indent(textwrap.dedent(resources).strip("\n"), "  ")
                                + "\n", encoding="utf-8")
    code, out, _ = _cli(capsys, "app.yaml", "--environment", "prod",
                        "--policies", _policy("dynamodb-pitr-enabled"),
                        "--policies", _policy("s3-versioning-enabled"), "--out", "out")
    assert code == 3, out
    report = json.loads(Path("out/report.json").read_text())
    assert {(f["policy_id"], f["status"], f["location"]["line"]) for f in report["findings"]} == {
        ("dynamodb-pitr-enabled", "error", 3), ("s3-versioning-enabled", "error", 3)}
    assert all(reason in f["message"] for f in report["findings"]), report["findings"]


def test_cli_template_macro_makes_its_resources_and_what_it_may_add_errors(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Transform: [AWS::Serverless-2016-10-31, Company::Expander]
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: logs
              VersioningConfiguration: {Status: Enabled}
    """)
    code, _, _ = _cli(capsys, "app.yaml", "--policies", _policy("s3-versioning-enabled"),
                      "--out", "out")
    assert code == 3
    report = json.loads(Path("out/report.json").read_text())
    assert {(f["resource"]["name"], f["status"]) for f in report["findings"]} == {
        ("logs", "error"), ("Transform (not expanded)", "error")}
    assert all("Transform Company::Expander is not expanded" in f["message"]
               for f in report["findings"])


FOREACH = """
    Transform: AWS::LanguageExtensions
    Parameters:
      Names: {Type: CommaDelimitedList}
    Resources:
      Fn::ForEach::Tables:
        - Name
        - !Ref Names
        - ${Name}Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: !Sub "${Name}-table"
              BillingMode: PAY_PER_REQUEST
              PointInTimeRecoverySpecification:
                PointInTimeRecoveryEnabled: !Equals [!Ref Name, orders]
      Counts:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub
            - "logs-${Count}"
            - Count: {"Fn::Length": !Ref Names}
          Tags:
            - Key: names
              Value: {"Fn::ToJsonString": !Ref Names}
"""


def test_cli_for_each_loops_are_expanded_with_findings_at_the_loop(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", textwrap.dedent(FOREACH).replace("!Equals [!Ref Name, orders]",
                                                        "!FindInMap [Pitr, !Ref Name, Enabled]")
           + "Mappings:\n  Pitr:\n    orders: {Enabled: 'true'}\n    carts: {Enabled: 'false'}\n")
    code, out, _ = _cli(capsys, "app.yaml", "--parameter", "Names=orders,carts",
                        "--policies", _policy("dynamodb-pitr-enabled"), "--out", "out")
    assert code == 1, out
    assert "1 pass, 1 fail, 0 error" in out
    assert "app.yaml:14: fail dynamodb-pitr-enabled [high] carts-table" in out
    report = json.loads(Path("out/report.json").read_text())
    assert {(f["resource"]["name"], f["status"], f["location"]["resource_line"])
            for f in report["findings"]} == {("orders-table", "pass", 8),
                                             ("carts-table", "fail", 8)}


def test_length_and_to_json_string_are_evaluated() -> None:
    from preflight_scanner.iac.run import load_planned

    _write("app.yaml", FOREACH.replace("!Equals [!Ref Name, orders]", "true"))
    planned = {p.name: p for p in load_planned(["app.yaml"], {"Names": "a,b,c"}, "us-east-1",
                                                "0")}
    assert set(planned) == {"a-table", "b-table", "c-table", "logs-3"}
    assert planned["logs-3"].data["tags"] == {"names": '["a","b","c"]'}


def test_cli_for_each_over_an_unknown_collection_is_an_error_at_the_loop(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", FOREACH.replace("!Equals [!Ref Name, orders]", "true"))
    code, out, _ = _cli(capsys, "app.yaml", "--policies", _policy("dynamodb-pitr-enabled"),
                        "--out", "out")
    assert code == 3, out
    report = json.loads(Path("out/report.json").read_text())
    assert [(f["status"], f["location"]["line"]) for f in report["findings"]] == [("error", 5)]
    assert "parameter Names has no value" in report["findings"][0]["message"]


def test_cli_unknown_value_in_a_name_is_shown_as_unknown_in_every_format(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Parameters:
          Env: {Type: String}
        Resources:
          Api:
            Type: AWS::ApiGateway::RestApi
            Properties: {Name: orders-api}
          Stage:
            Type: AWS::ApiGateway::Stage
            Properties:
              RestApiId: !Ref Api
              DeploymentId: abc123
              StageName: !Ref Env
              MethodSettings:
                - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: !Ref Env}
    """)
    code, out, _ = _cli(capsys, "app.yaml", "--policies", _policy("apigateway-stage-throttling"),
                        "--format", "md", "--out", "out")
    assert code == 3
    name = "orders-api/(unknown: parameter Env has no value and no default"
    report = Path("out/report.json").read_text()
    markdown = Path("out/report.md").read_text()
    for text in (out, report, markdown):
        assert "Unknown(" not in text
        assert name in text
    finding = json.loads(report)["findings"][0]
    assert finding["status"] == "error"
    assert "throttling is unknown before deployment" in finding["message"]


def test_cli_template_waiver_beyond_the_horizon_exits_2_like_a_file_waiver(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", """
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Metadata:
              preflight:
                waive:
                  - {policy: s3-versioning-enabled, reason: logs are rebuilt nightly,
                     owner: platform, expires: 2099-12-31}
            Properties: {BucketName: logs}
    """)
    code, out, err = _cli(capsys, "app.yaml", "--policies", _policy("s3-versioning-enabled"),
                          "--out", "out")
    assert (code, out) == (2, "")
    line = _clean_input_error(err, "app.yaml:7", "expires 2099-12-31")
    assert "a waiver may run at most 90 days" in line
    code, _, _ = _cli(capsys, "app.yaml", "--policies", _policy("s3-versioning-enabled"),
                      "--max-waiver-days", "30000", "--out", "out")
    assert code == 2  # --max-waiver-days is itself bounded (1..3650)


@pytest.mark.parametrize(("comment", "messages"), [
    ("# preflight:waive s3-versioning-enabled logs are rebuilt nightly",
     ["needs an owner", "needs an expiry date"]),
    ("# preflight:waive s3-versioning-enabled owner=platform expires=someday logs are rebuilt",
     ["needs an expiry date, not 'someday'"]),
    ("# preflight:waive s3-versioning-enabled owner=platform expires=2027-01-31 meh",
     ["say why the risk is accepted"]),
])
def test_cli_terraform_waiver_comment_obeys_the_waiver_file_rules(
        capsys: pytest.CaptureFixture[str], comment: str, messages: list[str]) -> None:
    _write("main.tf", comment + '\nresource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n')
    plan = _plan("plan.json", _change("aws_s3_bucket.logs", "aws_s3_bucket", {"bucket": "logs"}))
    code, out, err = _cli(capsys, plan, "--policies", _policy("s3-versioning-enabled"),
                          "--out", "out")
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    problems = err.splitlines()[:-1]
    assert len(problems) == len(messages), err
    for problem, message in zip(problems, messages, strict=True):
        assert problem.startswith("error: main.tf:1: ") and message in problem, err


def test_cli_expired_terraform_waiver_counts_again_and_is_reported_expired(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("main.tf", "# preflight:waive s3-versioning-enabled expires=2026-12-31 "
                      'owner=platform logs are rebuilt nightly\nresource "aws_s3_bucket" "logs" {\n'
                      '  bucket = "logs"\n}\n')
    plan = _plan("plan.json", _change("aws_s3_bucket.logs", "aws_s3_bucket", {"bucket": "logs"}))
    code, out, _ = _cli(capsys, plan, "--policies", _policy("s3-versioning-enabled"),
                        "--out", "out")
    assert code == 1
    assert "main.tf:2: fail s3-versioning-enabled [high] logs" in out
    assert "expired on 2026-12-31 (platform): 1 finding(s) count again" in out
    report = json.loads(Path("out/report.json").read_text())
    assert report["findings"][0]["status"] == "fail"


THROTTLING = "apigateway-stage-throttling"


def test_cli_http_api_quick_create_has_a_default_stage_and_integration(
        capsys: pytest.CaptureFixture[str]) -> None:
    _write("app.yaml", FUNCTION_TEMPLATE.rstrip() + """
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties:
          Name: quick
          ProtocolType: HTTP
          Target: !GetAtt Worker.Arn
""")
    code, out, _ = _cli(capsys, "app.yaml", "--environment", "prod", "--policies",
                        _policy(THROTTLING), "--policies", _policy("lambda-timeout-bounds"),
                        "--out", "out")
    assert code == 1
    assert "app.yaml:11: fail apigateway-stage-throttling [medium] quick/$default" in out
    report = json.loads(Path("out/report.json").read_text())
    timeout = next(f for f in report["findings"] if f["policy_id"] == "lambda-timeout-bounds")
    assert timeout["status"] == "fail"  # 30 s behind an HTTP API (its 30 s integration)


def test_cli_terraform_stages_made_by_a_deployment_or_a_quick_create(
        capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(
        "plan.json",
        _change("aws_api_gateway_deployment.live", "aws_api_gateway_deployment",
                {"rest_api_id": "abc123", "stage_name": "live"}),
        _change("aws_api_gateway_deployment.bare", "aws_api_gateway_deployment",
                {"rest_api_id": "abc123", "stage_name": None}),
        _change("aws_apigatewayv2_api.quick", "aws_apigatewayv2_api",
                {"name": "quick", "protocol_type": "HTTP", "target": "arn:aws:lambda:x"}),
        _change("aws_apigatewayv2_api.plain", "aws_apigatewayv2_api",
                {"name": "plain", "protocol_type": "HTTP", "target": None}))
    code, _, _ = _cli(capsys, plan, "--policies", _policy(THROTTLING), "--out", "out")
    assert code == 1
    report = json.loads(Path("out/report.json").read_text())
    assert {(f["resource"]["name"], f["status"]) for f in report["findings"]} == {
        ("abc123/live", "fail"), ("quick/$default", "fail")}


def test_cli_terraform_deferred_resource_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(Path(_plan("plan.json")).read_text())
    plan["deferred_changes"] = [{"reason": "resource_config_unknown", "resource_change":
                                 _change('aws_s3_bucket.logs["a"]', "aws_s3_bucket", {})}]
    Path("plan.json").write_text(json.dumps(plan))
    code, out, _ = _cli(capsys, "plan.json", "--policies", _policy("s3-versioning-enabled"),
                        "--out", "out")
    assert code == 3
    assert "is deferred by Terraform (resource_config_unknown)" in out


def test_cli_errored_terraform_plan_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(Path(_plan("plan.json", _change(
        "aws_s3_bucket.logs", "aws_s3_bucket", {"bucket": "logs"}))).read_text())
    Path("plan.json").write_text(json.dumps({**plan, "errored": True}))
    code, out, err = _cli(capsys, "plan.json", "--out", "out")
    assert (code, out) == (2, "")
    _clean_input_error(err, "plan.json", "the plan errored")

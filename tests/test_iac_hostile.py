"""preflight iac on broken and hostile input (issue 15): each class of input that used to
raise half-way through (a section or plan field of the wrong type, an intrinsic with the
wrong arguments, nesting past the stack, a number past Python's int-string limit, a path
longer than the file system allows) is exit 2 naming the file and where, never a
traceback. The fuzz suite (test_fuzz_iac.py) explores around these."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preflight_scanner.cli import main

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
"""
PLAN = {"format_version": "1.2", "resource_changes": [
    {"address": "aws_dynamodb_table.t", "mode": "managed", "type": "aws_dynamodb_table",
     "name": "t", "change": {"actions": ["create"], "after": {"name": "t"},
                            "after_unknown": {}}}]}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _exit_2(capsys: pytest.CaptureFixture[str], name: str, text: str, *expected: str) -> str:
    Path(name).write_text(text, encoding="utf-8")
    code = main(["iac", name, "--out", "out"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors and all(line.startswith(f"error: {name}") for line in errors), err
    for text_expected in expected:
        assert text_expected in err, err
    return err


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("Conditions:\n  Prod: !Equals [!Ref Env, prod]", "Conditions: true",
     "t.yaml:3: Conditions must be a map, not a boolean"),
    ("Parameters:\n  Env: {Type: String, Default: prod}", "Parameters: [a, b]",
     "t.yaml:1: Parameters must be a map, not a list"),
    ("Env: {Type: String, Default: prod}", "Env: 5", "t.yaml:2: Parameters.Env must be a map"),
    ("!Equals [!Ref Env, prod]", "!Equals [!Ref Env]", "t.yaml:4: Fn::Equals takes"),
    ("!Equals [!Ref Env, prod]", "!Equals [a, b, c]", "not a list of 3"),
    ("!Equals [!Ref Env, prod]", "!Not [a, b]", "Fn::Not takes"),
    ("TableName: orders", "TableName: !If [Prod, a]", "t.yaml:9: Fn::If takes"),
    ("TableName: orders", "TableName: !Select [1]", "Fn::Select takes"),
    ("TableName: orders", "TableName: !Join [',']", "Fn::Join takes"),
    ("TableName: orders", "TableName: !Sub [a, b, c]", "Fn::Sub takes"),
    ("TableName: orders", "TableName: !FindInMap [a]", "Fn::FindInMap takes"),
    ("TableName: orders", "TableName: !Ref [a]", "Ref takes"),
    ("TableName: orders", "TableName: !GetAtt [a]", "Fn::GetAtt takes"),
    ("    Properties:\n      TableName: orders", "    Properties: [a]",
     "Orders: Properties must be a map"),
    ("    Properties:\n", "    Metadata: 5\n    Properties:\n", "Orders: Metadata must be a map"),
    ("Resources:\n", "Globals: [x]\nResources:\n", "Globals must be a map"),
    ("    Properties:\n", "    Metadata: {preflight: {waive: 1.5}}\n    Properties:\n",
     "Orders: Metadata.preflight.waive must be a list"),
    ("Resources:\n  Orders:", "Resources: [a]\n  Orders:", "t.yaml:"),
])
def test_a_template_section_or_intrinsic_of_the_wrong_shape_is_exit_2_at_its_line(
        capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str) -> None:
    assert old in TEMPLATE
    _exit_2(capsys, "t.yaml", TEMPLATE.replace(old, new), expected)


@pytest.mark.parametrize(("pointer", "value", "expected"), [
    (("resource_changes",), {"a": 1}, "/resource_changes: expected an array"),
    (("resource_changes", 0), 7, "/resource_changes/0: expected an object, found a number"),
    (("resource_changes", 0, "name"), ["t"], "/resource_changes/0/name: expected a string"),
    (("resource_changes", 0, "type"), 5, "/resource_changes/0/type: expected a string"),
    (("resource_changes", 0, "address"), None, "/resource_changes/0/address"),
    (("resource_changes", 0, "change"), [], "/resource_changes/0/change: expected an object"),
    (("resource_changes", 0, "change", "after"), "x", "/resource_changes/0/change/after"),
    (("resource_changes", 0, "change", "after_unknown"), 3,
     "/resource_changes/0/change/after_unknown: expected an object or boolean"),
    (("configuration",), {"root_module": {"resources": 1}},
     "/configuration/root_module/resources: expected an array"),
    (("deferred_changes",), [{"resource_change": {"type": 1}}], "/deferred_changes/0"),
])
def test_a_plan_field_of_the_wrong_type_is_exit_2_naming_its_pointer(
        capsys: pytest.CaptureFixture[str], pointer: tuple, value: object,
        expected: str) -> None:
    plan = json.loads(json.dumps(PLAN))
    node = plan
    for part in pointer[:-1]:
        node = node[part]
    node[pointer[-1]] = value
    _exit_2(capsys, "plan.json", json.dumps(plan), f"plan.json: {expected}")


def test_a_plan_entry_without_a_name_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(json.dumps(PLAN))
    del plan["resource_changes"][0]["name"]
    _exit_2(capsys, "plan.json", json.dumps(plan), "'name' is a required property")


DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5_000


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("deep.json", '{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": ' + DEEP
     + "}}}", "deep.json:1:"),
    ("deep.yaml", "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: " + DEEP
     + "\n", "deep.yaml:4:"),
    ("plan.json", '{"format_version": "1.2", "resource_changes": ' + DEEP + "}",
     "plan.json:1:"),
    ("huge.json", '{"Resources": {"A": {"Type": "AWS::Lambda::Function", "Properties": '
     '{"Timeout": ' + HUGE + "}}}}", "huge.json:1:"),
    ("huge.yaml", "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n"
     "      Timeout: " + HUGE + "\n", "huge.yaml:"),
    ("plan.json", '{"format_version": "1.2", "resource_changes": [], "x": ' + HUGE + "}",
     "plan.json:1:"),
    ("dup.json", '{"format_version": "1.2", "resource_changes": [], "resource_changes": []}',
     "duplicate key"),
])
def test_deep_nesting_and_huge_numbers_are_exit_2_with_a_line(
        capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str) -> None:
    _exit_2(capsys, name, text, expected)


def test_a_template_path_longer_than_the_file_system_allows_is_exit_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    name = "x" * 5_000 + ".yaml"
    code = main(["iac", name, "--out", "out"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert "Invalid value for 'PATHS...'" in err, err[-500:]  # click checks it exists


def test_a_nested_stack_or_include_path_too_long_is_an_error_not_a_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    long = "y" * 5_000 + ".yaml"
    Path("t.yaml").write_text(
        "Resources:\n"
        "  Child:\n    Type: AWS::CloudFormation::Stack\n"
        f"    Properties: {{TemplateURL: {long}}}\n"
        "  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
        f"      Body: {{'Fn::Transform': {{Name: AWS::Include, Parameters: {{Location: {long}}}}}}}\n",
        encoding="utf-8")
    code = main(["iac", "t.yaml", "--out", "out"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert code == 2 and "t.yaml:8: cannot read include" in err, err[:500]


@pytest.mark.parametrize(("env", "expected"), [("prod", "pass"), ("dev", "fail")])
def test_properties_that_are_a_known_if_take_the_branch_it_picks(
        capsys: pytest.CaptureFixture[str], env: str, expected: str) -> None:
    Path("t.yaml").write_text(IF_PROPERTIES, encoding="utf-8")
    code = main(["iac", "t.yaml", "--out", "out", "--parameter", f"Env={env}",
                 "--policies", _pitr()])
    capsys.readouterr()
    assert _statuses() == [expected], code


def test_properties_that_are_an_if_on_an_unknown_condition_are_errors_with_the_reason(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before, every mapping read the Fn::If as an empty map: the defaults (PITR off) gave a
    plain fail, and a SAM function's Globals replaced it; now: unknown, with the reason."""
    Path("t.yaml").write_text(IF_PROPERTIES.replace("Default: prod", "Default: ''")
                              .replace("Type: String, ", "Type: String, NoEcho: true, ")
                              .replace(", Default: ''", ""), encoding="utf-8")
    main(["iac", "t.yaml", "--out", "out", "--policies", _pitr()])
    capsys.readouterr()
    report = json.loads(Path("out/report.json").read_text(encoding="utf-8"))
    finding, = report["findings"]
    assert finding["status"] == "error", finding
    assert "Orders: its Properties are !If Prod" in json.dumps(finding), finding


IF_PROPERTIES = """\
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties: !If
      - Prod
      - TableName: orders
        PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      - TableName: orders
"""


def _pitr() -> str:
    from tests.support import BUILTIN_POLICIES

    return str(BUILTIN_POLICIES / "dynamodb-pitr-enabled.yml")


def _statuses() -> list[str]:
    report = json.loads(Path("out/report.json").read_text(encoding="utf-8"))
    return [f["status"] for f in report["findings"]]


# --- fail-closed gaps (issue 14) ---------------------------------------------------------------

def _module_integration_plan() -> dict:
    """A function at the root; the REST integration that invokes it inside module.api,
    through a variable: the plan's references stop at the module boundary."""
    function = {"address": "aws_lambda_function.orders", "mode": "managed",
                "type": "aws_lambda_function", "name": "orders",
                "change": {"actions": ["create"], "after": {
                    "function_name": "orders", "timeout": 60, "memory_size": 128,
                    "runtime": "python3.12"}, "after_unknown": {"invoke_arn": True}}}
    integration = {"address": "module.api.aws_api_gateway_integration.lambda",
                   "module_address": "module.api", "mode": "managed",
                   "type": "aws_api_gateway_integration", "name": "lambda",
                   "change": {"actions": ["create"], "after": {
                       "http_method": "GET", "type": "AWS_PROXY",
                       "timeout_milliseconds": 29000}, "after_unknown": {"uri": True}}}
    configuration = {"root_module": {
        "resources": [{"address": "aws_lambda_function.orders", "expressions": {
            "function_name": {"constant_value": "orders"}}}],
        "module_calls": {"api": {"source": "./api", "expressions": {"invoke_arn": {
            "references": ["aws_lambda_function.orders.invoke_arn",
                           "aws_lambda_function.orders"]}},
            "module": {"resources": [{"address": "aws_api_gateway_integration.lambda",
                                      "expressions": {"uri": {"references": [
                                          "var.invoke_arn"]}}}]}}}}}
    return {"format_version": "1.2", "resource_changes": [function, integration],
            "configuration": configuration}


def test_an_integration_across_a_module_boundary_makes_api_integrations_unknown(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the function had no api_integrations, so a 60 s function behind a 29 s REST
    integration passed. Now: which function the integration invokes is not resolved, so
    every function's integrations are unknown: an error naming the integration.
    (lambda-timeout-headroom reads recent durations: not applied before deployment.)"""
    from tests.support import BUILTIN_POLICIES

    Path("plan.json").write_text(json.dumps(_module_integration_plan()), encoding="utf-8")
    main(["iac", "plan.json", "--out", "out", "--policies",
          str(BUILTIN_POLICIES / "apigateway-lambda-timeout-fits.yml")])
    capsys.readouterr()
    report = json.loads(Path("out/report.json").read_text(encoding="utf-8"))
    finding, = report["findings"]
    assert finding["status"] == "error", finding
    assert "module.api.aws_api_gateway_integration.lambda" in json.dumps(finding), finding


def test_a_waive_comment_inside_a_block_is_exit_2_at_its_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ignored, so the resource's failure stood with nobody told the waiver was
    never applied."""
    Path("main.tf").write_text('resource "aws_s3_bucket" "logs" {\n'
                               '  # preflight:waive s3-versioning-enabled expires=2027-01-31 '
                               'owner=platform disposable\n  bucket = "logs"\n}\n',
                               encoding="utf-8")
    plan = {"format_version": "1.2", "resource_changes": [
        {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket",
         "name": "logs", "change": {"after": {"bucket": "logs"}, "after_unknown": {}}}]}
    Path("plan.json").write_text(json.dumps(plan), encoding="utf-8")
    code = main(["iac", "plan.json", "--out", "out"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err[-2000:]
    assert "error: main.tf:2: this preflight:waive comment is not on or above" in err, err

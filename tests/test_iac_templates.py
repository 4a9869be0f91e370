"""preflight iac: CloudFormation (YAML, CDK JSON with a nested stack) and Terraform plans,
judged by the same policies as a live scan, every finding at its file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, validators

from reports import json_report, sarif
from scanner.cli import main
from scanner.config import load_config
from scanner.demo import estate
from scanner.iac import run_iac
from scanner.models import Status
from scanner.policy import load_policies

DATA = Path(__file__).parent / "data" / "iac"
POLICIES = Path(__file__).resolve().parent.parent / "policies"
APP = "tests/data/iac/cfn/app.yaml"
TF = "tests/data/iac/terraform/main.tf"
CDK = "tests/data/iac/cdk/"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # paths relative to the repo


def _run(*paths: str, **kwargs):
    return run_iac(list(paths), load_config(None), load_policies([POLICIES]), **kwargs)


def _table(result) -> set[tuple[str, str, str, str]]:
    return {(f.policy_id, f.status.value, f.resource.name, f.location.describe())
            for f in result.findings}


def test_cloudformation_yaml_findings_with_lines() -> None:
    result = _run(APP, parameters={"Env": "prod"})
    assert _table(result) == {
        ("apigateway-execution-logging", "pass", "orders-api/prod", f"{APP}:168"),
        ("apigateway-lambda-timeout-fits", "fail", "orders-api-prod", f"{APP}:126"),
        ("apigateway-stage-throttling", "fail", "orders-api/prod", f"{APP}:174"),
        ("apigateway-waf-attached", "fail", "orders-api/prod", f"{APP}:168"),
        ("cognito-deletion-protection", "fail", "customers-prod", f"{APP}:112"),
        ("cognito-mfa-on-in-prod", "fail", "customers-prod", f"{APP}:116"),
        ("dynamodb-autoscaling-registered", "pass", "orders-prod", f"{APP}:15"),
        ("dynamodb-autoscaling-registered", "pass", "ReportsTable", f"{APP}:91"),
        ("dynamodb-autoscaling-registered", "fail", "sessions-prod", f"{APP}:81"),
        ("dynamodb-deletion-protection", "pass", "orders-prod", f"{APP}:15"),
        ("dynamodb-pitr-enabled", "pass", "orders-prod", f"{APP}:15"),
        ("dynamodb-pitr-enabled", "error", "ReportsTable", f"{APP}:101"),
        ("dynamodb-pitr-enabled", "waived", "sessions-prod", f"{APP}:71"),
        ("lambda-reserved-concurrency", "fail", "orders-api-prod", f"{APP}:119"),
        ("lambda-timeout-bounds", "fail", "orders-api-prod", f"{APP}:126"),
        ("s3-versioning-enabled", "pass", "AssetsBucket", f"{APP}:103"),
        ("s3-versioning-enabled", "fail", "orders-logs-000000000000", f"{APP}:108"),
    }
    error = next(f for f in result.findings if f.status is Status.ERROR)
    assert "parameter ReportsPitr has no value and no default" in error.message
    waived = next(f for f in result.findings if f.status is Status.WAIVED)
    assert waived.waiver.reason.startswith("sessions expire") and waived.waiver.status is Status.FAIL
    assert any(n.startswith("dynamodb-recent-backup: not applied") for n in result.notes)
    assert "dynamodb-recent-backup" not in {p.id for p in result.policies}


def test_parameters_and_environment_change_the_verdicts() -> None:
    result = _run(APP, parameters={"Env": "staging", "PitrEnabled": "false",
                                   "ReportsPitr": "true"})
    statuses = {(f.policy_id, f.resource.name): f.status.value for f in result.findings}
    assert statuses[("dynamodb-pitr-enabled", "orders-staging")] == "fail"
    assert statuses[("dynamodb-pitr-enabled", "ReportsTable")] == "pass"
    # prod-scoped policies: the Environment tag says staging
    assert ("cognito-mfa-on-in-prod", "customers-staging") not in statuses


def test_cdk_nested_stack_and_terraform_plan() -> None:
    result = _run("tests/data/iac/terraform", CDK, environment="prod")
    table = _table(result)
    assert {t for t in table if t[3].startswith(CDK)} == {
        ("dynamodb-autoscaling-registered", "pass", "cdk-orders", f"{CDK}OrdersStack.template.json:3"),
        ("dynamodb-deletion-protection", "fail", "cdk-orders", f"{CDK}OrdersStack.template.json:3"),
        ("dynamodb-pitr-enabled", "fail", "cdk-orders", f"{CDK}OrdersStack.template.json:3"),
        ("s3-versioning-enabled", "fail", "cdk-archive",
         f"{CDK}OrdersStackStorage1234ABCD.nested.template.json:8"),
    }
    assert {t for t in table if t[3].startswith("tests/data/iac/terraform/")} == {
        ("dynamodb-pitr-enabled", "fail", "orders-prod", f"{TF}:13"),
        ("dynamodb-deletion-protection", "fail", "orders-prod", f"{TF}:1"),
        ("dynamodb-autoscaling-registered", "fail", "orders-prod", f"{TF}:3"),
        ("s3-versioning-enabled", "waived", "orders-logs", f"{TF}:31"),
        ("s3-versioning-enabled", "pass", "orders-assets", "tests/data/iac/terraform/plan.json:46"),
        ("cognito-mfa-on-in-prod", "fail", "customers-prod", f"{TF}:37"),
        ("cognito-deletion-protection", "pass", "customers-prod", f"{TF}:35"),
        ("lambda-reserved-concurrency", "error", "orders-api", f"{TF}:50"),
        ("lambda-timeout-bounds", "pass", "orders-api", f"{TF}:43"),
        ("apigateway-lambda-timeout-fits", "pass", "orders-api", f"{TF}:43"),
    }
    error = next(f for f in result.findings if f.status is Status.ERROR)
    assert "known after apply" in error.message


def test_reports_carry_locations(tmp_path: Path) -> None:
    result = _run(APP, parameters={"Env": "prod"})
    document = json.loads(json_report.render(result))
    Draft202012Validator(json_report.schema()).validate(document)
    assert document["schema_version"] == "1.2"
    back = json_report.from_document(document)
    assert [f.location for f in back.findings] == [f.location for f in result.findings]
    assert back.notes == result.notes
    log = sarif.to_document(result)
    schema = json.loads((Path("tests/data/sarif-schema-2.1.0.json")).read_text())
    validators.validator_for(schema)(schema).validate(log)
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in log["runs"][0]["results"]}
    assert ("cognito-mfa-on-in-prod", APP, 116) in located
    assert ("dynamodb-pitr-enabled", APP, 101) in located  # the error, kind open


def test_cli_exit_codes_and_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["iac", APP, "--parameter", "Env=prod", "--out", str(tmp_path),
                 "--format", "sarif"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{APP}:116: fail cognito-mfa-on-in-prod [critical] customers-prod" in out
    assert (tmp_path / "report.sarif").is_file()
    # only the unknown parameter is left: exit 3 (incomplete), never 0
    code = main(["iac", APP, "--parameter", "Env=prod", "--out", str(tmp_path),
                 "--policies", str(POLICIES / "dynamodb-pitr-enabled.yml"),
                 "--config", str(_no_waived_config(tmp_path))])
    assert code == 3


def _no_waived_config(tmp_path: Path) -> Path:
    path = tmp_path / "preflight.yml"
    path.write_text("default_environment: prod\n")
    return path


def test_same_verdict_live_and_planned(scan, aws, tmp_path: Path) -> None:
    """A resource created live with the demo builders and the template describing it get
    the same status from every policy that applies before deployment."""
    session = estate.account_session("123456789012")
    estate.create_table(session, "us-east-1", "orders", pitr=False, autoscaling=("read",))
    estate.create_bucket(session, "us-east-1", "assets", versioning="Enabled")
    estate.create_user_pool(session, "us-east-1", "customers", mfa="OFF")
    ids = ["dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "s3-versioning-enabled",
           "cognito-mfa-on-in-prod", "cognito-deletion-protection"]
    config = {"default_environment": "prod"}
    live = scan(config, policies=ids)
    template = tmp_path / "same.yaml"
    template.write_text("""Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
  OrdersRead:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: dynamodb
      ResourceId: table/orders
      ScalableDimension: dynamodb:table:ReadCapacityUnits
      MinCapacity: 5
      MaxCapacity: 100
  OrdersReadPolicy:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: orders-read
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref OrdersRead
  Assets:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: assets
      VersioningConfiguration: {Status: Enabled}
  Customers:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: customers
      MfaConfiguration: "OFF"
""")
    planned = run_iac([str(template)], load_config(None),
                      [p for p in load_policies([POLICIES]) if p.id in ids], environment="prod")
    live_status = {(f.policy_id, f.resource.name): f.status for f in live.findings}
    planned_status = {(f.policy_id, f.resource.name): f.status for f in planned.findings}
    assert planned_status == live_status
    assert len(planned_status) == 5

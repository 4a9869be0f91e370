"""preflight iac: CloudFormation (YAML, CDK JSON with a nested stack) and Terraform plans,
judged by the same policies as a live scan, every finding at its file:line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, validators
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.iac import run_iac
from preflight_scanner.models import Status
from preflight_scanner.policy import load_policies
from preflight_scanner.reports import json_report, sarif

from tests.support import BUILTIN_POLICIES

DATA = Path(__file__).parent / "data" / "iac"
POLICIES = BUILTIN_POLICIES  # the installed pack, not the checkout's copy
APP = "tests/data/iac/cfn/app.yaml"
APP_JSON = "tests/data/iac/cfn/app.json"
TF = "tests/data/iac/terraform/main.tf"
CDK = "tests/data/iac/cdk/"


NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)  # the data's waivers expire 2027-01-31


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # paths relative to the repo
    monkeypatch.setattr("preflight_scanner.iac.run.now", lambda: NOW)


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
        ("dynamodb-pitr-enabled", "error", "ReportsTable", f"{APP}:102"),
        ("dynamodb-pitr-enabled", "waived", "sessions-prod", f"{APP}:71"),
        ("lambda-reserved-concurrency", "fail", "orders-api-prod", f"{APP}:119"),
        ("lambda-insights-enabled", "fail", "orders-api-prod", f"{APP}:119"),
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


def test_cloudformation_json_twin_gives_the_same_verdicts_at_its_own_lines() -> None:
    """app.json is app.yaml written as JSON: the same findings, each at the JSON line of
    the same resource or property."""
    as_yaml = _run(APP, parameters={"Env": "prod"})
    as_json = _run(APP_JSON, parameters={"Env": "prod"})
    assert {t[:3] for t in _table(as_json)} == {t[:3] for t in _table(as_yaml)}
    lines = Path(APP_JSON).read_text().splitlines()
    yaml_by_key = {(f.policy_id, f.resource.name): f for f in as_yaml.findings}
    for finding in as_json.findings:
        twin = yaml_by_key[(finding.policy_id, finding.resource.name)]
        assert finding.location.path == APP_JSON
        assert finding.location.property == twin.location.property
        key = (twin.location.property or "").rsplit(".", 1)[-1] or \
            finding.resource.id.rsplit("#", 1)[1]
        assert f'"{key}":' in lines[finding.location.line - 1], (finding, key)


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
        # an error: its comment waiver does not say include_errors=true (as in a waivers file)
        ("s3-versioning-enabled", "error", "orders-logs", f"{TF}:31"),
        ("s3-versioning-enabled", "pass", "orders-assets", "tests/data/iac/terraform/plan.json:46"),
        ("cognito-mfa-on-in-prod", "fail", "customers-prod", f"{TF}:37"),
        ("cognito-deletion-protection", "pass", "customers-prod", f"{TF}:35"),
        ("lambda-reserved-concurrency", "error", "orders-api", f"{TF}:50"),
        ("lambda-timeout-bounds", "pass", "orders-api", f"{TF}:43"),
        ("lambda-insights-enabled", "fail", "orders-api", f"{TF}:43"),
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
    assert ("dynamodb-pitr-enabled", APP, 102) in located  # the error, kind open


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


SAM = "tests/data/iac/sam/template.yaml"
LEGACY = "tests/data/iac/cfn/legacy-api.yaml"


def test_sam_globals_implicit_apis_and_simple_tables() -> None:
    result = _run(SAM, environment="prod")
    assert _table(result) == {
        # Globals.Function.Timeout (60 s) is what the failing checks point at
        ("apigateway-lambda-timeout-fits", "fail", "reports-sam", f"{SAM}:11"),
        ("lambda-timeout-bounds", "fail", "reports-sam", f"{SAM}:11"),
        ("lambda-reserved-concurrency", "fail", "reports-sam", f"{SAM}:48"),
        ("lambda-insights-enabled", "fail", "reports-sam", f"{SAM}:48"),
        # its own Timeout wins over Globals
        ("apigateway-lambda-timeout-fits", "pass", "orders-sam-api", f"{SAM}:33"),
        ("lambda-timeout-bounds", "pass", "orders-sam-api", f"{SAM}:33"),
        ("lambda-reserved-concurrency", "pass", "orders-sam-api", f"{SAM}:33"),
        ("lambda-insights-enabled", "fail", "orders-sam-api", f"{SAM}:33"),
        # IgnoreGlobals: "*": Lambda's own 3 s default
        ("apigateway-lambda-timeout-fits", "pass", "legacy-sam", f"{SAM}:65"),
        ("lambda-timeout-bounds", "pass", "legacy-sam", f"{SAM}:65"),
        ("lambda-reserved-concurrency", "fail", "legacy-sam", f"{SAM}:65"),
        ("lambda-insights-enabled", "fail", "legacy-sam", f"{SAM}:65"),
        # Globals.Api's method settings reach the explicit and the implicit REST API
        ("apigateway-execution-logging", "pass", "orders-sam/prod", f"{SAM}:25"),
        ("apigateway-stage-throttling", "pass", "orders-sam/prod", f"{SAM}:25"),
        ("apigateway-waf-attached", "fail", "orders-sam/prod", f"{SAM}:25"),
        ("apigateway-execution-logging", "pass", "ServerlessRestApi/Prod", f"{SAM}:55"),
        ("apigateway-stage-throttling", "pass", "ServerlessRestApi/Prod", f"{SAM}:55"),
        ("apigateway-waf-attached", "fail", "ServerlessRestApi/Prod", f"{SAM}:55"),
        # SAM's extra "Stage" stage of the implicit API (OrdersApi sets OpenApiVersion)
        ("apigateway-execution-logging", "fail", "ServerlessRestApi/Stage", f"{SAM}:55"),
        ("apigateway-stage-throttling", "fail", "ServerlessRestApi/Stage", f"{SAM}:55"),
        ("apigateway-waf-attached", "fail", "ServerlessRestApi/Stage", f"{SAM}:55"),
        # the implicit HTTP API has no throttling: pointed at the event that creates it
        ("apigateway-stage-throttling", "fail", "ServerlessHttpApi/$default", f"{SAM}:60"),
        # SimpleTable: on demand unless provisioned; no PITR, no deletion protection
        ("dynamodb-autoscaling-registered", "pass", "sessions-prod", f"{SAM}:75"),
        ("dynamodb-deletion-protection", "fail", "sessions-prod", f"{SAM}:75"),
        ("dynamodb-pitr-enabled", "waived", "sessions-prod", f"{SAM}:75"),
        ("dynamodb-autoscaling-registered", "fail", "counters", f"{SAM}:90"),
        ("dynamodb-deletion-protection", "fail", "counters", f"{SAM}:90"),
        ("dynamodb-pitr-enabled", "fail", "counters", f"{SAM}:90"),
    }
    timeout = next(f for f in result.findings if f.policy_id == "lambda-timeout-bounds"
                   and f.resource.name == "reports-sam")
    assert timeout.location.property == "Timeout" and timeout.location.resource_line == 48


def test_sam_function_events_become_api_integrations() -> None:
    from preflight_scanner.iac.run import load_planned

    planned = {p.name: p for p in load_planned([SAM], {}, "eu-west-1", "111122223333")}
    assert planned["orders-sam-api"].data["api_integrations"] == [
        {"api_type": "REST", "api_id": "${OrdersApi}", "path": "/orders/{id}", "method": "GET",
         "timeout_ms": 29000, "timeout_seconds": 29.0}]
    assert [(i["api_type"], i["api_id"], i["timeout_ms"])
            for i in planned["reports-sam"].data["api_integrations"]] == [
        ("REST", "${ServerlessRestApi}", 29000), ("HTTP", "${ServerlessHttpApi}", 30000)]
    assert planned["reports-sam"].data["tags"] == {"Environment": "prod"}  # Globals.Tags
    assert planned["orders-sam/prod"].data["tracing_enabled"] is True  # Globals.Api
    assert planned["sessions-prod"].data["billing_mode"] == "PAY_PER_REQUEST"


def test_deployment_stage_description_is_a_stage() -> None:
    result = _run(LEGACY, environment="prod")
    assert _table(result) == {
        ("apigateway-execution-logging", "pass", "legacy-api/live", f"{LEGACY}:41"),
        # StageDescription.ThrottlingRateLimit 20000 is above the account's 10000
        ("apigateway-stage-throttling", "fail", "legacy-api/live", f"{LEGACY}:48"),
        # attached by an association that names the API and the stage in a !Sub
        ("apigateway-waf-attached", "pass", "legacy-api/live", f"{LEGACY}:41"),
        ("apigateway-lambda-timeout-fits", "fail", "legacy-orders", f"{LEGACY}:40"),
        ("lambda-reserved-concurrency", "fail", "legacy-orders", f"{LEGACY}:32"),
        ("lambda-insights-enabled", "fail", "legacy-orders", f"{LEGACY}:32"),
        ("lambda-timeout-bounds", "pass", "legacy-orders", f"{LEGACY}:32"),
    }  # BareDeployment has no StageName: it creates no stage
    throttling = next(f for f in result.findings if f.policy_id == "apigateway-stage-throttling")
    assert throttling.location.property == "StageDescription.ThrottlingRateLimit"
    from preflight_scanner.iac.run import load_planned

    planned = {p.name: p for p in load_planned([LEGACY], {}, "us-east-1", "0")}
    assert planned["legacy-api/live"].data["method_settings"] == {
        "*/*": {"rate_limit": 20000, "burst_limit": 500, "logging_level": "INFO"},
        "orders/GET": {"rate_limit": 50, "burst_limit": 20, "logging_level": "OFF"}}
    assert planned["legacy-orders"].data["api_integrations"][0]["path"] == "/orders/{id}"


def test_same_verdict_live_and_sam(scan, aws, tmp_path: Path) -> None:
    """A function behind a REST API, built live and described in SAM, gets the same status
    from every policy that applies before deployment."""
    session = estate.account_session("123456789012")
    arn = estate.create_function(session, "us-east-1", "sam-parity", timeout=40)
    estate.create_rest_api(session, "us-east-1", "sam-parity-api",
                           [estate.Stage("prod", rate=100, burst=50)], lambda_arn=arn)
    ids = ["lambda-timeout-bounds", "apigateway-lambda-timeout-fits",
           "lambda-reserved-concurrency", "apigateway-stage-throttling"]
    live = scan({"default_environment": "prod"}, policies=ids)
    template = tmp_path / "sam.yaml"
    template.write_text("""Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    MethodSettings:
      - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {Name: sam-parity-api, StageName: prod, OpenApiVersion: "3.0"}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sam-parity
      Runtime: python3.12
      Handler: handler.handler
      CodeUri: .
      Timeout: 40
      Events:
        Items: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items, Method: get}}
""")
    planned = run_iac([str(template)], load_config(None),
                      [p for p in load_policies([POLICIES]) if p.id in ids], environment="prod")
    names = {"sam-parity", "sam-parity-api/prod"}
    live_status = {(f.policy_id, f.resource.name): f.status for f in live.findings
                   if f.resource.name in names}
    planned_status = {(f.policy_id, f.resource.name): f.status for f in planned.findings}
    assert planned_status == live_status
    assert len(planned_status) == 4 and Status.FAIL in planned_status.values()
    # the same evidence too: timeouts, integration timeouts, limits
    live_messages = {(f.policy_id, f.resource.name): f.message for f in live.findings
                     if f.resource.name in names}
    assert {(f.policy_id, f.resource.name): f.message for f in planned.findings} == \
        live_messages


SYNTH = "tests/data/iac/cdk-synth/"


def test_real_cdk_synth_output() -> None:
    """Untouched `cdk synth` output of tests/data/iac/cdk-synth/app.js (aws-cdk-lib 2.276):
    a stack with a nested stack, TableV2 (a global table), LambdaRestApi, HttpApi, and a
    Stage of the app (assembly-Prod/) holding the same stack again."""
    result = _run(SYNTH, environment="prod")
    stack, nested = f"{SYNTH}OrdersStack.template.json", \
        f"{SYNTH}OrdersStackStorage3AD7B3B3.nested.template.json"
    assert {t for t in _table(result) if "assembly-Prod" not in t[3]} == {
        ("apigateway-execution-logging", "pass", "RestApi/prod", f"{stack}:306"),
        ("apigateway-stage-throttling", "pass", "RestApi/prod", f"{stack}:306"),
        ("apigateway-waf-attached", "fail", "RestApi/prod", f"{stack}:306"),
        ("apigateway-stage-throttling", "fail", "HttpApi/$default", f"{stack}:722"),
        ("apigateway-lambda-timeout-fits", "pass", "OrdersStack/Api/Resource", f"{stack}:159"),
        ("lambda-timeout-bounds", "pass", "OrdersStack/Api/Resource", f"{stack}:159"),
        ("lambda-reserved-concurrency", "fail", "OrdersStack/Api/Resource", f"{stack}:159"),
        ("lambda-insights-enabled", "fail", "OrdersStack/Api/Resource", f"{stack}:159"),
        ("cognito-deletion-protection", "pass", "OrdersStack/Users/Resource", f"{stack}:784"),
        ("cognito-mfa-on-in-prod", "fail", "OrdersStack/Users/Resource", f"{stack}:808"),
        # autoScaleReadCapacity only: the write side is missing
        ("dynamodb-autoscaling-registered", "fail", "OrdersStack/OrdersTable/Resource",
         f"{stack}:3"),
        ("dynamodb-deletion-protection", "pass", "OrdersStack/OrdersTable/Resource", f"{stack}:3"),
        ("dynamodb-pitr-enabled", "pass", "OrdersStack/OrdersTable/Resource", f"{stack}:3"),
        ("s3-versioning-enabled", "fail", "OrdersStack/Logs/Resource", f"{stack}:103"),
        ("s3-versioning-enabled", "pass", "OrdersStack/Storage/ArchiveBucket/Resource",
         f"{nested}:3"),
        ("dynamodb-autoscaling-registered", "pass", "OrdersStack/Storage/GlobalTable/Resource",
         f"{nested}:22"),
        ("dynamodb-pitr-enabled", "pass", "OrdersStack/Storage/GlobalTable/Resource",
         f"{nested}:22"),
        ("dynamodb-deletion-protection", "fail", "OrdersStack/Storage/GlobalTable/Resource",
         f"{nested}:38"),
        # LambdaRestApi's cloudWatchRole: an Account with the role it creates
        ("apigateway-account-logging-role", "pass", "RestApiAccount7C83CF5A", f"{stack}:269"),
        ("logs-retention-set", "pass", "OrdersStack/AccessLogs/Resource", f"{stack}:195"),
    }
    staged = {(t[0], t[1], t[2].removeprefix("Prod/")) for t in _table(result)
              if "assembly-Prod" in t[3]}
    assert staged == {(t[0], t[1], t[2]) for t in _table(result) if "assembly-Prod" not in t[3]}
    from preflight_scanner.iac.run import load_planned

    function = next(p for p in load_planned([stack], {}, "us-east-1", "0")
                    if p.type == "aws.lambda.function")
    assert [(i["api_type"], i["path"], i["method"], i["timeout_ms"])
            for i in function.data["api_integrations"]] == [
        ("REST", "/{proxy+}", "ANY", 29000), ("REST", "/", "ANY", 29000),
        ("HTTP", None, None, 30000)]


def test_openapi_definitions_are_integrations(tmp_path: Path) -> None:
    """APIs defined by an inline OpenAPI Body (or SAM DefinitionBody) carry their Lambda
    integrations in x-amazon-apigateway-integration, not in Method resources."""
    template = tmp_path / "openapi.yaml"
    template.write_text("""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: openapi-fn
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::000000000000:role/fn
      Code: {ZipFile: "x"}
      Timeout: 20
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: openapi-rest
      Body:
        openapi: "3.0.1"
        paths:
          /orders/{id}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                timeoutInMillis: 15000
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/\\
                  ${Fn.Arn}/invocations"
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/\\
                  ${Other.Arn}/invocations"
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        paths:
          /health:
            get:
              x-amazon-apigateway-integration:
                uri: !GetAtt Fn.Arn
                payloadFormatVersion: "2.0"
""")
    from preflight_scanner.iac.run import load_planned

    function = next(p for p in load_planned([str(template)], {}, "us-east-1", "0")
                    if p.type == "aws.lambda.function")
    assert function.data["api_integrations"] == [
        {"api_type": "REST", "api_id": "${Api}", "path": "/orders/{id}", "method": "GET",
         "timeout_ms": 15000, "timeout_seconds": 15.0},
        {"api_type": "HTTP", "api_id": "${Http}", "path": None, "method": None,
         "timeout_ms": 30000, "timeout_seconds": 30.0}]
    result = _run(str(template), environment="prod")
    fits = next(f for f in result.findings if f.policy_id == "apigateway-lambda-timeout-fits")
    assert fits.status is Status.FAIL and "(15.0 s)" in fits.message  # 20 s >= 15 s


def test_nested_stack_parameters_keep_what_is_unknown(tmp_path: Path) -> None:
    """A parent passing an unknown parameter to a nested stack: the nested template sees it
    unknown (error), never a made-up string; an SSM-typed parameter is read at deployment."""
    (tmp_path / "child.yaml").write_text("""Parameters:
  Pitr: {Type: String}
  KeyArn: {Type: String}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: child-table
      BillingMode: PAY_PER_REQUEST
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: !Ref Pitr}
      SSESpecification: {SSEEnabled: true, KMSMasterKeyId: !Ref KeyArn}
""")
    (tmp_path / "parent.yaml").write_text("""Parameters:
  ChildPitr: {Type: String}
  Versioning: {Type: "AWS::SSM::Parameter::Value<String>", Default: /org/versioning}
Resources:
  Key:
    Type: AWS::KMS::Key
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters: {Pitr: !Ref ChildPitr, KeyArn: !GetAtt Key.Arn}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: parent-bucket
      VersioningConfiguration: {Status: !Ref Versioning}
""")
    result = _run(str(tmp_path), environment="prod")
    statuses = {(f.policy_id, f.resource.name): (f.status, f.message) for f in result.findings}
    status, message = statuses[("dynamodb-pitr-enabled", "child-table")]
    assert status is Status.ERROR and "parameter ChildPitr has no value" in message
    status, message = statuses[("s3-versioning-enabled", "parent-bucket")]
    assert status is Status.ERROR and "SSM parameter /org/versioning" in message
    supplied = _run(str(tmp_path), environment="prod",
                    parameters={"ChildPitr": "true", "Versioning": "Enabled"})
    assert {(f.policy_id, f.resource.name): f.status for f in supplied.findings}[
        ("dynamodb-pitr-enabled", "child-table")] is Status.PASS
    assert {(f.policy_id, f.resource.name): f.status for f in supplied.findings}[
        ("s3-versioning-enabled", "parent-bucket")] is Status.PASS


TFM = "tests/data/iac/terraform-modules/"


def test_terraform_plan_as_terraform_writes_it() -> None:
    """A one-line plan in Terraform 1.11's shape: a for_each module (module.tables["orders"]),
    for_each targets and policies joined inside their module instance, provider
    default_tags in tags_all, computed blocks and arguments left unset (their provider
    defaults apply), ids known only after apply, and lines from the module's own .tf."""
    result = _run(TFM, environment="staging")  # default_tags say prod
    module, root = f"{TFM}modules/table/main.tf", f"{TFM}main.tf"
    assert _table(result) == {
        ("dynamodb-autoscaling-registered", "pass", "orders", f"{module}:13"),
        ("dynamodb-autoscaling-registered", "fail", "carts", f"{module}:15"),
        ("dynamodb-deletion-protection", "fail", "orders", f"{module}:13"),
        ("dynamodb-deletion-protection", "fail", "carts", f"{module}:13"),
        ("dynamodb-pitr-enabled", "pass", "orders", f"{module}:13"),
        ("dynamodb-pitr-enabled", "fail", "carts", f"{module}:25"),
        ("s3-versioning-enabled", "waived", "orders-build-logs", f"{root}:19"),
        ("s3-versioning-enabled", "pass", "orders-assets", f"{root}:23"),
        ("lambda-reserved-concurrency", "fail", "orders-api", f"{root}:34"),
        ("lambda-insights-enabled", "fail", "orders-api", f"{root}:34"),
        ("lambda-timeout-bounds", "fail", "orders-api", f"{root}:40"),
        ("apigateway-lambda-timeout-fits", "fail", "orders-api", f"{root}:40"),
        ("apigateway-execution-logging", "pass", "orders/prod", f"{root}:80"),
        ("apigateway-stage-throttling", "pass", "orders/prod", f"{root}:80"),
        ("apigateway-waf-attached", "fail", "orders/prod", f"{root}:80"),
    }
    assert {f.resource.id for f in result.findings if f.resource.name == "carts"} == {
        f'{TFM}plan.json#module.tables["carts"].aws_dynamodb_table.this'}
    from preflight_scanner.iac.run import load_planned

    planned = {p.name: p for p in load_planned([TFM], {}, "us-east-1", "0")}
    function = planned["orders-api"].data
    assert function["architectures"] == ["x86_64"]  # unset: "known after apply" in the plan
    assert function["tags"] == {"Environment": "prod", "Team": "orders"}
    assert function["api_integrations"] == [
        {"api_type": "REST", "api_id": "${aws_api_gateway_rest_api.orders.id}",
         "path": "/orders/{id}", "method": "GET", "timeout_ms": 29000, "timeout_seconds": 29.0}]
    assert [p["name"] for p in planned["orders"].data["autoscaling"]["write"]["policies"]] == \
        ["orders-write"]
    # without the .tf files the plan itself is the place: a compact plan is all line 1
    plan_only = _run(f"{TFM}plan.json", environment="prod", source_dirs=["tests/data/iac/cfn"])
    assert {f.location.describe() for f in plan_only.findings} == {f"{TFM}plan.json:1"}


def test_cli_remediation_of_a_planned_resource_is_a_template_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not `aws s3api put-bucket-versioning --bucket OrdersStack/Logs/Resource`: the property
    to set and its value, at the file:line, in CloudFormation or Terraform terms."""
    code = main(["iac", SYNTH, "tests/data/iac/terraform", "--environment", "prod",
                 "--out", str(tmp_path), "--format", "sarif,junit"])
    capsys.readouterr()
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    remediation = {(f["policy_id"], f["resource"]["name"]): f["remediation"]
                   for f in report["findings"]}
    stack = f"{SYNTH}OrdersStack.template.json"
    assert remediation[("s3-versioning-enabled", "OrdersStack/Logs/Resource")] == [
        f"{stack}:103 (Logs6819BB44): set VersioningConfiguration.Status: Enabled"]
    assert remediation[("dynamodb-pitr-enabled", "orders-prod")] == [
        f"{TF}:13 (aws_dynamodb_table.orders): add point_in_time_recovery {{ enabled = true }}"]
    reserved, = remediation[("lambda-reserved-concurrency", "OrdersStack/Api/Resource")]
    assert reserved.startswith(f"{stack}:159 (") and reserved.endswith(
        "): set ReservedConcurrentExecutions: N (so that: no reserved concurrency: other "
        "functions can use up the account's concurrency and starve this one)")
    waf = remediation[("apigateway-waf-attached", "RestApi/prod")][0]
    assert "AWS::WAFv2::WebACLAssociation" in waf and "--resource-arn" not in waf
    passes = [f["remediation"] for f in report["findings"] if f["status"] == "pass"]
    assert passes and all(r == [] for r in passes)
    every = json.dumps([f["remediation"] for f in report["findings"]])
    assert "aws s3api" not in every and "aws dynamodb" not in every and "None" not in every
    results = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]["results"]
    messages = json.dumps([r["message"]["text"] for r in results])
    assert "Fix:\\n  " + f"{stack}:103 (Logs6819BB44): set VersioningConfiguration" in messages
    assert "put-bucket-versioning" not in messages
    junit = (tmp_path / "report.junit.xml").read_text()
    assert "set VersioningConfiguration.Status: Enabled" in junit
    assert "--bucket OrdersStack/Logs/Resource" not in junit

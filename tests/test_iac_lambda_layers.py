"""lambda-insights-enabled before deployment: the Layers of a template (and a plan's layers)
decide it when they name the extension; a layer known only at deployment cannot tell."""

from __future__ import annotations

import json
from pathlib import Path

from preflight_scanner.cli import main

INSIGHTS = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:49"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ExtraLayer:
    Type: String
Resources:
  Watched:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: watched
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::111111111111:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Layers: [INSIGHTS_ARN]
  Unwatched:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: unwatched
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::111111111111:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
  Unknowable:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: unknowable
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::111111111111:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Layers: [!Ref ExtraLayer]
""".replace("INSIGHTS_ARN", INSIGHTS)


def test_layers_decide_lambda_insights_before_deployment(tmp_path: Path, capsys) -> None:
    (tmp_path / "app.yaml").write_text(TEMPLATE, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["iac", str(tmp_path / "app.yaml"), "--environment", "prod", "-o", str(out)])
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    verdicts = {f["resource"]["name"]: f["status"] for f in report["findings"]
                if f["policy_id"] == "lambda-insights-enabled"}
    assert verdicts == {"watched": "pass", "unwatched": "fail", "unknowable": "error"}
    assert code == 1  # the gate does not pass: a failure, and what could not be told

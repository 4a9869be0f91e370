"""The demo: the real scan path on a seeded fake estate, end to end through the CLI."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from jsonschema import Draft202012Validator
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo.run import NOT_IN_DEMO
from preflight_scanner.models import Account
from preflight_scanner.policy import load_policies
from preflight_scanner.reports.json_report import schema, to_document
from preflight_scanner.scan import run_scan

from tests.support import BUILTIN_POLICIES


def test_demo_writes_a_valid_report_that_exercises_every_policy(aws, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "report: " in captured.out and str(out / "report.json") in captured.out
    # What it says is what it returns; the scan's own gate is reported beside it.
    assert "exit code 0 (the scan's gate says 1: the estate fails on purpose)" in captured.err
    report = json.loads((out / "report.json").read_text())
    Draft202012Validator(schema()).validate(report)
    statuses = defaultdict(set)
    for finding in report["findings"]:
        statuses[finding["policy_id"]].add(finding["status"])
    for policy in load_policies(None):
        if policy.id in NOT_IN_DEMO:  # switched off by the demo's config, and said so
            assert policy.id not in statuses and policy.id in captured.out
            continue
        assert {"pass", "fail"} <= statuses[policy.id], policy.id
    assert ("not checked in the demo (the embedded fake AWS cannot answer them): "
            "cloudfront-additional-metrics (moto does not implement CloudFront's "
            "GetMonitoringSubscription); amplify-redeployable-job (moto does not implement "
            "Amplify)") in captured.out
    # The logged distribution behind a web ACL passes both CloudFront policies; the bare one
    # fails both.
    cdn = {(f["policy_id"], f["resource"]["name"]): f for f in report["findings"]
           if f["resource"]["type"] == "aws.cloudfront.distribution"}
    assert {key: f["status"] for key, f in cdn.items()} == {
        ("cloudfront-logging-enabled", "shop-web"): "pass",
        ("cloudfront-waf-attached", "shop-web"): "pass",
        ("cloudfront-logging-enabled", "shop-media"): "fail",
        ("cloudfront-waf-attached", "shop-media"): "fail"}
    assert cdn["cloudfront-logging-enabled", "shop-web"]["message"] == \
        "standard logs go to shop-prod-logs.s3.amazonaws.com/cloudfront/"
    assert report["summary"]["by_status"]["error"] == 0
    assert {a["environment"] for a in report["scan"]["accounts"]} == {"management", "prod",
                                                                      "staging"}
    # The staging pool tagged Environment=prod is judged as prod; the untagged one is not.
    mfa = {f["resource"]["name"]: f for f in report["findings"]
           if f["policy_id"] == "cognito-mfa-on-in-prod"}
    assert mfa["shop-load-test"]["status"] == "fail"
    assert mfa["shop-load-test"]["resource"]["environment"] == "prod"
    assert "shop-staging-customers" not in mfa
    # Remediation is filled in with the resource's real name and region.
    carts = next(f for f in report["findings"]
                 if f["policy_id"] == "dynamodb-pitr-enabled" and f["resource"]["name"] == "carts")
    assert "--table-name carts" in carts["remediation"][0]
    assert "--region us-east-1" in carts["remediation"][0]
    own_runbooks_checked(out, captured.out)


def test_report_is_deterministic_for_the_same_estate(demo_aws, write_config):
    config = load_config(write_config(demo_aws.config))
    now = datetime.now(UTC)  # ages (backups) are measured against the scan clock
    documents = [json.dumps(to_document(run_scan(config, load_policies([BUILTIN_POLICIES]),
                                                 clock=lambda: now)))
                 for _ in range(2)]
    assert documents[0] == documents[1]
    findings = json.loads(documents[0])["findings"]
    keys = [(f["policy_id"], f["resource"]["account_id"], f["resource"]["region"],
             f["resource"]["type"], f["resource"]["id"]) for f in findings]
    assert keys == sorted(keys)


def test_a_saved_report_round_trips_to_the_same_result(demo_scan):
    from preflight_scanner.reports.json_report import from_document

    result = demo_scan.result
    document = json.loads(json.dumps(to_document(result)))
    # A report keeps what a reader needs: no role ARNs, no policy file paths.
    assert from_document(document) == dataclasses.replace(
        result,
        policies=tuple(dataclasses.replace(p, source="") for p in result.policies),
        accounts=tuple(Account(a.id, a.name, a.environment) for a in result.accounts))
    assert set(document["runbooks"]) == {p.runbook for p in result.policies}
    assert all(r["markdown"].startswith("#") for r in document["runbooks"].values())


def own_runbooks_checked(out: Path, printed: str) -> None:
    """The demo also runs `runbooks check` over the built-in runbooks (in the same demo run
    as the test above: a demo costs seconds): its reports sit beside report.html and its
    one-line summary is printed; the estate's not-ready steps are there on purpose, like its
    failing findings, so the demo's exit code stays the one it prints."""
    from preflight_scanner.reports.runbooks_json import schema as runbooks_schema
    from preflight_scanner.runbooks import builtin_runbook_dir

    assert {"report.html", "runbooks.html", "runbooks.json", "runbooks.md"} <= {
        p.name for p in out.iterdir()}
    report = json.loads((out / "runbooks.json").read_text())
    Draft202012Validator(runbooks_schema()).validate(report)
    assert {r["name"] for r in report["runbooks"]} == {
        p.stem for p in builtin_runbook_dir().glob("*.md")}
    summary = report["summary"]
    assert summary["ready"] > 0 and summary["not-ready"] > 0 and summary["unknown"] > 0
    [line] = [line for line in printed.splitlines() if line.startswith("runbooks check")]
    assert line == (f"runbooks check of Preflight's own runbooks: {summary['ready']} ready, "
                    f"{summary['not-ready']} not ready, {summary['unknown']} cannot tell, "
                    f"{summary['waived']} waived (steps x places); "
                    f"{report['check']['api_calls']} API calls: {out / 'runbooks.html'}")
    assert "<html" in (out / "runbooks.html").read_text()

"""`preflight export securityhub` against moto's Security Hub in server mode (through the
tests' fault proxy): findings arrive and validate, a re-import updates instead of adding,
findings that disappeared are archived only when the report proves it, rejections are
reported, and the scanner's read-only guard is untouched."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from preflight_scanner.cli import main
from preflight_scanner.export import securityhub
from preflight_scanner.models import ScanResult
from preflight_scanner.reports import json_report

from tests.test_reports_asff import validate_import
from tests.test_reports_export_golden import iac_result
from tests.test_reports_golden import PROD, sample_result

ACCOUNT = "123456789012"  # moto's account: the caller


def _ours(result: ScanResult) -> ScanResult:
    """The sample with its prod account being the caller's."""
    def move(account_id: str) -> str:
        return ACCOUNT if account_id == PROD else account_id

    findings = tuple(dataclasses.replace(f, resource=dataclasses.replace(
        f.resource, account_id=move(f.resource.account_id),
        arn=(f.resource.arn or "").replace(PROD, ACCOUNT) or None)) for f in result.findings)
    accounts = tuple(dataclasses.replace(a, id=move(a.id)) for a in result.accounts)
    return dataclasses.replace(result, findings=findings, accounts=accounts, errors=())


def _save(result: ScanResult, path: Path) -> Path:
    path.write_text(json_report.render(result), encoding="utf-8")
    return path


def _findings(region: str = "us-east-1") -> list[dict[str, Any]]:
    hub = boto3.client("securityhub", region_name=region)
    return [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]


def test_import_sends_the_callers_findings_and_a_reimport_updates_them(aws, tmp_path, capsys):
    result = _ours(sample_result())
    report = _save(result, tmp_path / "report.json")
    assert main(["export", "securityhub", str(report), "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    mine = [f for f in result.findings if f.resource.account_id == ACCOUNT]
    assert f"{len(mine)} finding(s) imported" in out
    assert "left out: 3 finding(s) of account 222222222222" in out
    stored = _findings()
    assert len(stored) == len(mine)
    validate_import(stored)
    assert {f["AwsAccountId"] for f in stored} == {ACCOUNT}
    assert all(":securityhub:us-east-1:" in f["ProductArn"] for f in stored)
    assert main(["export", "securityhub", str(report), "--region", "us-east-1"]) == 0
    assert len(_findings()) == len(mine)  # same ids: updated, not duplicated


def test_archive_missing_archives_only_what_the_report_proves_gone(aws, tmp_path, capsys):
    result = _ours(sample_result())
    assert main(["export", "securityhub", str(_save(result, tmp_path / "a.json")),
                 "--region", "us-east-1"]) == 0
    carts = next(f for f in result.findings if f.resource.id == "carts")
    later = dataclasses.replace(result, findings=tuple(f for f in result.findings if f != carts),
                                finished_at="2024-05-02T10:00:00+00:00")
    capsys.readouterr()
    assert main(["export", "securityhub", str(_save(later, tmp_path / "b.json")),
                 "--region", "us-east-1", "--archive-missing"]) == 0
    assert "1 archived" in capsys.readouterr().out
    [archived] = [f for f in _findings() if f["RecordState"] == "ARCHIVED"]
    assert "carts" in archived["Description"]
    validate_import([archived])  # re-sent as a whole, provider attributes only


def test_a_finding_is_not_archived_where_the_report_could_not_read(aws, tmp_path):
    result = _ours(sample_result())
    assert main(["export", "securityhub", str(_save(result, tmp_path / "a.json")),
                 "--region", "us-east-1"]) == 0
    carts = next(f for f in result.findings if f.resource.id == "carts")
    unreadable = dataclasses.replace(carts, resource=dataclasses.replace(
        carts.resource, id="*", name="every table", arn=None), status=carts.status.ERROR,
        message="ListTables failed (AccessDenied)")
    later = dataclasses.replace(result, findings=tuple(
        unreadable if f == carts else f for f in result.findings))
    assert main(["export", "securityhub", str(_save(later, tmp_path / "b.json")),
                 "--region", "us-east-1", "--archive-missing"]) == 0
    assert all(f["RecordState"] == "ACTIVE" for f in _findings())


def test_pre_deploy_findings_are_never_sent(aws, tmp_path, capsys):
    result = _ours(iac_result())
    assert main(["export", "securityhub", str(_save(result, tmp_path / "r.json")),
                 "--region", "us-east-1"]) == 0
    assert f"left out: {len(result.findings)} pre-deploy" in capsys.readouterr().out
    assert _findings() == []


class _Hub:
    """Answers BatchImportFindings with scripted partial failures."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers, self.calls = answers, []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append([f["Id"] for f in Findings])
        return self.answers.pop(0)


def test_batches_of_100_and_transient_rejections_are_retried_then_reported():
    findings = [{"Id": f"id-{n}"} for n in range(150)]
    hub = _Hub([
        {"SuccessCount": 98, "FailedFindings": [
            {"Id": "id-3", "ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
            {"Id": "id-7", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}]},
        {"SuccessCount": 1, "FailedFindings": []},  # id-3 on retry
        *[{"SuccessCount": 0, "FailedFindings": [
            {"Id": "id-120", "ErrorCode": "InternalException", "ErrorMessage": "x"}]}
          for _ in range(securityhub.ATTEMPTS)],
    ])
    sleeps: list[float] = []
    imported, failed = securityhub.import_batches(hub, findings, sleeps.append)
    assert [len(c) for c in hub.calls] == [100, 1, 50, 1, 1, 1]
    assert imported == 99
    assert [(f.id, f.code) for f in failed] == [("id-7", "InvalidInput"),
                                                ("id-120", "InternalException")]
    assert sleeps == [1.0, 1.0, 2.0, 4.0]


def test_a_rejected_finding_exits_3_and_is_named(aws, tmp_path, capsys, monkeypatch):
    from preflight_scanner.reports import asff

    original = asff.document

    def without_resources(*args: Any, **kwargs: Any) -> dict[str, Any]:
        document = original(*args, **kwargs)
        if "carts" in document["Description"]:
            document["Resources"] = []  # moto rejects it, as Security Hub would
        return document

    monkeypatch.setattr(asff, "document", without_resources)
    report = _save(_ours(sample_result()), tmp_path / "r.json")
    assert main(["export", "securityhub", str(report), "--region", "us-east-1"]) == 3
    assert "rejected: preflight/dynamodb-pitr-enabled/" in capsys.readouterr().err


def test_archive_missing_refuses_a_report_without_the_callers_account(aws, tmp_path, capsys):
    report = _save(sample_result(), tmp_path / "r.json")
    assert main(["export", "securityhub", str(report), "--region", "us-east-1",
                 "--archive-missing"]) == 2
    assert "account 123456789012 is not in this report" in capsys.readouterr().err


def test_the_iam_policy_is_import_only_unless_archiving(capsys):
    assert main(["export", "securityhub", "unused.json", "--print-iam-policy"]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert [a for s in policy["Statement"] for a in s["Action"]] == \
        ["securityhub:BatchImportFindings"]
    assert main(["export", "securityhub", "unused.json", "--print-iam-policy",
                 "--archive-missing"]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert [a for s in policy["Statement"] for a in s["Action"]] == \
        ["securityhub:BatchImportFindings", "securityhub:GetFindings"]


def test_the_scanners_read_only_guard_still_refuses_the_import():
    from preflight_scanner.aws import is_read_operation

    assert not is_read_operation("securityhub", "BatchImportFindings")


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    monkeypatch.setattr(securityhub.time, "sleep", lambda _s: None)

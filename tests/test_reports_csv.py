"""report.csv: read back with the csv module, one row per finding with the stable columns, and
no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from preflight_scanner.models import Status
from preflight_scanner.reports import csv_report

from tests.test_reports_golden import EVIL_NAME, sample_result
from tests.test_waivers_reports import REASON, ci_result

FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == csv_report.COLUMNS
    return list(reader)


def test_round_trip_one_row_per_finding_with_every_value():
    result = sample_result()
    read = rows(csv_report.render(result))
    assert len(read) == len(result.findings)
    for row, finding in zip(read, result.findings, strict=True):
        r = finding.resource
        assert (row["status"], row["severity"], row["policy_id"], row["account_id"],
                row["region"], row["environment"], row["resource_type"], row["resource_id"],
                row["resource_name"], row["arn"], row["message"], row["runbook"]) == (
            finding.status.value, finding.severity.value, finding.policy_id, r.account_id,
            r.region, r.environment, r.type, r.id, r.name, r.arn or "", finding.message,
            finding.runbook)
    assert {row["status"] for row in read} == {"pass", "fail", "error"}  # passes are listed too
    assert any(row["resource_name"] == EVIL_NAME for row in read)
    assert read[0]["account_name"] == "shop-prod" and read[0]["policy_title"]


def test_waivers_and_the_baseline_fill_their_columns():
    result = ci_result()
    read = rows(csv_report.render(result))
    waived = [row for row in read if row["status"] == "waived"]
    assert {row["waiver_id"] for row in waived} == {"legacy-bucket", "staging-denied"}
    assert any(row["waiver_reason"] == REASON for row in waived)
    carts = next(row for row in read if row["resource_id"] == "carts")
    assert (carts["change"], carts["first_seen"]) == ("new", result.started_at)
    partners = next(row for row in read if row["resource_id"] == "eu-west-1_abc")
    assert (partners["change"], partners["first_seen"]) == ("unchanged",
                                                             "2024-04-30T10:00:00+00:00")
    assert all(row["change"] == "" for row in read if row["status"] == "pass")


@pytest.mark.parametrize("hostile", FORMULAS)
def test_a_formula_from_aws_stays_text(hostile):
    result = sample_result()
    finding = dataclasses.replace(result.findings[0], message=hostile, resource=dataclasses.replace(
        result.findings[0].resource, name=hostile, id=hostile))
    result = dataclasses.replace(result, findings=(finding,))
    [row] = rows(csv_report.render(result))
    for column in ("message", "resource_name", "resource_id"):
        assert row[column].startswith("'"), (column, row[column])
        assert not row[column].startswith(csv_report.FORMULA_STARTS)
    assert row["message"] == "'" + hostile.replace("\r", "\\x0d")


def test_control_characters_never_split_a_row_or_reach_a_terminal():
    result = sample_result()
    finding = dataclasses.replace(result.findings[0], status=Status.FAIL,
                                  message="line one\nline two \x1b[31mred\x1b[0m \u202eevil")
    text = csv_report.render(dataclasses.replace(result, findings=(finding,)))
    assert len(text.splitlines()) == 2  # the header and one row
    assert "\x1b" not in text and "\u202e" not in text
    assert rows(text)[0]["message"] == "line one\\x0aline two \\x1b[31mred\\x1b[0m \\u202eevil"


def test_plain_negative_looking_values_keep_their_text_after_the_quote():
    assert csv_report.cell("-") == "'-"
    assert csv_report.cell("ok") == "ok" and csv_report.cell(None) == ""

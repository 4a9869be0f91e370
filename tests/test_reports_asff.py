"""report.asff.json: every finding validates against botocore's model of Security Hub's
BatchImportFindings input (offline), ids are stable, statuses map as documented, and long or
hostile values are clipped to the API's limits."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from preflight_scanner.models import Status
from preflight_scanner.reports import asff

from tests.test_reports_export_golden import iac_result
from tests.test_reports_golden import sample_result
from tests.test_waivers_reports import ci_result

_MODEL = botocore.session.get_session().get_service_model("securityhub")
IMPORT = _MODEL.operation_model("BatchImportFindings").input_shape


def validate_import(findings: list[dict[str, Any]]) -> None:
    """Raise if the findings are not a valid BatchImportFindings request (100 at a time)."""
    for start in range(0, len(findings), 100):
        report = ParamValidator().validate({"Findings": findings[start:start + 100]}, IMPORT)
        assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("make", [sample_result, ci_result, iac_result])
def test_every_finding_is_a_valid_batch_import_finding(make):
    result = make()
    findings = json.loads(asff.render(result))
    assert len(findings) == len(result.findings)
    validate_import(findings)


def test_the_validator_would_catch_a_wrong_finding():
    finding = json.loads(asff.render(sample_result()))[0]
    del finding["Title"]
    finding["Severity"]["Label"] = 5
    with pytest.raises(AssertionError, match=r"Missing required parameter.*Title"):
        validate_import([finding])


def test_ids_are_stable_unique_and_independent_of_status_and_message():
    result = ci_result()
    ids = [f["Id"] for f in asff.documents(result)]
    assert len(set(ids)) == len(ids)
    changed = dataclasses.replace(result, findings=tuple(
        dataclasses.replace(f, message="other", status=Status.PASS, waiver=None)
        for f in result.findings), finished_at="2025-01-01T00:00:00+00:00")
    assert [f["Id"] for f in asff.documents(changed)] == ids


def test_compliance_status_maps_pass_fail_error_and_waived():
    statuses = {(f["ProductFields"]["Preflight/Status"], f["Compliance"]["Status"])
                for f in asff.documents(ci_result())}
    assert statuses == {("pass", "PASSED"), ("fail", "FAILED"), ("error", "NOT_AVAILABLE"),
                        ("waived", "FAILED"), ("waived", "NOT_AVAILABLE")}
    waived = [f for f in asff.documents(ci_result())
              if f["ProductFields"]["Preflight/Status"] == "waived"]
    assert all(any(r["ReasonCode"] == "WAIVED" for r in f["Compliance"]["StatusReasons"])
               for f in waived)
    assert all("Workflow" not in f for f in asff.documents(ci_result()))  # see the module doc


def test_the_product_arn_names_the_account_and_the_hub_region():
    result = sample_result()
    for finding, doc in zip(result.findings, asff.documents(result), strict=True):
        account = finding.resource.account_id
        assert doc["AwsAccountId"] == account
        assert doc["ProductArn"] == (f"arn:aws:securityhub:{finding.resource.region}:{account}:"
                                     f"product/{account}/default")
    moved = next(asff.documents(result, region="eu-central-1"))
    assert ":securityhub:eu-central-1:" in moved["ProductArn"]


def test_long_values_are_clipped_to_the_api_limits():
    result = sample_result()
    huge = "x" * 5000
    finding = dataclasses.replace(result.findings[0], message=huge, remediation=(huge,),
                                  evidence={"k": huge}, resource=dataclasses.replace(
                                      result.findings[0].resource, name=huge))
    long_title = dataclasses.replace(result.policies[1], title=huge)
    result = dataclasses.replace(result, findings=(finding,),
                                 policies=(result.policies[0], long_title, *result.policies[2:]))
    [doc] = asff.documents(result)
    validate_import([doc])
    assert len(doc["Title"]) == 256 and doc["Title"].endswith("\u2026")
    assert len(doc["Description"]) == 1024
    assert len(doc["Remediation"]["Recommendation"]["Text"]) == 512
    assert all(len(v) <= 2048 for v in doc["ProductFields"].values())
    assert len(doc["Resources"][0]["Details"]["Other"]["Name"]) <= 1024

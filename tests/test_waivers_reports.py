"""Waived findings, waiver outcomes and a baseline comparison in every format: golden files
(tests/data/golden/ci/, `pytest --regen-golden`), and what each format must say."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from jsonschema import Draft202012Validator
from junitparser import Failure, JUnitXml, Skipped
from preflight_scanner.job import ci_summary
from preflight_scanner.models import (
    AppliedWaiver,
    BaselineReport,
    Change,
    Status,
    WaiverOutcome,
    WaiverReport,
)
from preflight_scanner.reports import FORMATS, html, junit, load_renderers, markdown, sarif
from preflight_scanner.reports.json_report import from_document, schema, to_document

from tests.test_reports_golden import (
    EVIL_NAME,
    GOLDEN,
    GOLDEN_FORMATS,
    PITR,
    S3,
    _diff,
    _regen,
    sample_result,
)
from tests.test_reports_html import data_of
from tests.test_reports_markdown import parse, to_html, visible
from tests.test_reports_sarif import validate_sarif

CI_GOLDEN = GOLDEN / "ci"
# A waiver reason is written by people, in a file under review, but it is still rendered inert.
REASON = "Migration to AWS Backup <b>INC-42</b> | see [runbook](http://evil) @octocat"


def ci_result():
    """The golden sample with waivers and a baseline: the staging bucket's failure waived, the
    staging listing error waived (include_errors), an expired and an unused waiver, carts new,
    the partners pool unchanged, and one baseline failure fixed."""
    result = sample_result()
    bucket_waiver = AppliedWaiver("legacy-bucket", REASON, "data-team@example.com", "2024-06-30",
                                  Status.FAIL, "waivers.yml:2")
    gap_waiver = AppliedWaiver("staging-denied", "Staging is read by another role until Q3",
                               "platform", "2024-05-31", Status.ERROR, "waivers.yml:9")
    findings = []
    for f in result.findings:
        if f.policy_id == S3:
            f = dataclasses.replace(f, status=Status.WAIVED, waiver=bucket_waiver)
        elif f.resource.id == "*":
            f = dataclasses.replace(f, status=Status.WAIVED, waiver=gap_waiver)
        elif f.status is Status.FAIL:
            f = dataclasses.replace(f, change=Change.NEW if f.resource.id == "carts"
                                    else Change.UNCHANGED)
        findings.append(f)
    handler = next(f for f in result.findings if f.resource.id == "orders-handler")
    findings.append(dataclasses.replace(
        handler, status=Status.ERROR, evidence={},
        resource=dataclasses.replace(handler.resource, id="checkout-handler",
                                     name="checkout-handler"),
        message="GetFunctionConcurrency failed (AccessDenied): not authorized"))
    findings.sort(key=lambda f: f.sort_key)
    orders = next(f for f in result.findings if f.resource.id == "orders")
    fixed = dataclasses.replace(orders, status=Status.FAIL, change=Change.FIXED,
                                resource=dataclasses.replace(orders.resource, id="payments",
                                                             name="payments"),
                                message="pitr.status is 'DISABLED', expected = 'ENABLED'")
    waivers = WaiverReport("waivers.yml", "sha256:abc", 90, (
        WaiverOutcome("legacy-bucket", REASON, "data-team@example.com", "2024-06-30", (S3,),
                      "waivers.yml:2", "applied", 1),
        WaiverOutcome("staging-denied", "Staging is read by another role until Q3", "platform",
                      "2024-05-31", ("*",), "waivers.yml:9", "applied", 1),
        WaiverOutcome("old-mfa", "Partner pool MFA rollout, CHG-7", "identity-team",
                      "2024-04-30", ("cognito-*",), "waivers.yml:17", "expired", 1),
        WaiverOutcome("gone", "Bucket was deleted in March", "web", "2024-07-01", (S3,),
                      "waivers.yml:24", "unused", 0),
    ))
    baseline = BaselineReport("previous/report.json", "2024-04-30T10:00:00+00:00", "0.1.0",
                              new=1, unchanged=2, fixed=(fixed,))
    return dataclasses.replace(result, findings=tuple(findings), waivers=waivers,
                               baseline=baseline, shard=None, policy_set="sha256:def")


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
def test_ci_golden_files(fmt, request):
    actual = load_renderers([fmt])[fmt](ci_result())
    path = CI_GOLDEN / FORMATS[fmt].filename
    if _regen(request):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.is_file(), f"missing {path}: run `pytest --regen-golden` to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, _diff(expected, actual, f"ci/{path.name}")


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
def test_a_saved_ci_report_re_renders_to_the_same_golden_file(fmt):
    saved = json.loads((CI_GOLDEN / "report.json").read_text(encoding="utf-8"))
    expected = (CI_GOLDEN / FORMATS[fmt].filename).read_text(encoding="utf-8")
    assert load_renderers([fmt])[fmt](from_document(saved)) == expected


def test_the_ci_sample_exercises_every_status_and_change():
    result = ci_result()
    assert {f.status for f in result.findings} == set(Status)
    assert {f.change for f in result.findings} >= {Change.NEW, Change.UNCHANGED}
    assert {w.state for w in result.waivers.waivers} == {"applied", "expired", "unused"}


def test_json_carries_the_waiver_the_waivers_and_the_baseline_and_validates():
    document = to_document(ci_result())
    assert not list(Draft202012Validator(schema()).iter_errors(document))
    bucket = next(f for f in document["findings"] if f["policy_id"] == S3)
    assert bucket["status"] == "waived" and bucket["evidence"] == {"versioning": "Suspended"}
    assert bucket["waiver"] == {"id": "legacy-bucket", "reason": REASON,
                                "owner": "data-team@example.com", "expires": "2024-06-30",
                                "status": "fail", "source": "waivers.yml:2"}
    assert [w["id"] for w in document["waivers"]["expired"]] == ["old-mfa"]
    assert [w["id"] for w in document["waivers"]["unused"]] == ["gone"]
    assert document["baseline"]["counts"] == {"new": 1, "unchanged": 2, "fixed": 1}
    assert document["baseline"]["fixed"][0]["resource"]["id"] == "payments"
    assert document["summary"]["by_status"]["waived"] == 2
    assert document["schema_version"] == "1.1"


def test_sarif_suppresses_waived_results_and_states_the_baseline():
    document = sarif.to_document(ci_result())
    validate_sarif(document)
    results = document["runs"][0]["results"]
    bucket = next(r for r in results if r["ruleId"] == S3)
    assert bucket["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": REASON,
        "properties": {"waiver": "legacy-bucket", "owner": "data-team@example.com",
                       "expires": "2024-06-30", "source": "waivers.yml:2"}}]
    assert bucket["kind"] == "fail" and bucket["level"] == "note"  # as the failure it would be
    gap = next(r for r in results if r["properties"]["resource_id"] == "*")
    assert gap["kind"] == "open" and gap["suppressions"][0]["status"] == "accepted"
    states = {r["properties"]["resource_id"]: r.get("baselineState") for r in results}
    assert states["carts"] == "new" and states["eu-west-1_abc"] == "unchanged"
    props = document["runs"][0]["invocations"][0]["properties"]
    assert props["baseline"]["counts"] == {"new": 1, "unchanged": 2, "fixed": 1}
    assert props["baseline"]["fixed"][0]["resource_id"] == "payments"
    assert [w["id"] for w in props["waivers"]["expired"]] == ["old-mfa"]
    assert "payments" not in {r["properties"]["resource_id"] for r in results}  # no reopening


def test_junit_skips_waived_findings_with_the_reason_and_lists_fixed_ones():
    xml = JUnitXml.fromstring(junit.render(ci_result()).encode("utf-8"))
    suites = {s.name: s for s in xml}
    bucket = next(iter(suites[S3]))
    [skipped] = bucket.result
    assert isinstance(skipped, Skipped) and skipped.message == REASON
    assert "owner data-team@example.com" in skipped.text and "2024-06-30" in skipped.text
    assert "versioning = \"Suspended\"" in skipped.text  # the evidence is kept
    assert suites[S3].skipped == 1 and suites[S3].failures == 0
    baseline = suites["preflight.baseline"]
    assert [c.name for c in baseline] == ["fixed: us-east-1/payments"]
    assert {p.name: p.value for p in baseline.properties()}["new"] == "1"
    waivers = {p.name for p in suites["preflight.waivers"].properties()}
    assert waivers == {"expired:old-mfa", "unused:gone"}
    carts = next(c for c in suites[PITR] if c.name == "us-east-1/carts")
    assert isinstance(carts.result[0], Failure)
    assert re.search(r'<property name="baseline" value="new"', junit.render(ci_result()))


def test_markdown_lists_waivers_and_the_baseline_inert():
    md = markdown.render(ci_result())
    page = parse(md)
    rendered = to_html(md)
    assert "2 waived" in md and "## Waivers" in md and "## Compared with the baseline" in md
    assert "**1 new**" in md and "**1 fixed**" in md
    assert "<b>" not in rendered and 'href="http://evil"' not in rendered
    rows = [[visible(c[0]) for c in r] for r in page.rows]
    assert any(r[0] == "old-mfa" and "identity-team" in r for r in rows)  # expired listed
    assert any(r[0] == "gone" for r in rows)  # unused listed
    assert any(r[0] == "new" and "carts" in r[3] for r in rows)  # new marked in the findings
    assert any(r[0] == PITR and r[3] == "payments" for r in rows)  # fixed listed
    assert any(REASON.split(" <")[0] in r[-1] for r in rows)  # the waived row's reason


def test_html_shows_waived_findings_the_waivers_and_the_baseline():
    page = html.render(ci_result())
    data = data_of(page)
    legacy = next(w for w in data["waivers"] if w[0] == "legacy-bucket")
    assert legacy == ["legacy-bucket", REASON, "data-team@example.com", "2024-06-30", "fail",
                      "waivers.yml:2"]
    bucket = next(r for r in data["findings"] if data["policies"][r[0]] == S3)
    assert bucket[1] == 3 and data["waivers"][bucket[11]][0] == "legacy-bucket"
    carts = next(r for r in data["findings"] if r[6] == "carts")
    assert carts[11:] == [-1, 1]  # no waiver, new
    assert 'id="total-waived">2<' in page and 'id="baseline-fixed">1<' in page
    assert 'class="compact waivers waivers-expired"' in page and "old-mfa" in page
    assert "&lt;b&gt;INC-42&lt;/b&gt;" in page and "<b>INC-42" not in page
    assert '<option value="waived">' in page


def test_html_without_waivers_or_baseline_shows_no_waiver_ui():
    page = html.render(sample_result())
    assert 'id="total-waived"' not in page and 'id="waivers"' not in page
    assert "waivers" in data_of(page) and data_of(page)["waivers"] == []
    assert EVIL_NAME not in page  # escaped, as before


def test_the_terminal_lines_name_expired_and_unused_waivers_and_the_baseline():
    lines = ci_summary(ci_result())
    assert "2 waived finding(s)" in lines
    assert any(line.startswith("waiver old-mfa expired on 2024-04-30") for line in lines)
    assert any(line.startswith("waiver gone matched nothing") for line in lines)
    assert lines[-1].endswith("1 new, 2 unchanged, 1 fixed")

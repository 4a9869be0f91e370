"""JUnit XML output, read back with an independent parser (junitparser)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections import Counter
from enum import Enum

from junitparser import Error, Failure, JUnitXml, Skipped
from preflight_scanner.models import ScanResult, Status
from preflight_scanner.reports import junit

from tests.test_reports_golden import EVIL_NAME, MFA, PITR, PROD, QUIET, STAGING, sample_result
from tests.test_reports_html import with_locations


def parse(result: ScanResult) -> JUnitXml:
    return JUnitXml.fromstring(junit.render(result).encode("utf-8"))


def outcome(case) -> str:
    kinds = {type(r) for r in case.result}
    if Failure in kinds:
        return "fail"
    if Error in kinds:
        return "error"
    if Skipped in kinds:
        return "skipped"
    return "pass"


def test_one_suite_per_policy_one_case_per_finding_with_consistent_counts():
    result = sample_result()
    xml = parse(result)
    suites = {s.name: s for s in xml}
    assert list(suites) == [*(p.id for p in result.policies), "preflight"]
    for policy in result.policies:
        suite = suites[policy.id]
        findings = [f for f in result.findings if f.policy_id == policy.id]
        cases = list(suite)
        assert len(cases) == suite.tests == len(findings)
        got = Counter(outcome(c) for c in cases)
        want = Counter(f.status.value for f in findings)
        assert got == want, policy.id
        assert suite.failures == want["fail"] and suite.errors == want["error"]
        assert suite.skipped == 0
    assert suites[QUIET].tests == 0  # a policy that applied nowhere is an empty suite
    # the root counts are the sums
    assert xml.tests == sum(s.tests for s in xml) == len(result.findings) + 1
    assert xml.failures == result.count(Status.FAIL) == 4
    assert xml.errors == result.count(Status.ERROR) + 1 == 2
    assert xml.skipped == 0
    assert xml.time == 42.0


def test_case_names_and_classes_identify_policy_account_region_and_resource():
    xml = parse(sample_result())
    pitr = next(s for s in xml if s.name == PITR)
    names = {(c.classname, c.name) for c in pitr}
    assert (f"{PITR}.{PROD}", "us-east-1/carts") in names
    assert (f"{PITR}.{STAGING}", f"eu-west-1/{EVIL_NAME} (evil)") in names  # parsed back intact
    assert (f"{PITR}.{STAGING}", "us-east-1/every aws.dynamodb.table (*)") in names
    mfa = next(s for s in xml if s.name == MFA)
    assert {c.name for c in mfa} == {"eu-west-1/shop-partners (eu-west-1_abc)",
                                     "us-east-1/shop-customers (us-east-1_def)"}


def test_a_failure_carries_message_evidence_fix_and_runbook_link():
    xml = parse(sample_result())
    pitr = next(s for s in xml if s.name == PITR)
    evil = next(c for c in pitr if EVIL_NAME in c.name)
    [failure] = evil.result
    assert isinstance(failure, Failure)
    assert failure.message == "pitr.status is '<script>alert(1)</script>', expected = 'ENABLED'"
    assert failure.type == "high"
    body = failure.text
    assert body.startswith(failure.message)
    assert 'pitr.status = "<script>alert(1)</script>"' in body          # evidence
    assert 'tags.Owner = "| x | y |\\n# z"' in body                      # as JSON, one line
    assert "update-continuous-backups" in body                           # the fix
    assert ("runbook: disaster-recovery#restore-a-dynamodb-table "
            "https://wiki.example.com/runbooks/disaster-recovery#restore-a-dynamodb-table") in body
    assert f"arn:aws:dynamodb:eu-west-1:{STAGING}:evil" in body


def test_errors_map_to_error_and_read_errors_to_one_more_errored_case():
    result = sample_result()
    xml = parse(result)
    pitr = next(s for s in xml if s.name == PITR)
    unreadable = next(c for c in pitr if "(*)" in c.name)
    [error] = unreadable.result
    assert isinstance(error, Error)
    assert error.message.startswith("could not list resources")
    scan = next(s for s in xml if s.name == "preflight")
    [case] = list(scan)
    [incomplete] = case.result
    assert isinstance(incomplete, Error) and incomplete.type == "incomplete"
    assert result.errors[0].describe() in incomplete.text


def test_a_complete_scan_has_no_extra_suite_and_counts_equal_the_findings():
    result = sample_result()
    complete = dataclasses.replace(
        result, errors=(), findings=tuple(f for f in result.findings if f.status is not Status.ERROR))
    xml = parse(complete)
    assert "preflight" not in {s.name for s in xml}
    assert xml.tests == len(complete.findings)
    assert xml.errors == 0


# A status the model does not have yet. junit must already map it to <skipped>.
FutureStatus = Enum("FutureStatus", {"WAIVED": "waived", "SNOOZED": "snoozed"}, type=str)


def test_a_waived_finding_is_skipped_with_its_reason():
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    waived = dataclasses.replace(carts, status=FutureStatus.WAIVED,
                                 message="waived until 2024-06-01 by INC-42: migration")
    findings = tuple(waived if f is carts else f for f in result.findings)
    xml = parse(dataclasses.replace(result, findings=findings))
    pitr = next(s for s in xml if s.name == PITR)
    case = next(c for c in pitr if c.name == "us-east-1/carts")
    [skipped] = case.result
    assert isinstance(skipped, Skipped)
    assert "INC-42" in skipped.message
    assert pitr.skipped == 1 and pitr.failures == 1  # carts no longer counts as a failure
    assert xml.skipped == 1


def test_an_unknown_status_is_never_a_pass():
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    odd = dataclasses.replace(carts, status=FutureStatus.SNOOZED)
    xml = parse(dataclasses.replace(
        result, findings=tuple(odd if f is carts else f for f in result.findings)))
    case = next(c for s in xml if s.name == PITR for c in s if c.name == "us-east-1/carts")
    [error] = case.result
    assert isinstance(error, Error) and "unknown status 'snoozed'" in error.message


def test_characters_xml_cannot_carry_are_escaped_not_dropped_into_invalid_xml():
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    noisy = dataclasses.replace(carts, message="bell\x07 esc\x1b[31m nul\x00 & <tag>")
    xml = parse(dataclasses.replace(
        result, findings=tuple(noisy if f is carts else f for f in result.findings)))
    case = next(c for s in xml if s.name == PITR for c in s if c.name == "us-east-1/carts")
    assert case.result[0].message == "bell\\x07 esc\\x1b[31m nul\\x00 & <tag>"


def _case_elements(text: str) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in ET.fromstring(text.encode("utf-8")).iter("testcase")}


def test_a_located_finding_names_its_file_and_line_for_ci_annotations():
    result = with_locations(sample_result(), hostile_id="evil")
    text = junit.render(result)
    by_name = {c.name: c for s in parse(result) for c in s}  # junitparser reads it
    elements = _case_elements(text)
    for f in result.findings:
        name = junit._case_name(f)
        assert elements[name].get("file") == f.location.path  # the newline too
        assert elements[name].get("line") == str(f.location.line)
        for outcome_element in by_name[name].result:
            assert f"location: {f.location.describe()}" in outcome_element.text
    carts = next(f for f in result.findings if f.resource.id == "carts")
    [failure] = by_name["us-east-1/carts"].result
    assert (f"location: {carts.location.describe()} (PointInTimeRecoverySpecification)"
            in failure.text.splitlines())
    # Escaped, not cut: the raw XML holds no markup from the path.
    assert "<script>" not in text and 'file="infra/&lt;script&gt;alert(1)&lt;/script&gt;' in text
    assert "&#10;" in text  # the newline inside the attribute, as a character reference


def test_a_live_finding_has_no_file_or_line():
    text = junit.render(sample_result())
    cases = _case_elements(text).values()
    assert cases and all(c.get("file") is None and c.get("line") is None for c in cases)
    assert "location:" not in text


def test_the_streamed_xml_is_the_tree_elementtree_writes_even_when_empty():
    """write() streams one suite at a time; its bytes are the whole tree's, edge cases too."""
    import dataclasses
    import io
    import xml.etree.ElementTree as ET

    from preflight_scanner.reports import junit
    from preflight_scanner.saved import load_saved_report

    from tests.test_reports_golden import GOLDEN

    full = load_saved_report(GOLDEN / "report.json")
    for result in (full, dataclasses.replace(full, policies=(), findings=(), errors=())):
        root = junit.to_element(result)
        ET.indent(root, space="  ")
        whole = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
        streamed = io.StringIO()
        junit.write(result, streamed)
        assert streamed.getvalue() == whole

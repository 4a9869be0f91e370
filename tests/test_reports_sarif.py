"""SARIF 2.1.0 output: valid against the official schema, one rule per policy, one result
per failing (or unreadable) resource, stable fingerprints."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from preflight_scanner.models import Finding, ScanResult, Severity, SourceLocation, Status
from preflight_scanner.reports import sarif

from tests.test_reports_golden import EVIL_NAME, MFA, PITR, PROD, QUIET, S3, STAGING, sample_result

SCHEMA = json.loads((Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))


def validate_sarif(document: dict) -> None:
    """Against the official OASIS schema (draft-07), formats (date-time) included."""
    Draft7Validator.check_schema(SCHEMA)
    errors = sorted(Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
                    .iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def document(result: ScanResult | None = None) -> dict:
    return json.loads(sarif.render(result or sample_result()))


def test_the_sample_is_valid_sarif_2_1_0():
    doc = document()
    validate_sarif(doc)
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1


def test_the_validator_would_catch_an_invalid_document():
    """The schema check above is not vacuous: a broken document fails it."""
    doc = document()
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        validate_sarif(doc)


def test_one_rule_per_policy_with_descriptions_help_and_severity():
    result = sample_result()
    rules = {r["id"]: r for r in document(result)["runs"][0]["tool"]["driver"]["rules"]}
    assert list(rules) == [p.id for p in result.policies]
    pitr = rules[PITR]
    assert pitr["name"] == "DynamodbPitrEnabled"
    assert pitr["shortDescription"]["text"] == "DynamoDB tables have point-in-time recovery enabled"
    assert pitr["fullDescription"]["text"].startswith("The disaster-recovery runbook restores")
    # help: the runbook section carried in the result, plus the link
    assert pitr["help"]["markdown"].startswith("## Restore a DynamoDB table")
    assert "restore-table-to-point-in-time" in pitr["help"]["text"]
    wiki = "https://wiki.example.com/runbooks/disaster-recovery#restore-a-dynamodb-table"
    assert pitr["helpUri"] == wiki
    assert f"[disaster-recovery#restore-a-dynamodb-table]({wiki})" in pitr["help"]["markdown"]
    assert pitr["properties"]["security-severity"] == "8.0"
    assert pitr["defaultConfiguration"]["level"] == "error"
    tags = pitr["properties"]["tags"]
    assert "security" in tags  # GitHub reads security-severity only for security-tagged rules
    assert {"disaster-recovery", "aws-fsbp:DynamoDB.2", "aws-config:dynamodb-pitr-enabled",
            "aws.dynamodb.table"} <= set(tags)
    # A runbook that is a local file is no helpUri (it must be http(s)), but is still named.
    assert "helpUri" not in rules[MFA]
    assert "policies/runbooks/authentication.md#mfa-configuration" in rules[MFA]["help"]["text"]
    # A policy without a description falls back to its title; one without a section still
    # names its runbook.
    assert rules["lambda-timeout-bounds"]["fullDescription"]["text"] == \
        "Lambda timeouts stay within a sane band"
    assert rules[QUIET]["help"]["text"].startswith("Runbook: security-incident#threat-detection")


@pytest.mark.parametrize(("severity", "score", "level"), [
    (Severity.CRITICAL, "9.5", "error"), (Severity.HIGH, "8.0", "error"),
    (Severity.MEDIUM, "5.5", "warning"), (Severity.LOW, "3.0", "note"),
    (Severity.INFO, "1.0", "note"),
])
def test_severity_maps_to_github_security_severity_buckets(severity, score, level):
    result = sample_result()
    policy = dataclasses.replace(result.policies[0], severity=severity)
    finding = dataclasses.replace(
        next(f for f in result.findings if f.policy_id == policy.id and f.status is Status.FAIL),
        severity=severity)
    doc = document(dataclasses.replace(result, policies=(policy,), findings=(finding,), errors=()))
    rule = doc["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["properties"]["security-severity"] == score
    assert rule["defaultConfiguration"]["level"] == level
    assert doc["runs"][0]["results"][0]["level"] == level
    # GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
    bucket = {Severity.CRITICAL: (9.0, 10.0), Severity.HIGH: (7.0, 8.9),
              Severity.MEDIUM: (4.0, 6.9)}.get(severity, (0.1, 3.9))
    assert bucket[0] <= float(score) <= bucket[1]


def test_results_are_the_failing_and_unreadable_findings_only():
    result = sample_result()
    run = document(result)["runs"][0]
    wanted = [f for f in result.findings if f.status is not Status.PASS]
    assert len(run["results"]) == len(wanted) == 5
    rules = run["tool"]["driver"]["rules"]
    for res, finding in zip(run["results"], wanted, strict=True):
        assert res["ruleId"] == finding.policy_id
        assert rules[res["ruleIndex"]]["id"] == finding.policy_id
        assert res["properties"]["status"] == finding.status.value
        assert res["properties"]["resource_id"] == finding.resource.id
        if finding.status is Status.FAIL:
            assert res["kind"] == "fail"
            assert res["level"] == sarif.LEVEL[finding.severity]
        else:  # could not be determined: SARIF's "open", whose level must be "none"
            assert res["kind"] == "open" and res["level"] == "none"
            assert res["message"]["text"].startswith("Could not be checked: could not list")


def test_a_result_is_located_at_its_policy_file_and_names_the_resource():
    run = document()["runs"][0]
    evil = next(r for r in run["results"] if r["properties"]["resource_name"] == EVIL_NAME)
    location = evil["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": f"policies/{PITR}.yml", "uriBaseId": "PREFLIGHT_PACK"}
    assert "PREFLIGHT_PACK" in run["originalUriBaseIds"]
    arn = f"arn:aws:dynamodb:eu-west-1:{STAGING}:evil"
    assert location["logicalLocations"][0] == {"name": EVIL_NAME, "kind": "resource",
                                               "fullyQualifiedName": arn}
    text = evil["message"]["text"]
    assert arn in text and f"Account: {STAGING} (shop-staging)" in text and "eu-west-1" in text
    assert "update-continuous-backups" in text  # the fix travels with the alert
    props = evil["properties"]
    assert (props["arn"], props["account_id"], props["region"]) == (arn, STAGING, "eu-west-1")
    assert props["evidence"]["pitr.status"] == "<script>alert(1)</script>"


def _fingerprints(result: ScanResult) -> dict[tuple[str, str, str], str]:
    return {(r["ruleId"], r["properties"]["account_id"], r["properties"]["resource_id"]):
            r["partialFingerprints"]["preflight/v1"]
            for r in document(result)["runs"][0]["results"]}


def test_fingerprints_are_stable_across_scans_and_distinct_per_resource():
    result = sample_result()
    first = _fingerprints(result)
    assert len(set(first.values())) == len(first)  # one per (policy, resource)
    # Another scan: other times, other messages and evidence, another status for the
    # unreadable one (now failing): the same pairs keep the same fingerprints.
    later = dataclasses.replace(
        result, started_at="2024-06-01T00:00:00+00:00", finished_at="2024-06-01T00:01:00+00:00",
        findings=tuple(dataclasses.replace(f, message=f.message + " (again)", evidence={},
                                           status=Status.FAIL if f.status is Status.ERROR
                                           else f.status)
                       for f in result.findings))
    assert _fingerprints(later) == first
    # The fingerprint is the documented hash of policy, account, region, type and id.
    carts = next(f for f in result.findings if f.resource.id == "carts")
    expected = sarif.hashlib.sha256(json.dumps(
        [PITR, PROD, "us-east-1", "aws.dynamodb.table", "carts"]).encode()).hexdigest()
    assert sarif.fingerprint(carts) == expected == first[(PITR, PROD, "carts")]


def _alert_keys(doc: dict) -> dict[tuple[str, str, str], str]:
    """What GitHub code scanning matches alerts on, per (policy, account, resource)."""
    return {(r["ruleId"], r["properties"]["account_id"], r["properties"]["resource_id"]):
            r["partialFingerprints"]["primaryLocationLineHash"]
            for r in doc["runs"][0]["results"]}


def test_github_keys_one_alert_per_resource_though_a_policy_shares_one_location():
    """GitHub keys alerts on primaryLocationLineHash only. Every live result of a policy has the
    same physical location (its policy file, line 1): without our own hash there, the upload
    action would hash that line and every resource of the policy would share one alert."""
    result = sample_result()
    doc = document(result)
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    pitr = [r for r in results if r["ruleId"] == PITR]
    assert len(pitr) >= 2
    assert len({json.dumps(r["locations"][0]["physicalLocation"]) for r in pitr}) == 1
    keys = _alert_keys(doc)
    assert len(keys) == len(results) and len(set(keys.values())) == len(keys)
    for r in results:  # the same documented identity as preflight/v1 (and the baseline's key)
        assert r["partialFingerprints"]["primaryLocationLineHash"] == \
            r["partialFingerprints"]["preflight/v1"]


def test_github_alert_keys_do_not_depend_on_time_order_or_status():
    result = sample_result()
    first = _alert_keys(document(result))
    later = dataclasses.replace(
        result, started_at="2025-01-01T00:00:00+00:00", finished_at="2025-01-01T00:09:00+00:00",
        findings=tuple(reversed([dataclasses.replace(f, message="other words", evidence={"x": 1})
                                 for f in result.findings])))
    assert _alert_keys(document(later)) == first
    carts = next(f for f in result.findings if f.resource.id == "carts")
    expected = sarif.hashlib.sha256(json.dumps(
        [PITR, PROD, "us-east-1", "aws.dynamodb.table", "carts"]).encode()).hexdigest()
    assert first[(PITR, PROD, "carts")] == expected == sarif.fingerprint(carts)


def test_a_pre_deploy_result_is_keyed_by_its_resource_not_its_line():
    """A template line moving (a comment added above) must not reopen the alert."""
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    at_12 = dataclasses.replace(carts, location=SourceLocation("infra/template.yaml", 12))
    at_40 = dataclasses.replace(carts, location=SourceLocation("infra/template.yaml", 40))
    keys = [document(dataclasses.replace(result, findings=(f,)))["runs"][0]["results"][0]
            for f in (at_12, at_40)]
    assert keys[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert keys[0]["partialFingerprints"] == keys[1]["partialFingerprints"]
    assert keys[0]["partialFingerprints"]["primaryLocationLineHash"] == sarif.fingerprint(carts)


def test_the_driver_says_where_to_read_about_the_tool():
    driver = document()["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == sarif.INFORMATION_URI
    assert re.fullmatch(r"https://[^\s]+", driver["informationUri"])


@pytest.mark.parametrize("field", ["policy_id", "account_id", "region", "type", "id"])
def test_each_identity_field_changes_the_fingerprint(field):
    carts = next(f for f in sample_result().findings if f.resource.id == "carts")
    if field == "policy_id":
        other = dataclasses.replace(carts, policy_id=S3)
    else:
        other = dataclasses.replace(carts, resource=dataclasses.replace(
            carts.resource, **{field: "changed"}))
    assert sarif.fingerprint(other) != sarif.fingerprint(carts)


def test_read_errors_are_notifications_and_the_run_is_marked_incomplete():
    result = sample_result()
    invocation = document(result)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["startTimeUtc"] == "2024-05-01T10:00:00Z"
    assert invocation["endTimeUtc"] == "2024-05-01T10:00:42Z"
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"]["id"] == "AccessDenied"
    assert note["message"]["text"] == result.errors[0].describe()
    assert note["properties"]["operation"] == "ListTables"


def test_a_complete_scan_executes_successfully_with_no_notifications():
    result = sample_result()
    complete = dataclasses.replace(
        result, errors=(), findings=tuple(f for f in result.findings if f.status is not Status.ERROR))
    doc = document(complete)
    validate_sarif(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []
    assert all(r["kind"] == "fail" for r in doc["runs"][0]["results"])


def test_times_in_other_offsets_are_converted_to_utc():
    assert sarif.utc("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00Z"
    assert sarif.utc("2024-05-01T10:00:00Z") == "2024-05-01T10:00:00Z"
    assert sarif.utc("yesterday") is None


def test_a_finding_of_an_unlisted_policy_still_gets_a_rule():
    result = sample_result()
    stray = Finding("not-listed", Status.FAIL, Severity.MEDIUM, result.findings[0].resource,
                    "something", {}, "nowhere#at-all")
    doc = document(dataclasses.replace(result, findings=(*result.findings, stray)))
    validate_sarif(doc)
    run = doc["runs"][0]
    last = run["results"][-1]
    assert run["tool"]["driver"]["rules"][last["ruleIndex"]]["id"] == "not-listed"


def test_a_non_semver_version_is_not_claimed_as_semantic_version():
    doc = document(dataclasses.replace(sample_result(), tool_version="0.1.0.dev3+gabc"))
    validate_sarif(doc)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["version"] == "0.1.0.dev3+gabc" and "semanticVersion" not in driver
    assert document()["runs"][0]["tool"]["driver"]["semanticVersion"] == "0.1.0"


def test_past_the_result_cap_the_most_severe_stay_and_a_warning_counts_the_rest():
    result = sample_result()
    doc = json.loads(sarif.render(result, max_results=3))
    validate_sarif(doc)
    run = doc["runs"][0]
    kept = [(r["ruleId"], r["properties"]["resource_id"]) for r in run["results"]]
    # critical fail, then the high fails (failures before the high error), original order
    assert kept == [(MFA, "eu-west-1_abc"), (PITR, "carts"), (PITR, "evil")]
    [warning] = [n for n in run["invocations"][0]["toolExecutionNotifications"]
                 if n["level"] == "warning"]
    assert warning["properties"]["omitted"] == 2
    assert "2 less severe" in warning["message"]["text"]
    assert len(json.loads(sarif.render(result, max_results=None))["runs"][0]["results"]) == 5


def test_github_limits_hold_for_a_large_estate():
    from tests.test_reports_markdown import big_result

    result = big_result(policies=3, per_policy=10_000)
    run = document(result)["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS == 25_000  # GitHub rejects more
    # the high-severity policy (odd numbers) is kept whole
    assert sum(r["ruleId"] == "policy-00001" for r in run["results"]) == 10_000


def test_a_rule_has_at_most_ten_tags_security_first():
    result = sample_result()
    policy = dataclasses.replace(
        result.policies[0], frameworks=(("nist-800-53", tuple(f"CP-{n}" for n in range(30))),))
    rule = document(dataclasses.replace(result, policies=(policy, *result.policies[1:])))[
        "runs"][0]["tool"]["driver"]["rules"][0]
    tags = rule["properties"]["tags"]
    assert len(tags) == 10 and tags[:3] == ["security", "disaster-recovery", "nist-800-53:CP-0"]
    assert len(rule["properties"]["frameworks"]["nist-800-53"]) == 30  # all kept here


def test_no_value_can_form_an_embedded_link_in_a_message():
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    linked = dataclasses.replace(carts, message="see [here](http://evil) or [there](0)",
                                 resource=dataclasses.replace(carts.resource, name="[x](1)"))
    doc = document(dataclasses.replace(
        result, findings=tuple(linked if f is carts else f for f in result.findings)))
    validate_sarif(doc)
    res = next(r for r in doc["runs"][0]["results"] if r["properties"]["resource_id"] == "carts")
    text = res["message"]["text"]
    assert text.startswith(r"see \[here\](http://evil) or \[there\](0)")
    assert r"(\[x\](1))" in text
    # unescape per the SARIF spec and the values come back exactly
    assert re.sub(r"\\([\[\]\\])", r"\1", text).startswith("see [here](http://evil)")
    assert res["properties"]["resource_name"] == "[x](1)"  # raw where it is data
    assert sarif.plain("a\\[b") == "a\\\\\\[b"


@pytest.mark.parametrize("link", ["javascript:alert(1)", "https://x.example/a b",
                                  "https://x.example/a)](http://evil", "/home/me/runbooks/a.md#b"])
def test_only_a_plain_web_link_becomes_help_uri_or_a_markdown_link(link):
    result = sample_result()
    runbooks = tuple(dataclasses.replace(r, link=link) for r in result.runbooks)
    doc = document(dataclasses.replace(result, runbooks=runbooks))
    validate_sarif(doc)
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert "helpUri" not in rule
        assert f"]({link})" not in rule["help"]["markdown"]
        assert link in rule["help"]["text"]  # still named, as text

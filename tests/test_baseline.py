"""--baseline: new, unchanged and fixed by the stable finding key; --fail-on-new; the
--fail-on-error switch; end to end through the CLI on moto."""

from __future__ import annotations

import dataclasses
import json

import boto3
from preflight_scanner.baseline import compare
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.exitcodes import exit_code
from preflight_scanner.models import AppliedWaiver, Change, Severity, Status, finding_key
from preflight_scanner.reports import sarif

from tests.test_reports_golden import PITR, S3, STAGING, sample_result


def _with(result, **changes):
    """The sample with some findings' statuses changed (by resource id) or removed (None)."""
    findings = []
    for f in result.findings:
        if f.resource.id in changes:
            if changes[f.resource.id] is None:
                continue
            f = dataclasses.replace(f, status=changes[f.resource.id])
        findings.append(f)
    return dataclasses.replace(result, findings=tuple(findings))


def test_new_unchanged_and_fixed_by_the_stable_key():
    before = sample_result()
    carts = next(f for f in before.findings if f.resource.id == "carts")
    brand_new = dataclasses.replace(carts, resource=dataclasses.replace(carts.resource, id="wishlists",
                                                                        name="wishlists"))
    now = _with(before, carts=Status.PASS, **{"www.evil.example": None})
    now = dataclasses.replace(now, findings=tuple(sorted((*now.findings, brand_new),
                                                         key=lambda f: f.sort_key)))
    result = compare(now, before, "old/report.json")
    change = {f.resource.id: f.change for f in result.findings}
    assert change["wishlists"] is Change.NEW
    assert change["evil"] is Change.UNCHANGED and change["eu-west-1_abc"] is Change.UNCHANGED
    assert change["*"] is Change.UNCHANGED  # an error that was an error before
    assert change["orders"] is None and change["carts"] is None  # passes are not compared
    # carts passes now; the bucket is gone from an account and region this scan covered.
    assert sorted(f.resource.id for f in result.baseline.fixed) == ["carts", "www.evil.example"]
    assert all(f.change is Change.FIXED for f in result.baseline.fixed)
    assert (result.baseline.new, result.baseline.unchanged) == (1, 3)
    assert result.baseline.source == "old/report.json"


def test_a_failure_outside_what_this_scan_covered_is_not_fixed():
    before = sample_result()
    # This scan did not cover the staging account: its bucket failure is unknown, not fixed.
    now = dataclasses.replace(
        before, accounts=tuple(a for a in before.accounts if a.id != STAGING),
        findings=tuple(f for f in before.findings if f.resource.account_id != STAGING))
    assert [f.resource.id for f in compare(now, before, "b").baseline.fixed] == []
    # A type that could not be listed where the resource was: unknown, not fixed.
    gap = next(f for f in before.findings if f.resource.id == "*")
    moved = dataclasses.replace(gap, resource=dataclasses.replace(gap.resource, region="eu-west-1"))
    now = dataclasses.replace(before, findings=tuple(
        moved if f is gap else f for f in before.findings if f.resource.id != "evil"))
    assert [f.resource.id for f in compare(now, before, "b").baseline.fixed] == []


def test_a_finding_whose_waiver_expired_since_the_baseline_is_new():
    before = sample_result()
    waiver = AppliedWaiver("w", "Accepted until the platform migration lands", "platform",
                           "2024-04-30", Status.FAIL)
    waived_before = dataclasses.replace(before, findings=tuple(
        dataclasses.replace(f, status=Status.WAIVED, waiver=waiver) if f.resource.id == "carts"
        else f for f in before.findings))
    result = compare(before, waived_before, "b")
    carts = next(f for f in result.findings if f.resource.id == "carts")
    assert carts.change is Change.NEW
    assert exit_code(result, Severity.LOW, fail_on_new=True) == 1


def test_the_gate_on_new_failures_and_on_errors():
    before = sample_result()
    same = compare(before, before, "b")
    assert exit_code(same, Severity.LOW) == 1  # failures exist
    assert exit_code(same, Severity.LOW, fail_on_new=True) == 3  # none new, but incomplete
    assert exit_code(same, Severity.LOW, fail_on_new=True, fail_on_error=False) == 0
    assert exit_code(before, Severity.LOW, fail_on_new=True) == 1  # no baseline: all are new
    # Severity still applies to new failures: a new low failure does not fail --fail-on high.
    bucket = next(f for f in before.findings if f.resource.id == "www.evil.example")
    without = _with(before, **{"www.evil.example": None})
    one_new = compare(before, without, "b")
    assert [f.resource.id for f in one_new.findings if f.change is Change.NEW] == [bucket.resource.id]
    assert exit_code(one_new, Severity.HIGH, fail_on_new=True, fail_on_error=False) == 0
    assert exit_code(one_new, Severity.LOW, fail_on_new=True, fail_on_error=False) == 1


def test_sarif_fingerprints_and_the_baseline_share_one_key():
    f = next(f for f in sample_result().findings if f.policy_id == PITR)
    r = f.resource
    assert f.key == finding_key(PITR, r.account_id, r.region, r.type, r.id)
    import hashlib

    assert sarif.fingerprint(f) == hashlib.sha256(json.dumps(list(f.key)).encode()).hexdigest()


def test_the_cli_compares_with_a_saved_report_and_gates_on_new_failures(aws, tmp_path, capsys):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "carts")  # no PITR: fails
    estate.create_table(session, "us-east-1", "orders", pitr=True)
    estate.create_bucket(session, "us-east-1", "shop-assets-bucket")  # no versioning: fails
    policies = ["--policies", f"policies/{PITR}.yml", "--policies", f"policies/{S3}.yml"]
    first = tmp_path / "first"
    assert main(["scan", "--out", str(first), *policies]) == 1
    capsys.readouterr()

    # Nothing changed: failures remain, none is new.
    code = main(["scan", "--out", str(tmp_path / "same"), *policies, "--baseline",
                 str(first / "report.json"), "--fail-on-new", "--format", "md"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 new, 2 unchanged, 0 fixed" in out
    assert "## Compared with the baseline" in (tmp_path / "same" / "report.md").read_text()

    # A new failing table, and the bucket fixed.
    estate.create_table(session, "us-east-1", "wishlists")
    boto3.client("s3", region_name="us-east-1").put_bucket_versioning(
        Bucket="shop-assets-bucket", VersioningConfiguration={"Status": "Enabled"})
    code = main(["scan", "--out", str(tmp_path / "next"), *policies, "--baseline",
                 str(first / "report.json"), "--fail-on-new"])
    assert code == 1
    report = json.loads((tmp_path / "next" / "report.json").read_text())
    changes = {f["resource"]["name"]: f.get("change") for f in report["findings"]}
    assert changes == {"carts": "unchanged", "orders": None, "wishlists": "new",
                       "shop-assets-bucket": None}
    assert report["baseline"]["counts"] == {"new": 1, "unchanged": 1, "fixed": 1}
    assert [f["resource"]["name"] for f in report["baseline"]["fixed"]] == ["shop-assets-bucket"]
    assert report["baseline"]["fixed"][0]["change"] == "fixed"


def test_a_missing_or_invalid_baseline_is_an_input_error_before_scanning(tmp_path, capsys):
    assert main(["scan", "--out", str(tmp_path), "--baseline", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "9.9"}')
    assert main(["scan", "--out", str(tmp_path), "--baseline", str(bad)]) == 2
    assert "schema_version '9.9'" in capsys.readouterr().err

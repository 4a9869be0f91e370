"""Waivers: validated with file:line, matched by policy/account/region/resource/tags, expiring
by the scan's clock, never covering an error unless they say so; end to end on moto."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from jsonschema import Draft202012Validator
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.errors import InputError
from preflight_scanner.exitcodes import exit_code
from preflight_scanner.models import Finding, ResourceRef, Severity, Status
from preflight_scanner.reports.json_report import schema as report_schema
from preflight_scanner.reports.json_report import to_document
from preflight_scanner.waivers import load_waivers

from tests.faultproxy import Fault

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
PITR = "dynamodb-pitr-enabled"
S3 = "s3-versioning-enabled"
ACCOUNT = "111111111111"


def clock() -> datetime:
    return NOW


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def waivers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def problems(path: Path, today: date = TODAY, max_days: int | None = None) -> list:
    with pytest.raises(InputError) as caught:
        load_waivers(path).matcher(today, max_days)
    return caught.value.problems


def finding(policy: str = PITR, status: Status = Status.FAIL, rid: str = "carts",
            region: str = "us-east-1", account: str = ACCOUNT) -> Finding:
    ref = ResourceRef("aws.dynamodb.table", rid, rid,
                      f"arn:aws:dynamodb:{region}:{account}:table/{rid}", account, region, "prod")
    return Finding(policy, status, Severity.HIGH, ref, "pitr.status is 'DISABLED'",
                   {"pitr.status": "DISABLED"}, "disaster-recovery#x", ("aws fix carts",))


# -- the file -----------------------------------------------------------------------------

def test_every_waiver_needs_a_reason_an_owner_and_an_expiry_reported_with_its_line(tmp_path):
    path = waivers_file(tmp_path, f"""
        waivers:
          - id: ok
            policies: [{PITR}]
            reason: Migration to on-demand backups, INC-42
            owner: data-team@example.com
            expires: {days(10)}
          - id: no-reason
            policies: [{PITR}]
            owner: data-team@example.com
            expires: {days(10)}
          - policies: [{S3}]
            reason: too short
            owner: someone
            expires: {days(10)}
        """)
    found = problems(path)
    assert [(p.line, "reason" in p.message) for p in found] == [(7, True), (12, True)]
    assert all(p.path == str(path) for p in found)
    assert "at least 10 characters" in found[1].message


def test_an_unknown_key_is_pointed_at_with_the_keys_allowed(tmp_path):
    path = waivers_file(tmp_path, f"""
        waivers:
          - policies: [{PITR}]
            reason: Migration to on-demand backups, INC-42
            owner: data-team
            expiry: {days(10)}
        """)
    found = problems(path)
    unknown = next(p for p in found if "unknown key 'expiry'" in p.message)
    assert unknown.line == 5 and "expires" in unknown.hint


def test_a_waiver_may_not_run_further_ahead_than_the_limit_judged_by_the_scan_clock(tmp_path):
    path = waivers_file(tmp_path, f"""
        waivers:
          - id: long
            policies: ["*"]
            reason: Accepted until the platform migration lands
            owner: platform
            expires: {days(91)}
        """)
    [problem] = problems(path)
    assert problem.line == 6  # the expires line
    assert "91 days after the scan (2024-05-01)" in problem.message and "at most 90" in problem.message
    assert days(90) in problem.hint
    load_waivers(path).matcher(TODAY, max_days=120)  # a pipeline may allow more
    load_waivers(path).matcher(TODAY + timedelta(days=1))  # the next day it is 90 ahead: fine


def test_the_files_max_days_may_only_tighten_the_limit(tmp_path):
    tight = waivers_file(tmp_path, f"""
        max_days: 30
        waivers:
          - policies: ["*"]
            reason: Accepted until the platform migration lands
            owner: platform
            expires: {days(45)}
        """)
    [problem] = problems(tight)
    assert "at most 30 days" in problem.message
    loose = waivers_file(tmp_path, "max_days: 365\nwaivers: []\n")
    [problem] = problems(loose)
    assert problem.line == 1 and "exceeds the limit this scan runs with (90 days)" in problem.message
    assert load_waivers(loose).matcher(TODAY, max_days=400).max_days == 365


def test_dates_must_be_real_and_ids_unique(tmp_path):
    path = waivers_file(tmp_path, """
        waivers:
          - id: a
            policies: ["*"]
            reason: Accepted until the platform migration lands
            owner: platform
            expires: "2024-02-30"
          - id: a
            policies: ["*"]
            reason: Accepted until the platform migration lands
            owner: platform
            expires: 2024-05-02
        """)
    with pytest.raises(InputError) as caught:
        load_waivers(path)
    messages = {(p.line, p.message.split(":")[0]) for p in caught.value.problems}
    assert (6, "expires '2024-02-30' is not a calendar date") in messages
    assert any(line == 7 and "also used" in m for line, m in
               ((p.line, p.message) for p in caught.value.problems))


# -- matching -------------------------------------------------------------------------------

def matcher(tmp_path: Path, body: str):
    return load_waivers(waivers_file(tmp_path, "waivers:\n" + textwrap.indent(
        textwrap.dedent(body).lstrip(), "  "))).matcher(TODAY)


def waiver(waiver_id: str, expires: int, **fields: object) -> str:
    """One waiver as YAML (a list item), with a valid reason and owner."""
    lines = [f"- id: {waiver_id}"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in fields.items()]
    lines += ["  reason: Accepted until the platform migration lands", "  owner: platform",
              f"  expires: {days(expires)}"]
    return "\n".join(lines) + "\n"


def test_patterns_narrow_by_policy_account_region_resource_and_tags(tmp_path):
    m = matcher(tmp_path, f"""
        - id: by-everything
          policies: ["dynamodb-*"]
          accounts: [shop-prod]
          regions: ["us-*"]
          resources: ["arn:aws:dynamodb:*:table/cart*"]
          tags: {{Team: [data, platform], Tier: "*"}}
          reason: Accepted until the platform migration lands
          owner: platform
          expires: {days(5)}
        """)
    tags = {"Team": "data", "Tier": "gold"}
    assert m.apply(finding(), "shop-prod", tags).status is Status.WAIVED
    assert m.apply(finding(policy=S3), "shop-prod", tags).status is Status.FAIL
    assert m.apply(finding(), "shop-staging", tags).status is Status.FAIL
    assert m.apply(finding(region="eu-west-1"), "shop-prod", tags).status is Status.FAIL
    assert m.apply(finding(rid="orders"), "shop-prod", tags).status is Status.FAIL
    assert m.apply(finding(), "shop-prod", {"Team": "web", "Tier": "x"}).status is Status.FAIL
    assert m.apply(finding(), "shop-prod", {"Team": "data"}).status is Status.FAIL  # no Tier
    # Tags that could not be read never match: no waiver on a guess.
    assert m.apply(finding(), "shop-prod", None).status is Status.FAIL
    assert m.report().waivers[0].matched == 1


def test_a_waived_finding_keeps_its_evidence_and_names_the_waiver(tmp_path):
    m = matcher(tmp_path, f"""
        - id: carts
          policies: {PITR}
          accounts: "{ACCOUNT}"
          resources: carts
          reason: Migration to on-demand backups, INC-42
          owner: data-team@example.com
          expires: {days(5)}
        """)
    original = finding()
    waived = m.apply(original, "shop-prod", None)
    assert waived.status is Status.WAIVED
    assert (waived.evidence, waived.message, waived.remediation) == \
        (original.evidence, original.message, original.remediation)
    w = waived.waiver
    assert (w.id, w.owner, w.expires, w.status) == ("carts", "data-team@example.com", days(5),
                                                    Status.FAIL)
    assert w.reason == "Migration to on-demand backups, INC-42" and w.source.endswith(":2")
    assert m.apply(finding(status=Status.PASS), "shop-prod", None).status is Status.PASS


def test_errors_are_waived_only_by_a_waiver_that_says_so(tmp_path):
    m = matcher(tmp_path, waiver("fails-only", 5, policies=["*"], regions=["us-east-1"])
                + waiver("with-errors", 5, policies=["*"], regions=["eu-west-1"],
                         include_errors=True))
    assert m.apply(finding(status=Status.ERROR), "p", None).status is Status.ERROR
    waived = m.apply(finding(status=Status.ERROR, region="eu-west-1"), "p", None)
    assert waived.status is Status.WAIVED and waived.waiver.status is Status.ERROR
    assert waived.underlying_status is Status.ERROR


def test_an_expired_waiver_no_longer_applies_and_is_listed_with_what_it_would_cover(tmp_path):
    m = matcher(tmp_path, waiver("ran-out", -1, policies=["*"])
                + waiver("never-matches", 3, policies=["no-such-policy"])
                + waiver("last-day", 0, policies=["*"], resources=["orders"]))
    assert m.apply(finding(), "p", None).status is Status.FAIL
    assert m.apply(finding(rid="orders"), "p", None).waiver.id == "last-day"  # through its day
    states = {w.id: (w.state, w.matched) for w in m.report().waivers}
    assert states == {"ran-out": ("expired", 1), "never-matches": ("unused", 0),
                      "last-day": ("applied", 1)}


def test_the_first_current_waiver_in_file_order_wins(tmp_path):
    m = matcher(tmp_path, waiver("first", 3, policies=[PITR]) + waiver("second", 3, policies=["*"]))
    assert m.apply(finding(), "p", None).waiver.id == "first"
    assert {w.id: w.state for w in m.report().waivers} == {"first": "applied",
                                                           "second": "unused"}


# -- end to end on moto -----------------------------------------------------------------------

@pytest.fixture
def tables(aws):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "orders", pitr=True)
    estate.create_table(session, "us-east-1", "legacy-carts", tags={"Team": "data"})
    estate.create_table(session, "us-east-1", "sessions")
    return session


def test_a_scan_waives_by_tags_it_reads_for_the_waiver_and_the_report_validates(tables, scan,
                                                                                tmp_path):
    path = waivers_file(tmp_path, f"""
        waivers:
          - id: team-data
            policies: [{PITR}]
            tags: {{Team: data}}
            reason: The data team restores from exports instead, see RFC-7
            owner: data-team@example.com
            expires: {days(30)}
          - id: old
            policies: [{PITR}]
            resources: [sessions]
            reason: Sessions are disposable by design, see RFC-8
            owner: web-team
            expires: {days(-3)}
        """)
    result = scan({"regions": ["us-east-1"]}, policies=[PITR], waivers=load_waivers(path),
                  clock=clock)
    status = {f.resource.name: f.status for f in result.findings}
    assert status == {"orders": Status.PASS, "legacy-carts": Status.WAIVED,
                      "sessions": Status.FAIL}
    document = to_document(result)
    assert not list(Draft202012Validator(report_schema()).iter_errors(document))
    waived = next(f for f in document["findings"] if f["status"] == "waived")
    assert waived["waiver"]["id"] == "team-data" and waived["evidence"]
    assert document["summary"]["by_status"] == {"pass": 1, "fail": 1, "error": 0, "waived": 1}
    assert [w["id"] for w in document["waivers"]["applied"]] == ["team-data"]
    assert [(w["id"], w["matched"]) for w in document["waivers"]["expired"]] == [("old", 1)]
    assert exit_code(result, Severity.LOW) == 1  # sessions fails: its waiver expired


def test_an_error_waiver_lets_the_gate_pass_but_the_report_stays_incomplete(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "orders", pitr=True)
    aws.faults.append(Fault(service="dynamodb", operation="ListTables", region="eu-west-1"))
    config = {"regions": ["us-east-1", "eu-west-1"]}
    plain = scan(config, policies=[PITR], clock=clock)
    assert exit_code(plain, Severity.LOW) == 3
    path = waivers_file(tmp_path, f"""
        waivers:
          - id: eu-not-enabled
            policies: ["*"]
            regions: [eu-west-1]
            include_errors: true
            reason: eu-west-1 is blocked by an SCP in this organisation
            owner: platform
            expires: {days(60)}
        """)
    waived = scan(config, policies=[PITR], waivers=load_waivers(path), clock=clock)
    [gap] = [f for f in waived.findings if f.resource.region == "eu-west-1"]
    assert gap.status is Status.WAIVED and gap.waiver.status is Status.ERROR
    assert waived.incomplete and to_document(waived)["scan"]["complete"] is False
    assert exit_code(waived, Severity.LOW) == 0
    assert exit_code(plain, Severity.LOW, fail_on_error=False) == 0


def test_the_cli_checks_the_waivers_before_any_aws_call_and_reports_expiry(aws, tables, tmp_path,
                                                                          capsys):
    today = datetime.now(UTC).date()
    too_far = waivers_file(tmp_path, f"""
        waivers:
          - policies: ["*"]
            reason: Accepted until the platform migration lands
            owner: platform
            expires: {(today + timedelta(days=200)).isoformat()}
        """)
    before = sum(aws.operations.values())
    code = main(["scan", "--out", str(tmp_path / "a"), "--policies", f"policies/{PITR}.yml",
                 "--waivers", str(too_far)])
    err = capsys.readouterr().err
    assert code == 2 and f"{too_far}:5:" in err and "200 days after the scan" in err
    assert not (tmp_path / "a" / "report.json").exists()
    assert sum(aws.operations.values()) == before  # rejected before any AWS call
    code = main(["scan", "--out", str(tmp_path / "b"), "--policies", f"policies/{PITR}.yml",
                 "--waivers", str(too_far), "--max-waiver-days", "365", "--format", "md"])
    out = capsys.readouterr().out
    assert code == 0, out  # every failure waived: the gate passes
    assert "2 waived finding(s)" in out
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["waivers"]["max_days"] == 365
    md = (tmp_path / "b" / "report.md").read_text()
    assert "## Waivers" in md and "Accepted until the platform migration lands" in md

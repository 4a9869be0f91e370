"""Golden files: a fixed ScanResult rendered by every text renderer, compared byte for byte
with tests/data/golden/. After an intended change, regenerate them and review the diff:

    pytest tests/test_reports_golden.py --regen-golden     (or PREFLIGHT_REGEN_GOLDEN=1)

Every renderer has one: json, sarif, junit, md and html.

``sample_result()`` is also the fixture the other test_reports_* modules use.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from preflight_scanner.models import (
    Account,
    CollectionError,
    Decision,
    Finding,
    PolicySummary,
    ResourceRef,
    RunbookExcerpt,
    ScanResult,
    Severity,
    Status,
)
from preflight_scanner.reports import FORMATS, load_renderers
from preflight_scanner.reports.json_report import from_document

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
GOLDEN_FORMATS = ["json", "sarif", "junit", "md", "html"]

PROD, STAGING = "111111111111", "222222222222"
# A resource name made of Markdown, HTML and table metacharacters.
EVIL_NAME = "x](http://evil) <img src=x> | a | b | `code` *b* _i_ #1 @octocat"
EVIL_BUCKET = "www.evil.example"


def _ref(rtype: str, rid: str, account: str, region: str, name: str | None = None,
         arn: str | None = "", environment: str | None = None) -> ResourceRef:
    env = environment or ("prod" if account == PROD else "staging")
    if arn == "":
        arn = f"arn:aws:{rtype.split('.')[1]}:{region}:{account}:{rid}"
    return ResourceRef(rtype, rid, name if name is not None else rid, arn, account, region, env)


PITR = "dynamodb-pitr-enabled"
MFA = "cognito-mfa-on-in-prod"
S3 = "s3-versioning-enabled"
LAMBDA = "lambda-timeout-bounds"
QUIET = "guardduty-enabled"


def sample_result() -> ScanResult:
    """Several policies; pass, fail and error findings; two accounts; a read error; a
    resource named with Markdown/HTML metacharacters; runbook excerpts (one with a wiki
    URL, one with a local path)."""
    table = "aws.dynamodb.table"
    pool = "aws.cognito.user_pool"
    bucket = "aws.s3.bucket"
    function = "aws.lambda.function"
    policies = (
        PolicySummary(PITR, "DynamoDB tables have point-in-time recovery enabled", Severity.HIGH,
                      table, "disaster-recovery#restore-a-dynamodb-table", "",
                      "The disaster-recovery runbook restores a table to any second of the "
                      "last 35 days; that only works if PITR was on before the data was lost.",
                      (("aws-config", ("dynamodb-pitr-enabled",)), ("aws-fsbp", ("DynamoDB.2",))),
                      ("disaster-recovery",)),
        PolicySummary(MFA, "Production Cognito user pools require MFA", Severity.CRITICAL, pool,
                      "authentication#mfa-configuration", "",
                      "Account takeover is the authentication runbook's worst case.",
                      (("aws-fsbp", ("Cognito.5",)),), ("security",)),
        PolicySummary(S3, "S3 buckets keep object versions", Severity.LOW, bucket,
                      "disaster-recovery#restore-s3-object-versions", "",
                      "Rolling an object back needs its earlier versions.", (), ()),
        PolicySummary(LAMBDA, "Lambda timeouts stay within a sane band", Severity.MEDIUM,
                      function, "lambda-errors#timeouts", "", "", (), ("performance",)),
        PolicySummary(QUIET, "GuardDuty is on", Severity.INFO, "aws.account",
                      "security-incident#threat-detection", "", "Nothing in scope ran it.",
                      (), ()),
    )
    findings = (
        Finding(MFA, Status.FAIL, Severity.CRITICAL,
                _ref(pool, "eu-west-1_abc", PROD, "eu-west-1", "shop-partners"),
                "mfa_configuration is 'OPTIONAL', expected = 'ON'",
                {"mfa_configuration": "OPTIONAL"}, "authentication#mfa-configuration",
                ("aws cognito-idp set-user-pool-mfa-config --region eu-west-1 "
                 "--user-pool-id eu-west-1_abc --mfa-configuration ON",),
                decisive=(Decision("mfa_configuration", "equals", "ON"),)),
        Finding(MFA, Status.PASS, Severity.CRITICAL,
                _ref(pool, "us-east-1_def", PROD, "us-east-1", "shop-customers"),
                "mfa_configuration is 'ON'", {"mfa_configuration": "ON"},
                "authentication#mfa-configuration",
                decisive=(Decision("mfa_configuration", "equals", "ON"),)),
        Finding(PITR, Status.FAIL, Severity.HIGH, _ref(table, "carts", PROD, "us-east-1"),
                "pitr.status is 'DISABLED', expected = 'ENABLED'", {"pitr.status": "DISABLED"},
                "disaster-recovery#restore-a-dynamodb-table",
                ("aws dynamodb update-continuous-backups --region us-east-1 --table-name carts "
                 "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",),
                decisive=(Decision("pitr.status", "equals", "ENABLED"),)),
        Finding(PITR, Status.PASS, Severity.HIGH, _ref(table, "orders", PROD, "us-east-1"),
                "pitr.status is 'ENABLED'", {"pitr.status": "ENABLED"},
                "disaster-recovery#restore-a-dynamodb-table",
                decisive=(Decision("pitr.status", "equals", "ENABLED"),)),
        Finding(PITR, Status.FAIL, Severity.HIGH,
                _ref(table, "evil", STAGING, "eu-west-1", EVIL_NAME),
                "pitr.status is '<script>alert(1)</script>', expected = 'ENABLED'",
                {"pitr.status": "<script>alert(1)</script>", "tags.Owner": "| x | y |\n# z"},
                "disaster-recovery#restore-a-dynamodb-table",
                ("aws dynamodb update-continuous-backups --region eu-west-1 --table-name "
                 "'x](http://evil) <img src=x> | a | b |' "
                 "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",),
                decisive=(Decision("pitr.status", "equals", "ENABLED"),)),
        Finding(PITR, Status.ERROR, Severity.HIGH,
                _ref(table, "*", STAGING, "us-east-1", f"every {table}", arn=None),
                "could not list resources: ListTables failed (AccessDenied) for "
                f"{STAGING} us-east-1 {table}: not authorized", {},
                "disaster-recovery#restore-a-dynamodb-table"),
        Finding(S3, Status.FAIL, Severity.LOW,
                _ref(bucket, EVIL_BUCKET, STAGING, "us-east-1",
                     arn=f"arn:aws:s3:::{EVIL_BUCKET}"),
                "versioning is 'Suspended', expected = 'Enabled'", {"versioning": "Suspended"},
                "disaster-recovery#restore-s3-object-versions",
                decisive=(Decision("versioning", "equals", "Enabled"),)),
        Finding(LAMBDA, Status.PASS, Severity.MEDIUM,
                _ref(function, "orders-handler", PROD, "us-east-1"), "timeout is 25",
                {"timeout": 25}, "lambda-errors#timeouts",
                decisive=(Decision("timeout", "lte", 300),)),
    )
    errors = (
        CollectionError(STAGING, "us-east-1", table, "ListTables", "AccessDenied",
                        "User: arn:aws:sts::222222222222:assumed-role/Preflight/x is not "
                        "authorized to perform: dynamodb:ListTables <because>"),
    )
    runbooks = (
        RunbookExcerpt("authentication#mfa-configuration", "MFA configuration",
                       "policies/runbooks/authentication.md#mfa-configuration",
                       "## MFA configuration\n\nTurn MFA on:\n\n```bash\naws cognito-idp "
                       "set-user-pool-mfa-config --mfa-configuration ON\n```"),
        RunbookExcerpt("disaster-recovery#restore-a-dynamodb-table", "Restore a DynamoDB table",
                       "https://wiki.example.com/runbooks/disaster-recovery#restore-a-dynamodb-table",
                       "## Restore a DynamoDB table\n\nRestore to a point in time:\n\n"
                       "```bash\naws dynamodb restore-table-to-point-in-time ...\n```"),
        RunbookExcerpt("disaster-recovery#restore-s3-object-versions", "Restore S3 object versions",
                       "https://wiki.example.com/runbooks/disaster-recovery#restore-s3-object-versions",
                       "## Restore S3 object versions\n\nCopy the earlier version back."),
        RunbookExcerpt("lambda-errors#timeouts", "Timeouts",
                       "policies/runbooks/lambda-errors.md#timeouts",
                       "## Timeouts\n\nKeep timeouts under 29 s behind API Gateway."),
        RunbookExcerpt("security-incident#threat-detection", "security-incident#threat-detection",
                       "policies/runbooks/security-incident.md#threat-detection", ""),
    )
    return ScanResult(
        tool_version="0.1.0",
        started_at="2024-05-01T10:00:00+00:00",
        finished_at="2024-05-01T10:00:42+00:00",
        accounts=(Account(PROD, "shop-prod", "prod"), Account(STAGING, "shop-staging", "staging")),
        regions=("us-east-1", "eu-west-1"),
        policies=policies,
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        errors=errors,
        api_calls=77,
        runbooks=runbooks,
    )


def _regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden", default=False)
                or os.environ.get("PREFLIGHT_REGEN_GOLDEN") == "1")


def _diff(expected: str, actual: str, name: str) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                      f"golden/{name}", "rendered", lineterm=""))
    shown = "\n".join(lines[:80]) + ("\n..." if len(lines) > 80 else "")
    return (f"{name} differs from its golden file; if the change is intended, run "
            f"`pytest --regen-golden` (or PREFLIGHT_REGEN_GOLDEN=1) and review the diff:\n{shown}")


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
def test_renderer_output_matches_its_golden_file(fmt, request):
    render = load_renderers([fmt])[fmt]
    actual = render(sample_result())
    path = GOLDEN / FORMATS[fmt].filename
    if _regen(request):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.is_file(), f"missing {path}: run `pytest --regen-golden` to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, _diff(expected, actual, path.name)


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
def test_a_saved_report_re_renders_to_the_same_golden_file(fmt):
    """report.json -> from_document -> render gives what rendering the live result gave:
    everything a renderer needs survives the round trip through the saved report."""
    saved = json.loads((GOLDEN / "report.json").read_text(encoding="utf-8"))
    render = load_renderers([fmt])[fmt]
    expected = (GOLDEN / FORMATS[fmt].filename).read_text(encoding="utf-8")
    assert render(from_document(saved)) == expected


def test_the_sample_exercises_what_the_golden_files_are_for():
    result = sample_result()
    # Waived findings, waivers and a baseline have golden files of their own
    # (tests/test_waivers_reports.py, tests/data/golden/ci/).
    assert {f.status for f in result.findings} == set(Status) - {Status.WAIVED}
    assert len({f.resource.account_id for f in result.findings}) == 2
    assert result.errors and result.incomplete
    assert any(f.resource.name == EVIL_NAME for f in result.findings)
    # Every golden file mentions the hostile name in some (escaped) form, and none is empty.
    for fmt in GOLDEN_FORMATS:
        text = (GOLDEN / FORMATS[fmt].filename).read_text(encoding="utf-8")
        assert "octocat" in text and "img src" in text, fmt

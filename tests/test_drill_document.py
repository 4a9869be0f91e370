"""The drill document and its renderers, from a hand-made scan result (no AWS): waivers leave
the score, the score rounds down, hostile names stay text in HTML and Markdown and quoted in
the shell, and the printed PDF puts the checklist and the sign-off on their own pages."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from markupsafe import escape
from preflight_scanner.drill.document import build_document, validation_errors
from preflight_scanner.drill.readiness import Check, checks_from_findings, readiness, score
from preflight_scanner.drill.settings import DrillSettings
from preflight_scanner.drill.steps import STEP_MAP, resolve_steps
from preflight_scanner.models import (
    Account,
    Finding,
    PolicySummary,
    ResourceRef,
    ScanResult,
    Severity,
    Status,
)
from preflight_scanner.reports import drill_html, drill_markdown
from preflight_scanner.runbooks import RunbookLibrary

HOSTILE = "<script>alert('x')</script> & `rm -rf /`"
PROD = Account("111111111111", f"shop {HOSTILE}", "prod")
STAGING = Account("222222222222", "shop-staging", "staging")
SCAN_TIME = "2026-05-01T12:00:00+00:00"
TABLE_POLICIES = ("dynamodb-pitr-enabled", "dynamodb-recovery-point")
POLICIES = tuple(PolicySummary(pid, pid, Severity.HIGH, resource, runbook, "builtin",
                               categories=("disaster-recovery",))
                 for pid, resource, runbook in (
                     ("dynamodb-pitr-enabled", "aws.dynamodb.table",
                      "disaster-recovery#restore-a-dynamodb-table"),
                     ("dynamodb-recovery-point", "aws.dynamodb.table",
                      "disaster-recovery#restore-a-dynamodb-table"),
                     ("s3-versioning-enabled", "aws.s3.bucket",
                      "disaster-recovery#restore-s3-object-versions")))


def ref(name: str, account: Account = PROD, type_: str = "aws.dynamodb.table") -> ResourceRef:
    return ResourceRef(type_, name, name, f"arn:aws:x:::{name}", account.id, "us-east-1",
                       account.environment)


def table_findings(name: str, *, pitr: str | None, backup: str | None,
                   account: Account = PROD, status: Status | None = None) -> list[Finding]:
    """What dynamodb-pitr-enabled and dynamodb-recovery-point say about a table whose latest
    restorable time is ``pitr`` (None: PITR off) and newest backup ``backup``."""
    evidence = {
        "pitr.status": "ENABLED" if pitr else "DISABLED",
        "pitr.earliest_restorable_time": pitr, "pitr.latest_restorable_time": pitr,
        "backup_count": 1 if backup else 0,
        "latest_backup.arn": f"arn:aws:dynamodb:us-east-1:{account.id}:table/{name}/backup/1"
        if backup else None,
        "latest_backup.created_at": backup,
    }
    good = pitr is not None or backup is not None
    verdict = status or (Status.PASS if good else Status.FAIL)
    return [
        Finding("dynamodb-pitr-enabled", status or (Status.PASS if pitr else Status.FAIL),
                Severity.HIGH, ref(name, account), "pitr.status", {"pitr.status":
                                                                   evidence["pitr.status"]},
                "disaster-recovery#restore-a-dynamodb-table",
                () if pitr else (f"aws dynamodb update-continuous-backups --table-name {name}",)),
        Finding("dynamodb-recovery-point", verdict, Severity.HIGH, ref(name, account),
                "restore point", evidence, "disaster-recovery#restore-a-dynamodb-table"),
    ]


def result_of(findings: list[Finding]) -> ScanResult:
    return ScanResult("0.1.0", SCAN_TIME, SCAN_TIME, (PROD, STAGING), ("us-east-1",), POLICIES,
                      tuple(sorted(findings, key=lambda f: f.sort_key)), ())


def document_of(findings: list[Finding], **settings: Any) -> dict[str, Any]:
    doc = build_document(result_of(findings), STEP_MAP, DrillSettings(**settings),
                         RunbookLibrary())
    assert validation_errors(doc) == []
    return doc


def test_waived_checks_leave_the_score_and_keep_their_reason():
    steps = resolve_steps(STEP_MAP, [(p.id, p.runbook) for p in POLICIES])
    resource = ref("orders").to_dict()
    checks = [Check("dynamodb-pitr-enabled", "pass", "high", resource),
              Check("dynamodb-recovery-point", "fail", "high", resource),
              Check("s3-versioning-enabled", "waived", "high",
                    ref("logs", type_="aws.s3.bucket").to_dict(), waiver="Log bucket, INC-7"),
              Check("dynamodb-pitr-enabled", "error", "high", ref("carts").to_dict())]
    totals = score(steps, checks, [{"id": PROD.id, "name": "p", "environment": "prod"}], 40)
    assert totals["overall"] == {"score": 1, "possible": 3, "outstanding": 2, "unreadable": 1,
                                 "waived": 1, "percent": 33.3, "target": 40,
                                 "meets_target": False}
    assert [(w["policy_id"], w["resource"]["name"], w["reason"])
            for w in totals["waivers"]] == [("s3-versioning-enabled", "logs", "Log bucket, INC-7")]
    status = {s["id"]: {r["resource"]["name"]: r["status"] for r in s["resources"]}
              for s in readiness(steps, checks)}
    assert status["restore-objects"] == {"logs": "waived"}
    assert status["restore-tables"] == {"carts": "unknown", "orders": "not-ready"}
    # A finding from the scanner, waived: read by value, with the waiver's reason.
    waived = SimpleNamespace(policy_id="s3-versioning-enabled", status=SimpleNamespace(
        value="waived"), severity=Severity.HIGH, resource=ref("logs", type_="aws.s3.bucket"),
        message="m", evidence={}, remediation=(), runbook="r",
        waiver=SimpleNamespace(reason="Accepted until Q3"))
    assert checks_from_findings([waived])[0].waiver == "Accepted until Q3"


def test_percent_rounds_down_and_a_target_is_met_only_at_or_above_it():
    findings = [*table_findings("a", pitr="2026-05-01T11:00:00+00:00", backup=None),
                *table_findings("b", pitr=None, backup="2026-05-01T10:00:00+00:00")]
    doc = document_of(findings, target=75)
    # 4 checks: a passes both; b fails pitr-enabled and passes the recovery point: 3/4.
    assert (doc["score"]["overall"]["percent"], doc["score"]["overall"]["meets_target"]) == (75.0, True)
    doc = document_of([*findings, *table_findings("c", pitr=None, backup=None)], target=75)
    assert doc["score"]["overall"]["percent"] == 50.0
    assert doc["score"]["overall"]["meets_target"] is False
    two_of_three = document_of([*table_findings("a", pitr="2026-05-01T11:00:00+00:00",
                                                backup=None)[:1],
                                *table_findings("b", pitr=None, backup=None)[1:],
                                *table_findings("c", pitr="2026-05-01T11:00:00+00:00",
                                                backup=None)[1:]])
    assert two_of_three["score"]["overall"]["percent"] == 66.6  # 66.67 rounded down
    assert two_of_three["score"]["overall"]["meets_target"] is None  # no target


def test_rpo_is_the_newer_restore_point_and_the_worst_case_per_account():
    findings = [
        *table_findings("both", pitr="2026-05-01T11:50:00+00:00", backup="2026-05-01T06:00:00Z"),
        *table_findings("backup-only", pitr=None, backup="2026-04-30T12:00:00+00:00"),
        *table_findings("none", pitr=None, backup=None),
        *table_findings("staging-t", pitr="2026-05-01T11:59:30+00:00", backup=None,
                        account=STAGING),
    ]
    doc = document_of(findings, rpo_minutes=60)
    points = {t["resource"]["name"]: t for t in doc["recovery_points"]["tables"]}
    assert (points["both"]["rpo_seconds"], points["both"]["rpo_source"]) == (600.0, "pitr")
    assert points["both"]["latest_backup"]["age_seconds"] == 6 * 3600
    assert (points["backup-only"]["rpo_seconds"], points["backup-only"]["rpo_source"]) == (
        86400.0, "backup")
    assert (points["none"]["rpo_seconds"], points["none"]["restorable"]) == (None, False)
    assert [points[n]["meets_rpo"] for n in ("both", "backup-only", "none", "staging-t")] == [
        True, False, False, True]
    worst = {w["account_id"]: w for w in doc["recovery_points"]["worst"]["accounts"]}
    # A table without any restore point is prod's worst case, not the oldest restore point.
    assert (worst[PROD.id]["worst_case"], worst[PROD.id]["worst_table"],
            worst[PROD.id]["worst_rpo_minutes"]) == ("no-restore-point", None, None)
    assert worst[PROD.id]["tables_without_restore_point"] == ["none"]
    assert (worst[STAGING.id]["worst_case"], worst[STAGING.id]["worst_rpo_seconds"],
            worst[STAGING.id]["meets_rpo"]) == ("measured", 30.0, True)
    envs = {e["environment"]: (e["worst_case"], e["worst_rpo_seconds"])
            for e in doc["recovery_points"]["worst"]["environments"]}
    assert envs == {"prod": ("no-restore-point", None), "staging": ("measured", 30.0)}
    # Once every prod table has one, the oldest of them is the worst case.
    measured = document_of([f for f in findings if f.resource.name != "none"], rpo_minutes=60)
    [prod, _] = measured["recovery_points"]["worst"]["accounts"]
    assert (prod["worst_case"], prod["worst_table"], prod["worst_rpo_minutes"],
            prod["meets_rpo"]) == ("measured", "backup-only", 1440.0, False)


def hostile_document() -> dict[str, Any]:
    name = f"orders{HOSTILE}"
    findings = table_findings(name, pitr="2026-05-01T11:00:00+00:00",
                              backup="2026-05-01T10:00:00+00:00")
    findings += table_findings(f"carts{HOSTILE}", pitr=None, backup=None)
    bucket = Finding("s3-versioning-enabled", Status.FAIL, Severity.HIGH,
                     ref(f"bucket{HOSTILE}", type_="aws.s3.bucket"), f"versioning {HOSTILE}",
                     {"versioning": "Suspended"}, "disaster-recovery#restore-s3-object-versions")
    return document_of([*findings, bucket], target=90, rto_minutes=60, rpo_minutes=30)


def test_hostile_names_are_text_in_html_and_quoted_in_the_shell():
    doc = hostile_document()
    restore = next(s for s in doc["checklist"] if s["step_id"] == "restore-tables")
    commands = [c["command"] for g in restore["groups"] for c in g["commands"]]
    quoted = "'orders<script>alert('\"'\"'x'\"'\"')</script> & `rm -rf /`'"
    assert (f"aws dynamodb restore-table-to-point-in-time --region us-east-1 --source-table-name "
            f"{quoted} --target-table-name "
            "'orders<script>alert('\"'\"'x'\"'\"')</script> & `rm -rf /`-restored' "
            "--use-latest-restorable-time") in commands
    page = drill_html.render(doc)
    assert "<script" not in page.lower()
    assert str(escape(f"orders{HOSTILE}")) in page
    assert "shop &lt;script&gt;" in page  # the account name in the scope and score tables
    # The checklist command is in a <pre>, escaped, and reads back exactly.
    escaped = escape(commands[1])
    assert f"<code>{escaped}</code>" in page
    assert "Content-Security-Policy" in page and "default-src &#39;none&#39;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_hostile_names_stay_inert_in_markdown():
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    md = drill_markdown.render(hostile_document())
    rendered = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    assert "<script" not in rendered
    assert "&lt;script&gt;" in rendered
    assert "## Sign-off" in md and "- [ ]" in md
    tiny = drill_markdown.render(hostile_document(), max_bytes=6000)
    assert len(tiny.encode("utf-8")) <= 6000 and "The checklist is cut here" in tiny


@pytest.mark.skipif(not (Path("/usr/bin/chromium").exists() and shutil.which("pdftotext")),
                    reason="needs /usr/bin/chromium and pdftotext (poppler-utils)")
def test_printed_to_pdf_every_section_and_name_is_text(tmp_path):
    page = tmp_path / "drill.html"
    page.write_text(drill_html.render(hostile_document()), encoding="utf-8")
    pdf = tmp_path / "drill.pdf"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = [p.strip() for p in text.split("\f") if p.strip()]
    assert len(pages) >= 4
    # No forced page breaks (they left mostly blank pages): the sections flow, see
    # tests/test_html_browser.py for page filling, broken words and page numbers.
    for title in ("Readiness per runbook step", "Drill checklist", "Sign-off"):
        assert title in text
    assert "orders<script>alert('x')</script>" in text.replace("\n", "")  # printed as text


def test_printed_in_chromium_the_sign_off_names_what_has_no_restore_point(tmp_path):
    """The print path (Save as PDF) in a real Chromium: with print media emulated, the
    sign-off sheet's RPO row and the worst case name the table without a restore point and
    the unread one, and show no number."""
    from tests.test_html_browser import Browser, _require_browser

    _require_browser()
    findings = [*table_findings("orders", pitr="2026-05-01T11:54:00+00:00", backup=None),
                *table_findings("carts", pitr=None, backup=None),
                # As the evaluator makes them: an error finding carries no evidence.
                *(replace(f, evidence={}) for f in table_findings(
                    "ledger", pitr=None, backup=None, status=Status.ERROR))]
    page = tmp_path / "drill.html"
    page.write_text(drill_html.render(document_of(findings, rpo_minutes=60)), encoding="utf-8")
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Emulation.setEmulatedMedia", {"media": "print"})
        browser.call("Page.navigate", {"url": page.as_uri()})
        browser.wait_for(f"location.href === {page.as_uri()!r} && "
                         "document.readyState === 'complete'")
        row = browser.js("[...document.querySelectorAll('#signoff tr')].map(r => r.innerText)"
                         ".find(t => t.startsWith('RPO'))")
        worst = browser.js("document.querySelector('#worst-overall').innerText")
    finally:
        browser.close()
    words = "no restore point: table carts; unknown: table ledger"
    assert row.split("\t")[:3] == ["RPO", "60 min", words]
    assert worst == f"Worst recovery point: {words}"

"""report.html as a string: self-contained, escaped, ranked, with runbooks, errors and a
compact data block that decodes back to exactly the findings. (The browser test loads it.)"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html as html_lib
import json
import re
from typing import Any

import pytest
from preflight_scanner.models import (
    Account,
    AppliedWaiver,
    BaselineReport,
    Change,
    CollectionError,
    Decision,
    Finding,
    PolicySummary,
    ResourceRef,
    RunbookExcerpt,
    ScanResult,
    Severity,
    SourceLocation,
    Status,
)
from preflight_scanner.reports.html import render
from preflight_scanner.reports.json_report import from_document, to_document
from preflight_scanner.reports.markdown_html import render_markdown, safe_href

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'
PROD = Account("111111111111", "shop-prod", "prod")
STAGING = Account("222222222222", f"staging {SCRIPT_NAME}", "staging")

RUNBOOK_MD = """## Restore a DynamoDB table

Restore to a **new** table, then point the service at it. See [throttling](dynamodb-throttling.md)
and [the AWS docs](https://docs.aws.amazon.com/amazondynamodb/). Never [this](javascript:alert(1)).
<img src=x onerror=alert(2)> ![diagram](https://example.com/diagram.png)

1. Find the latest restorable time:

   ```bash
   aws dynamodb describe-continuous-backups --table-name ${TABLE} --query '<Latest>'
   ```

2. Restore with `restore-table-to-point-in-time`.

- a bullet with `inline <code>`
"""


def ref(name: str, account: Account = PROD, region: str = "us-east-1",
        type_: str = "aws.dynamodb.table", rid: str | None = None) -> ResourceRef:
    rid = rid or name
    arn = f"arn:aws:dynamodb:{region}:{account.id}:table/{rid}"
    return ResourceRef(type_, rid, name, arn, account.id, region, account.environment)


def pitr(name: str, status: Status, account: Account = PROD, region: str = "us-east-1") -> Finding:
    value = "ENABLED" if status is Status.PASS else "DISABLED"
    message = f"point-in-time recovery is {value.lower()}"
    commands = () if status is Status.PASS else (
        f"aws dynamodb update-continuous-backups --region {region} --table-name '{name}' "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",)
    return Finding("dynamodb-pitr-enabled", status, Severity.HIGH, ref(name, account, region), message,
                   {"pitr.status": value, "billing_mode": "PROVISIONED"},
                   "disaster-recovery#restore-a-dynamodb-table", commands,
                   decisive=(Decision("pitr.status", "equals", "ENABLED"),))


def simple(policy: str, severity: Severity, name: str, status: Status, message: str = "x is 1",
           account: Account = PROD) -> Finding:
    return Finding(policy, status, severity, ref(name, account), message, {"x": 1}, "misc#section",
                   ("echo fix " + name,) if status is Status.FAIL else ())


def policy(pid: str, severity: Severity, runbook: str = "misc#section", **kw: Any) -> PolicySummary:
    return PolicySummary(pid, f"Title of {pid}", severity, "aws.dynamodb.table", runbook, "", **kw)


@pytest.fixture
def result() -> ScanResult:
    findings = [
        pitr("orders", Status.FAIL),
        pitr(SCRIPT_NAME, Status.FAIL, STAGING, "eu-west-1"),
        pitr(IMG_NAME, Status.FAIL),
        pitr("carts", Status.PASS),
        # medium, more failures than the high ones: still ranked after them
        *[simple("lambda-timeout-bounds", Severity.MEDIUM, f"fn-{i}", Status.FAIL) for i in range(5)],
        simple("s3-versioning-enabled", Severity.HIGH, "bucket-a", Status.FAIL),
        simple("s3-versioning-enabled", Severity.HIGH, "bucket-b", Status.PASS),
        simple("cognito-mfa-on-in-prod", Severity.CRITICAL, "pool", Status.PASS),
        Finding("apigateway-stage-throttling", Status.ERROR, Severity.LOW,
                ResourceRef("aws.apigateway.stage", "*", "every aws.apigateway.stage", None,
                            STAGING.id, "eu-west-1", "staging"),
                "could not list resources: GetRestApis failed (AccessDenied) for 222222222222 eu-west-1",
                {}, "misc#section"),
    ]
    findings.sort(key=lambda f: f.sort_key)
    return ScanResult(
        tool_version="9.9.9", started_at="2026-01-05T09:00:00+00:00",
        finished_at="2026-01-05T09:02:05+00:00", accounts=(PROD, STAGING),
        regions=("us-east-1", "eu-west-1"),
        policies=(
            policy("dynamodb-pitr-enabled", Severity.HIGH, "disaster-recovery#restore-a-dynamodb-table",
                   description="The DR runbook restores tables <from PITR>.",
                   frameworks=(("aws-fsbp", ("DynamoDB.2",)),)),
            policy("lambda-timeout-bounds", Severity.MEDIUM),
            policy("s3-versioning-enabled", Severity.HIGH),
            policy("cognito-mfa-on-in-prod", Severity.CRITICAL),
            policy("apigateway-stage-throttling", Severity.LOW),
        ),
        findings=tuple(findings),
        errors=(CollectionError(STAGING.id, "eu-west-1", "aws.apigateway.stage", "GetRestApis",
                                "AccessDenied", f"User {IMG_NAME} is not authorized"),),
        api_calls=42,
        runbooks=(
            RunbookExcerpt("disaster-recovery#restore-a-dynamodb-table", "Restore a DynamoDB table",
                           "https://wiki.example.com/runbooks/disaster-recovery#restore-a-dynamodb-table",
                           RUNBOOK_MD),
            RunbookExcerpt("misc#section", "Section", "/srv/runbooks/misc.md#section", "## Section\n\nText."),
        ),
    )


# -- decoding the embedded data, independently of reports.html -------------------------------

DATA_BLOCK = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def data_of(html: str) -> dict[str, Any]:
    blocks = DATA_BLOCK.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def expand(template: str, fields: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(template):
        if template[i] == "\ue000":
            out.append("\ue000" if template[i + 1] == "\ue000" else fields[template[i + 1]])
            i += 2
        else:
            out.append(template[i])
            i += 1
    return "".join(out)


def decoded_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    strings = data["strings"]
    out = []
    for row in data["findings"]:
        pol, status, acc, reg, env, typ, rid, name, arn, det, cmds = row
        name = rid if name == 0 else name
        fields = {"n": name, "i": rid, "r": data["regions"][reg], "a": data["accounts"][acc][0]}
        message, evidence, decisive = data["details"][det]
        out.append({
            "policy_id": data["policies"][pol], "status": ["fail", "error", "pass"][status],
            "resource": {"type": data["types"][typ], "id": rid, "name": name,
                         "arn": None if arn < 0 else expand(strings[arn], fields),
                         "account_id": fields["a"], "region": fields["r"],
                         "environment": data["environments"][env]},
            "message": expand(strings[message], fields),
            "evidence": dict(json.loads(expand(strings[evidence], fields))),
            "decisive": [strings[k] for k in decisive],
            "remediation": [expand(strings[c], fields) for c in data["commands"][cmds]],
        })
    return out


def comparable(finding: Finding) -> dict[str, Any]:
    d = finding.to_dict()
    del d["severity"], d["runbook"]
    d.pop("decisive", None)  # the page carries only its evidence keys (checked on their own)
    return d


def test_data_block_decodes_to_exactly_the_findings(result: ScanResult) -> None:
    data = data_of(render(result))
    decoded = decoded_findings(data)
    assert [{k: v for k, v in d.items() if k != "decisive"} for d in decoded] == [
        comparable(f) for f in result.findings]
    # Shared strings: the three failing tables' commands differ only by the table's own fields.
    pitr_fails = [row for row in data["findings"] if data["policies"][row[0]] == "dynamodb-pitr-enabled"
                  and row[1] == 0]
    assert len(pitr_fails) == 3 and len({row[10] for row in pitr_fails}) == 1


def test_templates_survive_awkward_names() -> None:
    weird = ["\ue000", "a\ue000n", "us-east-1", "111111111111", "x" * 3, "abc\ue000\ue000i", "orders"]
    findings = []
    for i, name in enumerate(weird):
        r = ResourceRef("aws.s3.bucket", f"{name}-id-{i}", name, f"arn:aws:s3:::{name}\ue000{name}",
                        PROD.id, "us-east-1", "prod")
        findings.append(Finding("p", Status.FAIL, Severity.LOW, r,
                                f"{name} in us-east-1 of 111111111111: \ue000n", {name: f"{name}!"},
                                "misc#section", (f"fix {name} {r.id} {name}{name}",)))
    result = ScanResult("1", "a", "b", (PROD,), ("us-east-1",), (policy("p", Severity.LOW),),
                        tuple(findings), ())
    assert [{k: v for k, v in d.items() if k != "decisive"}
            for d in decoded_findings(data_of(render(result)))] == [comparable(f) for f in findings]


def test_decisive_keys_come_from_the_finding_not_its_message() -> None:
    # The message names no expression; the highlighted key is the finding's decisive field.
    decoded = decoded_findings(data_of(render(_one_pitr_result())))
    assert decoded[0]["decisive"] == ["pitr.status"]
    bare = dataclasses.replace(_one_pitr_result().findings[0], decisive=())
    result = dataclasses.replace(_one_pitr_result(), findings=(bare,))
    assert decoded_findings(data_of(render(result)))[0]["decisive"] == []


def _one_pitr_result() -> ScanResult:
    return ScanResult("1", "a", "b", (PROD,), ("us-east-1",),
                      (policy("dynamodb-pitr-enabled", Severity.HIGH),),
                      (pitr("orders", Status.FAIL),), ())


# -- self-contained and safe ----------------------------------------------------------------

def test_self_contained_no_network(result: ScanResult) -> None:
    html = render(result)
    assert not re.search(r"<[a-z][^>]*\ssrc\s*=", html, re.I), "nothing is loaded from anywhere"
    assert not re.search(r"<link[^>]+stylesheet", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<(iframe|object|embed|img|video|audio|base)\b", html, re.I)
    for tag in re.findall(r"<(\w+)[^>]*\shref\s*=\s*[\"']?\s*(?:https?:)?//", html, re.I):
        assert tag.lower() == "a", "only links a reader follows may point elsewhere"
    links = re.findall(r"<link\b[^>]*>", html, re.I)
    assert links == ['<link rel="icon" href="data:,">']
    csp = html_lib.unescape(
        re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp


def test_csp_hashes_pin_the_inline_script_and_style(result: ScanResult) -> None:
    html = render(result)
    csp = html_lib.unescape(re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1))
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(scripts) == 1 and len(styles) == 1

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{sha(scripts[0])}'" in csp
    assert f"style-src 'sha256-{sha(styles[0])}'" in csp
    assert "style=" not in html, "style attributes would be blocked by the policy"
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.I), "no inline event handlers"


def test_hostile_names_are_escaped(result: ScanResult) -> None:
    html = render(result)
    assert SCRIPT_NAME not in html and "<script>alert" not in html
    assert "<img" not in html
    assert not re.search(r"<[^>]*onerror", html), "no markup carries a handler"
    # Server-rendered: the account's name and the read error's message, as text.
    assert "staging &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "User &#34;&gt;&lt;img src=x onerror=alert(1)&gt; is not authorized" in html
    # Embedded: the data block cannot end early, and holds the exact names.
    block = DATA_BLOCK.search(html).group(1)
    assert "<" not in block and "\u2028" not in block
    names = {d["resource"]["name"] for d in decoded_findings(data_of(html))}
    assert {SCRIPT_NAME, IMG_NAME} <= names
    # The page script writes data with textContent only.
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert "innerHTML" not in script and "outerHTML" not in script
    assert "insertAdjacentHTML" not in script and "document.write" not in script


def test_data_json_escapes_script_terminators() -> None:
    r = ResourceRef("aws.s3.bucket", "b", "</script><!--\u2028\u2029&", None, PROD.id, "us-east-1", "prod")
    result = ScanResult("1", "a", "b", (PROD,), ("us-east-1",), (policy("p", Severity.LOW),),
                        (Finding("p", Status.FAIL, Severity.LOW, r, "m", {}, "misc#section"),), ())
    html = render(result)
    block = DATA_BLOCK.search(html).group(1)
    assert "</" not in block and "<!--" not in block and "\u2028" not in block and "\u2029" not in block
    assert decoded_findings(json.loads(json.dumps(data_of(html))))[0]["resource"]["name"] == r.name


# -- what the page says ---------------------------------------------------------------------

def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def test_failing_policies_ranked_by_severity_then_count(result: ScanResult) -> None:
    ranking = _section(render(result), "ranking")
    ranked = re.findall(r'<a href="#policy=([\w-]+)">', ranking)
    assert ranked == ["dynamodb-pitr-enabled", "s3-versioning-enabled", "lambda-timeout-bounds",
                      "apigateway-stage-throttling"]
    assert "cognito-mfa-on-in-prod" in ranking.split("passing everywhere")[1]


def test_policy_sections_follow_the_ranking(result: ScanResult) -> None:
    html = render(result)
    sections = re.findall(r'<section class="policy [^"]*"[^>]*data-policy-id="([\w-]+)"', html)
    assert sections == ["dynamodb-pitr-enabled", "s3-versioning-enabled", "lambda-timeout-bounds",
                        "apigateway-stage-throttling", "cognito-mfa-on-in-prod"]
    assert data_of(html)["policies"] == sections
    assert data_of(html)["severities"] == ["high", "high", "medium", "low", "critical"]


def test_scope_and_counts(result: ScanResult) -> None:
    html = render(result)
    scope = _section(html, "scope")
    for text in ("2026-01-05T09:00:00+00:00", "2026-01-05T09:02:05+00:00", "(2 min 5 s)",
                 "Preflight 9.9.9", "shop-prod", "111111111111", "us-east-1", "eu-west-1",
                 "<dd>5</dd>", "incomplete"):
        assert text in scope, text
    summary = _section(html, "summary")
    assert '<span class="tile-n" id="total-fail">9</span>' in summary
    assert '<span class="tile-n" id="total-error">1</span>' in summary
    assert '<span class="tile-n" id="total-pass">3</span>' in summary
    assert 'href="#status=fail&amp;severity=high">4</a>' in summary


def test_runbook_markdown_rendered(result: ScanResult) -> None:
    html = render(result)
    assert ('<pre><code class="language-bash">aws dynamodb describe-continuous-backups '
            "--table-name ${TABLE} --query '&lt;Latest&gt;'</code></pre>") in html
    assert "<strong>new</strong>" in html
    assert "<code>inline &lt;code&gt;</code>" in html
    # Relative links resolve against the runbook's wiki address; javascript: is not a link.
    assert '<a href="https://wiki.example.com/runbooks/dynamodb-throttling.md">throttling</a>' in html
    assert '<a href="https://docs.aws.amazon.com/amazondynamodb/">the AWS docs</a>' in html
    assert "javascript:" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert '<span class="md-image">diagram</span>' in html
    # The section's own heading is the summary line, not repeated in the body.
    assert "Runbook: <strong>Restore a DynamoDB table</strong>" in html
    assert "<h4>Restore a DynamoDB table</h4>" not in html
    # A local runbook file is named, not linked.
    assert '<span class="mono">/srv/runbooks/misc.md#section</span>' in html
    assert "The DR runbook restores tables &lt;from PITR&gt;." in html
    assert "aws-fsbp: DynamoDB.2" in html


def test_errors_section(result: ScanResult) -> None:
    html = render(result)
    errors = _section(html, "errors")
    assert "What could not be read" in errors
    assert "GetRestApis" in errors and "AccessDenied" in errors
    assert "could not list resources: GetRestApis failed (AccessDenied)" in errors
    assert 'href="#status=error&amp;policy=apigateway-stage-throttling"' in errors
    assert 'class="verdict verdict-incomplete"' in html


def test_complete_scan_has_no_errors_section(result: ScanResult) -> None:
    clean = ScanResult(result.tool_version, result.started_at, result.finished_at, result.accounts,
                       result.regions, result.policies,
                       tuple(f for f in result.findings if f.status is not Status.ERROR), (),
                       runbooks=result.runbooks)
    html = render(clean)
    assert 'id="errors"' not in html
    assert 'class="verdict verdict-complete"' in html
    assert 'class="verdict verdict-incomplete"' not in html


def test_findings_of_unlisted_policies_and_accounts_still_render() -> None:
    stranger = Account("333333333333", "333333333333", "unknown")
    finding = simple("not-in-the-list", Severity.LOW, "thing", Status.FAIL, account=stranger)
    html = render(ScanResult("1", "a", "b", (PROD,), ("us-east-1",), (), (finding,), ()))
    assert 'data-policy-id="not-in-the-list"' in html
    assert '<option value="333333333333">333333333333 (333333333333)</option>' in html
    assert decoded_findings(data_of(html))[0]["resource"]["account_id"] == "333333333333"


def test_empty_scan_renders() -> None:
    html = render(ScanResult("1", "a", "b", (), (), (), (), ()))
    assert "No policy fails" in html
    assert data_of(html)["findings"] == []


def test_pure_and_rerenderable_from_report_json(result: ScanResult) -> None:
    html = render(result)
    assert render(result) == html
    assert render(from_document(json.loads(json.dumps(to_document(result))))) == html


def test_filter_controls_offer_the_scan_values(result: ScanResult) -> None:
    filters = re.search(r'<form class="filters".*?</form>', render(result), re.S).group(0)
    for name in ("status", "severity", "env", "account", "region", "policy"):
        assert f'<select name="{name}">' in filters
    assert '<input type="search" name="q"' in filters
    assert '<option value="staging">staging</option>' in filters
    assert '<option value="222222222222">staging &lt;script&gt;' in filters
    assert '<option value="eu-west-1">eu-west-1</option>' in filters


# -- pre-deploy scans: where each resource is declared ---------------------------------------

TEMPLATE = "templates/app.yaml"
# A path made of HTML, Markdown, table and XML metacharacters, with a newline in it.
HOSTILE_PATH = "infra/<script>alert(1)</script> | *x* `y` [z](http://evil)\n&amp; \"q\".yaml"


def with_locations(result: ScanResult, hostile_id: str = "") -> ScanResult:
    """``result`` as a pre-deploy scan gives it: each finding at its own line of TEMPLATE
    (a failing one at its offending property), the resource ``hostile_id`` at HOSTILE_PATH."""
    findings = []
    for i, f in enumerate(result.findings):
        line = 10 * (i + 1)
        prop = "PointInTimeRecoverySpecification" if f.status is Status.FAIL else None
        path = HOSTILE_PATH if f.resource.id == hostile_id else TEMPLATE
        findings.append(dataclasses.replace(
            f, location=SourceLocation(path, line + (3 if prop else 0), line, prop)))
    return dataclasses.replace(result, findings=tuple(findings))


def _located_rows(html: str) -> dict[str, list[Any]]:
    """Each finding's row by resource id: the optional tail after the 11 fixed fields."""
    return {row[6]: row[11:] for row in data_of(html)["findings"]}


def test_locations_are_embedded_with_their_property(result: ScanResult) -> None:
    located = with_locations(result, hostile_id=SCRIPT_NAME)
    tails = _located_rows(render(located))
    for f in located.findings:
        assert f.location is not None
        prop = [f.location.property] if f.location.property else []
        # No waiver (-1), no change (0), then "path:line" and the property when known.
        assert tails[f.resource.id] == [-1, 0, f.location.describe(), *prop], f.resource.id
    hostile = next(f for f in located.findings if f.resource.id == SCRIPT_NAME)
    assert tails[SCRIPT_NAME][2] == f"{HOSTILE_PATH}:{hostile.location.line}"


def test_a_waiver_and_a_change_keep_their_places_before_the_location() -> None:
    waiver = AppliedWaiver("W-1", "accepted", "team", "2030-01-01", Status.FAIL, "waivers.yml:3")
    here = SourceLocation(TEMPLATE, 7, 5)
    findings = (
        dataclasses.replace(pitr("a", Status.FAIL), status=Status.WAIVED, waiver=waiver,
                            location=here),
        dataclasses.replace(pitr("b", Status.FAIL), change=Change.NEW, location=here),
        dataclasses.replace(pitr("c", Status.FAIL), status=Status.WAIVED, waiver=waiver),
        dataclasses.replace(pitr("d", Status.FAIL), change=Change.UNCHANGED),
        pitr("e", Status.FAIL),
    )
    result = ScanResult("1", "a", "b", (PROD,), ("us-east-1",),
                        (policy("dynamodb-pitr-enabled", Severity.HIGH),), findings, ())
    tails = _located_rows(render(result))
    assert tails == {"a": [0, 0, f"{TEMPLATE}:7"], "b": [-1, 1, f"{TEMPLATE}:7"],
                     "c": [0], "d": [-1, 2], "e": []}


def test_the_search_names_files_only_when_there_are_locations(result: ScanResult) -> None:
    live = render(result)
    located = render(with_locations(result))
    assert "resource name, id or ARN" in live
    assert "resource name, id, ARN or file" in located


def test_a_hostile_path_is_data_never_markup(result: ScanResult) -> None:
    html = render(with_locations(result, hostile_id="orders"))
    block = DATA_BLOCK.search(html).group(1)
    assert "<script>alert" not in html and "<" not in block
    assert "http://evil" not in html.replace(block, ""), "the path is only in the data block"
    assert _located_rows(html)["orders"][2].startswith(HOSTILE_PATH + ":")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_a_fixed_finding_shows_where_it_was_declared(result: ScanResult) -> None:
    gone = dataclasses.replace(pitr("old-table", Status.FAIL),
                               location=SourceLocation(HOSTILE_PATH, 12, 10, "Prop<b>"))
    baseline = BaselineReport("baseline.json", "2026-01-01T00:00:00+00:00", "9.9.8", 0, 0, (gone,))
    fixed = _section(render(dataclasses.replace(result, baseline=baseline)), "baseline")
    assert ("<code>infra/&lt;script&gt;alert(1)&lt;/script&gt; | *x* `y` [z](http://evil)\n"
            "&amp;amp; &#34;q&#34;.yaml:12</code> Prop&lt;b&gt;") in fixed


# -- scale ------------------------------------------------------------------------------------

def test_twenty_thousand_findings_stay_small() -> None:
    # Size only: render time is measured in benchmarks/html_size.py, not asserted here (a timed
    # assertion failed whenever the machine was loaded).
    from benchmarks.html_size import synthetic_result

    result = synthetic_result(20_000)
    html = render(result)
    size = len(html.encode("utf-8"))
    assert size < 6_000_000, f"{size / 1e6:.1f} MB"  # about 300 bytes a finding
    data = data_of(html)
    assert len(data["findings"]) == 20_000
    # Nothing per finding is emitted as markup: the rows are built by the script, a page at a time.
    assert html.count("<tbody") < 50


# -- the Markdown renderer --------------------------------------------------------------------

@pytest.mark.parametrize("url,expected", [
    ("https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("HTTP://example.com", "HTTP://example.com"),
    ("other.md#anchor", "other.md#anchor"),
    ("#anchor", "#anchor"),
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    ("java\tscript:alert(1)", None),
    (" javascript:alert(1)", None),
    ("data:text/html,<script>", None),
    ("file:///etc/passwd", None),
    ("//evil.example.com/x", None),
    ("\\\\evil.example.com", None),
    ("vbscript:x", None),
])
def test_safe_href(url: str, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_markdown_blocks() -> None:
    html = render_markdown(
        "# Title\n\nPara *em* and **strong** and `a<b`.\n\n"
        "- one\n- two\n  - nested\n\n"
        "1. first\n2. second\n\n"
        "| a | b |\n|---|--:|\n| 1 | `x|y` |\n\n"
        "> quoted <b>\n\n"
        "~~~\nraw <html> & \"quotes\"\n~~~\n\n---\n",
        heading_shift=2)
    assert "<h3>Title</h3>" in html
    assert "<p>Para <em>em</em> and <strong>strong</strong> and <code>a&lt;b</code>.</p>" in html
    assert "<ul><li>one</li><li>two\n<ul><li>nested</li></ul></li></ul>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert "<th>a</th>" in html and '<td class="align-right">' in html
    assert "<blockquote><p>quoted &lt;b&gt;</p></blockquote>" in html
    assert "<pre><code>raw &lt;html&gt; &amp; \"quotes\"</code></pre>" in html
    assert "<hr>" in html


def test_markdown_never_emits_foreign_markup() -> None:
    hostile = ('<script>alert(1)</script>\n\n<a href="javascript:x">a</a> [x](javascript:alert(1)) '
               '![i](https://evil/x.png) [y](<javascript:alert(1)>) <https://ok.example/>\n\n'
               '```"><script>\n</code></pre><script>\n```\n\n- <img src=x onerror=y>\n\n'
               '**<b>bold</b>** *`</em>`*')
    html = render_markdown(hostile)
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", html))
    assert tags <= {"p", "a", "pre", "code", "ul", "li", "strong", "em", "span"}
    assert "<script" not in html and "<img" not in html
    assert re.findall(r'<a href="([^"]*)"', html) == ["https://ok.example/"]


def test_markdown_of_every_builtin_runbook_is_safe_and_keeps_its_code() -> None:
    from preflight_scanner.runbooks import builtin_runbook_dir

    for path in sorted(builtin_runbook_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        html = render_markdown(text)
        fences = len(re.findall(r"^\s*```\w", text, re.M))
        assert html.count("<pre><code") == fences, path.name
        assert "<script" not in html and "<img" not in html, path.name


def test_error_findings_grouped_by_reason_across_resources() -> None:
    findings = tuple(sorted((
        Finding(pid, Status.ERROR, Severity.HIGH, ref(name, PROD, region),
                f"DescribeContinuousBackups failed (AccessDenied) for {PROD.id} {region} "
                f"aws.dynamodb.table {name}: not authorized", {}, "misc#section")
        for pid in ("dynamodb-pitr-enabled", "dynamodb-recent-backup")
        for name, region in (("orders", "us-east-1"), ("carts", "eu-west-1"), ("users", "us-east-1"))
    ), key=lambda f: f.sort_key))
    result = ScanResult("1", "a", "b", (PROD,), ("us-east-1", "eu-west-1"),
                        (policy("dynamodb-pitr-enabled", Severity.HIGH),
                         policy("dynamodb-recent-backup", Severity.HIGH)), findings, ())
    errors = _section(render(result), "errors")
    rows = re.findall(r"<tr><td class=\"msg\">(.*?)</td>\s*<td class=\"num\">.*?>(\d+)</a>", errors, re.S)
    assert rows == [("DescribeContinuousBackups failed (AccessDenied) for {account} {region} "
                     "aws.dynamodb.table {name}: not authorized", "6")]
    assert "<div>dynamodb-pitr-enabled</div><div>dynamodb-recent-backup</div>" in errors

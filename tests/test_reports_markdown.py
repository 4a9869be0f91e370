"""Markdown output: inert whatever AWS names things (checked by rendering it with GitHub's
own Markdown engine, cmark-gfm), bounded under GitHub's 1 MiB step-summary limit."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from preflight_scanner.models import (
    Account,
    CollectionError,
    Finding,
    PolicySummary,
    ResourceRef,
    RunbookExcerpt,
    ScanResult,
    Severity,
    SourceLocation,
    Status,
)
from preflight_scanner.reports import markdown

from tests.test_reports_golden import EVIL_NAME, PITR, STAGING, sample_result
from tests.test_reports_html import HOSTILE_PATH, with_locations

GITHUB_STEP_SUMMARY_LIMIT = 1024 * 1024

HOSTILE = [
    EVIL_NAME,
    "x](http://evil)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "| a | b |",
    "a\\|b\\",
    "\\",
    "`code` ``more`` ```",
    "`leading and trailing`",
    "*bold* **b** _i_ __u__ ~~s~~",
    "# heading",
    "line1\nline2\n\n| x |\n---",
    "[link](javascript:alert(1))",
    "![img](http://evil/x.png)",
    "<http://evil.example>",
    "http://evil.example/path www.evil.example user@evil.example",
    "@octocat #1",
    "&lt;b&gt; &amp; &#60;script&#62; &copy;",
    "<!-- comment --> <details open>",
    "- item\n1. item\n> quote",
    "[ref]: http://evil.example",
    "tab\there\x1b[31mred\x07",
]


class _Tables(HTMLParser):
    """Collects every table row as a list of cells: (text, tags used inside the cell)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, set[str]]]] = []
        self.tags: list[tuple[str, dict]] = []
        self._cell: list[str] | None = None
        self._cell_tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_tags = [], set()
        elif self._cell is not None:
            self._cell_tags.add(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(("".join(self._cell), self._cell_tags))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def to_html(md: str) -> str:
    # UNSAFE lets raw HTML through, as a permissive renderer would: nothing may rely on a
    # sanitizer downstream.
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def parse(md: str) -> _Tables:
    parser = _Tables()
    parser.feed(to_html(md))
    return parser


def visible(text: str) -> str:
    return text.replace("\u200b", "")


def hostile_result(value: str) -> ScanResult:
    """The sample, with one failing resource whose name, id, message and account name (and
    a read error's message) are all ``value``."""
    result = sample_result()
    carts = next(f for f in result.findings if f.resource.id == "carts")
    hostile = dataclasses.replace(
        carts, message=value,
        resource=dataclasses.replace(carts.resource, name=value, id=value + "-id",
                                     account_id=STAGING))
    accounts = (result.accounts[0], Account(STAGING, value, "staging"))
    errors = (dataclasses.replace(result.errors[0], message=value),)
    return dataclasses.replace(result, accounts=accounts, errors=errors,
                               findings=tuple(hostile if f is carts else f for f in result.findings))


def _tag_counts(page: _Tables) -> Counter[str]:
    return Counter(tag for tag, _ in page.tags)


@pytest.mark.parametrize("value", HOSTILE)
def test_values_from_aws_render_literally_and_inject_nothing(value):
    page = parse(markdown.render(hostile_result(value)))
    baseline = parse(markdown.render(hostile_result("plain-value")))
    # Exactly the same elements as with a harmless value: no link, image, script, heading,
    # list, emphasis, extra cell or row came from the value...
    assert _tag_counts(page) == _tag_counts(baseline)
    hrefs = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
    assert hrefs == [attrs.get("href") for tag, attrs in baseline.tags if tag == "a"]
    assert [len(r) for r in page.rows] == [len(r) for r in baseline.rows]
    # ...and the values show exactly as AWS gave them (newlines and controls as spaces).
    cell = f"{markdown._clip(value, 200)} ({markdown._clip(value + '-id', 200)})"
    [row] = [r for r in page.rows if len(r) == 4 and visible(r[2][0]) == cell]
    account, _region, resource, message = row
    assert visible(account[0]) == f"{STAGING} {markdown._clip(value, 80)}"
    assert resource[1] == {"code"}
    assert visible(message[0]) == markdown._clip(value, 300)
    assert message[1] == set()  # plain text: no emphasis, link, code or HTML
    [error_row] = [r for r in page.rows if len(r) == 5 and r[3][0] == "ListTables"]
    assert visible(error_row[4][0]) == f"AccessDenied: {markdown._clip(value, 300)}"


PROPERTY = "PointInTimeRecoverySpecification"


def located_at(path: str) -> ScanResult:
    """The sample, with the failing table ``carts`` declared at ``path``, line 12."""
    result = sample_result()
    return dataclasses.replace(result, findings=tuple(
        dataclasses.replace(f, location=SourceLocation(path, 12, 10, PROPERTY))
        if f.resource.id == "carts" else f for f in result.findings))


def _resource_cell(page: _Tables, name: str) -> tuple[str, set[str]]:
    [row] = [r for r in page.rows if len(r) == 4 and visible(r[2][0]).startswith(f"{name} ")
             and " at " in r[2][0]]
    return row[2]


def test_a_location_shows_beside_the_resource_as_code():
    result = with_locations(sample_result())
    page = parse(markdown.render(result))
    for f in result.findings:
        if f.status is Status.FAIL:
            text, tags = _resource_cell(page, f.resource.name)
            assert text.endswith(f" at {f.location.describe()} ({PROPERTY})"), text
            assert tags == {"code"}
    assert " at `" not in markdown.render(sample_result())  # a live scan: nothing added


@pytest.mark.parametrize("path", [HOSTILE_PATH, *HOSTILE])
def test_a_hostile_path_renders_literally_and_injects_nothing(path):
    page = parse(markdown.render(located_at(path)))
    baseline = parse(markdown.render(located_at("templates/app.yaml")))
    assert _tag_counts(page) == _tag_counts(baseline)
    assert [a.get("href") for t, a in page.tags if t == "a"] == [
        a.get("href") for t, a in baseline.tags if t == "a"]
    assert [len(r) for r in page.rows] == [len(r) for r in baseline.rows]
    text, tags = _resource_cell(page, "carts")
    assert visible(text) == f"carts at {markdown._clip(path + ':12', 300)} ({PROPERTY})"
    assert tags == {"code"}


def test_the_inertness_check_would_see_an_injection():
    """The comparison above is not vacuous: an unescaped value changes the elements."""
    page = parse(markdown.render(hostile_result("plain-value")).replace(
        "plain\\-value", "[x](http://evil) <img src=x> | a |"))
    baseline = parse(markdown.render(hostile_result("plain-value")))
    assert _tag_counts(page) != _tag_counts(baseline)
    assert "img" in _tag_counts(page) and "http://evil" in {a.get("href") for _, a in page.tags}


def test_mentions_issue_references_and_autolinks_are_broken():
    for raw in ("@octocat", "#12", "user@evil.example", "www.evil.example", "http://evil.example"):
        html = to_html(markdown.text(raw))
        assert "<a" not in html, raw
        assert visible(html) == f"<p>{raw}</p>\n", raw
    # a zero-width space after @ and # stops GitHub's @mention and #issue references
    assert markdown.text("@octocat #12") == "\\@\u200boctocat \\#\u200b12"


def test_code_spans_survive_backticks_and_pipes_inside_tables():
    for raw in ("a`b", "``", "`x`", "a|b", "a\\|b", "ends with \\", "| `|` |"):
        cell = markdown.code(raw)
        page = parse(f"| h |\n| --- |\n| {cell} |\n")
        [[_header], [(body, tags)]] = page.rows
        assert body == raw and tags == {"code"}, (raw, cell)


def test_an_unsafe_runbook_link_from_a_saved_report_is_not_linked():
    result = sample_result()
    runbooks = tuple(dataclasses.replace(r, link="javascript:alert(1)")
                     if r.ref.startswith("disaster-recovery#restore-a") else
                     dataclasses.replace(r, link="https://ok.example/x)](http://evil")
                     if r.ref.startswith("disaster-recovery#restore-s3") else r
                     for r in result.runbooks)
    page = parse(markdown.render(dataclasses.replace(result, runbooks=runbooks)))
    hrefs = {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    assert hrefs == {"report.html"}
    row = next(r for r in page.rows if r[0][0].startswith(PITR))
    assert row[5] == ("disaster-recovery#restore-a-dynamodb-table", {"code"})


def test_summary_counts_policies_runbooks_and_link_to_the_full_report():
    md = markdown.render(sample_result())
    page = parse(md)
    severity = {r[0][0]: [c[0] for c in r[1:]] for r in page.rows if len(r) == 4
                and r[0][0] in ("critical", "high", "medium", "low", "info", "total")}
    assert severity == {"critical": ["1", "0", "1"], "high": ["2", "1", "1"],
                        "medium": ["0", "0", "1"], "low": ["1", "0", "0"],
                        "info": ["0", "0", "0"], "total": ["4", "1", "3"]}
    policies = [r for r in page.rows if len(r) == 6][1:]
    # worst first; only policies with failures or errors
    assert [r[0][0].split(" ")[0] for r in policies] == [
        "cognito-mfa-on-in-prod", "dynamodb-pitr-enabled", "s3-versioning-enabled"]
    pitr = policies[1]
    assert [c[0] for c in pitr[1:5]] == ["high", "2", "1", "1"]
    assert pitr[5] == ("Restore a DynamoDB table", {"a"})
    assert policies[0][5] == ("authentication#mfa-configuration", {"code"})  # local file: no link
    assert '<a href="report.html">report.html</a>' in to_html(md)
    assert "The scan was incomplete" in md


def test_no_incomplete_note_for_a_complete_scan_and_a_clean_verdict_when_all_pass():
    result = sample_result()
    passing = dataclasses.replace(
        result, errors=(), findings=tuple(f for f in result.findings if f.status is Status.PASS))
    md = markdown.render(passing)
    assert "incomplete" not in md
    assert "every check passed" in md
    assert "Policies with failures" not in md


def test_only_the_first_n_failing_resources_of_a_policy_are_listed():
    md = markdown.render(sample_result(), limit=1)
    page = parse(md)
    pitr_rows = [r for r in page.rows if len(r) == 4 and r[0][0].startswith(("111", "222"))]
    assert len([r for r in pitr_rows if r[1][0] in ("us-east-1", "eu-west-1")]) == 4
    assert "2 failing resources, the first 1:" in md
    assert "\u2026 and 1 more failing: see the full report." in md
    assert "2 failing resources:" in markdown.render(sample_result())  # default 5: all shown


def big_result(policies: int, per_policy: int, name_length: int = 60) -> ScanResult:
    summaries = tuple(
        PolicySummary(f"policy-{p:05d}", f"Policy number {p} checks something important " * 2,
                      Severity.HIGH if p % 2 else Severity.MEDIUM, "aws.s3.bucket",
                      f"book#section-{p}", "")
        for p in range(policies))
    accounts = (Account("111111111111", "prod", "prod"),)
    findings = tuple(
        Finding(s.id, Status.FAIL, s.severity,
                ResourceRef("aws.s3.bucket", f"b{n}-" + "x" * name_length, f"b{n}-" + "x" * name_length,
                            None, "111111111111", "us-east-1", "prod"),
                "versioning is 'Suspended', expected = 'Enabled' " + "<|>" * 40, {},
                s.runbook)
        for s in summaries for n in range(per_policy))
    runbooks = tuple(RunbookExcerpt(s.runbook, "Section", f"https://wiki.example.com/{s.runbook}", "")
                     for s in summaries)
    errors = tuple(CollectionError("111111111111", "us-east-1", "aws.s3.bucket", "GetBucketVersioning",
                                   "Throttling", "slow down " * 30, f"b{n}") for n in range(2000))
    return ScanResult("0.1.0", "2024-05-01T10:00:00+00:00", "2024-05-01T11:00:00+00:00", accounts,
                      ("us-east-1",), summaries, findings, errors, 1, runbooks)


def test_a_50000_finding_estate_with_many_policies_stays_under_the_limit_with_a_note():
    result = big_result(policies=2_000, per_policy=25)
    assert len(result.findings) == 50_000
    started = time.monotonic()
    md = markdown.render(result)
    assert time.monotonic() - started < 10
    size = len(md.encode("utf-8"))
    assert size <= markdown.MAX_BYTES < GITHUB_STEP_SUMMARY_LIMIT
    assert size > markdown.MAX_BYTES * 0.9  # it used the room it had before truncating
    assert "**50000 failing checks**" in md.replace("\u274c ", "")
    assert "**This summary is truncated**" in md
    assert "the resource lists of" in md
    assert '<a href="report.html">' in to_html(md)  # the way to everything else survives
    # truncation falls between blocks: every table that was started is whole
    assert all(len(r) in (4, 5, 6) for r in parse(md).rows)


def test_a_50000_finding_estate_with_few_policies_fits_without_truncation():
    result = big_result(policies=5, per_policy=10_000)
    md = markdown.render(result)
    assert len(md.encode("utf-8")) < 100_000
    assert "truncated" not in md
    assert md.count("\u2026 and 9995 more failing") == 5
    assert "2000 things could not be read, the first 5:" in md


@pytest.mark.parametrize("budget", [8_000, 20_000, 100_000])
def test_any_budget_is_respected(budget):
    md = markdown.render(big_result(policies=300, per_policy=20), max_bytes=budget)
    assert len(md.encode("utf-8")) <= budget
    assert "**This summary is truncated**" in md


def test_read_errors_alone_never_read_as_all_clear():
    result = sample_result()
    passing_but_unread = dataclasses.replace(
        result, findings=tuple(f for f in result.findings if f.status is Status.PASS))
    md = markdown.render(passing_but_unread)
    assert "every check passed" not in md
    assert "no failing checks, but the scan is incomplete" in md
    assert "The scan was incomplete" in md and "## Read errors" in md

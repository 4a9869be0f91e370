"""report.csv: one row per finding, for spreadsheets and ticket imports.

- UTF-8, a header row, RFC 4180 quoting (the ``csv`` module; ``\\n`` line ends, which every
  spreadsheet and CSV reader accepts and diffs keep readable), and the columns in
  ``COLUMNS``: stable, added to only at the end, never renamed.
- Every finding is a row, passing ones too: a sheet that lists only failures cannot show
  what was checked.
- ``change`` and ``first_seen`` are filled against a baseline: ``new`` findings were first
  seen in this scan (its start), ``unchanged`` ones at the latest in the baseline's scan.
- Cells are data, never formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return is prefixed with ``'`` (OWASP's advice against CSV injection), so a
  resource named ``=HYPERLINK(...)`` stays text in Excel, LibreOffice and Google Sheets.
- Control characters (newlines included) are written as ``\\x..`` text: one finding is one
  line, and printing the file on a terminal cannot run an escape sequence.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from preflight_scanner.models import Account, Change, Finding, RunbookExcerpt, ScanResult
from preflight_scanner.reports.text import inert

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

COLUMNS = (
    "status", "severity", "policy_id", "policy_title", "account_id", "account_name", "region",
    "environment", "resource_type", "resource_id", "resource_name", "arn", "message",
    "runbook", "runbook_link", "waiver_id", "waiver_owner", "waiver_expires", "waiver_reason",
    "change", "first_seen", "location",
)
# Leading characters a spreadsheet reads as the start of a formula (or that hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as inert spreadsheet text."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return inert(text)  # after the check: an escaped tab or CR no longer starts with one


def _first_seen(finding: Finding, result: ScanResult) -> str:
    if result.baseline is None or finding.change is None:
        return ""
    return result.started_at if finding.change is Change.NEW else result.baseline.started_at


def row(finding: Finding, result: ScanResult, titles: dict[str, str],
        accounts: dict[str, Account], excerpts: dict[str, RunbookExcerpt]) -> list[str]:
    r = finding.resource
    account = accounts.get(r.account_id)
    excerpt = excerpts.get(finding.runbook)
    waiver = finding.waiver
    values: list[object] = [
        finding.status.value, finding.severity.value, finding.policy_id,
        titles.get(finding.policy_id, ""), r.account_id, account.name if account else "",
        r.region, r.environment, r.type, r.id, r.name, r.arn or "", finding.message,
        finding.runbook, excerpt.link if excerpt else "",
        waiver.id if waiver else "", waiver.owner if waiver else "",
        waiver.expires if waiver else "", waiver.reason if waiver else "",
        finding.change.value if finding.change else "", _first_seen(finding, result),
        finding.location.describe() if finding.location else "",
    ]
    return [cell(v) for v in values]


def write(result: ScanResult, sink: Sink) -> None:
    """Stream the rows to ``sink`` as they are made: no list of rows, no whole text."""
    titles = {p.id: p.title for p in result.policies}
    accounts = {a.id: a for a in result.accounts}
    excerpts = {e.ref: e for e in result.runbooks}
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(COLUMNS)
    for finding in result.findings:
        writer.writerow(row(finding, result, titles, accounts, excerpts))


def render(result: ScanResult) -> str:
    out = io.StringIO()
    write(result, out)
    return out.getvalue()

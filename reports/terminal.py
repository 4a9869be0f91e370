"""The compact summary printed after a scan: one row per policy, then the totals."""

from __future__ import annotations

from collections import Counter

from preflight_scanner.models import ScanResult, Status
from tabulate import tabulate

from .text import inert


def render(result: ScanResult) -> str:
    counts: dict[str, Counter[Status]] = {p.id: Counter() for p in result.policies}
    for finding in result.findings:
        counts.setdefault(finding.policy_id, Counter())[finding.status] += 1
    rows = [
        [inert(p.id), p.severity.value, counts[p.id][Status.PASS], counts[p.id][Status.FAIL],
         counts[p.id][Status.ERROR], inert(p.runbook)]
        for p in sorted(result.policies, key=lambda p: (-p.severity.rank, p.id))
    ]
    table = tabulate(rows, headers=["policy", "severity", "pass", "fail", "error", "runbook"])
    total = Counter(f.status for f in result.findings)
    lines = [
        table,
        "",
        f"{len(result.accounts)} account(s), {len(result.regions)} region(s), "
        f"{len(result.policies)} policies, {result.api_calls} API calls: "
        f"{total[Status.PASS]} pass, {total[Status.FAIL]} fail, {total[Status.ERROR]} error",
    ]
    if result.errors:
        lines.append(f"{len(result.errors)} read error(s): the scan is incomplete, see the report")
    located = [f for f in result.findings if f.location is not None and f.status is not Status.PASS]
    if located:  # pre-deploy scans: where each problem is declared
        lines.append("")
        for f in sorted(located, key=lambda f: (f.location.path, f.location.line, f.policy_id)):
            lines.append(inert(f"{f.location.describe()}: {f.status.value} {f.policy_id} "
                               f"[{f.severity.value}] {f.resource.name}: {f.message}"))
    for note in result.notes:
        lines.append(inert(f"note: {note}"))
    return "\n".join(lines) + "\n"

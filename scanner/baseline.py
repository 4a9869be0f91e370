"""`--baseline previous/report.json`: what changed since an earlier result.

Findings are matched on the stable finding key (policy, account, region, resource type,
resource id; ``models.finding_key``, the same key SARIF fingerprints):

- a current ``fail`` or ``error`` finding is ``unchanged`` when the baseline has the same
  key with the same status, else ``new`` (so a finding whose waiver expired since the
  baseline, or that went from error to fail, is new: the gate sees it);
- a baseline ``fail`` is ``fixed`` when the current scan passes it, or when the current
  scan covered its policy, account and region, could list that resource type there, and
  did not find the resource (it was deleted). A baseline failure outside what this scan
  covered (another shard, a region not scanned now) is neither fixed nor failing.
  Fixed findings are not current findings, so the result carries them in ``baseline``.
"""

from __future__ import annotations

from dataclasses import replace

from .models import BaselineReport, Change, Finding, FindingKey, ScanResult, Status, finding_key

COMPARED = (Status.FAIL, Status.ERROR)


def compare(current: ScanResult, baseline: ScanResult, source: str) -> ScanResult:
    before: dict[FindingKey, Status] = {f.key: f.status for f in baseline.findings}
    findings: list[Finding] = []
    new = unchanged = 0
    for f in current.findings:
        if f.status in COMPARED:
            change = Change.UNCHANGED if before.get(f.key) is f.status else Change.NEW
            if change is Change.NEW:
                new += 1
            else:
                unchanged += 1
            f = replace(f, change=change)
        elif f.change is not None:
            f = replace(f, change=None)
        findings.append(f)
    now = {f.key: f.status for f in current.findings}
    policies = {p.id for p in current.policies} | {f.policy_id for f in current.findings}
    accounts = {a.id for a in current.accounts}
    regions = set(current.regions)
    fixed = tuple(
        replace(f, change=Change.FIXED)
        for f in baseline.findings
        if f.status is Status.FAIL and _gone(f, now, policies, accounts, regions)
    )
    return replace(current, findings=tuple(findings), baseline=BaselineReport(
        source, baseline.started_at, baseline.tool_version, new, unchanged, fixed))


def _gone(f: Finding, now: dict[FindingKey, Status], policies: set[str], accounts: set[str],
          regions: set[str]) -> bool:
    status = now.get(f.key)
    if status is not None:
        return status is Status.PASS
    r = f.resource
    if f.policy_id not in policies or r.account_id not in accounts or r.region not in regions:
        return False  # not covered by this scan: unknown
    # A type that could not be listed there is an error finding on resource "*": unknown.
    return finding_key(f.policy_id, r.account_id, r.region, r.type, "*") not in now

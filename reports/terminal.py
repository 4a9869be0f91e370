"""The compact summary printed after a scan: one row per policy, the totals, then the
failing resources of the most severe policies (every one with -v), like Prowler and Checkov."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from preflight_scanner import colour
from preflight_scanner.models import Finding, ScanResult, Status
from tabulate import tabulate

from .text import inert

# Without -v the terminal lists at most this many failing resources: the report has them all.
FAILING_SHOWN = 10


@dataclass(frozen=True)
class View:
    """How much the terminal shows, and whether in colour (--quiet, --verbose, --no-color)."""

    quiet: bool = False  # only the policies with a failure or an error
    verbose: bool = False  # every failing resource, not only the most severe ones
    colour: bool = False


def render(result: ScanResult, view: View = View()) -> str:
    counts: dict[str, Counter[Status]] = {p.id: Counter() for p in result.policies}
    for finding in result.findings:
        counts.setdefault(finding.policy_id, Counter())[finding.status] += 1
    paint = view.colour

    def count(policy_id: str, status: Status) -> str:
        n = counts[policy_id][status]
        return colour.status(status, str(n), paint and n > 0)

    shown = [p for p in sorted(result.policies, key=lambda p: (-p.severity.rank, p.id))
             if not view.quiet or counts[p.id][Status.FAIL] or counts[p.id][Status.ERROR]]
    rows = [[inert(p.id), colour.severity(p.severity, paint), count(p.id, Status.PASS),
             count(p.id, Status.FAIL), count(p.id, Status.ERROR), inert(p.runbook)]
            for p in shown]
    total = Counter(f.status for f in result.findings)
    lines = [
        tabulate(rows, headers=["policy", "severity", "pass", "fail", "error", "runbook"],
                 disable_numparse=True, colalign=("left", "left", "right", "right", "right",
                                                  "left")),
        "",
        f"{len(result.accounts)} account(s), {len(result.regions)} region(s), "
        f"{len(result.policies)} policies, {result.api_calls} API calls: "
        f"{colour.status(Status.PASS, f'{total[Status.PASS]} pass', paint)}, "
        f"{colour.status(Status.FAIL, f'{total[Status.FAIL]} fail', paint)}, "
        f"{colour.status(Status.ERROR, f'{total[Status.ERROR]} error', paint)}",
    ]
    if result.errors:
        lines.append(f"{len(result.errors)} read error(s): the scan is incomplete, see the report")
    located = [f for f in result.findings if f.location is not None and f.status is not Status.PASS]
    if located:  # pre-deploy scans: where each problem is declared
        lines.append("")
        for f, where in sorted(((f, f.location) for f in located if f.location is not None),
                               key=lambda pair: (pair[1].path, pair[1].line, pair[0].policy_id)):
            lines.append(inert(f"{where.describe()}: {f.status.value} {f.policy_id} "
                               f"[{f.severity.value}] {f.resource.name}: {f.message}"))
    lines.extend(_failing(result, view))
    for note in result.notes:
        lines.append(inert(f"note: {note}"))
    return "\n".join(lines) + "\n"


def _failing(result: ScanResult, view: View) -> list[str]:
    """The failing and error findings of the most severe failing policies (all with -v)."""
    failing = sorted((f for f in result.findings if f.location is None
                      and f.status in (Status.FAIL, Status.ERROR)),
                     key=lambda f: (-f.severity.rank, f.policy_id, f.key))
    if not failing:
        return []
    if view.verbose:
        shown, heading = failing, "failing resources:"
    else:
        worst = failing[0].severity
        shown = [f for f in failing if f.severity is worst][:FAILING_SHOWN]
        heading = f"failing resources of the most severe policies ({worst.value}):"
    lines = ["", heading, *(_failing_line(f, view.colour) for f in shown)]
    if len(shown) < len(failing):
        lines.append(f"  ... and {len(failing) - len(shown)} more (-v lists every one; the "
                     "report has them all)")
    return lines


def _failing_line(f: Finding, paint: bool) -> str:
    r = f.resource
    where = inert(f"{r.account_id} {r.region} {r.type} {r.name}")
    return (f"  {colour.status(f.status, f.status.value.upper(), paint)} "
            f"{colour.severity(f.severity, paint)} {inert(f.policy_id)}  {where}: "
            f"{inert(f.message)}")

"""runbooks.md: the runbook readiness report in Markdown, for $GITHUB_STEP_SUMMARY or a pull
request: the counts, then every step that is not ready or cannot be told, per account and
region, with the reason and the fix; ready steps are counted per runbook.

``render(result)`` is pure. Text from runbooks and AWS goes through reports.markdown's
``text()`` and ``code()`` (inert in any Markdown renderer), and the output stays under
``max_bytes`` (GitHub's step-summary limit), rows past it replaced by a note.
"""

from __future__ import annotations

from preflight_scanner.runbookcheck.model import CheckResult, Outcome, Readiness, Reason

from .markdown import MAX_BYTES, code, text

__all__ = ["render"]

LABEL = {Readiness.READY: "✅ ready", Readiness.NOT_READY: "❌ not ready",
         Readiness.UNKNOWN: "❔ cannot tell", Readiness.WAIVED: "⏸ waived"}
_HEADERS = "| Step | Account | Region | Status | Why | Fix |\n| --- | --- | --- | --- | --- | --- |"


def _reasons(outcome: Outcome) -> list[tuple[str, Reason]]:
    """(the target's bindings, reason) for every reason of the outcome, worst first."""
    found = [("", r) for r in outcome.reasons]
    found += [(", ".join(f"{k}={v}" for k, v in t.bindings), r)
              for t in outcome.targets for r in t.reasons]
    return sorted(found, key=lambda item: item[1].status is not outcome.status)


def render(result: CheckResult, *, max_bytes: int = MAX_BYTES) -> str:
    counts = result.counts()
    lines = [f"## Runbook readiness: {LABEL[result.status]}", "",
             f"{counts['ready']} ready, {counts['not-ready']} not ready, "
             f"{counts['unknown']} cannot tell, {counts['waived']} waived (each step in each "
             f"account and region); {len(result.accounts)} account(s), regions "
             f"{', '.join(code(r) for r in result.regions)}; {result.api_calls} API calls.", "",
             "| Runbook | Steps | Ready | Not ready | Cannot tell | Waived |",
             "| --- | --- | --- | --- | --- | --- |"]
    for runbook in result.runbooks:
        statuses = [o.status for s in runbook.steps for o in s.outcomes]
        lines.append(f"| {text(runbook.title)} ({code(runbook.path)}) | {len(runbook.steps)} | "
                     + " | ".join(str(statuses.count(s)) for s in
                                  (Readiness.READY, Readiness.NOT_READY, Readiness.UNKNOWN,
                                   Readiness.WAIVED)) + " |")
    rows = []
    for runbook in result.runbooks:
        for step in runbook.steps:
            for outcome in step.outcomes:
                if outcome.status not in (Readiness.NOT_READY, Readiness.UNKNOWN):
                    continue
                for bindings, reason in _reasons(outcome)[:3]:
                    where = f"{text(bindings)}: " if bindings else ""
                    rows.append(f"| {code(step.id)} (line {step.line}) | "
                                f"{text(outcome.place.account_name)} | "
                                f"{code(outcome.place.region)} | {LABEL[reason.status]} | "
                                f"{where}{text(reason.message)} | {text(reason.fix)} |")
    if rows:
        lines += ["", "### Steps that would not work today", "", _HEADERS]
    body = "\n".join(lines) + "\n"
    for i, row in enumerate(rows):
        note = f"\n_{len(rows) - i} more row(s) in runbooks.json and runbooks.html._\n"
        if len((body + row + "\n" + note).encode("utf-8")) > max_bytes:
            return body + note
        body += row + "\n"
    return body

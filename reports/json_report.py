"""report.json: the machine-readable result, validated by reports/schemas/report.schema.json."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

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
    WaiverOutcome,
    WaiverReport,
)
from preflight_scanner.reports import jsonstream, packaged_schema
from preflight_scanner.waivers import WaiverState

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

SCHEMA_VERSION = "1.1"
# 1.2 added findings' source locations and the run's notes (pre-deploy scans): a report
# that uses neither is still written as 1.1, so a live scan's report reads everywhere.
SCHEMA_VERSION_LOCATIONS = "1.2"
# Versions this Preflight reads back (re-render, baseline, merge). 1.1 added waived
# findings, waivers, baseline, shard and policy_set, all optional for a 1.0 report.
READABLE_VERSIONS = ("1.0", "1.1", "1.2")


def schema() -> dict[str, Any]:
    return packaged_schema("report.schema.json")


def summary(result: ScanResult) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_severity = {sev.value: {s.value: 0 for s in Status} for sev in Severity}
    for finding in result.findings:
        by_status[finding.status.value] += 1
        by_severity[finding.severity.value][finding.status.value] += 1
    return {"total": len(result.findings), "by_status": by_status, "by_severity": by_severity}


def waivers_section(report: WaiverReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "digest": report.digest,
        "max_days": report.max_days,
        **{state.value: [w.to_dict() for w in report.in_state(state)] for state in WaiverState},
    }


def baseline_section(report: BaselineReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "started_at": report.started_at,
        "tool_version": report.tool_version,
        "counts": {"new": report.new, "unchanged": report.unchanged, "fixed": len(report.fixed)},
        "fixed": [f.to_dict() for f in report.fixed],
    }


def to_document(result: ScanResult, *, findings: bool = True) -> dict[str, Any]:
    """The report as one JSON-ready dict; ``findings=False`` leaves the findings out (the
    streaming writer adds them one at a time)."""
    scan: dict[str, Any] = {
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "complete": not result.incomplete,
        "accounts": [
            {"id": a.id, "name": a.name, "environment": a.environment}
            for a in result.accounts
        ],
        "regions": list(result.regions),
        "policies": [p.to_dict() for p in result.policies],
        "api_calls": result.api_calls,
    }
    if result.policy_set:
        scan["policy_set"] = result.policy_set
    if result.shard is not None:
        scan["shard"] = {"index": result.shard[0], "count": result.shard[1]}
    located = bool(result.notes) or any(f.location is not None for f in result.findings)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION_LOCATIONS if located else SCHEMA_VERSION,
        "tool": {"name": "preflight", "version": result.tool_version},
        "scan": scan,
        "summary": summary(result),
        "findings": [f.to_dict() for f in result.findings] if findings else [],
        "errors": [e.to_dict() for e in result.errors],
        "runbooks": {r.ref: r.to_dict() for r in result.runbooks},
    }
    if result.waivers is not None:
        document["waivers"] = waivers_section(result.waivers)
    if result.baseline is not None:
        document["baseline"] = baseline_section(result.baseline)
    if result.notes:
        document["notes"] = list(result.notes)
    return document


def _finding(f: dict[str, Any]) -> Finding:
    return Finding(f["policy_id"], Status(f["status"]), Severity(f["severity"]),
                   ResourceRef(**f["resource"]), f["message"], f["evidence"], f["runbook"],
                   tuple(f["remediation"]),
                   AppliedWaiver.from_dict(f["waiver"]) if f.get("waiver") else None,
                   Change(f["change"]) if f.get("change") else None,
                   SourceLocation.from_dict(f["location"]) if f.get("location") else None,
                   tuple(Decision.from_dict(d) for d in f.get("decisive", ())))


def _waivers(raw: dict[str, Any] | None) -> WaiverReport | None:
    if raw is None:
        return None
    outcomes = [WaiverOutcome(w["id"], w["reason"], w["owner"], w["expires"],
                              tuple(w["policies"]), w["source"], state, w["matched"])
                for state in WaiverState for w in raw.get(state.value, [])]
    # Back in file order (the source is file:line) so a merge lines shards up.
    outcomes.sort(key=lambda w: _line(w.source))
    return WaiverReport(raw["source"], raw["digest"], raw["max_days"], tuple(outcomes))


def _line(source: str) -> int:
    tail = source.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _baseline(raw: dict[str, Any] | None) -> BaselineReport | None:
    if raw is None:
        return None
    return BaselineReport(raw["source"], raw["started_at"], raw["tool_version"],
                          raw["counts"]["new"], raw["counts"]["unchanged"],
                          tuple(_finding(f) for f in raw["fixed"]))


def from_document(document: dict[str, Any]) -> ScanResult:
    """Rebuild a ScanResult from a report.json (validated first), to re-render it."""
    scan = document["scan"]
    return ScanResult(
        tool_version=document["tool"]["version"],
        started_at=scan["started_at"],
        finished_at=scan["finished_at"],
        accounts=tuple(Account(a["id"], a["name"], a["environment"]) for a in scan["accounts"]),
        regions=tuple(scan["regions"]),
        policies=tuple(
            PolicySummary(p["id"], p["title"], Severity(p["severity"]), p["resource"],
                          p["runbook"], "", p.get("description", ""),
                          tuple((k, tuple(v)) for k, v in sorted(p.get("frameworks", {}).items())),
                          tuple(p.get("categories", ())))
            for p in scan["policies"]
        ),
        findings=tuple(_finding(f) for f in document["findings"]),
        errors=tuple(CollectionError(**e) for e in document["errors"]),
        api_calls=scan["api_calls"],
        runbooks=tuple(RunbookExcerpt(ref, r["title"], r["link"], r["markdown"])
                       for ref, r in sorted(document.get("runbooks", {}).items())),
        waivers=_waivers(document.get("waivers")),
        baseline=_baseline(document.get("baseline")),
        shard=(scan["shard"]["index"], scan["shard"]["count"]) if scan.get("shard") else None,
        policy_set=scan.get("policy_set", ""),
        notes=tuple(document.get("notes", ())),
    )


def write(result: ScanResult, sink: Sink) -> None:
    """Stream report.json, one finding at a time: the bytes of ``json.dumps(to_document(
    result), indent=2)`` without the whole report in memory as a dict and a string."""
    document = to_document(result, findings=False)
    document["findings"] = jsonstream.MARKER
    jsonstream.write(document, (f.to_dict() for f in result.findings), sink)


def render(result: ScanResult) -> str:
    buffer = io.StringIO()
    write(result, buffer)
    return buffer.getvalue()

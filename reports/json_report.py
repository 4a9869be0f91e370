"""report.json: the machine-readable result, validated by reports/schemas/report.schema.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from scanner.models import (
    Account,
    CollectionError,
    Finding,
    PolicySummary,
    ResourceRef,
    RunbookExcerpt,
    ScanResult,
    Severity,
    Status,
)

SCHEMA_VERSION = "1.0"


def schema() -> dict[str, Any]:
    text = resources.files("reports").joinpath("schemas/report.schema.json").read_text("utf-8")
    return json.loads(text)


def summary(result: ScanResult) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_severity = {sev.value: {s.value: 0 for s in Status} for sev in Severity}
    for finding in result.findings:
        by_status[finding.status.value] += 1
        by_severity[finding.severity.value][finding.status.value] += 1
    return {"total": len(result.findings), "by_status": by_status, "by_severity": by_severity}


def to_document(result: ScanResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "preflight", "version": result.tool_version},
        "scan": {
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
        },
        "summary": summary(result),
        "findings": [f.to_dict() for f in result.findings],
        "errors": [e.to_dict() for e in result.errors],
        "runbooks": {r.ref: r.to_dict() for r in result.runbooks},
    }


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
        findings=tuple(
            Finding(f["policy_id"], Status(f["status"]), Severity(f["severity"]),
                    ResourceRef(**f["resource"]), f["message"], f["evidence"], f["runbook"],
                    tuple(f["remediation"]))
            for f in document["findings"]
        ),
        errors=tuple(CollectionError(**e) for e in document["errors"]),
        api_calls=scan["api_calls"],
        runbooks=tuple(RunbookExcerpt(ref, r["title"], r["link"], r["markdown"])
                       for ref, r in sorted(document.get("runbooks", {}).items())),
    )


def render(result: ScanResult) -> str:
    return json.dumps(to_document(result), indent=2, sort_keys=False, default=str) + "\n"

"""drill.json: the drill report as one document, the input of every drill renderer.

``build_document`` is a pure function of the scan result, the step map, the settings, the
previous drill (for drift) and the history points (for the chart). The document follows
reports/schemas/drill.schema.json (``preflight schema``-style: Draft 2020-12), and the HTML
and Markdown renderers read nothing else, so a saved drill.json renders the same report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from preflight_scanner.reports import packaged_schema

from ..models import ScanResult
from ..runbooks import RunbookLibrary
from . import checklist as checklist_mod
from .readiness import ZONE, Check, checks_from_findings, drift, quarterly, readiness, score
from .recovery import recovery_points
from .settings import DrillSettings
from .steps import Step, resolve_steps

# 1.1 added each table's and bucket's recovery_point, each worst case's worst_case and
# buckets_unknown, the sign-off's achievable_rpo, and waivers (all optional in the schema,
# so a 1.0 drill.json still reads as the baseline of --since).
SCHEMA_VERSION = "1.1"
KIND = "preflight-drill"


@cache
def schema() -> dict[str, Any]:
    return packaged_schema("drill.schema.json")


def validation_errors(document: Any) -> list[str]:
    errors = sorted(Draft202012Validator(schema()).iter_errors(document),
                    key=lambda e: [str(p) for p in e.absolute_path])
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def steps_for(result: ScanResult, step_map: Mapping[str, Any]) -> list[Step]:
    return resolve_steps(step_map, [(p.id, p.runbook) for p in result.policies])


def build_document(result: ScanResult, step_map: Mapping[str, Any], settings: DrillSettings,
                   runbooks: RunbookLibrary, *, previous: Mapping[str, Any] | None = None,
                   history: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    steps = steps_for(result, step_map)
    checks = checks_from_findings(result.findings)
    accounts = [{"id": a.id, "name": a.name, "environment": a.environment}
                for a in result.accounts]
    step_readiness = readiness(steps, checks)
    points = recovery_points(checks, result.started_at, settings.rpo_minutes)
    scores = score(steps, checks, accounts, settings.target)
    zone_evidence = _evidence_by_resource(c for c in checks if c.resource["type"] == ZONE)
    current_point = {"id": None, "kind": "drill", "started_at": result.started_at,
                     **{k: scores["overall"][k] for k in ("percent", "score", "possible")},
                     "current": True}
    refs = sorted({s.ref for s in steps} | ({f"{step_map['runbook']}#"
                                             f"{step_map['cleanup']['anchor']}"}
                                            if "cleanup" in step_map else set()))
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "tool": {"name": "preflight", "version": result.tool_version},
        "drill": {
            "history_id": None,
            "started_at": result.started_at,
            "finished_at": result.finished_at,
            "complete": not result.incomplete,
            "accounts": accounts,
            "regions": list(result.regions),
            "environments": sorted({a.environment for a in result.accounts}),
            "category": step_map["category"],
            "runbook": step_map["runbook"],
            "policies": [{"id": p.id, "title": p.title, "severity": p.severity.value,
                          "runbook": p.runbook, "categories": list(p.categories)}
                         for p in result.policies],
            "settings": settings.to_dict(),
            "api_calls": result.api_calls,
        },
        "score": scores,
        "steps": step_readiness,
        "recovery_points": points,
        "drift": None if previous is None else drift(step_readiness, previous["steps"], {
            **{k: previous.get(k) for k in ("source", "ref", "started_at")},
            "score": previous.get("score"),
        }),
        "history": quarterly([*history, current_point]),
        "checklist": checklist_mod.checklist(steps, step_readiness, points, zone_evidence,
                                             step_map.get("cleanup"), step_map["runbook"]),
        "signoff": checklist_mod.signoff(steps, settings.to_dict(), points),
        "runbooks": {ref: _excerpt(ref, runbooks) for ref in refs},
        "errors": [e.to_dict() for e in result.errors],
        "waivers": _waivers(result),
    }


def _waivers(result: ScanResult) -> dict[str, Any] | None:
    """What the waivers file did, as report.json says it: expired and unused waivers are
    named, never dropped (null: no waivers file)."""
    from preflight_scanner.reports.json_report import waivers_section

    return None if result.waivers is None else waivers_section(result.waivers)


def _evidence_by_resource(checks: Any) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for check in checks:
        assert isinstance(check, Check)
        merged.setdefault(check.resource_key, {}).update(check.evidence)
    return merged


def _excerpt(ref: str, runbooks: RunbookLibrary) -> dict[str, Any]:
    section = runbooks.section(ref)
    return {"title": section.title if section else ref, "link": runbooks.link(ref),
            "markdown": section.markdown if section else ""}


def previous_from_document(document: Mapping[str, Any], ref: str) -> dict[str, Any]:
    """The drift baseline from a previous drill.json."""
    return {"source": "file", "ref": ref, "started_at": document["drill"]["started_at"],
            "score": document["score"]["overall"], "steps": document["steps"]}


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"

"""The disaster-recovery runbook's steps, and the preconditions (policies) each depends on.

The map is data: each step names its runbook section (an anchor of the runbook), the
policies it needs by id, and the checklist generator that fills in its commands. A policy
of the drill's category also joins a step when its own runbook reference points at that
step's section, so an organisation's policy tagged ``categories: [disaster-recovery]`` with
``runbook: disaster-recovery#fail-over-dns`` becomes a precondition of the DNS step without
touching this file; one that points anywhere else joins the step marked ``rest``.

A step is ``observable: false`` when Preflight cannot see its precondition through read-only
APIs (here: the Amplify recovery app, which moto and therefore Preflight's tests cannot
exercise); the report says so, and gives the runbook's commands to verify it by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import InputError, Problem
from ..runbooks import RunbookLibrary

CATEGORY = "disaster-recovery"
RUNBOOK = "disaster-recovery"

STEP_MAP: dict[str, Any] = {
    "runbook": RUNBOOK,
    "category": CATEGORY,
    "steps": [
        {
            "id": "restore-tables",
            "title": "Restore DynamoDB tables from backups and point-in-time recovery",
            "anchor": "restore-a-dynamodb-table",
            "policies": ["dynamodb-pitr-enabled", "dynamodb-recent-backup",
                         "dynamodb-recovery-point"],
            "checklist": "restore-tables",
        },
        {
            "id": "restore-objects",
            "title": "Restore S3 object versions",
            "anchor": "restore-s3-object-versions",
            "policies": ["s3-versioning-enabled"],
            "checklist": "restore-objects",
        },
        {
            "id": "redeploy",
            "title": "Redeploy the application to the recovery environment",
            "anchor": "redeploy-to-the-recovery-environment",
            "observable": False,
            "why_not": (
                "Not observable by Preflight: verify by hand. Whether the recovery Amplify app "
                "exists, is connected to the same repository and branch, and builds is not "
                "checked: Preflight has no Amplify resource type (its test bed, moto, does not "
                "emulate Amplify, so such a check could not be tested), and a build's success "
                "only shows when a job runs. Run the commands below before the drill."),
            "checklist": "redeploy",
        },
        {
            "id": "fail-over-dns",
            "title": "Fail over DNS to the recovery environment",
            "anchor": "fail-over-dns",
            "policies": ["route53-failover-ready"],
            "checklist": "fail-over-dns",
        },
        {
            "id": "verify",
            "title": "Verify the recovery",
            "anchor": "verify-the-recovery",
            # The verification re-creates the source table's auto scaling and alarms on the
            # restored table and watches them: the source must have them to copy.
            "policies": ["dynamodb-autoscaling-registered", "dynamodb-throttle-alarm"],
            "checklist": "verify",
        },
        {
            "id": "other-preconditions",
            "title": "Other disaster-recovery preconditions",
            "anchor": "preconditions-preflight-checks",
            "policies": ["dynamodb-deletion-protection"],
            "rest": True,
        },
    ],
    # Checklist-only sections: commands, no readiness.
    "cleanup": {"title": "Clean up the drill resources", "anchor": "run-a-quarterly-drill"},
}

_ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
STEP_MAP_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["runbook", "category", "steps"],
    "additionalProperties": False,
    "properties": {
        "runbook": _ID,
        "category": {"type": "string", "minLength": 1},
        "steps": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "anchor"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "title": {"type": "string", "minLength": 1},
                    "anchor": _ID,
                    "policies": {"type": "array", "items": _ID, "uniqueItems": True},
                    "observable": {"type": "boolean"},
                    "why_not": {"type": "string", "minLength": 1},
                    "checklist": _ID,
                    "rest": {"type": "boolean"},
                },
            },
        },
        "cleanup": {
            "type": "object", "required": ["title", "anchor"], "additionalProperties": False,
            "properties": {"title": {"type": "string"}, "anchor": _ID},
        },
    },
}


@dataclass(frozen=True)
class Step:
    """One runbook step with the policies resolved against what is loaded."""

    id: str
    title: str
    anchor: str
    ref: str  # runbook#anchor
    observable: bool
    why_not: str
    policies: tuple[str, ...]  # loaded policies this step depends on
    missing: tuple[str, ...]   # policies the map names that are not loaded (or disabled)
    checklist: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "anchor": self.anchor, "ref": self.ref,
                "observable": self.observable, "why_not": self.why_not or None,
                "policies": list(self.policies), "missing_policies": list(self.missing)}


def check_step_map(step_map: Mapping[str, Any], runbooks: RunbookLibrary,
                   source: str = "(built-in drill steps)") -> None:
    """Schema, unique ids, one rest step, and every anchor a section of the runbook."""
    problems = [Problem(source, None, None,
                        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}")
                for e in Draft202012Validator(STEP_MAP_SCHEMA).iter_errors(step_map)]
    if problems:
        raise InputError(problems)
    steps = step_map["steps"]
    ids = [s["id"] for s in steps]
    if len(set(ids)) != len(ids):
        problems.append(Problem(source, None, None, f"step ids repeat: {ids}"))
    if sum(1 for s in steps if s.get("rest")) > 1:
        problems.append(Problem(source, None, None, "at most one step may be marked rest"))
    anchors = [s["anchor"] for s in steps]
    if "cleanup" in step_map:
        anchors.append(step_map["cleanup"]["anchor"])
    for anchor in anchors:
        ref = f"{step_map['runbook']}#{anchor}"
        # With only a runbook URL (no directory), sections cannot be checked offline.
        if runbooks.runbook(step_map["runbook"]) is not None and runbooks.section(ref) is None:
            problems.append(Problem(source, None, None, f"no runbook section {ref!r}",
                                    runbooks.suggest(ref)))
    if problems:
        raise InputError(problems)


def wanted_policy_ids(step_map: Mapping[str, Any]) -> set[str]:
    """Policies the map names by id (they join the drill whatever their categories)."""
    return {pid for step in step_map["steps"] for pid in step.get("policies", ())}


def selects(step_map: Mapping[str, Any], policy_id: str, categories: Iterable[str]) -> bool:
    """Whether the drill scans with this policy: its category, or named by a step."""
    return step_map["category"] in set(categories) or policy_id in wanted_policy_ids(step_map)


def resolve_steps(step_map: Mapping[str, Any], policies: Sequence[tuple[str, str]]
                  ) -> list[Step]:
    """``policies``: (id, runbook ref) of the policies the drill scanned with."""
    runbook = step_map["runbook"]
    loaded = {pid for pid, _ in policies}
    claimed: set[str] = set()
    per_step: dict[str, list[str]] = {}
    for step in step_map["steps"]:
        ref = f"{runbook}#{step['anchor']}"
        chosen = [pid for pid in step.get("policies", ()) if pid in loaded]
        chosen += [pid for pid, pref in policies if pref == ref and pid not in chosen]
        per_step[step["id"]] = chosen
        claimed.update(chosen)
    for step in step_map["steps"]:
        if step.get("rest"):
            per_step[step["id"]] += sorted(pid for pid, _ in policies if pid not in claimed)
    return [
        Step(id=step["id"], title=step["title"], anchor=step["anchor"],
             ref=f"{runbook}#{step['anchor']}", observable=step.get("observable", True),
             why_not=step.get("why_not", ""), policies=tuple(per_step[step["id"]]),
             missing=tuple(pid for pid in step.get("policies", ()) if pid not in loaded),
             checklist=step.get("checklist"))
        for step in step_map["steps"]
    ]

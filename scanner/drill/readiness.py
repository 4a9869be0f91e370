"""Pure computations of the drill report: readiness per step, the score, recovery points,
drift since the last drill, readiness over the quarters. No I/O, no clock, no AWS.

Everything works on ``Check``: one finding, normalised, whether it comes from this scan's
ScanResult or from a scan recorded in the history store.

Score (in the style of AWS Resilience Hub): every check of a drill policy on a resource is
worth one point. ``possible`` counts the checks that are not waived, ``score`` the passing
ones, ``outstanding`` the failing and unreadable ones (an unreadable check never counts as
ready); ``waived`` checks are left out of both, and listed with their reasons. ``percent`` is
score / possible * 100, rounded down to one decimal (so 99.96 is not shown as 100); with a
target, ``meets_target`` is percent >= target.

Recovery points live in recovery.py.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..models import Status
from ..policy.functions import parse_time
from .steps import Step

TABLE, BUCKET, ZONE = "aws.dynamodb.table", "aws.s3.bucket", "aws.route53.hosted_zone"


class StepStatus(StrEnum):
    """How ready a resource, or a runbook step, is (drill.json's ``status`` values)."""

    READY = "ready"
    NOT_READY = "not-ready"
    UNKNOWN = "unknown"  # something could not be read: never counted as ready
    WAIVED = "waived"
    NOT_OBSERVABLE = "not-observable"  # a step no policy can observe
    NO_RESOURCES = "no-resources"  # a step whose policies found nothing to check


# The resource statuses a step counts (drill.json's steps[].counts), in this order.
COUNTED = (StepStatus.READY, StepStatus.NOT_READY, StepStatus.UNKNOWN, StepStatus.WAIVED)
_BAD = {Status.FAIL: StepStatus.NOT_READY, Status.ERROR: StepStatus.UNKNOWN}


@dataclass(frozen=True)
class Check:
    """One finding of a drill policy, normalised."""

    policy_id: str
    status: str  # pass | fail | error | waived
    severity: str
    resource: Mapping[str, Any]  # type, id, name, arn, account_id, region, environment
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: tuple[str, ...] = ()
    waiver: str | None = None
    runbook: str = ""

    @property
    def resource_key(self) -> str:
        return resource_key(self.resource)


def resource_key(resource: Mapping[str, Any]) -> str:
    return "|".join((resource["type"], resource["account_id"], resource["region"],
                     resource["id"]))


def checks_from_findings(findings: Iterable[Any]) -> list[Check]:
    """From scanner.models.Finding (status by value: works with or without WAIVED)."""
    from ..history import waiver_reason

    return [Check(f.policy_id, f.status.value, f.severity.value, f.resource.to_dict(),
                  f.message, dict(f.evidence), tuple(f.remediation), waiver_reason(f), f.runbook)
            for f in findings]


def checks_from_history(findings: Iterable[Any]) -> list[Check]:
    """From scanner.history.StoredFinding."""
    return [Check(f.policy_id, f.status, f.severity, dict(f.resource), f.message,
                  dict(f.evidence), (), f.waiver) for f in findings]


# -- readiness per step ----------------------------------------------------------------------

def resource_status(checks: Sequence[Check]) -> str:
    statuses = {c.status for c in checks}
    if Status.FAIL in statuses:
        return StepStatus.NOT_READY
    if Status.ERROR in statuses:
        return StepStatus.UNKNOWN
    if Status.PASS in statuses:
        return StepStatus.READY
    return StepStatus.WAIVED


def step_status(step: Step, statuses: Iterable[str]) -> str:
    if not step.observable:
        return StepStatus.NOT_OBSERVABLE
    found = set(statuses)
    if not found:
        return StepStatus.NO_RESOURCES
    for status in (StepStatus.NOT_READY, StepStatus.UNKNOWN):
        if status in found:
            return status
    return StepStatus.READY


def readiness(steps: Sequence[Step], checks: Sequence[Check]) -> list[dict[str, Any]]:
    """Each step with the resources its policies touch, ready or not, and what blocks them."""
    out = []
    for step in steps:
        mine = [c for c in checks if c.policy_id in step.policies]
        by_resource: dict[str, list[Check]] = defaultdict(list)
        for check in mine:
            by_resource[check.resource_key].append(check)
        resources: list[dict[str, Any]] = []
        for key in sorted(by_resource, key=lambda k: resource_order(by_resource[k][0].resource)):
            group = sorted(by_resource[key], key=lambda c: c.policy_id)
            resources.append({
                "key": key,
                "resource": dict(group[0].resource),
                "status": resource_status(group),
                "blocking": [_blocker(c) for c in group if c.status in _BAD],
                "waived": [{"policy_id": c.policy_id, "reason": c.waiver or ""}
                           for c in group if c.status == Status.WAIVED],
                "passing": [c.policy_id for c in group if c.status == Status.PASS],
            })
        counts = Counter(r["status"] for r in resources)
        out.append({
            **step.to_dict(),
            "status": step_status(step, counts),
            "counts": {s: counts.get(s, 0) for s in COUNTED},
            "resources": resources,
        })
    return out


def resource_order(resource: Mapping[str, Any]) -> tuple[str, ...]:
    return (resource["account_id"], resource["region"], resource["type"], resource["name"],
            resource["id"])


def _blocker(check: Check) -> dict[str, Any]:
    return {"policy_id": check.policy_id, "status": check.status, "severity": check.severity,
            "message": check.message, "runbook": check.runbook,
            "remediation": list(check.remediation)}


# -- the score -------------------------------------------------------------------------------

def _tally(checks: Iterable[Check], target: float | None) -> dict[str, Any]:
    counts = Counter(c.status for c in checks)
    possible = counts[Status.PASS] + counts[Status.FAIL] + counts[Status.ERROR]
    percent = None if possible == 0 else math.floor(counts[Status.PASS] * 1000 / possible) / 10
    return {
        "score": counts[Status.PASS], "possible": possible,
        "outstanding": counts[Status.FAIL] + counts[Status.ERROR],
        "unreadable": counts[Status.ERROR],
        "waived": counts[Status.WAIVED], "percent": percent, "target": target,
        "meets_target": None if target is None or percent is None else percent >= target,
    }


def score(steps: Sequence[Step], checks: Sequence[Check], accounts: Sequence[Mapping[str, Any]],
          target: float | None) -> dict[str, Any]:
    """Overall, per account and per environment; each (policy, resource) counted once."""
    scored = {p for s in steps if s.observable for p in s.policies}
    unique = {(c.policy_id, c.resource_key): c for c in checks if c.policy_id in scored}
    mine = list(unique.values())
    names = {a["id"]: a for a in accounts}
    per_account = []
    for account_id in sorted({c.resource["account_id"] for c in mine} | set(names)):
        account = names.get(account_id, {})
        per_account.append({
            "account_id": account_id, "name": account.get("name", account_id),
            "environment": account.get("environment", ""),
            **_tally((c for c in mine if c.resource["account_id"] == account_id), target)})
    environments = sorted({c.resource["environment"] for c in mine})
    return {
        "overall": _tally(mine, target),
        "accounts": per_account,
        "environments": [{"environment": env, **_tally(
            (c for c in mine if c.resource["environment"] == env), target)}
            for env in environments],
        "waivers": [{"policy_id": c.policy_id, "resource": dict(c.resource),
                     "reason": c.waiver or ""}
                    for c in sorted(mine, key=lambda c: (c.policy_id, resource_order(c.resource)))
                    if c.status == Status.WAIVED],
    }


# -- drift -------------------------------------------------------------------------------------

def readiness_map(steps: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(step id, resource key) -> {status, resource}, from readiness() output or a drill.json."""
    return {(step["id"], r["key"]): {"status": r["status"], "resource": r["resource"]}
            for step in steps for r in step.get("resources", ())}


def drift(current: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]],
          since: Mapping[str, Any]) -> dict[str, Any]:
    now, before = readiness_map(current), readiness_map(previous)
    seen_before = {key for _, key in before}
    seen_now = {key for _, key in now}
    became_ready, regressed, changed = [], [], []
    for (step_id, key), entry in sorted(now.items()):
        old = before.get((step_id, key))
        if old is None or old["status"] == entry["status"]:
            continue
        item = {"step_id": step_id, "resource": entry["resource"], "before": old["status"],
                "after": entry["status"]}
        if entry["status"] == StepStatus.READY:
            became_ready.append(item)
        elif (old["status"] in (StepStatus.READY, StepStatus.WAIVED)
              and entry["status"] in (StepStatus.NOT_READY, StepStatus.UNKNOWN)):
            regressed.append(item)
        else:
            changed.append(item)
    new_resources = _distinct(now, seen_now - seen_before)
    removed = _distinct(before, seen_before - seen_now)
    return {"since": dict(since), "became_ready": became_ready, "regressed": regressed,
            "changed": changed, "new_resources": new_resources, "removed_resources": removed}


def _distinct(entries: Mapping[tuple[str, str], Mapping[str, Any]], keys: set[str]
              ) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for (step_id, key), entry in sorted(entries.items()):
        if key in keys:
            item = found.setdefault(key, {"resource": dict(entry["resource"]), "steps": [],
                                          "status": {}})
            item["steps"].append(step_id)
            item["status"][step_id] = entry["status"]
    return [found[k] for k in sorted(found, key=lambda k: resource_order(found[k]["resource"]))]


# -- readiness over the quarters -----------------------------------------------------------------

def quarter(timestamp: str) -> str:
    when = parse_time(timestamp)
    assert when is not None, timestamp
    return f"{when.year} Q{(when.month - 1) // 3 + 1}"


def quarterly(points: Iterable[Mapping[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """The latest point of each quarter, the last ``limit`` quarters, oldest first.
    A point: {started_at, percent, score, possible, kind, id}."""
    latest: dict[str, Mapping[str, Any]] = {}
    for point in sorted(points, key=lambda p: (p["started_at"], str(p.get("id")))):
        if point.get("percent") is not None:
            latest[quarter(point["started_at"])] = point
    ordered = sorted(latest.items(), key=lambda kv: kv[1]["started_at"])[-limit:]
    return [{"quarter": q, **dict(p)} for q, p in ordered]

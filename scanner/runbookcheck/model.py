"""The readiness report of `preflight runbooks check`: runbook -> section -> step -> place.

The vocabulary is the drill's (scanner/drill/readiness.py): ``ready``, ``not-ready``,
``unknown`` (shown as "cannot tell") and ``waived``, so a drill step and a runbook step mean
the same thing by the same word.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..drill.readiness import StepStatus
from ..models import Account, AppliedWaiver, WaiverReport


class Readiness(str, Enum):
    READY = StepStatus.READY.value
    NOT_READY = StepStatus.NOT_READY.value
    UNKNOWN = StepStatus.UNKNOWN.value  # "cannot tell": never counted as ready
    WAIVED = StepStatus.WAIVED.value

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {Readiness.READY: "ready", Readiness.NOT_READY: "not ready",
          Readiness.UNKNOWN: "cannot tell", Readiness.WAIVED: "waived"}
# Worst first: a step is as ready as its least ready part.
_ORDER = (Readiness.NOT_READY, Readiness.UNKNOWN, Readiness.WAIVED, Readiness.READY)


def worst(statuses: Any) -> Readiness:
    found = set(statuses)
    return next((s for s in _ORDER if s in found), Readiness.READY)


@dataclass(frozen=True)
class Place:
    """Where a step runs: one account (with its environment) and one region."""

    account_id: str
    account_name: str
    environment: str
    region: str

    @classmethod
    def of(cls, account: Account, region: str) -> Place:
        return cls(account.id, account.name, account.environment, region)

    def to_dict(self) -> dict[str, str]:
        return {"account_id": self.account_id, "account_name": self.account_name,
                "environment": self.environment, "region": self.region}


@dataclass(frozen=True)
class Reason:
    """Why something is not ready or cannot be told, and the fix."""

    status: Readiness
    message: str
    fix: str = ""
    policy_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "message": self.message, "fix": self.fix,
                "policy_id": self.policy_id}


@dataclass(frozen=True)
class Target:
    """The step with its placeholders bound to one set of values (one table, one function)."""

    bindings: tuple[tuple[str, str], ...]
    status: Readiness
    reasons: tuple[Reason, ...] = ()
    verified: tuple[str, ...] = ()  # what was found in place: proof of a ready target

    def to_dict(self) -> dict[str, Any]:
        return {"bindings": dict(self.bindings), "status": self.status.value,
                "reasons": [r.to_dict() for r in self.reasons], "verified": list(self.verified)}


@dataclass(frozen=True)
class Outcome:
    """One step in one place."""

    place: Place
    status: Readiness
    targets: tuple[Target, ...] = ()
    reasons: tuple[Reason, ...] = ()  # about the place as a whole (unbound, nothing to bind)
    waiver: AppliedWaiver | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"place": self.place.to_dict(), "status": self.status.value,
                               "reasons": [r.to_dict() for r in self.reasons],
                               "targets": [t.to_dict() for t in self.targets]}
        if self.waiver is not None:
            out["waiver"] = self.waiver.to_dict()
        return out


@dataclass(frozen=True)
class StepReport:
    id: str  # runbook#section/step-N: what a waiver names
    line: int
    column: int
    command: str  # as written in the runbook
    operation: str  # "dynamodb describe-table", or "" when not an AWS API operation
    outcomes: tuple[Outcome, ...]
    not_checked: tuple[str, ...] = ()  # parts of the command Preflight does not judge

    @property
    def status(self) -> Readiness:
        return worst(o.status for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "column": self.column,
                "command": self.command, "operation": self.operation,
                "status": self.status.value, "not_checked": list(self.not_checked),
                "outcomes": [o.to_dict() for o in self.outcomes]}


@dataclass(frozen=True)
class SectionReport:
    anchor: str
    title: str
    line: int
    markdown: str  # the section's text, shown beside its steps
    steps: tuple[StepReport, ...]

    @property
    def status(self) -> Readiness:
        return worst(s.status for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "title": self.title, "line": self.line,
                "status": self.status.value, "markdown": self.markdown,
                "steps": [s.to_dict() for s in self.steps]}


@dataclass(frozen=True)
class RunbookReport:
    name: str
    path: str
    title: str
    sections: tuple[SectionReport, ...]

    @property
    def steps(self) -> list[StepReport]:
        return [step for section in self.sections for step in section.steps]

    @property
    def status(self) -> Readiness:
        return worst(s.status for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "title": self.title,
                "status": self.status.value,
                "sections": [s.to_dict() for s in self.sections]}


@dataclass(frozen=True)
class CheckResult:
    tool_version: str
    started_at: str
    finished_at: str
    accounts: tuple[Account, ...]
    regions: tuple[str, ...]
    runbooks: tuple[RunbookReport, ...]
    api_calls: int = 0
    listings: int = 0  # distinct (service listing, account, region) the check needed
    waivers: WaiverReport | None = None

    def outcomes(self) -> list[Outcome]:
        return [o for r in self.runbooks for s in r.steps for o in s.outcomes]

    def counts(self) -> dict[str, int]:
        found = [o.status for o in self.outcomes()]
        return {s.value: found.count(s) for s in Readiness}

    @property
    def status(self) -> Readiness:
        return worst(r.status for r in self.runbooks)

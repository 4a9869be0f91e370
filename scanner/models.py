"""Domain records shared by the engine and the renderers.

Everything here is a frozen dataclass or an enum: a finding, once made, is a fact that
no later stage may quietly rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for --fail-on and for sorting."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    # The scanner could not determine the answer. Never counted as a pass.
    ERROR = "error"


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    environment: str
    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class ResourceRef:
    """Where a resource lives and what it is called: what a finding points at."""

    type: str
    id: str
    name: str
    arn: str | None
    account_id: str
    region: str
    environment: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "arn": self.arn,
            "account_id": self.account_id,
            "region": self.region,
            "environment": self.environment,
        }


@dataclass
class Resource:
    """A collected resource: its identity plus the attribute document policies query.

    ``unreadable`` maps an attribute name to the reason it could not be read, so a
    policy that needs it yields an error instead of judging a gap.
    """

    type: str
    id: str
    name: str
    arn: str | None
    account: Account
    region: str
    data: dict[str, Any] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectionError:
    """Something the scanner could not read, and why."""

    account_id: str
    region: str | None
    resource_type: str | None
    operation: str
    code: str
    message: str
    resource_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
        }

    def describe(self) -> str:
        where = " ".join(
            part for part in (self.account_id, self.region, self.resource_type, self.resource_id) if part
        )
        return f"{self.operation} failed ({self.code}) for {where}: {self.message}"


@dataclass(frozen=True)
class Finding:
    policy_id: str
    status: Status
    severity: Severity
    resource: ResourceRef
    message: str
    evidence: dict[str, Any]
    runbook: str
    remediation: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, ...]:
        r = self.resource
        return (self.policy_id, r.account_id, r.region, r.type, r.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "resource": self.resource.to_dict(),
            "message": self.message,
            "evidence": self.evidence,
            "runbook": self.runbook,
            "remediation": list(self.remediation),
        }


@dataclass(frozen=True)
class PolicySummary:
    """What a report says about each policy that ran."""

    id: str
    title: str
    severity: Severity
    resource: str
    runbook: str
    source: str
    description: str = ""
    frameworks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "severity": self.severity.value,
            "resource": self.resource, "runbook": self.runbook, "description": self.description,
            "frameworks": {name: list(ids) for name, ids in self.frameworks},
            "categories": list(self.categories),
        }


@dataclass(frozen=True)
class RunbookExcerpt:
    """The runbook section a policy points at, carried in the result so every report
    (and a re-render of a saved report.json) can show it without the runbook files."""

    ref: str
    title: str
    link: str
    markdown: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "link": self.link, "markdown": self.markdown}


@dataclass(frozen=True)
class ScanResult:
    tool_version: str
    started_at: str
    finished_at: str
    accounts: tuple[Account, ...]
    regions: tuple[str, ...]
    policies: tuple[PolicySummary, ...]
    findings: tuple[Finding, ...]
    errors: tuple[CollectionError, ...]
    api_calls: int = 0
    runbooks: tuple[RunbookExcerpt, ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    @property
    def incomplete(self) -> bool:
        return bool(self.errors) or self.count(Status.ERROR) > 0

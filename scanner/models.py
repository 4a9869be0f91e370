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
    # A fail (or, when the waiver says so, an error) that an unexpired waiver accepts:
    # neither a pass nor a failure. The finding keeps its evidence and names the waiver.
    WAIVED = "waived"


class Change(str, Enum):
    """How a failing or unreadable finding compares with a baseline report."""

    NEW = "new"
    UNCHANGED = "unchanged"
    FIXED = "fixed"  # only in ScanResult.baseline.fixed: the baseline's failures now gone


FindingKey = tuple[str, str, str, str, str]


def finding_key(policy_id: str, account_id: str, region: str, resource_type: str,
                resource_id: str) -> FindingKey:
    """The stable identity of a (policy, resource) pair across scans: no message, time or
    status in it. SARIF's fingerprint, the baseline and merging all use this one key."""
    return (policy_id, account_id, region, resource_type, resource_id)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    environment: str
    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class SourceLocation:
    """Where, in a file of the repository, a finding's resource is declared: a
    CloudFormation template, CDK output or Terraform file (pre-deploy scans only; a live
    finding has none). ``line`` is the line to point at: the offending property when it
    could be found, else the resource's own line, which ``resource_line`` always holds."""

    path: str  # relative to the directory preflight ran in (the repository root), '/'-separated
    line: int  # 1-based
    resource_line: int | None = None
    property: str | None = None  # e.g. PointInTimeRecoverySpecification, when line points at it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line}
        if self.resource_line is not None:
            out["resource_line"] = self.resource_line
        if self.property is not None:
            out["property"] = self.property
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SourceLocation:
        return cls(raw["path"], raw["line"], raw.get("resource_line"), raw.get("property"))

    def describe(self) -> str:
        return f"{self.path}:{self.line}"


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
    # Pre-deploy scans: where the resource is declared, and (attribute -> location) the
    # property each attribute comes from, so a finding points at the offending line.
    location: SourceLocation | None = None
    attribute_locations: dict[str, SourceLocation] = field(default_factory=dict)


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
class Gap:
    """A place the scanner could not enumerate: every resource there is unknown."""

    account: Account
    region: str
    resource_type: str
    error: CollectionError


@dataclass(frozen=True)
class AppliedWaiver:
    """The waiver that accepted a finding, as the finding carries it in every report."""

    id: str
    reason: str
    owner: str
    expires: str  # ISO date; the waiver applies through the end of that day (UTC)
    status: Status  # what the finding would have been without it: fail or error
    source: str = ""  # file:line of the waiver

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason, "owner": self.owner,
                "expires": self.expires, "status": self.status.value, "source": self.source}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AppliedWaiver:
        return cls(raw["id"], raw["reason"], raw["owner"], raw["expires"], Status(raw["status"]),
                   raw.get("source", ""))


@dataclass(frozen=True)
class WaiverHit:
    """One waiver matching one finding: it waived it, or, when ``expired``, would have.
    Evaluation returns these instead of counting them, so it stays pure."""

    waiver_id: str
    expired: bool = False


@dataclass(frozen=True)
class Decision:
    """One comparison that decided a finding's verdict, kept as data beside the message.

    The message says it in the domain's words; this says it exactly, for those who want
    the expression: ``attribute`` (and ``operand``, when the compared value was read from
    another attribute) are keys of the finding's evidence, which reports highlight."""

    attribute: str  # the JMESPath expression, as written in the policy
    operator: str  # e.g. "equals"; "not equals" when a `not:` decided it
    expected: Any = None
    operand: str | None = None  # the expression the expected value was read from

    @property
    def keys(self) -> tuple[str, ...]:
        """The evidence keys this comparison read."""
        return (self.attribute,) if self.operand is None else (self.attribute, self.operand)

    def to_dict(self) -> dict[str, Any]:
        out = {"attribute": self.attribute, "operator": self.operator, "expected": self.expected}
        if self.operand is not None:
            out["operand"] = self.operand
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Decision:
        return cls(raw["attribute"], raw["operator"], raw.get("expected"), raw.get("operand"))


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
    waiver: AppliedWaiver | None = None  # set when status is WAIVED
    change: Change | None = None  # new/unchanged against a baseline (fail and error only)
    location: SourceLocation | None = None  # file:line of a planned resource (pre-deploy)
    # The comparisons that decided the verdict (failing ones on a fail, the ones that could
    # not be computed on an error); empty when no comparison ran (a read error, a gap).
    decisive: tuple[Decision, ...] = ()

    @property
    def decisive_keys(self) -> tuple[str, ...]:
        """The evidence keys the verdict rests on, each once, in order."""
        return tuple(dict.fromkeys(key for d in self.decisive for key in d.keys))

    @property
    def sort_key(self) -> tuple[str, ...]:
        return self.key

    @property
    def key(self) -> FindingKey:
        r = self.resource
        return finding_key(self.policy_id, r.account_id, r.region, r.type, r.id)

    @property
    def underlying_status(self) -> Status:
        """The verdict before any waiver: a waived finding's fail or error."""
        return self.waiver.status if self.waiver is not None else self.status

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy_id": self.policy_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "resource": self.resource.to_dict(),
            "message": self.message,
            "evidence": self.evidence,
            "runbook": self.runbook,
            "remediation": list(self.remediation),
        }
        if self.waiver is not None:
            out["waiver"] = self.waiver.to_dict()
        if self.change is not None:
            out["change"] = self.change.value
        if self.location is not None:
            out["location"] = self.location.to_dict()
        if self.decisive:
            out["decisive"] = [d.to_dict() for d in self.decisive]
        return out


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
class WaiverOutcome:
    """One waiver of the waivers file and what it did in this scan."""

    id: str
    reason: str
    owner: str
    expires: str
    policies: tuple[str, ...]
    source: str  # file:line
    state: str  # "applied", "expired" or "unused"
    matched: int = 0  # findings it waived (applied) or would have waived (expired)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason, "owner": self.owner,
                "expires": self.expires, "policies": list(self.policies),
                "source": self.source, "matched": self.matched}


@dataclass(frozen=True)
class WaiverReport:
    """What the waivers file did: applied, expired (no longer applied: their findings count
    again) and unused (matched nothing: delete them)."""

    source: str
    digest: str
    max_days: int
    waivers: tuple[WaiverOutcome, ...] = ()

    def in_state(self, state: str) -> list[WaiverOutcome]:
        return [w for w in self.waivers if w.state == state]


@dataclass(frozen=True)
class BaselineReport:
    """The comparison with an earlier report: counts, and the baseline's failures that are
    gone now (they are not among the current findings, so they are carried here)."""

    source: str
    started_at: str
    tool_version: str
    new: int
    unchanged: int
    fixed: tuple[Finding, ...] = ()


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
    waivers: WaiverReport | None = None
    baseline: BaselineReport | None = None
    shard: tuple[int, int] | None = None  # (K, N) of `scan --shard K/N`
    policy_set: str = ""  # digest of the policies, their overrides and parameters
    # Remarks about the run that are not findings, e.g. the policies a pre-deploy scan
    # could not apply because they read attributes that exist only after deployment.
    notes: tuple[str, ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    @property
    def incomplete(self) -> bool:
        """Something could not be read: a read error, or a finding without an answer (a
        waived error included: a waiver accepts the gap, it does not fill it)."""
        return bool(self.errors) or any(f.underlying_status is Status.ERROR
                                        for f in self.findings)

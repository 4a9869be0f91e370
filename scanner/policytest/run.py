"""Run cases through the scan's own evaluator: a case is one resource, no AWS involved.

The verdict is whatever `evaluate()` gives the case's resource (no finding at all is
``not-applicable``), so a case proves what a scan would report, scope included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..evaluate import EvaluationContext, document, environment_of, evaluate
from ..exitcodes import EXIT_FAILURES, EXIT_OK
from ..models import Resource
from ..policy.conditions import LeafResult
from ..policy.model import Policy
from .cases import Case
from .schema import Expect

_IDENTITY = ("id", "name", "arn")
DEFAULT_RESOURCE_ID = "case-resource"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    actual: Expect
    message: str  # the finding's message; empty when not applicable
    evidence: tuple[LeafResult, ...]  # the leaves that decided the verdict

    @property
    def passed(self) -> bool:
        return self.actual is self.case.expect and self.message_matches

    @property
    def message_matches(self) -> bool:
        return self.case.message is None or self.case.message in self.message

    def failure(self) -> str:
        """Why the case failed, in one line ('' when it passed)."""
        if self.actual is not self.case.expect:
            return f"expected {self.case.expect.value}, got {self.actual.value}"
        if not self.message_matches:
            return f"the message does not contain {self.case.message!r}"
        return ""


@dataclass(frozen=True)
class CaseRun:
    results: tuple[CaseResult, ...]
    untested: tuple[str, ...] = ()  # policies without a case file

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILURES if self.failed else EXIT_OK


def run_cases(cases: Iterable[Case], policies: Sequence[Policy],
              untested: Iterable[str] = ()) -> CaseRun:
    by_id = {p.id: p for p in policies}
    return CaseRun(tuple(run_case(case, by_id[case.policy_id]) for case in cases),
                   tuple(untested))


def run_case(case: Case, policy: Policy) -> CaseResult:
    resource = _resource(case)
    ctx = EvaluationContext(overrides=lambda _policy, _environment: case.parameters,
                            scan_time=case.scan_time)
    findings = evaluate([policy], [resource], [], ctx, {case.type: True}).findings
    if not findings:
        return CaseResult(case, Expect.NOT_APPLICABLE, "", ())
    finding = findings[0]
    return CaseResult(case, Expect(finding.status.value), finding.message,
                      _decisive(policy, resource, ctx))


def _resource(case: Case) -> Resource:
    attributes = dict(case.attributes)
    identity = {key: attributes.pop(key, None) for key in _IDENTITY}
    resource_id = str(identity["id"] if identity["id"] is not None else DEFAULT_RESOURCE_ID)
    if case.tags is not None:
        attributes["tags"] = dict(case.tags)
    return Resource(case.type, resource_id,
                    str(identity["name"] if identity["name"] is not None else resource_id),
                    None if identity["arn"] is None else str(identity["arn"]),
                    case.account, case.region, attributes, dict(case.unreadable))


def _decisive(policy: Policy, resource: Resource, ctx: EvaluationContext
              ) -> tuple[LeafResult, ...]:
    """The leaves behind the verdict, by the evaluator's own functions; none when an
    unreadable attribute decided it (its reason is the finding's message)."""
    if resource.unreadable.keys() & (policy.attributes() | {"tags"}):
        return ()
    environment = environment_of(resource, ctx.environment_tag)
    params: dict[str, Any] = ctx.parameters(policy, environment)
    outcome = policy.check.evaluate(document(resource, environment, ctx.scan_time), params)
    return outcome.errors or outcome.decisive

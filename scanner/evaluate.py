"""Policies x resources -> findings. Pure: no I/O, no clock, no AWS.

Every in-scope resource gets a finding for every policy on its type: pass, fail, or
error when an attribute the verdict (or the scope) depends on could not be read. A
place that could not be listed at all yields one error finding per policy that would
have applied there, so a gap is never mistaken for "nothing to check".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import Decision, Finding, Gap, Resource, ResourceRef, Status, WaiverHit
from .policy import messages
from .policy.conditions import LeafResult
from .policy.model import Policy
from .policy.sandbox import render

if TYPE_CHECKING:
    from .waivers import WaiverMatcher

TAGS = "tags"


def _no_overrides(policy_id: str, environment: str) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class EvaluationContext:
    environment_tag: str | None = "Environment"
    # (policy id, environment) -> parameter values that replace the policy's defaults
    overrides: Callable[[str, str], Mapping[str, Any]] = _no_overrides
    # The scan's clock, as every document's scan_time: ages are measured against it.
    scan_time: str = "1970-01-01T00:00:00+00:00"

    def parameters(self, policy: Policy, environment: str) -> dict[str, Any]:
        return {**policy.defaults(), **self.overrides(policy.id, environment)}


def environment_of(resource: Resource, environment_tag: str | None) -> str:
    tags = resource.data.get(TAGS) or {}
    if environment_tag and isinstance(tags, dict) and tags.get(environment_tag):
        return str(tags[environment_tag])
    return resource.account.environment


def document(resource: Resource, environment: str, scan_time: str) -> dict[str, Any]:
    """What a policy's expressions see: identity fields plus collected attributes."""
    return {
        "scan_time": scan_time,
        **resource.data,
        "id": resource.id,
        "name": resource.name,
        "arn": resource.arn,
        "account_id": resource.account.id,
        "region": resource.region,
        "environment": environment,
    }


@dataclass(frozen=True)
class Evaluation:
    """What evaluation found: the findings, sorted, and which waivers matched them. The
    caller records the hits (``WaiverMatcher.record``): evaluating changes nothing."""

    findings: tuple[Finding, ...]
    waiver_hits: tuple[WaiverHit, ...] = ()


def evaluate(policies: Sequence[Policy], resources: Iterable[Resource], gaps: Iterable[Gap],
             ctx: EvaluationContext, tags_read: Mapping[str, bool],
             waivers: WaiverMatcher | None = None) -> Evaluation:
    """``tags_read`` says, per type, whether tags were collected for scope (a fail-closed
    matter); ``waivers`` turns the fails (and errors) they accept into ``waived``."""
    by_type: dict[str, list[Policy]] = {}
    for policy in policies:
        for type_name in policy.resources:
            by_type.setdefault(type_name, []).append(policy)
    findings: list[Finding] = []
    hits: list[WaiverHit] = []

    def add(finding: Finding, account_name: str, tags: Mapping[str, Any] | None) -> None:
        if waivers is not None:
            finding, matched = waivers.judge(finding, account_name, tags)
            hits.extend(matched)
        findings.append(finding)

    for resource in resources:
        for policy in by_type.get(resource.type, []):
            finding = _evaluate_one(policy, resource, ctx, tags_read.get(resource.type, False))
            if finding is not None:
                add(finding, resource.account.name, _tags(resource))
    for gap in gaps:
        for finding in _gap_findings(gap, by_type.get(gap.resource_type, []), ctx,
                                     tags_read.get(gap.resource_type, False)):
            add(finding, gap.account.name, None)
    findings.sort(key=lambda f: f.sort_key)
    return Evaluation(tuple(findings), tuple(hits))


def _tags(resource: Resource) -> Mapping[str, Any] | None:
    """The resource's tags when they were read, else None (unknown, not "no tags")."""
    if TAGS in resource.unreadable or TAGS not in resource.data:
        return None
    tags = resource.data[TAGS]
    return tags if isinstance(tags, Mapping) else None


def _evaluate_one(policy: Policy, resource: Resource, ctx: EvaluationContext,
                  tags_read: bool) -> Finding | None:
    if tags_read and TAGS in resource.unreadable:
        # Without tags neither the environment nor a tag scope is known: fail closed
        # wherever account and region alone do not rule the policy out.
        if not policy.scope.covers_place(resource.account, resource.region, None):
            return None
        ref = _ref(resource, resource.account.environment)
        return _error(policy, ref, f"cannot tell whether the policy applies: "
                      f"{resource.unreadable[TAGS]}")
    environment = environment_of(resource, ctx.environment_tag)
    if not policy.scope.covers_place(resource.account, resource.region, environment):
        return None
    if policy.scope.needs_tags and not policy.scope.covers_tags(resource.data.get(TAGS) or {}):
        return None
    ref = _ref(resource, environment)
    params = ctx.parameters(policy, environment)
    doc = document(resource, environment, ctx.scan_time)
    missing = sorted(policy.attributes() & resource.unreadable.keys())
    if missing:
        return _error(policy, ref, messages.unreadable(
            policy.messages, policy.resources, missing[0], resource.unreadable[missing[0]],
            doc, params))
    outcome = policy.check.evaluate(doc, params)
    evidence = {key: value for leaf in outcome.leaves for key, value in leaf.evidence().items()}
    if outcome.errors:  # a verdict on a value that was not computed would be a guess
        text = messages.unevaluable(policy.messages, policy.resources, outcome, doc, params)
        return Finding(policy.id, Status.ERROR, policy.severity, ref, text, evidence,
                       policy.runbook, decisive=_decisions(outcome.errors))
    decisive = _decisions(outcome.decisive)
    if outcome.passed:
        text = messages.success(policy.messages, policy.resources, outcome, doc, params)
        return Finding(policy.id, Status.PASS, policy.severity, ref, text, evidence,
                       policy.runbook, decisive=decisive)
    text = messages.failure(policy.messages, policy.resources, outcome, doc, params)
    return Finding(policy.id, Status.FAIL, policy.severity, ref, text, evidence,
                   policy.runbook, _remediation(policy, doc, params), decisive=decisive)


def _decisions(leaves: Iterable[LeafResult]) -> tuple[Decision, ...]:
    """The deciding comparisons as data, each once: reports highlight their evidence."""
    found: dict[tuple[str, str, str | None, str], Decision] = {}
    for leaf in leaves:
        # keyed by the expected value's repr: it may be a list, which does not hash
        key = (leaf.expression, leaf.operator, leaf.operand_expression, repr(leaf.expected))
        found.setdefault(key, Decision(leaf.expression, leaf.operator, leaf.expected,
                                       leaf.operand_expression))
    return tuple(found.values())


def _remediation(policy: Policy, doc: dict[str, Any], params: Mapping[str, Any]
                 ) -> tuple[str, ...]:
    """Rendered commands; a template that cannot render says so instead of aborting the scan."""
    commands = []
    for template in policy.remediation:
        try:
            commands.append(render(template, doc, params))
        except Exception as exc:  # jinja2 errors on an attribute this resource lacks
            commands.append(f"# could not fill in this command for {doc.get('name')}: {exc}")
    return tuple(commands)


def _gap_findings(gap: Gap, policies: Sequence[Policy], ctx: EvaluationContext,
                  tags_read: bool) -> Iterable[Finding]:
    """One error per policy that could apply to what the gap hides.

    Applicability is decided from what is provably known: the account and the region, and
    the account's environment only when no resource's environment tag can override it. An
    unlisted table in a `dev` account may carry Environment=prod, so prod-only policies
    could apply to it: they get an error too, never silence.
    """
    account = gap.account
    overridable = bool(ctx.environment_tag) and tags_read
    environment = None if overridable else account.environment
    for policy in policies:
        if not policy.scope.covers_place(account, gap.region, environment):
            continue
        ref = ResourceRef(gap.resource_type, "*", f"every {gap.resource_type}", None, account.id,
                          gap.region, account.environment)
        reason = f"could not list resources: {gap.error.describe()}"
        if environment is None and not policy.scope.covers_place(account, gap.region,
                                                                 account.environment):
            reason += (f" (the account is {account.environment}, but a resource's "
                       f"{ctx.environment_tag} tag can place it in scope)")
        yield _error(policy, ref, reason)


def _ref(resource: Resource, environment: str) -> ResourceRef:
    return ResourceRef(resource.type, resource.id, resource.name, resource.arn,
                       resource.account.id, resource.region, environment)


def _error(policy: Policy, ref: ResourceRef, message: str) -> Finding:
    return Finding(policy.id, Status.ERROR, policy.severity, ref, message, {}, policy.runbook)

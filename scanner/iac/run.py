"""`preflight iac`: the same policies on what is about to be deployed.

Files (or directories, walked: discover.py) are recognised by content (filekind.py):
CloudFormation templates (YAML or JSON, CDK's ``cdk.out/*.template.json`` included) and
Terraform plans (``terraform show -json plan.out``). Each planned resource becomes a
scanner ``Resource`` of the type and attribute names the live collectors produce, and the
ordinary evaluator judges it, so a policy cannot tell a planned resource from a live one.
This module is that run: load, narrow the policies, match waivers, evaluate, locate.

Decisions:
- A value that cannot be known before deployment makes the attribute *unreadable*: a policy
  reading it yields ``error`` with the reason (never a pass).
- A policy reading an attribute no template can express (alarms, backups, aliases, recent
  durations...) does not apply before deployment: it is left out of the run and named in
  the report's ``notes``, never counted as a pass.
- Waivers written next to a resource (CloudFormation ``Metadata.preflight.waive``, a
  Terraform ``# preflight:waive POLICY expires=... owner=... reason`` comment) are waiver
  records narrowed to that resource, checked, matched and reported with the waivers file's:
  the same required fields, the same horizon, the same expiry and unused reporting.
- Whatever cannot be expanded before deployment (a macro, an include from S3, a module, a
  stack set, a nested stack whose template is not local, a loop over an unknown
  collection) makes what it may create ``error`` for every policy, at its line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config
from ..errors import InputError, Problem
from ..evaluate import TAGS, EvaluationContext, evaluate
from ..models import Account, Finding, Resource, ScanResult, Status
from ..policy.model import Policy
from ..scan import _excerpts, _summary, configure_policies, plan_attributes, policy_set_digest
from ..waivers import Waiver, WaiverFile, WaiverMatcher, with_written, written_waiver
from . import cloudformation, terraform
from .discover import discover, discover_all, relative
from .mappings import FIXES, PLANNABLE, plan_resources
from .model import COMMON, Planned
from .remediation import template_remediation
from .templatefiles import decode


def load_planned(paths: Sequence[str], parameters: Mapping[str, Any], region: str,
                 account_id: str, source_dirs: Sequence[str] = ()) -> list[Planned]:
    """The planned resources of the templates and plans under ``paths``."""
    return _load(discover(paths), parameters, region, account_id, source_dirs)


def _load(kinds: Mapping[Path, str], parameters: Mapping[str, Any], region: str,
          account_id: str, source_dirs: Sequence[str]) -> list[Planned]:
    """The planned resources of the files found, each read by its kind's reader."""
    templates = {f: decode(f) for f, k in kinds.items() if k == "cloudformation"}
    planned = cloudformation.load(templates, relative, parameters, region, account_id)
    for path, kind in kinds.items():
        if kind == "terraform":
            planned.extend(plan_resources(terraform.load(path, relative, list(source_dirs))))
    return planned


def split_policies(policies: Sequence[Policy]) -> tuple[list[Policy], list[str]]:
    """Policies narrowed to the types whose attributes they read can be planned, and a note
    for each (policy, type) left out."""
    kept: list[Policy] = []
    notes: list[str] = []
    for policy in policies:
        types = []
        for type_name in policy.resources:
            plannable = PLANNABLE.get(type_name)
            missing = sorted(policy.attributes() - COMMON - (plannable or frozenset()))
            if plannable is None:
                notes.append(f"{policy.id}: not applied before deployment: templates and plans "
                             f"do not describe {type_name} resources")
            elif missing:
                notes.append(f"{policy.id}: not applied to {type_name} before deployment: it "
                             f"reads {', '.join(missing)}, known only once deployed")
            else:
                types.append(type_name)
        if types:
            kept.append(dataclasses.replace(policy, resources=tuple(types)))
    return kept, notes


def now() -> datetime:
    """The run's clock (waiver expiry is judged against it); tests replace it."""
    return datetime.now(UTC)



def run_iac(paths: Sequence[str], config: Config, policies: Sequence[Policy], *,
            environment: str | None = None, parameters: Mapping[str, Any] | None = None,
            region: str = "us-east-1", account_id: str = "000000000000",
            source_dirs: Sequence[str] = (), waivers: WaiverFile | None = None,
            max_waiver_days: int | None = None,
            clock: Callable[[], datetime] | None = None) -> ScanResult:
    clock = clock or now
    started = clock()
    today = started.astimezone(UTC).date()
    configured = configure_policies(policies, config)
    applicable, notes = split_policies(configured)
    kinds, skipped = discover_all(paths)
    notes.extend(skipped)
    planned = _load(kinds, parameters or {}, region, account_id, source_dirs)
    known = {p.id for p in policies}
    written = written_waivers(planned, known, notes)
    every = with_written(waivers, written)
    matcher = every.matcher(today, max_waiver_days) if every is not None else None
    account = Account(account_id, "iac", environment or config.default_environment)
    findings = _judge(applicable, planned, config, account, region, started, matcher)
    return ScanResult(
        tool_version=__version__,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=clock().isoformat(timespec="seconds"),
        accounts=(account,),
        regions=(region,),
        policies=tuple(_summary(p) for p in applicable),
        findings=tuple(findings),
        errors=(),
        api_calls=0,
        runbooks=_excerpts(applicable, config.runbooks()),
        waivers=matcher.report() if matcher is not None else None,
        policy_set=policy_set_digest(applicable, config),
        notes=tuple(dict.fromkeys(notes)),
    )


def _judge(applicable: Sequence[Policy], planned: Sequence[Planned], config: Config,
           account: Account, region: str, started: datetime, matcher: WaiverMatcher | None
           ) -> list[Finding]:
    """The ordinary evaluator's findings on the planned resources (waivers matched and
    recorded), each at its template line with the template change that fixes it."""
    resources = [p.to_resource(account, region) for p in planned]
    needs = plan_attributes(applicable, config)
    tags_read = {t: TAGS in attrs for t, attrs in needs.items()}
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            started.isoformat(timespec="seconds"))
    evaluation = evaluate(applicable, resources, [], ctx, tags_read, matcher)
    if matcher is not None:
        matcher.record(evaluation.waiver_hits)
    by_key = {(r.type, r.id): (r, p) for r, p in zip(resources, planned, strict=True)}
    by_policy = {p.id: p for p in applicable}
    located = []
    for finding in evaluation.findings:
        resource, plan = by_key[(finding.resource.type, finding.resource.id)]
        policy = by_policy[finding.policy_id]
        located.append(template_remediation(_locate(finding, resource, policy), plan, policy,
                                            FIXES))
    return located


def written_waivers(planned: Sequence[Planned], known: set[str], notes: list[str]
                    ) -> list[Waiver]:
    """The waivers written next to resources, as waiver records narrowed to their resource
    (every problem at its file:line); one naming no loaded policy is a note."""
    records: list[Waiver] = []
    problems: list[Problem] = []
    for plan in planned:
        for w in plan.waivers:
            if w.policy not in known:
                notes.append(f"waiver at {w.source.describe()} names no loaded policy "
                             f"{w.policy!r}")
                continue
            try:
                records.append(written_waiver(
                    w.policy, w.reason, w.owner, w.expires, resource=plan.id,
                    path=w.source.path, line=w.source.line, include_errors=w.include_errors))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return records


def _locate(finding: Finding, resource: Resource, policy: Policy) -> Finding:
    """The resource's line, or the offending property's when the verdict is not a pass and
    the attribute it read came from one."""
    location = resource.location
    if finding.underlying_status is not Status.PASS:
        attributes = sorted(policy.attributes())
        unreadable = [a for a in attributes if a in resource.unreadable]
        for attribute in unreadable or attributes:
            if attribute in resource.attribute_locations:
                location = resource.attribute_locations[attribute]
                break
    return dataclasses.replace(finding, location=location)

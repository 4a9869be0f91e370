"""The library entry point of `preflight runbooks check`: runbook files + config -> CheckResult.

Same accounts, roles, regions and environments as `preflight scan` (config.py, accounts.py,
aws.py), same read-only guarded clients, same built-in policies for the operations whose
preconditions a policy already states.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .. import __version__
from ..accounts import resolve_accounts
from ..aws import Sessions
from ..awsconfig import configuration_problem
from ..config import Config, RunbookSettings
from ..evaluate import EvaluationContext
from ..evaluate import evaluate as evaluate_policies
from ..models import Account, Finding, Resource, ResourceRef, Severity, Status
from ..policy import load_policies
from ..policy.model import Policy, Scope
from ..redact import redact
from ..runbooklint import find_files, read_markdown
from ..scan import SetupError, configure_policies
from . import kinds as k
from .binding import Binding, bind, for_step
from .evaluation import evaluate, listings_needed
from .inventory import METRICS, Key, Snapshot, gather, metric_listing
from .model import (
    CheckResult,
    Outcome,
    Place,
    Readiness,
    Reason,
    RunbookReport,
    SectionReport,
    StepReport,
)
from .needs import PLACEHOLDER, AliasReady, PolicyHolds, StepPlan, plan
from .steps import ParsedRunbook, parse_file

if TYPE_CHECKING:
    from ..waivers import WaiverMatcher

STEP_POLICY = "runbook-step"  # what a waiver names (policies:) to waive runbook steps


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass(frozen=True)
class Prepared:
    runbook: ParsedRunbook
    plans: tuple[StepPlan, ...]
    bindings: dict[str, Binding]
    scope: Scope


def prepare(paths: Sequence[str], config: Config | None = None) -> list[Prepared]:
    """Read and plan every runbook before any AWS call: bad input is exit 2 up front."""
    out = []
    for path in find_files(paths):
        runbook = parse_file(path, read_markdown(path))
        plans = tuple(plan(step) for step in runbook.steps)
        settings = settings_for(path, config.runbook_settings if config else ())
        # Per key, as for bindings: a later config entry over an earlier one, front matter
        # over the config.
        scope: dict[str, Sequence[str]] = {}
        for entry in settings:
            scope.update(entry.scope)
        scope.update(runbook.front.scope)
        out.append(Prepared(runbook, plans, bind(runbook, list(plans), settings), Scope(
            environments=frozenset(scope["environments"]) if "environments" in scope else None,
            accounts=frozenset(scope["accounts"]) if "accounts" in scope else None,
            regions=frozenset(scope["regions"]) if "regions" in scope else None)))
    return out


def settings_for(path: Path, settings: Sequence[RunbookSettings]) -> list[RunbookSettings]:
    """The config entries whose glob matches the runbook's file name (or, for a glob with a
    /, its path as given)."""
    return [entry for entry in settings
            if fnmatch.fnmatchcase(path.name, entry.pattern)
            or ("/" in entry.pattern and fnmatch.fnmatchcase(path.as_posix(), entry.pattern))]


def unmatched_settings(prepared: Sequence[Prepared], config: Config) -> list[str]:
    """The config's runbooks: check: globs that match none of these runbooks (a typo in a
    glob would otherwise go unnoticed)."""
    return [entry.pattern for entry in config.runbook_settings
            if not any(settings_for(Path(p.runbook.path), [entry]) for p in prepared)]


def check_runbooks(paths: Sequence[str], config: Config, *, regions: Sequence[str] = (),
                   sessions: Sessions | None = None, clock: Callable[[], datetime] = utcnow,
                   waivers: WaiverMatcher | None = None) -> CheckResult:
    prepared = prepare(paths, config)
    started = clock()
    policies = _step_policies(config)
    sessions = sessions or Sessions(max_workers=config.max_workers)
    try:
        accounts = resolve_accounts(config, sessions)
    except (ClientError, BotoCoreError) as exc:
        problem = configuration_problem(exc)
        if problem is not None:
            raise problem from None
        raise SetupError(f"cannot determine the accounts to check: {redact(str(exc))}") from None
    all_regions = tuple(regions or config.regions or (sessions.default_region,))
    places_of = {p.runbook.path: [Place.of(a, r) for a in accounts for r in all_regions
                                  if p.scope.covers_place(a, r, a.environment)]
                 for p in prepared}
    used_policies, kinds, own = _listings(prepared, places_of, policies)
    snapshot = gather(sessions, accounts, all_regions, k.collector_needs(kinds, used_policies),
                      own, config.max_workers, started)
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            started.isoformat(timespec="seconds"))
    by_account = {a.id: a for a in accounts}

    def judge(policy_id: str, resource: Resource) -> Finding:
        return evaluate_policies([policies[policy_id]], [resource], [], ctx, {}).findings[0]

    reports = tuple(_report(p, places_of[p.runbook.path], snapshot, judge, waivers, by_account)
                    for p in prepared)
    return CheckResult(__version__, started.isoformat(timespec="seconds"),
                       clock().isoformat(timespec="seconds"), tuple(accounts), all_regions,
                       reports, snapshot.api_calls, len(snapshot.found),
                       waivers.report() if waivers is not None else None)


@cache
def _builtin_policies() -> tuple[Policy, ...]:
    return tuple(load_policies(None))


def required_calls(paths: Sequence[str], config: Config) -> set[str]:
    """The read calls a check of these runbooks makes beyond finding the accounts: the
    collector's declared calls for the kinds and policies the steps use, and this package's
    own listings (named by their call). The IAM policy for `runbooks check` is built from it,
    so it cannot drift from what the check reads."""
    from ..collect import make_plan
    from ..resources import REGISTRY

    prepared = prepare(paths, config)
    used, kinds = _policies_and_kinds(prepared, _step_policies(config))
    calls = {call for type_name, details in make_plan(k.collector_needs(kinds, used)).items()
             for call in (*REGISTRY[type_name].list_calls, *(c for d in details for c in d.calls))}
    calls |= {k.KINDS[kind].listing for kind in kinds if k.KINDS[kind].listing in (k.LOGS, k.WAF)}
    if any(listings_needed(_pairs(p))[1] for p in prepared):
        calls.add(METRICS)
    return calls


def _step_policies(config: Config) -> dict[str, Policy]:
    """The built-in policies as the config sets them, unscoped: the runbook's scope decides
    where a step applies, and a policy the config disables still states what the operation
    needs."""
    configured = {p.id: p for p in configure_policies(_builtin_policies(), config)}
    return {p.id: dataclasses.replace(configured.get(p.id, p), scope=Scope())
            for p in _builtin_policies()}


def _pairs(p: Prepared) -> list[tuple[StepPlan, dict[str, Binding]]]:
    return [(s, for_step(s.step, p.bindings)) for s in p.plans]


def _policies_and_kinds(prepared: list[Prepared], policies: dict[str, Policy]
                        ) -> tuple[dict[str, Policy], set[str]]:
    kinds: set[str] = set()
    used: dict[str, Policy] = {}
    for p in prepared:
        kinds |= listings_needed(_pairs(p))[0]
        for need in (n for step_plan in p.plans for n in step_plan.needs):
            if isinstance(need, PolicyHolds):
                used[need.policy_id] = policies[need.policy_id]
            elif isinstance(need, AliasReady):  # the rollback policy reads aliases, versions
                used[k.ROLLBACK_POLICY[1]] = policies[k.ROLLBACK_POLICY[1]]
    return used, kinds


def _listings(prepared: list[Prepared], places_of: dict[str, list[Place]],
              policies: dict[str, Policy]) -> tuple[dict[str, Policy], set[str], set[Key]]:
    """The policies, kinds and own listings (per account-region) the runbooks need."""
    used, kinds = _policies_and_kinds(prepared, policies)
    own: set[Key] = set()
    for p in prepared:
        mine, namespaces = listings_needed(_pairs(p))
        for place in places_of[p.runbook.path]:
            for kind in mine:
                listing = k.KINDS[kind].listing
                if listing in (k.LOGS, k.WAF):
                    own.add((listing, place.account_id, place.region))
            for template in namespaces:
                namespace = _place_filled(template, place)
                if namespace is not None:
                    own.add((metric_listing(namespace), place.account_id,
                             k.metric_region(namespace, place.region)))
    return used, kinds, own


def _place_filled(template: str, place: Place) -> str | None:
    values = {"environment": place.environment, "region": place.region,
              "account_id": place.account_id}
    missing = False

    def one(match: object) -> str:
        nonlocal missing
        name = next(g for g in match.groups() if g)  # type: ignore[attr-defined]
        attribute = k.place_value(name)
        if attribute is None:
            missing = True
            return ""
        return values[attribute]

    filled = PLACEHOLDER.sub(one, template)
    return None if missing else filled


def _report(p: Prepared, places: list[Place], snapshot: Snapshot,
            judge: Callable[[str, Resource], Finding], waivers: WaiverMatcher | None,
            accounts: dict[str, Account]) -> RunbookReport:
    steps: dict[str, list[StepReport]] = {}
    for step_plan in p.plans:
        step = step_plan.step
        bindings = for_step(step, p.bindings)
        outcomes = tuple(_waived(evaluate(step_plan, bindings, place, snapshot, judge), step.id,
                                 waivers, accounts) for place in _places(step_plan, places))
        outcomes += _unread_region(step_plan, places)
        steps.setdefault(step.section, []).append(StepReport(
            step.id, step.line, step.column, step.command, step_plan.operation, outcomes,
            step_plan.not_checked))
    sections = tuple(SectionReport(s.anchor, s.title, s.line, s.markdown, tuple(steps[s.anchor]))
                     for s in p.runbook.sections if s.anchor in steps)
    return RunbookReport(p.runbook.name, p.runbook.path, p.runbook.title, sections)


def _places(step_plan: StepPlan, places: list[Place]) -> list[Place]:
    """A step with a literal --region runs there, whichever place it is read from."""
    return [p for p in places if step_plan.region in (None, p.region)]


def _unread_region(step_plan: StepPlan, places: list[Place]) -> tuple[Outcome, ...]:
    """The accounts where a step's fixed region was not among the regions checked."""
    if step_plan.region is None:
        return ()
    covered = {p.account_id for p in places if p.region == step_plan.region}
    seen: dict[str, Place] = {p.account_id: p for p in places if p.account_id not in covered}
    reason = Reason(Readiness.UNKNOWN, f"the step runs in {step_plan.region} (--region), a "
                    "region this check did not read", f"add {step_plan.region} to --regions "
                    "or the config's regions")
    return tuple(Outcome(dataclasses.replace(p, region=step_plan.region), Readiness.UNKNOWN,
                         reasons=(reason,)) for p in seen.values())


def _waived(outcome: Outcome, step_id: str, waivers: WaiverMatcher | None,
            accounts: dict[str, Account]) -> Outcome:
    """A waiver that names the step (policies: runbook-step, resources: the step id) accepts
    a not-ready step (and, with include_errors, one that cannot be told)."""
    if waivers is None or outcome.status not in (Readiness.NOT_READY, Readiness.UNKNOWN):
        return outcome
    place = outcome.place
    status = Status.FAIL if outcome.status is Readiness.NOT_READY else Status.ERROR
    finding = Finding(STEP_POLICY, status, Severity.HIGH, ResourceRef(
        "runbook.step", step_id, step_id, None, place.account_id, place.region,
        place.environment), "", {}, step_id)
    applied = waivers.apply(finding, accounts[place.account_id].name, None)
    if applied.waiver is None:
        return outcome
    return dataclasses.replace(outcome, status=Readiness.WAIVED, waiver=applied.waiver)

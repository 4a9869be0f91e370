"""The library entry point: config + policies -> ScanResult. The CLI merely drives it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from . import __version__
from .accounts import resolve_accounts
from .aws import Sessions
from .awsconfig import configuration_problem
from .collect import Collector, Inventory, Progress, make_plan
from .config import ALL_ENVIRONMENTS, Config
from .errors import InputError, PreflightError, Problem
from .evaluate import TAGS, EvaluationContext, evaluate
from .models import Account, PolicySummary, RunbookExcerpt, ScanResult
from .parallel import collect_in_processes, process_count
from .policy.conditions import pattern_parameters
from .policy.model import Policy, Scope
from .policy.patterns import PatternError, compile_pattern
from .redact import redact
from .runbooks import RunbookLibrary

if TYPE_CHECKING:
    from .shard import Shard
    from .waivers import WaiverFile

Clock = Callable[[], datetime]


class SetupError(PreflightError):
    """The scan could not start: no accounts could be determined."""

    exit_code = 3


def utcnow() -> datetime:
    return datetime.now(UTC)


def configure_policies(policies: Sequence[Policy], config: Config) -> list[Policy]:
    """Apply the config's per-policy overrides and check its parameter overrides."""
    by_id = {p.id: p for p in policies}
    problems: list[Problem] = []
    for policy_id in config.policies:
        if policy_id not in by_id:
            problems.append(config.problem(("policies", policy_id),
                                           f"no loaded policy has id {policy_id!r}",
                                           "check `preflight policies` for the ids"))
    for environment, per_policy in config.parameters.items():
        for policy_id, values in per_policy.items():
            policy = by_id.get(policy_id)
            pointer = ("parameters", environment, policy_id)
            if policy is None:
                problems.append(config.problem(pointer, f"no loaded policy has id {policy_id!r}",
                                               "check `preflight policies` for the ids"))
                continue
            problems.extend(problem for name, value in values.items()
                            if (problem := _parameter_problem(config, policy, (*pointer, name),
                                                              name, value)))
    if problems:
        raise InputError(problems)
    configured = []
    for policy in policies:
        override = config.policies.get(policy.id)
        if override is None:
            configured.append(policy)
        elif override.enabled:
            configured.append(dataclasses.replace(
                policy,
                severity=override.severity or policy.severity,
                scope=Scope.from_dict(override.scope) if override.scope is not None
                else policy.scope,
            ))
    return configured


def _parameter_problem(config: Config, policy: Policy, pointer: tuple[str, ...], name: str,
                       value: object) -> Problem | None:
    """What is wrong with the config's value for one of a policy's parameters, if anything."""
    if name not in policy.parameters:
        declared = ", ".join(policy.parameters) or "none"
        return config.problem(pointer, f"{policy.id} has no parameter {name!r}",
                              f"declared parameters: {declared}")
    default = policy.parameters[name].default
    if _kind(value) != _kind(default):
        return config.problem(pointer, f"{policy.id}.{name} must be a {_kind(default)} like its "
                              f"default ({default!r}), not {value!r}",
                              "write the value without quotes" if _kind(default) == "number"
                              else "")
    if isinstance(value, str) and name in pattern_parameters(policy.check):
        try:  # a pattern the policy matches with must compile now, not per resource later
            compile_pattern(value)
        except PatternError as exc:
            return config.problem(pointer, f"{policy.id}.{name} is used as a regular expression: "
                                  f"{exc}", exc.hint)
    return None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "list" if isinstance(value, list) else "string"


def _depends_on_environment(policy: Policy, config: Config) -> bool:
    env_params = any(env != ALL_ENVIRONMENTS and policy.id in per_policy
                     for env, per_policy in config.parameters.items())
    return policy.scope.environments is not None or env_params


def plan_attributes(policies: Sequence[Policy], config: Config) -> dict[str, set[str]]:
    """Top-level attributes to collect per resource type.

    Tags are read only when something depends on them: the check, a tag scope, or (with
    an environment tag configured) a scope or parameter that differs by environment.
    """
    needs: dict[str, set[str]] = {}
    for policy in policies:
        attrs = set(policy.attributes())
        if policy.scope.needs_tags or (
            config.environment_tag and _depends_on_environment(policy, config)
        ):
            attrs.add(TAGS)
        for type_name in policy.resources:
            needs.setdefault(type_name, set()).update(attrs)
    return needs


def policy_set_digest(policies: Sequence[Policy], config: Config) -> str:
    """What makes two scans' verdicts comparable: each policy's file content as loaded, the
    config's overrides of it (severity, scope, enabled) and the parameter overrides.
    Merging shard results requires equal digests."""
    items = []
    for policy in sorted(policies, key=lambda p: p.id):
        try:
            content = hashlib.sha256(Path(policy.source).read_bytes()).hexdigest() \
                if policy.source else ""
        except OSError:
            content = ""
        items.append([policy.id, content or repr(policy.check), policy.severity.value,
                      policy.scope.to_dict(), sorted(policy.resources)])
    canonical = json.dumps([items, config.parameters], sort_keys=True, default=str,
                           separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_scan(config: Config, policies: Sequence[Policy], *, regions: Sequence[str] = (),
             sessions: Sessions | None = None, progress: Progress | None = None,
             clock: Clock = utcnow, waivers: WaiverFile | None = None,
             max_waiver_days: int | None = None, shard: Shard | None = None,
             processes: int | None = None) -> ScanResult:
    """Scan; with ``waivers``, accepted risks become ``waived`` (expiry judged by ``clock``);
    with ``shard``, only the accounts that shard owns are scanned; ``processes`` worker
    processes collect (None: one per core on a large organisation; sessions handed in keep
    the scan in this process)."""
    started = clock()
    policies = configure_policies(policies, config)
    # Before any AWS call: a waiver that runs too far ahead is an input error.
    matcher = waivers.matcher(started.astimezone(UTC).date(), max_waiver_days) \
        if waivers is not None else None
    own_sessions = sessions is None
    sessions = sessions or Sessions(max_workers=config.max_workers)
    try:
        accounts = resolve_accounts(config, sessions)
    except (ClientError, BotoCoreError) as exc:
        problem = configuration_problem(exc)
        if problem is not None:  # a setting to fix (exit 2), not a failed read
            raise problem from None
        raise SetupError(f"cannot determine the accounts to scan: {redact(str(exc))}. "
                         "Check the credentials (aws sts get-caller-identity) and, with "
                         "organization: true, organizations:ListAccounts permission.") from None
    if shard is not None:
        accounts = shard.select(accounts)
    scan_regions = tuple(regions or config.regions or (sessions.default_region,))
    needs = plan_attributes(policies, config)
    tags_read = {t: TAGS in attrs for t, attrs in needs.items()}
    if waivers is not None:  # a waiver that narrows by tags needs its policies' tags
        from .waivers import policies_needing_tags

        wanted = policies_needing_tags(waivers, [p.id for p in policies])
        for policy in policies:
            if policy.id in wanted:
                for type_name in policy.resources:
                    needs.setdefault(type_name, set()).add(TAGS)
    inventory, extra_calls = _collect(config, sessions, accounts, scan_regions, needs,
                                      progress, started,
                                      processes if processes is not None else config.processes,
                                      own_sessions)
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            started.isoformat(timespec="seconds"))
    evaluation = evaluate(policies, inventory.resources, inventory.gaps, ctx, tags_read, matcher)
    if matcher is not None:
        matcher.record(evaluation.waiver_hits)
    return ScanResult(
        tool_version=__version__,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=clock().isoformat(timespec="seconds"),
        accounts=tuple(accounts),
        regions=scan_regions,
        policies=tuple(_summary(p) for p in policies),
        findings=evaluation.findings,
        errors=tuple(sorted(inventory.errors, key=lambda e: (
            e.account_id, e.region or "", e.resource_type or "", e.resource_id or "",
            e.operation))),
        api_calls=sessions.call_log.total + extra_calls,
        runbooks=_excerpts(policies, config.runbooks()),
        waivers=matcher.report() if matcher is not None else None,
        shard=(shard.index, shard.count) if shard is not None else None,
        policy_set=policy_set_digest(policies, config),
    )


def _collect(config: Config, sessions: Sessions, accounts: Sequence[Account],
             regions: Sequence[str], needs: dict[str, set[str]], progress: Progress | None,
             started: datetime, processes: int | None, own_sessions: bool
             ) -> tuple[Inventory, int]:
    """The inventory, here or in worker processes; and the calls made outside ``sessions``."""
    count = process_count(processes, len(accounts)) if own_sessions else 1
    if count == 1:
        inventory = Collector(sessions, accounts, regions, make_plan(needs),
                              max_workers=config.max_workers, progress=progress,
                              now=started).run()
        return inventory, 0
    collected = collect_in_processes(accounts, regions, needs, processes=count,
                                     max_workers=config.max_workers, now=started,
                                     progress=progress)
    return collected.inventory, sum(collected.calls.values())


def _summary(policy: Policy) -> PolicySummary:
    return PolicySummary(
        policy.id, policy.title, policy.severity, ",".join(policy.resources), policy.runbook,
        policy.source, policy.description,
        tuple(sorted((name, tuple(ids)) for name, ids in policy.frameworks.items())),
        policy.categories,
    )


def _excerpts(policies: Sequence[Policy], runbooks: RunbookLibrary) -> tuple[RunbookExcerpt, ...]:
    excerpts = []
    for ref in sorted({p.runbook for p in policies}):
        section = runbooks.section(ref)
        excerpts.append(RunbookExcerpt(ref, section.title if section else ref, runbooks.link(ref),
                                       section.markdown if section else ""))
    return tuple(excerpts)

"""Steps x places -> readiness. Pure: the snapshot holds everything read; no I/O, no AWS.

A step in a place is expanded into targets, one per combination of the values its
placeholders take there (each table, each function), and each target is judged need by
need. Whatever was not read is ``unknown`` with the reason; nothing is assumed present.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..models import Finding, Resource, Status
from . import kinds as k
from .binding import Binding
from .inventory import Failed, Snapshot, metric_listing
from .model import Outcome, Place, Readiness, Reason, Target, worst
from .needs import PLACEHOLDER, AliasReady, Exists, Metric, Need, PolicyHolds, StepPlan, Value, Verdict

# A step is judged for at most this many combinations of values per place.
MAX_TARGETS = 500
Judge = Callable[[str, Resource], Finding]
_READY, _NOT, _UNKNOWN = Readiness.READY, Readiness.NOT_READY, Readiness.UNKNOWN


def evaluate(plan: StepPlan, bindings: dict[str, Binding], place: Place, snapshot: Snapshot,
             judge: Judge) -> Outcome:
    reasons = [Reason(Readiness(v.status), v.message, v.fix) for v in plan.needs
               if isinstance(v, Verdict)]
    if any(r.status is _NOT for r in reasons):  # the command itself cannot work
        return Outcome(place, _NOT, reasons=tuple(reasons))
    domains: list[tuple[str, list[str]]] = []
    problems: list[Reason] = []
    for name in sorted(plan.placeholders()):
        binding = bindings.get(name) or Binding(name, problem=f"unbound placeholder {name}")
        values, problem = _domain(binding, place, snapshot)
        if problem is not None:
            problems.append(problem)
        else:
            domains.append((name, values))
    if problems:  # a placeholder has no value here: there is nothing to judge the step on
        reasons += problems
        return Outcome(place, worst(r.status for r in reasons), reasons=tuple(reasons))
    groups = _joint(domains, bindings, place, snapshot)
    combos = list(itertools.islice(itertools.product(*(v for _, v in groups)), MAX_TARGETS + 1))
    if len(combos) > MAX_TARGETS:
        reasons.append(Reason(_UNKNOWN, f"more than {MAX_TARGETS} combinations of placeholder "
                              "values here; only the first ones were judged",
                              "narrow the bindings in front matter"))
        combos = combos[:MAX_TARGETS]
    names = [n for group, _ in groups for n in group]
    targets = tuple(_target(plan.needs, dict(zip(names, itertools.chain(*combo), strict=True)),
                            place, snapshot, judge) for combo in combos)
    status = worst([*(t.status for t in targets), *(r.status for r in reasons)])
    return Outcome(place, status, targets, tuple(reasons))


def _joint(domains: list[tuple[str, list[str]]], bindings: dict[str, Binding], place: Place,
           snapshot: Snapshot) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Placeholders bound to kinds of one listing take their values from the same resource:
    ``${API_ID}`` and ``${STAGE}`` from each stage, never an API with another API's stage."""
    by_listing: dict[str, list[str]] = {}
    for name, _ in domains:
        kind = bindings[name].kind if name in bindings else None
        if kind is not None and k.KINDS[kind].listing not in (k.LOGS, k.WAF):
            by_listing.setdefault(k.KINDS[kind].listing, []).append(name)
    joint = {name: listing for listing, names in by_listing.items() if len(names) > 1
             for name in names}
    groups: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = [
        ((name, ), [(v,) for v in values]) for name, values in domains if name not in joint]
    for listing, names in by_listing.items():
        if len(names) < 2:
            continue
        kinds = [k.KINDS[bindings[n].kind or ""] for n in names]
        resources = snapshot.get(listing, place.account_id, place.region)
        values = sorted({combo for r in resources
                         for combo in itertools.product(*(list(kind.values([r])) for kind in kinds))})
        groups.append((tuple(names), values))
    return groups


def _place_values(place: Place) -> dict[str, str]:
    return {"environment": place.environment, "region": place.region,
            "account_id": place.account_id}


def _domain(binding: Binding, place: Place, snapshot: Snapshot
            ) -> tuple[list[str], Reason | None]:
    if binding.problem is not None:
        return [], Reason(_UNKNOWN, binding.problem,
                          f"state it in the runbook's front matter: bindings: {{{binding.name}: "
                          "VALUE} or {resource: KIND}")
    if binding.place is not None:
        return [_place_values(place)[binding.place]], None
    if binding.literals:
        return [_fill_place(v, place) for v in binding.literals], None
    assert binding.kind is not None
    kind = k.KINDS[binding.kind]
    listed = _listing(kind, place, snapshot)
    if isinstance(listed, Failed):
        return [], Reason(_UNKNOWN, f"cannot list the {kind.label}s ${{{binding.name}}} stands "
                          f"for: {listed.reason}", "grant the read permission "
                          "(`preflight iam-policy`) and run again")
    if not listed:
        return [], Reason(_NOT, f"no {kind.label} here for ${{{binding.name}}} to name",
                          f"{kind.fix}; or keep the runbook out of this place (front matter "
                          "scope:)")
    return sorted(listed), None


def _fill_place(template: str, place: Place) -> str:
    values = _place_values(place)

    def one(match: Any) -> str:
        name = next(g for g in match.groups() if g)
        attribute = k.place_value(name)
        return values[attribute] if attribute else match.group(0)

    return PLACEHOLDER.sub(one, template)


def _fill(value: Value, env: dict[str, str]) -> str | None:
    if value.runtime or any(n not in env for n in value.placeholders):
        return None
    return PLACEHOLDER.sub(lambda m: env[next(g for g in m.groups() if g)], value.template)


def _listing(kind: k.Kind, place: Place, snapshot: Snapshot) -> Any:
    """The names of this kind in the place (a mapping name -> resource), or Failed."""
    found = snapshot.get(kind.listing, place.account_id, place.region)
    if isinstance(found, Failed) or kind.listing in (k.LOGS, k.WAF):
        return found
    return kind.values(found)


def _target(needs: Sequence[Need], env: dict[str, str], place: Place, snapshot: Snapshot,
            judge: Judge) -> Target:
    reasons: list[Reason] = []
    verified: list[str] = []
    for need in needs:
        if isinstance(need, Exists):
            _exists(need, env, place, snapshot, reasons, verified)
        elif isinstance(need, Metric):
            _metric(need, env, place, snapshot, reasons, verified)
        elif isinstance(need, PolicyHolds):
            _policy(need, env, place, snapshot, judge, reasons, verified)
        elif isinstance(need, AliasReady):
            _alias(need, env, place, snapshot, judge, reasons, verified)
    status = worst(r.status for r in reasons) if reasons else _READY
    return Target(tuple(sorted(env.items())), status, tuple(reasons), tuple(verified))


def _where(place: Place) -> str:
    return f"in {place.account_name} ({place.account_id}) {place.region}"


def _exists(need: Exists, env: dict[str, str], place: Place, snapshot: Snapshot,
            reasons: list[Reason], verified: list[str]) -> None:
    kind = k.KINDS[need.kind]
    name = _fill(need.value, env)
    if name is None:
        reasons.append(Reason(_UNKNOWN, f"--{need.value.option} {need.value.template} is known "
                              "only when the step runs", "bind it in front matter"))
        return
    listed = _listing(kind, place, snapshot)
    if isinstance(listed, Failed):
        reasons.append(Reason(_UNKNOWN, f"cannot tell whether {kind.label} {name!r} exists: "
                              f"{listed.reason}", "grant the read permission and run again"))
        return
    key = kind.lookup(name)
    if key not in listed:
        reasons.append(Reason(_NOT, f"{kind.label} {name!r} does not exist {_where(place)}",
                              kind.fix))
        return
    if need.events and not listed[key]:
        reasons.append(Reason(_NOT, f"log group {name!r} exists but has never stored an event "
                              "(storedBytes 0): there is nothing to read",
                              "turn on the logging that writes to it and check it receives "
                              "events"))
        return
    verified.append(f"{kind.label} {name} exists" + (" and has stored events" if need.events
                                                     else ""))


def _metric(need: Metric, env: dict[str, str], place: Place, snapshot: Snapshot,
            reasons: list[Reason], verified: list[str]) -> None:
    namespace, metric = _fill(need.namespace, env), _fill(need.name, env)
    dims = [(d, _fill(v, env)) for d, v in need.dimensions]
    if namespace is None or metric is None or any(v is None for _, v in dims):
        reasons.append(Reason(_UNKNOWN, "the metric (namespace, name or a dimension) is known "
                              "only when the step runs", "bind its placeholders in front "
                              "matter, or loop over literal names"))
        return
    home = dataclasses.replace(place, region=k.metric_region(namespace, place.region))
    listed = snapshot.get(metric_listing(namespace), home.account_id, home.region)
    if isinstance(listed, Failed):
        reasons.append(Reason(_UNKNOWN, f"cannot tell whether {namespace} {metric} is "
                              f"published: {listed.reason}", "grant cloudwatch:ListMetrics"))
        return
    wanted = frozenset((d, str(v)) for d, v in dims)
    shown = ",".join(f"{d}={v}" for d, v in dims) or "no dimensions"
    if (metric, wanted) in listed:
        verified.append(f"{namespace} {metric} ({shown}) is published")
        return
    others = sorted({", ".join(f"{d}={v}" for d, v in sorted(ds)) or "no dimensions"
                     for name, ds in listed if name == metric})
    if others:
        fix = "it is published with other dimensions: " + "; ".join(others[:3])
    else:
        fix = (f"{namespace} has no metric {metric} here at all: check the namespace and the "
               f"name (aws cloudwatch list-metrics --namespace {namespace}), or turn on what "
               "publishes it")
    reasons.append(Reason(_NOT, f"{namespace} {metric} ({shown}) has not been published "
                          f"{_where(home)} in the last two weeks (ListMetrics)", fix))


def _resource(kind_name: str, value: Value, env: dict[str, str], place: Place,
              snapshot: Snapshot) -> Resource | None:
    kind = k.KINDS[kind_name]
    name = _fill(value, env)
    listed = _listing(kind, place, snapshot)
    if name is None or isinstance(listed, Failed):
        return None  # the existence need already says why
    found = listed.get(kind.lookup(name))
    return found if isinstance(found, Resource) else None


def _judged(finding: Finding, reasons: list[Reason], verified: list[str]) -> None:
    if finding.status is Status.PASS:
        verified.append(f"policy {finding.policy_id} passes")
        return
    status = _NOT if finding.status is Status.FAIL else _UNKNOWN
    verdict = "fails" if finding.status is Status.FAIL else "cannot be evaluated"
    reasons.append(Reason(status, f"policy {finding.policy_id} {verdict}: {finding.message}",
                          "; ".join(finding.remediation), finding.policy_id))


def _policy(need: PolicyHolds, env: dict[str, str], place: Place, snapshot: Snapshot,
            judge: Judge, reasons: list[Reason], verified: list[str]) -> None:
    resource = _resource(need.kind, need.value, env, place, snapshot)
    if resource is not None:
        _judged(judge(need.policy_id, resource), reasons, verified)


def _alias(need: AliasReady, env: dict[str, str], place: Place, snapshot: Snapshot,
           judge: Judge, reasons: list[Reason], verified: list[str]) -> None:
    function = _resource("lambda-function", need.function, env, place, snapshot)
    alias = _fill(need.alias, env)
    if function is None:
        return
    if alias is None:
        reasons.append(Reason(_UNKNOWN, f"the alias ({need.alias.template}) is known only "
                              "when the step runs", "bind it in front matter"))
        return
    if need.rollback and alias == k.ROLLBACK_POLICY[0]:
        _judged(judge(k.ROLLBACK_POLICY[1], function), reasons, verified)
        return
    unreadable = [function.unreadable[a] for a in k.LAMBDA_ATTRIBUTES if a in function.unreadable]
    if unreadable:
        reasons.append(Reason(_UNKNOWN, f"cannot read the aliases of {function.name}: "
                              f"{unreadable[0]}", "grant lambda:ListAliases and "
                              "lambda:ListVersionsByFunction"))
        return
    version = next((a.get("function_version") for a in function.data.get("aliases", [])
                    if a.get("name") == alias), None)
    if version is None:
        reasons.append(Reason(_NOT, f"Lambda function {function.name} has no alias {alias!r}",
                              f"aws lambda create-alias --function-name {function.name} "
                              f"--name {alias} --function-version VERSION"))
        return
    earlier = [v for v in function.data.get("versions", []) if str(version).isdigit()
               and v < int(version)]
    if need.rollback and not earlier:
        reasons.append(Reason(_NOT, f"alias {alias} of {function.name} points at version "
                              f"{version} and no earlier published version exists to move it "
                              "to", "publish a version before the next release "
                              "(aws lambda publish-version)"))
        return
    verified.append(f"alias {alias} of {function.name} exists (version {version})")


def listings_needed(plans: Iterable[tuple[StepPlan, dict[str, Binding]]]) -> tuple[set[str], set[str]]:
    """The kinds and the metric namespaces (templates filled per place later) the plans use."""
    kinds: set[str] = set()
    namespaces: set[str] = set()
    for plan, bindings in plans:
        for need in plan.needs:
            if isinstance(need, (Exists, PolicyHolds)):
                kinds.add(need.kind)
            elif isinstance(need, AliasReady):
                kinds.add("lambda-function")
            elif isinstance(need, Metric):
                namespaces.add(need.namespace.template)
        kinds.update(b.kind for name in plan.placeholders()
                     if (b := bindings.get(name)) is not None and b.kind)
    return kinds, namespaces

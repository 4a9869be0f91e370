"""The least-privilege IAM policy a scan needs, derived from what the loaded policies read.

Resource types declare the calls their listing and each detail cost (``spec.Call``
objects, named ``dynamodb:DescribeTable``). The scan fetches a detail only when a loaded
policy reads one of its attributes; the same plan (scan.plan_attributes, then
collect.make_plan) gives the calls here, so the policy grants exactly what the collector
will ask for. Each call maps to its IAM action: usually the same name, sometimes not
(``s3:ListBuckets`` is authorised as ``s3:ListAllMyBuckets``, Budgets reads as
``budgets:ViewBudget``), and API Gateway authorises by HTTP method on resource paths
(``apigateway:GET`` on ``/restapis/*/stages``): both declared on the Call, next to the
operation they authorise. Every action is a read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .collect import make_plan
from .config import Config
from .errors import PreflightSignal
from .policy.model import Policy
from .resources import REGISTRY
from .resources.spec import Call

# botocore service name -> IAM service prefix, where they differ.
SERVICE_PREFIXES = {
    "apigatewayv2": "apigateway",
    "resourcegroupstaggingapi": "tag",
    "monitoring": "cloudwatch",
}

# Read actions whose names do not start with List, Get or Describe.
READ_ACTIONS_OUTSIDE_THE_NAMING_RULE = frozenset({"budgets:ViewBudget", "apigateway:GET",
                                                  "sts:AssumeRole"})
# Answered for any authenticated caller; no policy can deny it.
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


class UnmappedCall(PreflightSignal, ValueError):
    """A declared call this module does not know how to authorise (a new API Gateway call)."""


@dataclass(frozen=True)
class Grant:
    """One IAM action on some resources, and the declared calls that need it."""

    action: str
    resources: tuple[str, ...]
    calls: tuple[str, ...]


def required_calls(policies: Sequence[Policy], config: Config) -> dict[str, set[str]]:
    """Declared calls the scan will make for these policies -> the resource types needing them.

    ``policies`` are as loaded; the config's overrides (enabled, scope) apply first, exactly
    as in a scan.
    """
    from .scan import configure_policies, plan_attributes

    configured = configure_policies(policies, config)
    plan = make_plan(plan_attributes(configured, config))
    calls: dict[str, set[str]] = {}
    for type_name, details in plan.items():
        rtype = REGISTRY[type_name]
        for call in (*rtype.listing.calls, *(c for d in details for c in d.spec_calls)):
            calls.setdefault(call.name, set()).add(type_name)
    return calls


def declared_calls() -> dict[str, Call]:
    """Every call a registered type declares, by name."""
    return {call.name: call for rtype in REGISTRY.values() for call in rtype.calls()}


def iam_action(call: str | Call, partition: str = "aws") -> tuple[str, tuple[str, ...]]:
    """The IAM action (and resources) that authorise a call.

    A name (``service:Operation``, as call counts and `runbooks check` give them) is looked
    up among the registered types' calls, so the declared IAM action and API Gateway path
    apply; an undeclared one is authorised by the naming rule.
    """
    if isinstance(call, str):
        service, _, operation = call.partition(":")
        if not operation:
            raise UnmappedCall(f"{call!r} is not service:Operation")
        call = declared_calls().get(call) or Call(service, operation)
    if call.service in ("apigateway", "apigatewayv2"):
        if call.iam_path is None:
            raise UnmappedCall(f"no API Gateway resource path known for {call.name}; "
                               "declare iam_path on its Call")
        return "apigateway:GET", (f"arn:{partition}:apigateway:*::{call.iam_path}",)
    prefix = SERVICE_PREFIXES.get(call.service, call.service)
    return call.iam_action or f"{prefix}:{call.operation}", ("*",)


def grants(calls: Iterable[str], partition: str = "aws") -> list[Grant]:
    """``calls`` by name; each one's Call (declared or by the naming rule) says its action."""
    by_action: dict[str, tuple[set[str], set[str]]] = {}
    for call in sorted(set(calls) - NEEDS_NO_PERMISSION):
        action, resources = iam_action(call, partition)
        found = by_action.setdefault(action, (set(), set()))
        found[0].update(resources)
        found[1].add(call)
    return [Grant(action, tuple(sorted(res)), tuple(sorted(used)))
            for action, (res, used) in sorted(by_action.items())]


def assumed_roles(config: Config, partition: str = "aws") -> list[str]:
    """Role ARNs the scanning principal must be able to assume (empty: none)."""
    roles = {entry.role_arn for entry in config.accounts if entry.role_arn}
    if config.role_name:
        roles.add(f"arn:{partition}:iam::*:role/{config.role_name}")
    return sorted(roles)


def iam_policy(policies: Sequence[Policy], config: Config, partition: str = "aws",
               extra_calls: Iterable[str] = ()) -> dict[str, Any]:
    """The IAM policy document (JSON-ready) for a scan of ``policies`` under ``config``,
    plus ``extra_calls`` (declared calls, such as those of `runbooks check`).

    The read statements belong to the role scanned in each account (or the scanning
    principal when it scans its own account); AssumeRole and ListAccounts to the scanning
    principal. One document carries both, each statement with its Sid.
    """
    if partition not in PARTITIONS:
        raise ValueError(f"unknown partition {partition!r}; one of {', '.join(PARTITIONS)}")
    calls = set(required_calls(policies, config)) | set(extra_calls)
    if config.organization:
        calls.add("organizations:ListAccounts")
    granted = grants(calls, partition)
    statements: list[dict[str, Any]] = []
    everywhere = sorted({g.action for g in granted if g.resources == ("*",)})
    if everywhere:
        statements.append({"Sid": "PreflightRead", "Effect": "Allow", "Action": everywhere,
                           "Resource": "*"})
    scoped = [g for g in granted if g.resources != ("*",)]
    for grant in scoped:
        sid = "PreflightApiGatewayRead" if grant.action == "apigateway:GET" else \
            "PreflightRead" + grant.action.split(":")[0].title().replace("-", "")
        statements.append({"Sid": sid, "Effect": "Allow", "Action": grant.action,
                           "Resource": list(grant.resources)})
    roles = assumed_roles(config, partition)
    if roles:
        statements.append({"Sid": "PreflightAssumeScanRole", "Effect": "Allow",
                           "Action": "sts:AssumeRole", "Resource": roles})
    return {"Version": "2012-10-17", "Statement": statements}


def actions_of(document: dict[str, Any]) -> set[str]:
    """Every action a policy document allows."""
    found: set[str] = set()
    for statement in document.get("Statement", []):
        actions = statement.get("Action", [])
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def is_read_action(action: str) -> bool:
    service, _, name = action.partition(":")
    return bool(service) and (name.startswith(("List", "Get", "Describe"))
                              or action in READ_ACTIONS_OUTSIDE_THE_NAMING_RULE)

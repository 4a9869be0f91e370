"""What templates and plans become: one module per resource family maps CloudFormation
(and SAM) resource types and Terraform resource types into the live collectors' types and
attribute names. Adding a type: write its module (TYPE, PLANNABLE, CLOUDFORMATION,
TERRAFORM, FIXES), list it here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..values import Unknown
from . import apigateway, awslambda, cloudfront, cognito, dynamodb, logs, s3, secretsmanager, wafv2

if TYPE_CHECKING:
    from ..model import Planned
    from ..planchange import Change
    from ..remediation import Fix
    from ..template import Template
    from ..terraform import Plan

_FAMILIES = (dynamodb, s3, cognito, apigateway, awslambda, logs, secretsmanager, wafv2,
             cloudfront)

# The attributes a template or plan can express, per type: the same names the live
# collectors produce. Anything else (alarms, backups, aliases, recent durations...) exists
# only after deployment; a policy reading it does not apply before deployment.
PLANNABLE: dict[str, frozenset[str]] = {
    name: attributes for family in _FAMILIES for name, attributes in family.PLANNABLE.items()}
# CloudFormation/SAM resource type -> its mapping (None: the resource creates nothing mapped)
CLOUDFORMATION: dict[str, Callable[[Template, str, dict[str, Any]], Planned | None]] = {
    kind: build for family in _FAMILIES for kind, build in family.CLOUDFORMATION.items()}
# Planned type -> attribute -> the template change that sets it (remediation.py).
FIXES: dict[str, dict[str, Fix]] = {
    name: fixes for family in _FAMILIES for name, fixes in family.FIXES.items()}
TERRAFORM: dict[str, Callable[[Plan, Change], Planned | None]] = {
    kind: build for family in _FAMILIES for kind, build in family.TERRAFORM.items()}


def plan_resources(plan: Plan) -> list[Planned]:
    """What a Terraform plan's changes become, mapped types only."""
    built = [TERRAFORM[c.type](plan, c) for c in plan.changes if c.type in TERRAFORM]
    return [p for p in built if p is not None] + _deferred_placeholders(plan)


def _deferred_placeholders(plan: Plan) -> list[Planned]:
    """Resources Terraform deferred (``deferred_changes``: a count or for_each not known
    yet): each of a mapped type is planned with every attribute unknown."""
    out = []
    for change, reason in plan.deferred:
        if change.type not in TERRAFORM:
            continue
        built = TERRAFORM[change.type](plan, change)
        if built is not None:
            built.data = {key: Unknown(f"{change.address} is deferred by Terraform "
                                       f"({reason}): not planned yet")
                          for key in built.data}
            out.append(built)
    return out

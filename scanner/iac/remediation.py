"""What to change in the template or plan to fix a failing planned resource.

A live finding's remediation is an AWS CLI call on the deployed resource; for a resource not
deployed yet that call would name a logical id (``--bucket OrdersStack/Logs/Resource``) or
nothing at all (``--resource-arn None``). The fix is a change to the source instead: each
mapping module says, per attribute, which CloudFormation property and which Terraform
argument or block sets it, and to what (``FIXES``); the finding's remediation becomes that
change, at the file:line of the resource (or of the offending property).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..models import Finding, Status
from ..policy.model import Policy
from .model import Planned


@dataclass(frozen=True)
class Fix:
    """The change that sets one attribute. ``bounded``: the value depends on the policy's
    parameters, so the check it must satisfy is quoted with it."""

    cloudformation: str
    terraform: str
    bounded: bool = False


def template_remediation(finding: Finding, planned: Planned, policy: Policy,
                         fixes: dict[str, dict[str, Fix]]) -> Finding:
    """``finding`` with its remediation as a source change (fails only: an error needs a
    value, not a fix; a pass needs nothing)."""
    if finding.underlying_status is not Status.FAIL or finding.location is None:
        return dataclasses.replace(finding, remediation=())
    by_attribute = fixes.get(planned.type, {})
    fix = next((by_attribute[a] for a in sorted(policy.attributes()) if a in by_attribute), None)
    if fix is None:
        return dataclasses.replace(finding, remediation=())
    change = fix.terraform if planned.kind == "terraform" else fix.cloudformation
    address = planned.id.split("#", 1)[-1]
    line = f"{finding.location.describe()} ({address}): {change}"
    if fix.bounded:
        line += f" (so that: {finding.message})"
    return dataclasses.replace(finding, remediation=(line,))

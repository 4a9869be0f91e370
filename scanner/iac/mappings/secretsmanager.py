"""aws.secretsmanager.secret from AWS::SecretsManager::Secret and aws_secretsmanager_secret,
each joined with the rotation resource that names it (AWS::SecretsManager::RotationSchedule,
aws_secretsmanager_secret_rotation): rotation is configured beside the secret, not on it.

``last_rotated`` exists only after deployment, so a policy reading it does not apply to a
template; ``rotation_enabled`` and the interval do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources.secretsmanager import ROTATION_ENABLED, ROTATION_INTERVAL
from ..intrinsics import references
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..values import Unknown

if TYPE_CHECKING:
    from ..model import Planned
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = "aws.secretsmanager.secret"
PLANNABLE = {TYPE: frozenset({"rotation_enabled", "rotation_interval_days", "tags"})}
_SCHEDULE = "AWS::SecretsManager::RotationSchedule"


def _schedule(t: Template, logical_id: str) -> tuple[str, dict[str, Any]] | None:
    """The RotationSchedule whose SecretId refers to this secret (Ref or GetAtt)."""
    for schedule_id, schedule in t.of_type(_SCHEDULE):
        if logical_id in references(t.props(schedule).get("SecretId")):
            return schedule_id, schedule
    return None


def secret_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    joined = _schedule(t, logical_id)
    enabled: Any = ROTATION_ENABLED.default
    interval: Any = ROTATION_INTERVAL.default
    elsewhere = {}
    if joined is not None:
        schedule_id, schedule = joined
        # A schedule that may not be created makes rotation as uncertain as its condition.
        created = t.created(schedule)
        enabled = created if isinstance(created, Unknown) else bool(created)
        interval = t.value(schedule, "RotationRules", "AutomaticallyAfterDays")
        elsewhere = {"rotation_enabled": t.loc(schedule_id, schedule)}
    data = {"rotation_enabled": enabled, "rotation_interval_days": interval, "tags": t.tags(r)}
    planned = t.planned(logical_id, r, TYPE, t.value(r, "Name"), data, {"tags": "Tags"})
    planned.attribute_locations.update(elsewhere)
    return planned


def secret_from_plan(p: Plan, c: Change) -> Planned:
    enabled: Any = ROTATION_ENABLED.default
    interval: Any = ROTATION_INTERVAL.default
    elsewhere = {}
    for rotation in p.of_type("aws_secretsmanager_secret_rotation"):
        if rotation.refers_to_change("secret_id", c):
            enabled = True
            interval = rotation.block("rotation_rules").get("automatically_after_days")
            elsewhere["rotation_enabled"] = p.location(rotation)[0]
            elsewhere["rotation_interval_days"] = p.location(rotation)[0]
    data = {"rotation_enabled": enabled, "rotation_interval_days": interval,
            "tags": plan_tags(c)}
    return p.planned(c, TYPE, c.get("name"), data, {"tags": "tags"}, elsewhere)


FIXES = {TYPE: {"rotation_enabled": Fix(
    "add an AWS::SecretsManager::RotationSchedule with SecretId: !Ref <this secret>, a "
    "RotationLambdaARN (or HostedRotationLambda) and RotationRules: {AutomaticallyAfterDays: 30}",
    "add resource \"aws_secretsmanager_secret_rotation\" { secret_id = <this secret>.id "
    "rotation_lambda_arn = ... rotation_rules { automatically_after_days = 30 } }")}}
CLOUDFORMATION = {"AWS::SecretsManager::Secret": secret_from_template}
TERRAFORM = {"aws_secretsmanager_secret": secret_from_plan}

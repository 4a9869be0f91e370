"""aws.dynamodb.table from AWS::DynamoDB::Table, AWS::Serverless::SimpleTable and
aws_dynamodb_table, with the scalable targets that point at the table joined as
``autoscaling`` (as the live collector joins Application Auto Scaling)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..intrinsics import references
from ..model import Planned
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..sam import SIMPLE_TABLE
from ..values import Deferred, Unknown, as_bool, as_number

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = "aws.dynamodb.table"
PLANNABLE = {TYPE: frozenset({"billing_mode", "provisioned_throughput", "deletion_protection",
                              "pitr", "autoscaling", "tags"})}
_DIRECTIONS = {"ReadCapacityUnits": "read", "WriteCapacityUnits": "write"}


def _pitr(enabled: Any) -> Any:
    return enabled if isinstance(enabled, Unknown) else {
        "status": "ENABLED" if enabled else "DISABLED",
        "earliest_restorable_time": None, "latest_restorable_time": None}


def _throughput(raw: Any) -> Any:
    """{read, write} capacity units from a ProvisionedThroughput map (absent: on demand)."""
    if isinstance(raw, Unknown):
        return raw
    raw = raw or {}
    if not isinstance(raw, dict):  # `ProvisionedThroughput: true`: unreadable, never "on demand"
        return Unknown(f"ProvisionedThroughput is {type(raw).__name__}, not a map")
    return {"read": as_number(raw.get("ReadCapacityUnits"), "ReadCapacityUnits"),
            "write": as_number(raw.get("WriteCapacityUnits"), "WriteCapacityUnits")}


def _direction(dimension: Any) -> str | None:
    return _DIRECTIONS.get(str(dimension).rsplit(":", 1)[-1])


# -- CloudFormation ----------------------------------------------------------------------

def table_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    name = t.value(r, "TableName")
    data = {
        "billing_mode": t.value(r, "BillingMode", default="PROVISIONED"),
        "provisioned_throughput": _throughput(t.value(r, "ProvisionedThroughput")),
        "deletion_protection": as_bool(t.value(r, "DeletionProtectionEnabled", default=False),
                                       "DeletionProtectionEnabled"),
        "pitr": _pitr(as_bool(t.value(r, "PointInTimeRecoverySpecification",
                                      "PointInTimeRecoveryEnabled", default=False),
                              "PointInTimeRecoveryEnabled")),
        "autoscaling": _template_autoscaling(t, logical_id, name),
        "tags": t.tags(r),
    }
    return t.planned(logical_id, r, TYPE, name, data, {
        "billing_mode": "BillingMode", "provisioned_throughput": "ProvisionedThroughput",
        "deletion_protection": "DeletionProtectionEnabled",
        "pitr": "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "tags": "Tags"})


def simple_table_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    """SAM's SimpleTable: on demand unless it sets ProvisionedThroughput. The translator
    passes TableName, Tags, SSESpecification, ProvisionedThroughput and
    PointInTimeRecoverySpecification through to the table unchanged; it has no way to turn
    on deletion protection."""
    name = t.value(r, "TableName")
    throughput = t.value(r, "ProvisionedThroughput")
    data = {
        "billing_mode": "PAY_PER_REQUEST" if throughput is None else "PROVISIONED",
        "provisioned_throughput": _throughput(throughput),
        "deletion_protection": False,
        "pitr": _pitr(as_bool(t.value(r, "PointInTimeRecoverySpecification",
                                      "PointInTimeRecoveryEnabled", default=False),
                              "PointInTimeRecoveryEnabled")),
        "autoscaling": _template_autoscaling(t, logical_id, name),
        "tags": t.tags(r),
    }
    return t.planned(logical_id, r, TYPE, name, data, {
        "provisioned_throughput": "ProvisionedThroughput", "tags": "Tags",
        "pitr": "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"})


def global_table_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    """A global table (CDK's TableV2) as the table of the replica in this region: PITR,
    deletion protection, tags and read capacity are per replica; write capacity of a
    provisioned global table is always auto scaled (WriteCapacityAutoScalingSettings)."""
    name = t.value(r, "TableName")
    replica = _replica(t, r)
    billing = t.value(r, "BillingMode", default="PROVISIONED")
    holder = {"Properties": replica} if isinstance(replica, dict) else {}
    write = t.value(r, "WriteProvisionedThroughputSettings", "WriteCapacityAutoScalingSettings")
    read = t.value(holder, "ReadProvisionedThroughputSettings")
    data = {
        "billing_mode": billing,
        "provisioned_throughput": _throughput(read),  # per replica: read units only
        "deletion_protection": as_bool(t.value(holder, "DeletionProtectionEnabled",
                                               default=False), "DeletionProtectionEnabled"),
        "pitr": _pitr(as_bool(t.value(holder, "PointInTimeRecoverySpecification",
                                      "PointInTimeRecoveryEnabled", default=False),
                              "PointInTimeRecoveryEnabled")),
        "autoscaling": {"read": _global_scaling((read or {}).get("ReadCapacityAutoScalingSettings")
                                                if not isinstance(read, Unknown) else read),
                        "write": _global_scaling(write)},
        "tags": t.tags(holder),
    }
    if isinstance(replica, Unknown):
        data = {key: replica for key in data}
    return t.planned(logical_id, r, TYPE, name, data, {
        "billing_mode": "BillingMode", "pitr": "Replicas", "deletion_protection": "Replicas",
        "tags": "Replicas", "autoscaling": "WriteProvisionedThroughputSettings"})


def _replica(t: Template, r: dict[str, Any]) -> Any:
    """The replica in the region the stack deploys to (CloudFormation requires one)."""
    replicas = t.props(r).get("Replicas") or []
    for replica in replicas if isinstance(replicas, list) else []:
        region = t.ctx.resolve(replica.get("Region")) if isinstance(replica, dict) else None
        if region == t.ctx.region:
            return replica
    return Unknown(f"no replica of the global table in {t.ctx.region}")


def _global_scaling(settings: Any) -> Any:
    if settings is None or isinstance(settings, Unknown):
        return settings
    tracking = settings.get("TargetTrackingScalingPolicyConfiguration")
    return {"min_capacity": as_number(settings.get("MinCapacity"), "MinCapacity"),
            "max_capacity": as_number(settings.get("MaxCapacity"), "MaxCapacity"),
            "policies": [{"name": "target-tracking", "type": "TargetTrackingScaling"}]
            if tracking else []}


def _template_autoscaling(t: Template, logical_id: str, table_name: Any) -> dict[str, Any]:
    """Joined from ScalableTargets whose ResourceId is table/<this table> (by Ref/Sub to
    it or by its name), and the ScalingPolicies attached to them."""
    scaling: dict[str, Any] = {"read": None, "write": None}
    for target_id, target in t.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        if t.created(target) is False:
            continue
        raw_id = t.props(target).get("ResourceId")
        resource_id = t.ctx.resolve(raw_id)
        by_ref = logical_id in references(raw_id) and "/index/" not in str(resource_id)
        by_name = isinstance(table_name, str) and not isinstance(table_name, Deferred) \
            and resource_id == f"table/{table_name}"
        dimension = str(t.value(target, "ScalableDimension", default=""))
        direction = _direction(dimension)
        if not (by_ref or by_name) or direction is None:
            continue
        policies = []
        for policy_id, policy in t.of_type("AWS::ApplicationAutoScaling::ScalingPolicy"):
            attached = target_id in references(t.props(policy).get("ScalingTargetId")) or (
                t.value(policy, "ResourceId") == resource_id
                and t.value(policy, "ScalableDimension") == dimension)
            if attached and t.created(policy) is not False:
                policies.append({"name": t.value(policy, "PolicyName", default=policy_id),
                                 "type": t.value(policy, "PolicyType", default="")})
        scaling[direction] = {
            "min_capacity": as_number(t.value(target, "MinCapacity"), "MinCapacity"),
            "max_capacity": as_number(t.value(target, "MaxCapacity"), "MaxCapacity"),
            "policies": policies,
        }
    return scaling


# -- Terraform ---------------------------------------------------------------------------

def table_from_plan(p: Plan, c: Change) -> Planned:
    name = c.get("name")
    pitr = c.block("point_in_time_recovery").get("enabled", default=False)
    protection = c.get("deletion_protection_enabled", default=False)
    data = {
        "billing_mode": c.get("billing_mode", default="PROVISIONED"),
        "provisioned_throughput": {"read": c.get("read_capacity"),
                                   "write": c.get("write_capacity")},
        "deletion_protection": protection if isinstance(protection, Unknown) else bool(protection),
        "pitr": _pitr(pitr),
        "autoscaling": _plan_autoscaling(p, c, name),
        "tags": plan_tags(c),
    }
    return p.planned(c, TYPE, name, data, {
        "billing_mode": "billing_mode", "pitr": "point_in_time_recovery",
        "deletion_protection": "deletion_protection_enabled", "tags": "tags",
        "provisioned_throughput": "read_capacity"})


def _plan_autoscaling(p: Plan, table: Change, name: Any) -> dict[str, Any]:
    scaling: dict[str, Any] = {"read": None, "write": None}
    for target in p.of_type("aws_appautoscaling_target"):
        resource_id = target.get("resource_id")
        by_name = isinstance(name, str) and resource_id == f"table/{name}"
        by_ref = isinstance(resource_id, Unknown) and target.refers_to_change("resource_id", table)
        dimension = str(target.get("scalable_dimension", default=""))
        direction = _direction(dimension)
        if not (by_name or by_ref) or direction is None:
            continue
        policies = [
            {"name": policy.get("name", default=policy.name),
             "type": policy.get("policy_type", default="")}
            for policy in p.of_type("aws_appautoscaling_policy")
            if (policy.get("resource_id") == resource_id and not isinstance(resource_id, Unknown)
                and policy.get("scalable_dimension") == dimension)
            or policy.refers_to_change("resource_id", target)
            or policy.refers_to_change("scalable_dimension", target)
        ]
        scaling[direction] = {"min_capacity": target.get("min_capacity"),
                              "max_capacity": target.get("max_capacity"),
                              "policies": policies}
    return scaling


FIXES = {TYPE: {
    "pitr": Fix("set PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true",
                "add point_in_time_recovery { enabled = true }"),
    "deletion_protection": Fix("set DeletionProtectionEnabled: true",
                               "set deletion_protection_enabled = true"),
    "autoscaling": Fix("add an AWS::ApplicationAutoScaling::ScalableTarget (ResourceId: "
                       "table/<TableName>, ScalableDimension: dynamodb:table:ReadCapacityUnits "
                       "and one for WriteCapacityUnits) with a TargetTrackingScaling "
                       "ScalingPolicy, or set BillingMode: PAY_PER_REQUEST",
                       "add aws_appautoscaling_target (resource_id = \"table/${...name}\", "
                       "scalable_dimension = \"dynamodb:table:ReadCapacityUnits\", and one for "
                       "WriteCapacityUnits) with aws_appautoscaling_policy, or set "
                       "billing_mode = \"PAY_PER_REQUEST\"", bounded=True),
}}
CLOUDFORMATION = {"AWS::DynamoDB::Table": table_from_template,
                  "AWS::DynamoDB::GlobalTable": global_table_from_template,
                  SIMPLE_TABLE: simple_table_from_template}
TERRAFORM = {"aws_dynamodb_table": table_from_plan}

"""aws.dynamodb.table on moto: the attributes collected, and what each one costs.

Attribute values are read back through findings' evidence: a probe policy (written to
tmp_path) or a built-in one reads the attribute, and the evidence shows what the
collector produced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.support import by_name, write_probe

ACCOUNT = estate.MANAGEMENT_ACCOUNT
TYPE = "aws.dynamodb.table"


def write_policy(tmp_path: Path, policy_id: str, check: dict[str, Any],
                 scope: dict[str, Any] | None = None) -> Path:
    return write_probe(tmp_path, policy_id, TYPE, check, scope)


PROBE = {"all": [
    {"attribute": "billing_mode", "exists": True},
    {"attribute": "pitr.status", "exists": True},
    {"attribute": "autoscaling.read", "exists": True},
    {"attribute": "autoscaling.write", "exists": True},
    {"attribute": "provisioned_throughput", "exists": True},
    {"attribute": "tags", "exists": True},
]}


def test_table_attributes_and_identity(aws, scan, tmp_path):
    session = boto3.Session()
    orders_arn = estate.create_table(session, "us-east-1", "orders", pitr=True,
                                     autoscaling=("read", "write"), tags={"Team": "payments"})
    estate.create_table(session, "us-east-1", "events", on_demand=True)
    estate.create_table(session, "us-east-1", "reads-only", autoscaling=("read",))

    result = scan({"regions": ["us-east-1"]}, policy_paths=[write_policy(tmp_path, "probe", PROBE)])

    assert not result.errors
    tables = by_name(result, "probe")
    assert set(tables) == {"orders", "events", "reads-only"}

    orders = tables["orders"]
    assert orders.status is Status.PASS
    assert orders.resource.type == TYPE
    assert orders.resource.arn == orders_arn == \
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    assert (orders.resource.id, orders.resource.account_id, orders.resource.region) == \
        ("orders", ACCOUNT, "us-east-1")
    assert orders.evidence["billing_mode"] == "PROVISIONED"
    assert orders.evidence["pitr.status"] == "ENABLED"
    assert orders.evidence["provisioned_throughput"] == {"read": 5, "write": 5}
    assert orders.evidence["tags"] == {"Team": "payments"}
    assert orders.evidence["autoscaling.read"] == {
        "min_capacity": 5, "max_capacity": 100,
        "policies": [{"name": "orders-read", "type": "TargetTrackingScaling"}],
    }
    assert orders.evidence["autoscaling.write"] == {
        "min_capacity": 5, "max_capacity": 100,
        "policies": [{"name": "orders-write", "type": "TargetTrackingScaling"}],
    }

    events = tables["events"]
    assert events.status is Status.FAIL
    assert events.evidence["billing_mode"] == "PAY_PER_REQUEST"
    assert events.evidence["pitr.status"] == "DISABLED"
    assert events.evidence["autoscaling.read"] is None
    assert events.evidence["autoscaling.write"] is None
    assert events.evidence["tags"] == {}

    reads_only = tables["reads-only"]
    assert reads_only.evidence["billing_mode"] == "PROVISIONED"
    assert reads_only.evidence["autoscaling.read"] == {
        "min_capacity": 5, "max_capacity": 100,
        "policies": [{"name": "reads-only-read", "type": "TargetTrackingScaling"}],
    }
    assert reads_only.evidence["autoscaling.write"] is None


def test_scaling_targets_of_other_tables_and_indexes_are_not_attributed(aws, scan, tmp_path):
    """A target on a GSI (index/...) or on another table never counts for this one."""
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "plain")
    estate.create_table(session, "us-east-1", "plain-2", autoscaling=("write",))
    scaling = session.client("application-autoscaling", region_name="us-east-1")
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId="table/plain/index/by-date",
        ScalableDimension="dynamodb:index:ReadCapacityUnits", MinCapacity=1, MaxCapacity=9)

    result = scan({"regions": ["us-east-1"]}, policies=["dynamodb-autoscaling-registered"])

    tables = by_name(result, "dynamodb-autoscaling-registered")
    assert tables["plain"].status is Status.FAIL
    assert tables["plain"].evidence["autoscaling.read"] is None
    assert tables["plain"].evidence["autoscaling.write"] is None
    assert tables["plain-2"].evidence["autoscaling.read"] is None
    assert tables["plain-2"].evidence["autoscaling.write"]["max_capacity"] == 100


def test_tables_in_each_scanned_region_carry_their_region(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "east", pitr=True)
    west_arn = estate.create_table(session, "eu-west-1", "west")

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["dynamodb-pitr-enabled"])

    tables = by_name(result, "dynamodb-pitr-enabled")
    assert set(tables) == {"east", "west"}
    assert tables["east"].resource.region == "us-east-1"
    assert tables["west"].resource.region == "eu-west-1"
    assert tables["west"].resource.arn == west_arn == \
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/west"
    assert tables["west"].status is Status.FAIL
    assert tables["west"].evidence == {"pitr.status": "DISABLED"}


# --- call economy ---------------------------------------------------------------------------


def test_scalable_targets_described_once_per_region_however_many_tables(aws, scan):
    session = boto3.Session()
    for i in range(5):
        estate.create_table(session, "us-east-1", f"table-{i}", autoscaling=("read", "write"))
    estate.create_table(session, "eu-west-1", "west-0")
    estate.create_table(session, "eu-west-1", "west-1", on_demand=True)
    aws.seen.clear()

    result = scan({"regions": ["us-east-1", "eu-west-1"]},
                  policies=["dynamodb-autoscaling-registered"])

    statuses = {f.resource.name: f.status for f in result.findings}
    assert statuses == {**{f"table-{i}": Status.PASS for i in range(5)},
                        "west-0": Status.FAIL, "west-1": Status.PASS}
    assert aws.seen["dynamodb:ListTables"] == 2
    assert aws.seen["application-autoscaling:DescribeScalableTargets"] == 2
    assert aws.seen["application-autoscaling:DescribeScalingPolicies"] == 2
    assert aws.seen["dynamodb:DescribeTable"] == 7  # billing_mode: one per table
    # Nothing the policy does not read.
    assert aws.seen["dynamodb:DescribeContinuousBackups"] == 0
    assert aws.seen["dynamodb:ListTagsOfResource"] == 0
    # The scanner's own count agrees with what reached the wire.
    assert result.api_calls == sum(aws.seen.values()) == 1 + 2 + 2 + 2 + 7


def test_pitr_policy_alone_costs_one_describe_continuous_backups_per_table(aws, scan):
    session = boto3.Session()
    for i in range(3):
        estate.create_table(session, "us-east-1", f"t{i}", pitr=i == 0, autoscaling=("read",))
    aws.seen.clear()

    result = scan({"regions": ["us-east-1"]}, policies=["dynamodb-pitr-enabled"])

    assert [f.status for f in result.findings] == [Status.PASS, Status.FAIL, Status.FAIL]
    assert aws.seen["dynamodb:ListTables"] == 1
    assert aws.seen["dynamodb:DescribeContinuousBackups"] == 3
    assert aws.seen["dynamodb:DescribeTable"] == 0
    assert aws.seen["application-autoscaling:DescribeScalableTargets"] == 0
    assert aws.seen["dynamodb:ListTagsOfResource"] == 0
    assert result.api_calls == sum(aws.seen.values()) == 1 + 1 + 3


def test_no_tables_means_no_detail_calls(aws, scan):
    aws.seen.clear()
    result = scan({"regions": ["us-east-1", "eu-west-1"]},
                  policies=["dynamodb-pitr-enabled", "dynamodb-autoscaling-registered"])
    assert result.findings == ()
    assert aws.seen["dynamodb:ListTables"] == 2
    assert sum(n for op, n in aws.seen.items() if op != "dynamodb:ListTables"
               and op != "sts:GetCallerIdentity") == 0


def test_tags_fetched_only_when_scope_depends_on_environment(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "prod-table", tags={"Environment": "prod"})
    estate.create_table(session, "us-east-1", "dev-table", tags={"Environment": "dev"})

    aws.seen.clear()
    unscoped = scan({"regions": ["us-east-1"]}, policies=["dynamodb-pitr-enabled"])
    assert aws.seen["dynamodb:ListTagsOfResource"] == 0
    assert {f.resource.environment for f in unscoped.findings} == {"default"}

    aws.seen.clear()
    sessions = Sessions()
    scoped = scan({"regions": ["us-east-1"],
                   "policies": {"dynamodb-pitr-enabled": {"scope": {"environments": ["prod"]}}}},
                  policies=["dynamodb-pitr-enabled"], sessions=sessions)
    # Tags come from one Resource Groups Tagging API listing, not one call per table.
    assert sessions.call_log.counts["resourcegroupstaggingapi:GetResources"] == 1
    assert aws.seen["dynamodb:ListTagsOfResource"] == 0
    # The Environment tag makes prod-table a prod resource; dev-table is out of scope.
    assert [(f.resource.name, f.resource.environment, f.status) for f in scoped.findings] == \
        [("prod-table", "prod", Status.FAIL)]


def test_tag_scoped_policy_reads_tags(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "owned", tags={"Team": "payments", "Tier": "1"})
    estate.create_table(session, "us-east-1", "other", tags={"Team": "search"})
    estate.create_table(session, "us-east-1", "untagged")
    policies = write_policy(tmp_path, "tier-one-pitr", {"attribute": "pitr.status",
                                                        "equals": "ENABLED"},
                            scope={"tags": {"Team": "payments"}})
    aws.seen.clear()
    sessions = Sessions()

    result = scan({"regions": ["us-east-1"]}, policy_paths=[policies], sessions=sessions)

    assert sessions.call_log.counts["resourcegroupstaggingapi:GetResources"] == 1
    assert aws.seen["dynamodb:ListTagsOfResource"] == 0
    assert [(f.resource.name, f.status) for f in result.findings] == [("owned", Status.FAIL)]

"""The DynamoDB (and Cognito) part of the built-in pack on moto: backups and their age under
an injected clock, throttling alarms, target-tracking autoscaling, deletion protection, and
what each costs in API calls."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Account, Resource, Severity, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY, dynamodb
from preflight_scanner.runbooks import RunbookLibrary

from tests.faultproxy import Fault
from tests.support import by_name, statuses

ACCOUNT = estate.MANAGEMENT_ACCOUNT
PACK = {"dynamodb-recent-backup", "dynamodb-throttle-alarm", "dynamodb-autoscaling-registered",
        "dynamodb-deletion-protection", "cognito-deletion-protection"}


def prod(regions: list[str], **extra: Any) -> dict[str, Any]:
    """The caller's account as production; a resource's Environment tag still overrides it."""
    return {"regions": regions, "default_environment": "prod", **extra}


def fix(finding) -> list[str]:
    assert finding.status is Status.FAIL and finding.remediation
    return list(finding.remediation)


# --- seeding helpers (estate.py has no builder for these) ------------------------------------


def backup_time(session: boto3.Session, region: str, table: str) -> datetime:
    """When moto says the table's newest backup was made."""
    summaries = session.client("dynamodb", region_name=region).list_backups(
        TableName=table)["BackupSummaries"]
    return max(s["BackupCreationDateTime"] for s in summaries).astimezone(UTC)


def put_alarm(session: boto3.Session, region: str, name: str, metric: str,
              dimensions: dict[str, str], *, actions_enabled: bool = True) -> None:
    """A paging alarm (with an SNS action) whose actions may be switched off."""
    session.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=name, Namespace="AWS/DynamoDB", MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", ActionsEnabled=actions_enabled,
        AlarmActions=[f"arn:aws:sns:{region}:{ACCOUNT}:oncall-page"])


def register_scaling(session: boto3.Session, region: str, table: str, *, min_capacity: int,
                     max_capacity: int, policy_type: str | None) -> None:
    """Read and write targets with the given bounds, each with one policy of policy_type."""
    scaling = session.client("application-autoscaling", region_name=region)
    for direction in ("Read", "Write"):
        dimension = f"dynamodb:table:{direction}CapacityUnits"
        scaling.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/{table}",
            ScalableDimension=dimension, MinCapacity=min_capacity, MaxCapacity=max_capacity)
        if policy_type == "StepScaling":
            scaling.put_scaling_policy(
                PolicyName=f"{table}-{direction}-step", ServiceNamespace="dynamodb",
                ResourceId=f"table/{table}", ScalableDimension=dimension,
                PolicyType="StepScaling",
                StepScalingPolicyConfiguration={
                    "AdjustmentType": "ChangeInCapacity",
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0.0,
                                         "ScalingAdjustment": 10}]})
        elif policy_type == "TargetTrackingScaling":
            scaling.put_scaling_policy(
                PolicyName=f"{table}-{direction}-tt", ServiceNamespace="dynamodb",
                ResourceId=f"table/{table}", ScalableDimension=dimension,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": f"DynamoDB{direction}CapacityUtilization"}})


# --- the pack itself -------------------------------------------------------------------------


def test_pack_policies_are_prod_scoped_mapped_and_point_at_existing_sections():
    policies = {p.id: p for p in load_policies() if p.id in PACK}
    assert set(policies) == PACK
    runbooks = RunbookLibrary()
    for policy in policies.values():
        assert runbooks.section(policy.runbook) is not None, policy.runbook
        assert bool(policy.frameworks) != bool(policy.unmapped), policy.id
    assert {p.id for p in policies.values() if "disaster-recovery" in p.categories} == \
        {"dynamodb-recent-backup", "dynamodb-deletion-protection"}
    assert {p.id for p in policies.values() if p.scope.environments == {"prod"}} == \
        PACK - {"dynamodb-autoscaling-registered"}
    assert policies["dynamodb-recent-backup"].defaults() == {"max_age_days": 7}


# --- backups ---------------------------------------------------------------------------------


def write_probe(tmp_path: Path, check: dict[str, Any]) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir(exist_ok=True)
    doc = {"id": "probe", "title": "probe", "description": "Reads attributes for a test.",
           "severity": "low", "resource": "aws.dynamodb.table", "check": check,
           "runbook": "tests#probe"}
    (directory / "probe.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return directory


def test_latest_backup_and_count_from_one_listing(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "ledger", backup=True)
    ddb = session.client("dynamodb", region_name="us-east-1")
    newest = ddb.create_backup(TableName="ledger", BackupName="ledger-newest")["BackupDetails"]
    estate.create_table(session, "us-east-1", "scratch")
    # Another table's backup, with a name that starts like this one's, is not ledger's.
    estate.create_table(session, "us-east-1", "ledger-archive", backup=True)

    result = scan({"regions": ["us-east-1"]}, policy_paths=[write_probe(
        tmp_path, {"all": [{"attribute": "latest_backup", "exists": True},
                           {"attribute": "backup_count", "gte": 1}]})])

    assert not result.errors
    tables = by_name(result, "probe")
    ledger = tables["ledger"].evidence
    assert ledger["backup_count"] == 2
    created = newest["BackupCreationDateTime"].astimezone(UTC)
    assert ledger["latest_backup"] == {
        "name": "ledger-newest", "arn": newest["BackupArn"],
        "created_at": created.isoformat(), "type": "USER",
    }
    assert ledger["latest_backup"]["created_at"].endswith("+00:00")
    assert tables["ledger-archive"].evidence["backup_count"] == 1
    assert tables["ledger-archive"].evidence["latest_backup"]["name"] == "ledger-archive-backup"
    assert tables["scratch"].status is Status.FAIL
    assert tables["scratch"].evidence == {"latest_backup": None, "backup_count": 0}


def test_only_available_user_and_aws_backup_backups_count():
    def summary(table: str, name: str, when: datetime, kind: str = "USER",
                status: str = "AVAILABLE") -> dict[str, Any]:
        return {"TableName": table, "BackupName": name, "BackupArn": f"arn:{name}",
                "BackupCreationDateTime": when, "BackupType": kind, "BackupStatus": status}

    plus_two = timezone(timedelta(hours=2))
    summaries = [
        summary("orders", "weekly", datetime(2026, 1, 1, 3, 0, tzinfo=UTC)),
        summary("orders", "vault", datetime(2026, 1, 5, 12, 0, tzinfo=plus_two), "AWS_BACKUP"),
        summary("orders", "on-delete", datetime(2026, 1, 9, tzinfo=UTC), "SYSTEM"),
        summary("orders", "running", datetime(2026, 1, 9, tzinfo=UTC),
                status="CREATING"),
        summary("orders", "gone", datetime(2026, 1, 9, tzinfo=UTC), status="DELETED"),
        summary("carts", "carts-1", datetime(2026, 1, 2, tzinfo=UTC)),
    ]
    tables = [_table(name) for name in ("orders", "sessions")]

    # The join, fed a listing moto cannot produce (SYSTEM, CREATING and DELETED backups).
    docs = dynamodb.join_backups(summaries, tables)

    assert dynamodb.LIST_BACKUPS.request() == {"BackupType": "ALL"}
    assert docs["orders"] == {"backup_count": 2, "latest_backup": {
        "name": "vault", "arn": "arn:vault", "created_at": "2026-01-05T10:00:00+00:00",
        "type": "AWS_BACKUP"}}
    assert docs["sessions"] == {"backup_count": 0, "latest_backup": None}


def _table(name: str) -> Resource:
    return Resource("aws.dynamodb.table", name, name,
                    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}",
                    Account(ACCOUNT, "main", "prod"), "us-east-1", {})


def test_recent_backup_age_is_measured_against_the_injected_clock(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "fresh", backup=True)
    estate.create_table(session, "us-east-1", "never")
    estate.create_table(session, "us-east-1", "staging-copy", tags={"Environment": "staging"})
    made = backup_time(session, "us-east-1", "fresh")

    def at(delta: timedelta):
        return scan(prod(["us-east-1"]), policies=["dynamodb-recent-backup"],
                    clock=lambda: made + delta)

    two_days = at(timedelta(days=2))
    assert statuses(two_days, "dynamodb-recent-backup") == \
        {"fresh": Status.PASS, "never": Status.FAIL}  # staging-copy is out of scope
    fresh = by_name(two_days, "dynamodb-recent-backup")["fresh"]
    assert fresh.evidence["days_between(latest_backup.created_at, scan_time)"] == 2.0
    assert fresh.evidence["latest_backup"]["name"] == "fresh-backup"

    # The boundary is inclusive: exactly max_age_days old still passes, an hour more fails.
    assert statuses(at(timedelta(days=7)), "dynamodb-recent-backup")["fresh"] is Status.PASS
    late = by_name(at(timedelta(days=7, hours=1)), "dynamodb-recent-backup")["fresh"]
    assert late.status is Status.FAIL
    assert late.evidence["days_between(latest_backup.created_at, scan_time)"] == 7.0417

    ten_days = at(timedelta(days=10))
    stale = by_name(ten_days, "dynamodb-recent-backup")["fresh"]
    assert stale.status is Status.FAIL
    assert stale.severity is Severity.HIGH
    assert stale.message == "its newest backup is 10.0 days old, older than 7 days"
    day = (made + timedelta(days=10)).strftime("%Y%m%d")
    assert fix(stale) == [f"aws dynamodb create-backup --region us-east-1 --table-name fresh "
                          f"--backup-name fresh-backup-{day}"]

    never = by_name(ten_days, "dynamodb-recent-backup")["never"]
    assert never.evidence == {"latest_backup": None,
                              "days_between(latest_backup.created_at, scan_time)": None}
    assert never.message == "the table has no on-demand or AWS Backup backup to restore"
    assert never.runbook == "database-maintenance#verify-backups"


def test_backup_age_limit_is_a_parameter_per_environment(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "hourly", backup=True)
    made = backup_time(session, "us-east-1", "hourly")

    result = scan(prod(["us-east-1"], parameters={"prod": {"dynamodb-recent-backup":
                                                           {"max_age_days": 1}}}),
                  policies=["dynamodb-recent-backup"], clock=lambda: made + timedelta(days=2))

    finding = by_name(result, "dynamodb-recent-backup")["hourly"]
    assert finding.status is Status.FAIL
    assert "older than 1 days" in finding.message
    assert [d.expected for d in finding.decisive] == [1]


# --- throttling alarms -----------------------------------------------------------------------


def test_throttle_alarm_must_watch_this_table_and_page_someone(aws, scan):
    session = boto3.Session()
    names = ["paged", "ops", "silent", "muted", "neighbour", "by-index", "latency"]
    for name in names:
        estate.create_table(session, "us-east-1", name)
    estate.create_table(session, "us-east-1", "dev-table", tags={"Environment": "dev"})
    estate.create_alarm(session, "us-east-1", "paged-reads", namespace="AWS/DynamoDB",
                        metric="ReadThrottleEvents", dimensions={"TableName": "paged"})
    # ThrottledRequests carries an Operation dimension: it narrows, it still watches "ops".
    estate.create_alarm(session, "us-east-1", "ops-puts", namespace="AWS/DynamoDB",
                        metric="ThrottledRequests",
                        dimensions={"TableName": "ops", "Operation": "PutItem"})
    estate.create_alarm(session, "us-east-1", "silent-writes", namespace="AWS/DynamoDB",
                        metric="WriteThrottleEvents", dimensions={"TableName": "silent"},
                        with_action=False)
    put_alarm(session, "us-east-1", "muted-writes", "WriteThrottleEvents",
              {"TableName": "muted"}, actions_enabled=False)
    # "neighbour" is named in no alarm; "paged-reads" above is another table's.
    put_alarm(session, "us-east-1", "by-index-gsi", "ReadThrottleEvents",
              {"TableName": "by-index", "GlobalSecondaryIndexName": "by-date"})
    estate.create_alarm(session, "us-east-1", "latency-p99", namespace="AWS/DynamoDB",
                        metric="SuccessfulRequestLatency", dimensions={"TableName": "latency"})

    result = scan(prod(["us-east-1"]), policies=["dynamodb-throttle-alarm"])

    assert not result.errors
    assert statuses(result, "dynamodb-throttle-alarm") == {
        "paged": Status.PASS, "ops": Status.PASS, "silent": Status.FAIL, "muted": Status.FAIL,
        "neighbour": Status.FAIL, "by-index": Status.FAIL, "latency": Status.FAIL,
    }  # dev-table: not prod
    tables = by_name(result, "dynamodb-throttle-alarm")
    expression = ("alarms[?has_actions && actions_enabled && "
                  "dimensions.GlobalSecondaryIndexName == null].metric")
    assert tables["paged"].evidence == {expression: ["ReadThrottleEvents"]}
    assert tables["ops"].evidence == {expression: ["ThrottledRequests"]}
    for name in ("silent", "muted", "neighbour", "by-index"):
        assert tables[name].evidence == {expression: []}, name
    assert tables["latency"].evidence == {expression: ["SuccessfulRequestLatency"]}
    assert tables["silent"].severity is Severity.MEDIUM
    assert tables["silent"].runbook == "dynamodb-throttling#alarm-on-throttle-events"
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall-alerts"
    assert fix(tables["neighbour"]) == [
        f"aws cloudwatch put-metric-alarm --region us-east-1 "
        f"--alarm-name neighbour-{metric} --namespace AWS/DynamoDB --metric-name {metric} "
        f"--dimensions Name=TableName,Value=neighbour --statistic Sum --period 60 "
        f"--evaluation-periods 5 --datapoints-to-alarm 3 --threshold 1 "
        f"--comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching "
        f"--alarm-actions {topic}"
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
    ]


def test_throttle_alarm_topic_is_a_parameter(aws, scan):
    estate.create_table(boto3.Session(), "eu-west-1", "bare")
    result = scan(prod(["eu-west-1"], parameters={"prod": {"dynamodb-throttle-alarm": {
        "sns_topic": "db-pager"}}}), policies=["dynamodb-throttle-alarm"])
    (finding,) = result.findings
    assert all(command.endswith(f"--alarm-actions arn:aws:sns:eu-west-1:{ACCOUNT}:db-pager")
               for command in fix(finding))


def test_unreadable_backups_are_errors_never_passes_or_fails(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "east", backup=True)
    estate.create_table(session, "eu-west-1", "west", backup=True)
    aws.faults.append(Fault(service="dynamodb", operation="ListBackups", region="eu-west-1"))

    result = scan(prod(["us-east-1", "eu-west-1"]), policies=["dynamodb-recent-backup"])

    assert aws.faults[0].hits >= 1
    assert statuses(result, "dynamodb-recent-backup") == \
        {"east": Status.PASS, "west": Status.ERROR}
    west = by_name(result, "dynamodb-recent-backup")["west"]
    assert "AccessDenied" in west.message and not west.remediation
    assert any(e.operation == "ListBackups" and e.region == "eu-west-1" for e in result.errors)


# --- call economy ----------------------------------------------------------------------------


def test_backups_and_alarms_are_listed_once_per_region_however_many_tables(aws, scan):
    session = boto3.Session()
    for i in range(4):
        estate.create_table(session, "us-east-1", f"east-{i}", backup=i % 2 == 0)
        estate.create_alarm(session, "us-east-1", f"east-{i}-reads", namespace="AWS/DynamoDB",
                            metric="ReadThrottleEvents", dimensions={"TableName": f"east-{i}"},
                            with_action=i < 2)
    estate.create_table(session, "eu-west-1", "west-0", backup=True)
    estate.create_table(session, "eu-west-1", "west-1")
    sessions = Sessions()

    result = scan(prod(["us-east-1", "eu-west-1", "ap-southeast-2"], environment_tag=None),
                  policies=["dynamodb-recent-backup", "dynamodb-throttle-alarm"],
                  sessions=sessions)

    assert not result.errors
    assert statuses(result, "dynamodb-recent-backup") == {
        "east-0": Status.PASS, "east-1": Status.FAIL, "east-2": Status.PASS,
        "east-3": Status.FAIL, "west-0": Status.PASS, "west-1": Status.FAIL}
    assert statuses(result, "dynamodb-throttle-alarm") == {
        "east-0": Status.PASS, "east-1": Status.PASS, "east-2": Status.FAIL,
        "east-3": Status.FAIL, "west-0": Status.FAIL, "west-1": Status.FAIL}
    calls = sessions.call_log.counts
    assert calls["dynamodb:ListTables"] == 3
    assert calls["dynamodb:ListBackups"] == 2  # ap-southeast-2 has no tables: nothing to join
    assert calls["cloudwatch:DescribeAlarms"] == 2
    # Nothing the two policies do not read.
    assert calls["dynamodb:DescribeTable"] == 0
    assert calls["dynamodb:DescribeContinuousBackups"] == 0
    assert calls["dynamodb:ListTagsOfResource"] == 0
    assert result.api_calls == sum(calls.values())


# --- autoscaling -----------------------------------------------------------------------------


def test_autoscaling_needs_target_tracking_and_room_to_grow_in_both_directions(aws, scan):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "scaled", autoscaling=("read", "write"))
    estate.create_table(session, "us-east-1", "on-demand", on_demand=True)
    estate.create_table(session, "us-east-1", "reads-only", autoscaling=("read",))
    for name, bounds, policy_type in (("stepped", (5, 100), "StepScaling"),
                                      ("unmanaged", (5, 100), None),
                                      ("pinned", (5, 5), "TargetTrackingScaling")):
        estate.create_table(session, "us-east-1", name)
        register_scaling(session, "us-east-1", name, min_capacity=bounds[0],
                         max_capacity=bounds[1], policy_type=policy_type)

    result = scan({"regions": ["us-east-1"]}, policies=["dynamodb-autoscaling-registered"])

    assert not result.errors
    assert statuses(result, "dynamodb-autoscaling-registered") == {
        "scaled": Status.PASS, "on-demand": Status.PASS, "reads-only": Status.FAIL,
        "stepped": Status.FAIL, "unmanaged": Status.FAIL, "pinned": Status.FAIL,
    }
    tables = by_name(result, "dynamodb-autoscaling-registered")
    read_tt = "autoscaling.read.policies[?type == 'TargetTrackingScaling'].name"
    write_tt = "autoscaling.write.policies[?type == 'TargetTrackingScaling'].name"
    assert tables["scaled"].evidence[read_tt] == ["scaled-read"]
    assert tables["scaled"].evidence[write_tt] == ["scaled-write"]
    stepped = tables["stepped"]
    assert stepped.evidence[read_tt] == [] and stepped.evidence[write_tt] == []
    assert stepped.evidence["autoscaling.read"]["policies"] == \
        [{"name": "stepped-Read-step", "type": "StepScaling"}]
    assert read_tt in stepped.decisive_keys
    assert "autoscaling.read.max_capacity" not in stepped.decisive_keys  # 100 > 5 passed
    pinned = tables["pinned"]
    assert pinned.evidence["autoscaling.read.max_capacity"] == 5
    assert {"autoscaling.read.max_capacity", "autoscaling.write.max_capacity"} <= \
        set(pinned.decisive_keys)
    assert not any("TargetTracking" in key for key in pinned.decisive_keys)
    assert "autoscaling.write" in tables["reads-only"].decisive_keys
    assert "reads and writes are not both auto scaled" in pinned.message
    assert fix(tables["unmanaged"]) == [
        "aws application-autoscaling register-scalable-target --region us-east-1 "
        "--service-namespace dynamodb --resource-id table/unmanaged "
        "--scalable-dimension dynamodb:table:ReadCapacityUnits --min-capacity 5 "
        "--max-capacity 1000",
        "aws application-autoscaling register-scalable-target --region us-east-1 "
        "--service-namespace dynamodb --resource-id table/unmanaged "
        "--scalable-dimension dynamodb:table:WriteCapacityUnits --min-capacity 5 "
        "--max-capacity 1000",
        "aws application-autoscaling put-scaling-policy --region us-east-1 "
        "--service-namespace dynamodb --resource-id table/unmanaged "
        "--scalable-dimension dynamodb:table:ReadCapacityUnits "
        "--policy-name unmanaged-read-target-tracking --policy-type TargetTrackingScaling "
        "--target-tracking-scaling-policy-configuration "
        "'{\"TargetValue\":70,\"PredefinedMetricSpecification\":{\"PredefinedMetricType\":"
        "\"DynamoDBReadCapacityUtilization\"},\"ScaleOutCooldown\":60,\"ScaleInCooldown\":60}'",
        "aws application-autoscaling put-scaling-policy --region us-east-1 "
        "--service-namespace dynamodb --resource-id table/unmanaged "
        "--scalable-dimension dynamodb:table:WriteCapacityUnits "
        "--policy-name unmanaged-write-target-tracking --policy-type TargetTrackingScaling "
        "--target-tracking-scaling-policy-configuration "
        "'{\"TargetValue\":70,\"PredefinedMetricSpecification\":{\"PredefinedMetricType\":"
        "\"DynamoDBWriteCapacityUtilization\"},\"ScaleOutCooldown\":60,\"ScaleInCooldown\":60}'",
    ]


def test_autoscaling_remediation_is_accepted_by_the_api(aws, scan):
    """The rendered commands' arguments, sent through boto3, make the table pass."""
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "manual")
    failing = by_name(scan({"regions": ["us-east-1"]},
                           policies=["dynamodb-autoscaling-registered"]),
                      "dynamodb-autoscaling-registered")["manual"]
    scaling = session.client("application-autoscaling", region_name="us-east-1")
    for command in fix(failing):
        argv = shlex.split(command)
        assert argv[:2] == ["aws", "application-autoscaling"]
        options = dict(zip(argv[3::2], argv[4::2], strict=True))
        common = {"ServiceNamespace": options["--service-namespace"],
                  "ResourceId": options["--resource-id"],
                  "ScalableDimension": options["--scalable-dimension"]}
        if argv[2] == "register-scalable-target":
            scaling.register_scalable_target(**common,
                                             MinCapacity=int(options["--min-capacity"]),
                                             MaxCapacity=int(options["--max-capacity"]))
        else:
            scaling.put_scaling_policy(
                **common, PolicyName=options["--policy-name"],
                PolicyType=options["--policy-type"],
                TargetTrackingScalingPolicyConfiguration=json.loads(
                    options["--target-tracking-scaling-policy-configuration"]))

    again = scan({"regions": ["us-east-1"]}, policies=["dynamodb-autoscaling-registered"])
    assert statuses(again, "dynamodb-autoscaling-registered") == {"manual": Status.PASS}


# --- deletion protection ---------------------------------------------------------------------


def test_dynamodb_deletion_protection_in_prod(aws, scan):
    session = boto3.Session()
    ddb = session.client("dynamodb", region_name="eu-west-1")
    estate.create_table(session, "eu-west-1", "guarded")
    ddb.update_table(TableName="guarded", DeletionProtectionEnabled=True)
    estate.create_table(session, "eu-west-1", "open")
    estate.create_table(session, "eu-west-1", "sandbox", tags={"Environment": "dev"})

    result = scan(prod(["eu-west-1"]), policies=["dynamodb-deletion-protection"])

    assert statuses(result, "dynamodb-deletion-protection") == \
        {"guarded": Status.PASS, "open": Status.FAIL}
    failing = by_name(result, "dynamodb-deletion-protection")["open"]
    assert failing.evidence == {"deletion_protection": False}
    assert failing.runbook == "database-maintenance#deletion-protection"
    assert fix(failing) == ["aws dynamodb update-table --region eu-west-1 --table-name open "
                            "--deletion-protection-enabled"]


def test_cognito_deletion_protection_in_prod(aws, scan):
    session = boto3.Session()
    idp = session.client("cognito-idp", region_name="us-east-1")
    protected = idp.create_user_pool(PoolName="customers",
                                     DeletionProtection="ACTIVE")["UserPool"]["Id"]
    exposed = estate.create_user_pool(session, "us-east-1", "partners", mfa="ON")
    estate.create_user_pool(session, "us-east-1", "testers", tags={"Environment": "staging"})

    result = scan(prod(["us-east-1"]), policies=["cognito-deletion-protection"])

    assert statuses(result, "cognito-deletion-protection") == \
        {"customers": Status.PASS, "partners": Status.FAIL}
    failing = by_name(result, "cognito-deletion-protection")["partners"]
    assert failing.severity is Severity.HIGH
    assert failing.evidence == {"deletion_protection": "INACTIVE"}
    assert failing.resource.id == exposed != protected
    describe, update = fix(failing)
    assert describe.startswith(f"aws cognito-idp describe-user-pool --region us-east-1 "
                               f"--user-pool-id {exposed} --query UserPool --output json | jq ")
    assert describe.endswith(f"> user-pool-{exposed}.json")
    assert update == (f"aws cognito-idp update-user-pool --region us-east-1 "
                      f"--cli-input-json file://user-pool-{exposed}.json")


@pytest.mark.skipif(shutil.which("jq") is None, reason="the remediation's filter needs jq")
def test_cognito_remediation_keeps_the_pools_settings(aws, scan):
    """update-user-pool resets what it is not given: the jq round trip must give it all."""
    session = boto3.Session()
    idp = session.client("cognito-idp", region_name="us-east-1")
    pool_id = estate.create_user_pool(session, "us-east-1", "members", mfa="ON")
    idp.update_user_pool(UserPoolId=pool_id, MfaConfiguration="ON",
                         EmailVerificationSubject="Your members code",
                         AutoVerifiedAttributes=["email"])
    failing = by_name(scan(prod(["us-east-1"]), policies=["cognito-deletion-protection"]),
                      "cognito-deletion-protection")["members"]
    describe = fix(failing)[0]
    program = shlex.split(describe.split(" | jq ", 1)[1].rsplit(" > ", 1)[0])[0]
    current = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    request = json.loads(subprocess.run(
        ["jq", program], input=json.dumps(current, default=str), capture_output=True,
        text=True, check=True).stdout)
    idp.update_user_pool(**request)  # botocore validates every key against the API model

    after = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert request["UserPoolId"] == pool_id
    assert after["DeletionProtection"] == "ACTIVE"
    assert after["MfaConfiguration"] == "ON"
    assert after["EmailVerificationSubject"] == "Your members code"
    assert after["AutoVerifiedAttributes"] == ["email"]
    assert statuses(scan(prod(["us-east-1"]), policies=["cognito-deletion-protection"]),
                    "cognito-deletion-protection") == {"members": Status.PASS}


def test_table_type_offers_the_new_attributes():
    names = REGISTRY["aws.dynamodb.table"].attribute_names()
    assert {"latest_backup", "backup_count", "alarms"} <= set(names)
    detail = REGISTRY["aws.dynamodb.table"].detail_for("latest_backup")
    assert detail is not None and detail.calls == ("dynamodb:ListBackups",)
    assert not detail.per_resource

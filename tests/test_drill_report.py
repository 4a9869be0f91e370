"""`preflight drill` on a moto estate: readiness per runbook step, recovery points (exact, from
the times moto reports, against an injected clock), the score, the checklist, drift between
two drills a quarter apart, and the history chart."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.demo.server import FAKE_CREDENTIALS
from preflight_scanner.drill.document import schema
from preflight_scanner.drill.readiness import drift, quarter
from preflight_scanner.drill.run import drill
from preflight_scanner.history import HistoryStore

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_drill_report")

REGION = "us-east-1"
ACCOUNT = estate.MANAGEMENT_ACCOUNT


def seed_zones(session: boto3.Session) -> dict[str, str]:
    """A zone with complete failover routing, one with a long-TTL CNAME, a private one."""
    r53 = session.client("route53", region_name=REGION)

    def zone(name: str, **extra: Any) -> str:
        return r53.create_hosted_zone(Name=name, CallerReference=name, **extra)["HostedZone"][
            "Id"].removeprefix("/hostedzone/")

    shop = zone("shop.example.com")
    check = r53.create_health_check(CallerReference="app", HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": "app.shop.example.com", "Port": 443,
        "ResourcePath": "/health"})["HealthCheck"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=shop, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "app.shop.example.com", "Type": "CNAME", "SetIdentifier": "primary",
            "Failover": "PRIMARY", "TTL": 60, "HealthCheckId": check,
            "ResourceRecords": [{"Value": "main.d1.amplifyapp.com"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "app.shop.example.com", "Type": "CNAME", "SetIdentifier": "recovery",
            "Failover": "SECONDARY", "TTL": 60,
            "ResourceRecords": [{"Value": "main.d2.amplifyapp.com"}]}}]})
    legacy = zone("legacy.example.com")
    r53.change_resource_record_sets(HostedZoneId=legacy, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www.legacy.example.com", "Type": "CNAME", "TTL": 3600,
            "ResourceRecords": [{"Value": "lb.example.net"}]}}]})
    vpc = session.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]
    internal = zone("internal.example", VPC={"VPCRegion": REGION, "VPCId": vpc["VpcId"]},
                    HostedZoneConfig={"PrivateZone": True, "Comment": "vpc only"})
    return {"shop": shop, "legacy": legacy, "internal": internal, "check": check}


def seed(session: boto3.Session) -> dict[str, str]:
    estate.create_table(session, REGION, "orders", pitr=True, backup=True,
                        autoscaling=("read", "write"), deletion_protection=True)
    estate.create_alarm(session, REGION, "orders-throttled", namespace="AWS/DynamoDB",
                        metric="ThrottledRequests", dimensions={"TableName": "orders"})
    estate.create_table(session, REGION, "carts", on_demand=True)  # no PITR, no backup
    estate.create_table(session, REGION, "inventory", on_demand=True, pitr=True,
                        deletion_protection=True)
    estate.create_table(session, REGION, "ledger", on_demand=True, backup=True,
                        deletion_protection=True)
    estate.create_bucket(session, REGION, "shop-assets", versioning="Enabled")
    estate.create_bucket(session, REGION, "shop-uploads", versioning="Suspended")
    estate.create_bucket(session, REGION, "shop-logs")
    return seed_zones(session)


def write_config(tmp_path: Path, **drill_section: Any) -> Path:
    config: dict[str, Any] = {"regions": [REGION], "accounts": [
        {"id": ACCOUNT, "name": "shop-prod", "environment": "prod"}],
        # A disaster-recovery policy moto cannot answer (it has no Amplify): its own tests
        # stub the calls; on moto it would be an "unknown" precondition in every drill here.
        "policies": {"amplify-redeployable-job": {"enabled": False}}}
    if drill_section:
        config["drill"] = drill_section
    path = tmp_path / "preflight.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def moto_times(session: boto3.Session, table: str) -> dict[str, Any]:
    """What moto itself says about a table's restore points."""
    ddb = session.client("dynamodb", region_name=REGION)
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    backups = ddb.list_backups(TableName=table)["BackupSummaries"]
    newest = max(backups, key=lambda b: b["BackupCreationDateTime"], default=None)
    return {
        "pitr": pitr["PointInTimeRecoveryStatus"],
        "earliest": pitr.get("EarliestRestorableDateTime"),
        "latest": pitr.get("LatestRestorableDateTime"),
        "backup_at": newest and newest["BackupCreationDateTime"].astimezone(UTC),
        "backup_arn": newest and newest["BackupArn"],
    }


def valid(document: dict[str, Any]) -> dict[str, Any]:
    errors = list(Draft202012Validator(schema(), format_checker=FormatChecker())
                  .iter_errors(document))
    assert errors == [], [e.message for e in errors[:3]]
    return document


def by_step(document: dict[str, Any]) -> dict[str, Any]:
    return {s["id"]: {(r["resource"]["name"]): r["status"] for r in s["resources"]}
            for s in document["steps"]}


@pytest.fixture(scope="module")
def drilled(moto_endpoint, fault_proxy, tmp_path_factory):
    """One drill of the estate, shared by the tests that read it (a drill costs seconds)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset",
                                                  method="POST"), timeout=30).read()
    fault_proxy.reset()
    with pytest.MonkeyPatch.context() as env:
        for key, value in FAKE_CREDENTIALS.items():
            env.setenv(key, value)
        env.setenv("AWS_ENDPOINT_URL", fault_proxy.endpoint)
        env.setenv("AWS_CONFIG_FILE", "/dev/null")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        env.delenv("AWS_PROFILE", raising=False)
        session = boto3.Session(region_name=REGION)
        ids = seed(session)
        times = {name: moto_times(session, name) for name in ("orders", "inventory", "ledger")}
        clock = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=90)
        tmp_path = tmp_path_factory.mktemp("drill")
        config = write_config(tmp_path, target=50, rto_minutes=240, rpo_minutes=120)
        out = tmp_path / "out"
        document, result = drill(str(config), [], [], out, clock=lambda: clock, echo=False)
    return document, result, clock, out, ids, times


def test_readiness_per_step_is_exact(drilled):
    document, _, _, out, ids, _ = drilled
    assert json.loads((out / "drill.json").read_text()) == valid(document)
    assert by_step(document) == {
        "restore-tables": {"carts": "not-ready", "inventory": "not-ready",
                           "ledger": "not-ready", "orders": "ready"},
        "restore-objects": {"shop-assets": "ready", "shop-logs": "not-ready",
                            "shop-uploads": "not-ready"},
        "redeploy": {},
        "fail-over-dns": {"internal.example": "ready", "legacy.example.com": "not-ready",
                          "shop.example.com": "ready"},
        "verify": {"carts": "not-ready", "inventory": "not-ready", "ledger": "not-ready",
                   "orders": "ready"},
        "other-preconditions": {"carts": "not-ready", "inventory": "ready", "ledger": "ready",
                                "orders": "ready"},
    }
    steps = {s["id"]: s for s in document["steps"]}
    assert {k: s["status"] for k, s in steps.items()} == {
        "restore-tables": "not-ready", "restore-objects": "not-ready",
        "redeploy": "not-observable", "fail-over-dns": "not-ready", "verify": "not-ready",
        "other-preconditions": "not-ready"}
    assert steps["redeploy"]["why_not"].startswith("Not observable by Preflight: verify by hand")
    assert steps["restore-tables"]["policies"] == [
        "dynamodb-pitr-enabled", "dynamodb-recent-backup", "dynamodb-recovery-point"]
    assert steps["fail-over-dns"]["policies"] == ["route53-failover-ready"]
    # The precondition that blocks each resource, by policy.
    blocked = {r["resource"]["name"]: [b["policy_id"] for b in r["blocking"]]
               for r in steps["restore-tables"]["resources"]}
    assert blocked == {
        "carts": ["dynamodb-pitr-enabled", "dynamodb-recent-backup", "dynamodb-recovery-point"],
        "inventory": ["dynamodb-recent-backup"], "ledger": ["dynamodb-pitr-enabled"],
        "orders": []}
    legacy = next(r for r in steps["fail-over-dns"]["resources"]
                  if r["resource"]["id"] == ids["legacy"])
    assert "a CNAME's TTL is 3600 s" in legacy["blocking"][0]["message"]


def test_recovery_points_are_exact_against_the_scan_clock(drilled):
    document, _, clock, _, _, times = drilled
    points = {t["resource"]["name"]: t for t in document["recovery_points"]["tables"]}

    def age(when: datetime) -> float:
        return round((clock - when.astimezone(UTC)).total_seconds(), 3)

    orders, inventory, ledger = (times[n] for n in ("orders", "inventory", "ledger"))
    assert points["orders"]["pitr"]["status"] == "ENABLED"
    assert points["orders"]["pitr"]["latest_restorable_time"] == \
        orders["latest"].astimezone(UTC).isoformat()
    assert points["orders"]["pitr"]["earliest_restorable_time"] == \
        orders["earliest"].astimezone(UTC).isoformat()
    assert points["orders"]["pitr"]["lag_seconds"] == age(orders["latest"])
    assert points["orders"]["latest_backup"]["arn"] == orders["backup_arn"]
    assert points["orders"]["latest_backup"]["age_seconds"] == age(orders["backup_at"])
    # The achievable RPO is the newer of the two restore points.
    expected = min(age(orders["latest"]), age(orders["backup_at"]))
    assert points["orders"]["rpo_seconds"] == expected
    assert points["orders"]["rpo_minutes"] == round(expected / 60, 1)
    assert points["inventory"]["rpo_seconds"] == age(inventory["latest"])
    assert (points["inventory"]["rpo_source"], points["inventory"]["latest_backup"]) == ("pitr", None)
    assert points["ledger"]["rpo_seconds"] == age(ledger["backup_at"])
    assert (points["ledger"]["rpo_source"], points["ledger"]["pitr"]["status"]) == (
        "backup", "DISABLED")
    assert points["carts"]["rpo_seconds"] is None and points["carts"]["restorable"] is False
    assert [points[n]["meets_rpo"] for n in ("orders", "inventory", "ledger", "carts")] == [
        True, True, True, False]  # ~90 minutes against a 120-minute objective
    worst = document["recovery_points"]["worst"]
    for row in (worst["overall"], *worst["accounts"], *worst["environments"]):
        # carts (and two buckets) have no restore point: that is the worst case, no number.
        assert (row["worst_case"], row["worst_table"], row["worst_rpo_seconds"]) == (
            "no-restore-point", None, None)
        assert row["tables_without_restore_point"] == ["carts"]
        assert row["tables_unknown"] == row["buckets_unknown"] == []
        assert row["unversioned_buckets"] == ["shop-logs", "shop-uploads"]
        assert row["meets_rpo"] is False  # carts has no restore point at all
    assert [(a["account_id"], a["environment"]) for a in worst["accounts"]] == [(ACCOUNT, "prod")]
    versioning = {b["resource"]["name"]: b["versioning"]
                  for b in document["recovery_points"]["buckets"]}
    assert versioning == {"shop-assets": "Enabled", "shop-logs": "Disabled",
                          "shop-uploads": "Suspended"}


def test_score_counts_each_check_once_against_the_target(drilled):
    document, result, _, _, _, _ = drilled
    # Per table: pitr, recent backup, recovery point, autoscaling, throttle alarm, deletion
    # protection (6 x 4 = 24); a bucket 1 (3); a zone 1 (3): 30 checks.
    statuses = [f.status.value for f in result.findings]
    assert len(statuses) == 30
    overall = document["score"]["overall"]
    # Passing: orders all 6; carts only autoscaling (on-demand needs none); inventory all but
    # the recent backup and the throttle alarm (4); ledger all but PITR and the throttle
    # alarm (4); one bucket; two zones (the failover one and the private one).
    passing = 6 + 1 + 4 + 4 + 1 + 2
    assert overall == {"score": passing, "possible": 30, "outstanding": 30 - passing,
                       "unreadable": 0, "waived": 0, "percent": 60.0, "target": 50,
                       "meets_target": True}
    assert statuses.count("pass") == passing
    [account] = document["score"]["accounts"]
    assert (account["account_id"], account["name"], account["score"], account["possible"]) == (
        ACCOUNT, "shop-prod", passing, 30)
    assert [(e["environment"], e["percent"]) for e in document["score"]["environments"]] == [
        ("prod", 60.0)]
    assert document["score"]["waivers"] == []


def test_the_checklist_fills_in_the_real_resources(drilled):
    document, _, _, out, ids, times = drilled
    sections = {s["step_id"]: s for s in document["checklist"]}
    assert list(sections) == ["restore-tables", "restore-objects", "redeploy", "fail-over-dns",
                              "verify", "other-preconditions", "cleanup"]

    def commands(step: str, name: str) -> list[str]:
        group = next(g for g in sections[step]["groups"]
                     if g["resource"] and g["resource"]["name"] == name)
        return [c["command"] for c in group["commands"]]

    arn = times["orders"]["backup_arn"]
    orders = commands("restore-tables", "orders")
    assert ("aws dynamodb restore-table-to-point-in-time --region us-east-1 --source-table-name "
            "orders --target-table-name orders-restored --use-latest-restorable-time") in orders
    assert ("aws dynamodb restore-table-from-backup --region us-east-1 --target-table-name "
            f"orders-backup-restored --backup-arn {arn}") in orders
    ledger = commands("restore-tables", "ledger")
    assert any(c.endswith("--target-table-name ledger-restored --backup-arn "
                          + times["ledger"]["backup_arn"]) for c in ledger)
    assert not any("restore-table-to-point-in-time" in c for c in ledger)
    carts = next(g for g in sections["restore-tables"]["groups"]
                 if g["resource"]["name"] == "carts")
    assert carts["note"].startswith("No restore point")
    assert not any("restore-table" in c["command"] for c in carts["commands"])
    assert any("update-continuous-backups" in c["command"] and "--table-name carts" in c["command"]
               for c in carts["commands"])
    assert any("list-object-versions --region us-east-1 --bucket shop-assets" in c
               for c in commands("restore-objects", "shop-assets"))
    shop = commands("fail-over-dns", "shop.example.com")
    assert any(f"--hosted-zone-id {ids['shop']}" in c and "--inverted" in c for c in shop)
    legacy = commands("fail-over-dns", "legacy.example.com")
    assert any('"Name": "www.legacy.example.com"' in c and f"--hosted-zone-id {ids['legacy']}"
               in c for c in legacy)
    assert not any(g["resource"] and g["resource"]["name"] == "internal.example"
                   for g in sections["fail-over-dns"]["groups"])
    assert "${RECOVERY_AMPLIFY_APP_ID}" in sections["redeploy"]["groups"][0]["commands"][2][
        "command"]
    assert commands("cleanup", "orders") == [
        "aws dynamodb delete-table --region us-east-1 --table-name orders-restored",
        "aws dynamodb delete-table --region us-east-1 --table-name orders-backup-restored"]
    signoff = document["signoff"]
    assert (signoff["rto_target_minutes"], signoff["rpo_target_minutes"]) == (240, 120)
    assert signoff["achievable_rpo_minutes"] == \
        document["recovery_points"]["worst"]["overall"]["worst_rpo_minutes"]
    html = (out / "drill.html").read_text()
    assert f"--backup-arn {arn}" in html and "orders-backup-restored" in html
    assert "Not observable by Preflight: verify by hand" in html
    md = (out / "drill.md").read_text()
    assert f"--backup-arn {arn}" in md and "## Sign-off" in md


def test_two_drills_a_quarter_apart_give_the_drift_and_the_chart(aws, tmp_path):
    session = boto3.Session(region_name=REGION)
    seed(session)
    db = tmp_path / "history.db"
    config = write_config(tmp_path, target=50)
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    first_clock = now - timedelta(days=92)  # the previous quarter's drill
    first, _ = drill(str(config), [], [], tmp_path / "q1", history=str(db),
                     clock=lambda: first_clock, echo=False)
    assert first["drift"] is None and first["drill"]["history_id"] == 1
    # A quarter of changes: inventory gets its backup, assets loses versioning, ledger is
    # deleted, payments is new.
    ddb = session.client("dynamodb", region_name=REGION)
    ddb.create_backup(TableName="inventory", BackupName="inventory-weekly")
    session.client("s3").put_bucket_versioning(Bucket="shop-assets",
                                               VersioningConfiguration={"Status": "Suspended"})
    ddb.update_table(TableName="ledger", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="ledger")
    estate.create_table(session, REGION, "payments", on_demand=True, pitr=True, backup=True,
                        deletion_protection=True)
    second, _ = drill(str(config), [], [], tmp_path / "q2", history=str(db), clock=lambda: now,
                      echo=False)
    valid(second)
    d = second["drift"]
    assert d["since"]["source"] == "history" and d["since"]["ref"] == "1"
    assert d["since"]["started_at"] == first_clock.isoformat()
    assert [(c["step_id"], c["resource"]["name"], c["before"], c["after"])
            for c in d["became_ready"]] == [("restore-tables", "inventory", "not-ready", "ready")]
    assert [(c["step_id"], c["resource"]["name"], c["before"], c["after"])
            for c in d["regressed"]] == [("restore-objects", "shop-assets", "ready", "not-ready")]
    assert d["changed"] == []
    assert [(c["resource"]["name"], c["steps"]) for c in d["new_resources"]] == [
        ("payments", ["other-preconditions", "restore-tables", "verify"])]
    assert [(c["resource"]["name"], c["steps"]) for c in d["removed_resources"]] == [
        ("ledger", ["other-preconditions", "restore-tables", "verify"])]
    assert d["since"]["score"]["score"] == first["score"]["overall"]["score"]
    # The same drift from the previous drill.json (--since) as from the history store.
    from_file = drift(second["steps"], first["steps"], {})
    assert {k: from_file[k] for k in ("became_ready", "regressed", "new_resources",
                                      "removed_resources")} == \
        {k: d[k] for k in ("became_ready", "regressed", "new_resources", "removed_resources")}
    # One bar per quarter: the recorded first drill, then this one.
    assert [(p["quarter"], p["percent"], p.get("current", False)) for p in second["history"]] == [
        (quarter(first_clock.isoformat()), first["score"]["overall"]["percent"], False),
        (quarter(now.isoformat()), second["score"]["overall"]["percent"], True)]
    assert quarter(first_clock.isoformat()) != quarter(now.isoformat())
    html = (tmp_path / "q2" / "drill.html").read_text()
    assert html.count('<rect class="bar') == 2
    with HistoryStore(db) as store:
        assert [(r.id, r.kind) for r in store.scans()] == [(1, "drill"), (2, "drill")]
        assert store.get(2).summary["steps"]["restore-objects"] == "not-ready"


def test_drill_cli_since_a_previous_report_and_its_exit_code(aws, tmp_path, capsys):
    session = boto3.Session(region_name=REGION)
    estate.create_table(session, REGION, "orders", pitr=True, backup=True)
    estate.create_bucket(session, REGION, "shop-assets", versioning="Enabled")
    estate.create_bucket(session, REGION, "shop-logs")
    config = write_config(tmp_path)
    args = ["drill", "--config", str(config), "--out", str(tmp_path / "a")]
    assert main([*args, "--target", "100"]) == 1  # no alarms, no autoscaling: below 100
    out = capsys.readouterr().out
    assert "restore-tables" in out and "target 100.0%: NOT met" in out
    assert str(tmp_path / "a" / "drill.html") in out
    first = json.loads((tmp_path / "a" / "drill.json").read_text())
    # A waiver takes the log bucket out of the score, with its reason.
    waivers = tmp_path / "waivers.yml"
    expires = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "logs", "policies": ["s3-versioning-enabled"], "resources": ["shop-logs"],
        "reason": "Access logs are re-creatable, INC-7", "owner": "platform@example.com",
        "expires": expires}]}))
    assert main([*args[:-1], str(tmp_path / "b"), "--target", "10", "--since",
                 str(tmp_path / "a" / "drill.json"), "--waivers", str(waivers)]) == 0
    second = json.loads((tmp_path / "b" / "drill.json").read_text())
    assert second["drift"]["since"]["source"] == "file"
    assert second["drift"]["since"]["ref"] == str(tmp_path / "a" / "drill.json")
    assert second["drift"]["became_ready"] == second["drift"]["regressed"] == []
    assert [(c["resource"]["name"], c["before"], c["after"]) for c in second["drift"]["changed"]] \
        == [("shop-logs", "not-ready", "waived")]
    before, after = first["score"]["overall"], second["score"]["overall"]
    assert (after["waived"], after["possible"], after["score"]) == (
        1, before["possible"] - 1, before["score"])
    assert [(w["resource"]["name"], w["reason"]) for w in second["score"]["waivers"]] == [
        ("shop-logs", "Access logs are re-creatable, INC-7")]
    assert "Access logs are re-creatable, INC-7" in (tmp_path / "b" / "drill.html").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "something else"}')
    assert main([*args, "--since", str(bad)]) == 2
    assert "not a valid drill.json" in capsys.readouterr().err

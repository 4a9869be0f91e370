"""aws.route53.hosted_zone on moto, and route53-failover-ready: the DNS step of the drill.

Zones are global: listed once per account whatever the regions; each zone's records cost one
ListResourceRecordSets, and the account's health checks one ListHealthChecks, however many
zones join them."""

from __future__ import annotations

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.models import Status

from tests.support import by_name, write_probe

TYPE = "aws.route53.hosted_zone"
POLICY = "route53-failover-ready"


def zone(r53, name: str, records: list[dict], **extra) -> str:
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=name, **extra)["HostedZone"][
        "Id"].removeprefix("/hostedzone/")
    if records:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": r} for r in records]})
    return zone_id


def failover(name: str, role: str, ttl: int = 60, check: str | None = None) -> dict:
    record = {"Name": name, "Type": "CNAME", "SetIdentifier": role.lower(), "Failover": role,
              "TTL": ttl, "ResourceRecords": [{"Value": f"{role.lower()}.example.net"}]}
    if check:
        record["HealthCheckId"] = check
    return record


def seed(session: boto3.Session) -> tuple[dict[str, str], str]:
    r53 = session.client("route53", region_name="us-east-1")

    def health_check(ref: str, disabled: bool = False) -> str:
        return r53.create_health_check(CallerReference=ref, HealthCheckConfig={
            "Type": "HTTPS", "FullyQualifiedDomainName": f"{ref}.example.com", "Port": 443,
            "ResourcePath": "/health", "Disabled": disabled})["HealthCheck"]["Id"]

    good, off = health_check("good"), health_check("off", disabled=True)
    vpc = session.client("ec2", region_name="us-east-1").create_vpc(
        CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ids = {
        "ready.example.com": zone(r53, "ready.example.com", [
            failover("app.ready.example.com", "PRIMARY", check=good),
            failover("app.ready.example.com", "SECONDARY")]),
        "nosecondary.example.com": zone(r53, "nosecondary.example.com", [
            failover("app.nosecondary.example.com", "PRIMARY", check=good)]),
        "unchecked.example.com": zone(r53, "unchecked.example.com", [
            failover("app.unchecked.example.com", "PRIMARY"),
            failover("app.unchecked.example.com", "SECONDARY")]),
        "disabled.example.com": zone(r53, "disabled.example.com", [
            failover("app.disabled.example.com", "PRIMARY", check=off),
            failover("app.disabled.example.com", "SECONDARY")]),
        "slow.example.com": zone(r53, "slow.example.com", [
            failover("app.slow.example.com", "PRIMARY", ttl=3600, check=good),
            failover("app.slow.example.com", "SECONDARY", ttl=3600)]),
        "manual.example.com": zone(r53, "manual.example.com", [
            {"Name": "www.manual.example.com", "Type": "CNAME", "TTL": 60,
             "ResourceRecords": [{"Value": "lb.example.net"}]}]),
        "empty.example.com": zone(r53, "empty.example.com", []),
        "internal.example": zone(r53, "internal.example", [], VPC={
            "VPCRegion": "us-east-1", "VPCId": vpc}, HostedZoneConfig={"PrivateZone": True}),
    }
    return ids, good


def test_failover_readiness_of_each_kind_of_zone(aws, scan):
    ids, _ = seed(boto3.Session())
    result = scan({"regions": ["us-east-1"]}, policies=[POLICY])
    found = by_name(result, POLICY)
    assert {name: f.status for name, f in found.items()} == {
        "ready.example.com": Status.PASS,
        "nosecondary.example.com": Status.FAIL,
        "unchecked.example.com": Status.FAIL,
        "disabled.example.com": Status.FAIL,
        "slow.example.com": Status.FAIL,
        "manual.example.com": Status.PASS,
        "empty.example.com": Status.FAIL,
        "internal.example": Status.PASS,
    }
    assert {f.resource.id for f in found.values()} == set(ids.values())
    assert "failover records without a secondary: app.nosecondary.example.com" in \
        found["nosecondary.example.com"].message
    assert "failover records whose primary has no health check: app.unchecked.example.com" \
        in found["unchecked.example.com"].message
    assert "failover records whose health check is disabled: app.disabled.example.com" in \
        found["disabled.example.com"].message
    assert "TTL is 3600 s" in found["slow.example.com"].message
    assert found["ready.example.com"].evidence["failover[].name"] == ["app.ready.example.com"]
    assert found["manual.example.com"].evidence["records[?type == 'CNAME'].name"] == [
        "www.manual.example.com"]
    assert found["ready.example.com"].resource.arn == \
        f"arn:aws:route53:::hostedzone/{ids['ready.example.com']}"
    commands = found["empty.example.com"].remediation
    assert any(f"--hosted-zone-id {ids['empty.example.com']}" in c for c in commands)


def test_zone_attributes_and_what_they_cost(aws, scan, tmp_path):
    _, good = seed(boto3.Session())
    probe = write_probe(tmp_path, "probe-zones", TYPE, {"all": [
        {"attribute": "failover", "exists": True}, {"attribute": "records", "exists": True},
        {"attribute": "private", "equals": False}, {"attribute": "record_count", "gte": 0}]})
    sessions = Sessions()
    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policy_paths=[probe],
                  sessions=sessions)
    found = by_name(result, "probe-zones")
    assert len(found) == 8  # each zone once, though two regions were scanned
    ready = found["ready.example.com"].evidence["failover"]
    assert ready == [{
        "name": "app.ready.example.com", "type": "CNAME", "ttl": 60,
        "primary": "primary", "secondary": "secondary",
        "primary_target": "primary.example.net", "secondary_target": "secondary.example.net",
        "health_check_id": good,
        "health_check": {"id": good, "type": "HTTPS", "fqdn": "good.example.com",
                         "disabled": False, "inverted": False}}]
    records = found["manual.example.com"].evidence["records"]
    assert {(r["name"], r["type"], r["ttl"]) for r in records} >= {
        ("www.manual.example.com", "CNAME", 60)}
    assert found["internal.example"].evidence["private"] is True
    assert found["internal.example"].status is Status.FAIL  # private = false expected
    calls = sessions.call_log.counts
    assert calls["route53:ListHostedZones"] == 1
    assert calls["route53:ListResourceRecordSets"] == 8
    assert calls["route53:ListHealthChecks"] == 1

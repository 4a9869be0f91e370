"""Route 53 hosted zones with failover routing."""

from __future__ import annotations

import boto3


def create_failover_zone(session: boto3.Session, zone: str, hostname: str, *, primary: str,
                         secondary: str | None, ttl: int = 60) -> str:
    """A public hosted zone where ``hostname`` fails over (Route 53 failover routing) from a
    health-checked ``primary`` to ``secondary``; without a secondary the pair is incomplete."""
    r53 = session.client("route53", region_name="us-east-1")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    check = r53.create_health_check(CallerReference=hostname, HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": hostname, "Port": 443,
        "ResourcePath": "/health"})["HealthCheck"]["Id"]
    records = [{"Name": hostname, "Type": "CNAME", "SetIdentifier": "primary",
                "Failover": "PRIMARY", "TTL": ttl, "HealthCheckId": check,
                "ResourceRecords": [{"Value": primary}]}]
    if secondary:
        records.append({"Name": hostname, "Type": "CNAME", "SetIdentifier": "recovery",
                        "Failover": "SECONDARY", "TTL": ttl,
                        "ResourceRecords": [{"Value": secondary}]})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": r} for r in records]})
    return str(zone_id.removeprefix("/hostedzone/"))

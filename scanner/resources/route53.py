"""Route 53 hosted zones: the records the disaster-recovery runbook switches, failover routing
and its health checks.

Hosted zones are global: listed once per account (ListHostedZones, in the first scanned
region). A zone's records cost one paginated ListResourceRecordSets each, and only when a
policy reads them; the account's health checks are listed once (ListHealthChecks) however
many zones join them.
"""

from __future__ import annotations

from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import engine
from .spec import (
    TAGS_ATTRIBUTE,
    Attribute,
    Call,
    CustomDetail,
    Detail,
    Document,
    Field,
    Get,
    Listing,
    ResourceType,
    boolean,
    tag_list,
)

TYPE = "aws.route53.hosted_zone"

LIST_RECORD_SETS = Call("route53", "ListResourceRecordSets", "ResourceRecordSets",
                        page_size=300)
LIST_HEALTH_CHECKS = Call("route53", "ListHealthChecks", "HealthChecks", page_size=100,
                          shared="route53:health_checks")


def _zone_id(value: str) -> str:
    return value.removeprefix("/hostedzone/")


def _bare(name: str) -> str:
    """Route 53 answers with fully qualified names ("app.example.com."); show them bare.
    It also escapes some characters as octal ("\\052" for "*")."""
    name = name[:-1] if name.endswith(".") else name
    return name.replace("\\052", "*")


def _health_checks(ctx: RegionContext) -> dict[str, dict[str, Any]]:
    checks = engine.items(ctx, LIST_HEALTH_CHECKS)
    found = {}
    for check in checks:
        config = check.get("HealthCheckConfig", {})
        found[check["Id"]] = {
            "id": check["Id"],
            "type": config.get("Type"),
            "fqdn": config.get("FullyQualifiedDomainName"),
            "disabled": bool(config.get("Disabled", False)),
            "inverted": bool(config.get("Inverted", False)),
        }
    return found


def _target(record: dict[str, Any]) -> str | None:
    alias = record.get("AliasTarget")
    if alias:
        return _bare(alias.get("DNSName", ""))
    values = [r.get("Value", "") for r in record.get("ResourceRecords", [])]
    return ", ".join(values) if values else None


def _records(ctx: RegionContext, zone: Resource) -> Document:
    raw = engine.items(ctx, LIST_RECORD_SETS, HostedZoneId=zone.id)
    checks = ctx.shared(LIST_HEALTH_CHECKS.shared or "", lambda: _health_checks(ctx))
    records = [{
        "name": _bare(r["Name"]),
        "type": r["Type"],
        "ttl": r.get("TTL"),
        "set_identifier": r.get("SetIdentifier"),
        "failover": r.get("Failover"),
        "health_check_id": r.get("HealthCheckId"),
        "alias": bool(r.get("AliasTarget")),
        "target": _target(r),
    } for r in raw]
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record["failover"] not in ("PRIMARY", "SECONDARY"):
            continue
        entry = pairs.setdefault((record["name"], record["type"]), {
            "name": record["name"], "type": record["type"], "ttl": None,
            "primary": None, "secondary": None, "primary_target": None,
            "secondary_target": None, "health_check_id": None, "health_check": None,
        })
        if record["ttl"] is not None:
            entry["ttl"] = max(entry["ttl"] or 0, record["ttl"])
        role = record["failover"].lower()
        entry[role] = record["set_identifier"]
        entry[f"{role}_target"] = record["target"]
        if role == "primary":
            entry["health_check_id"] = record["health_check_id"]
            entry["health_check"] = checks.get(record["health_check_id"] or "")
    return {"records": records, "failover": [pairs[k] for k in sorted(pairs)]}


RESOURCE = ResourceType(
    name=TYPE,
    description="A Route 53 hosted zone (global: listed once per account)",
    listing=Listing(
        Call("route53", "ListHostedZones", "HostedZones", page_size=100),
        id=Get("Id", convert=_zone_id), name=Get("Name", convert=_bare),
        arn="arn:{partition}:route53:::hostedzone/{id}",
        fields=(
            Field(Attribute("private", "Whether the zone is private (serves VPCs, not the "
                            "internet)", False), Get("Config.PrivateZone", False, boolean)),
            Field(Attribute("record_count", "How many record sets the zone holds", 12,
                            "number of record sets"), Get("ResourceRecordSetCount")),
        ),
    ),
    per_account=True,
    details=(
        CustomDetail(
            "records", (LIST_RECORD_SETS, LIST_HEALTH_CHECKS),
            (
                Attribute("records", "Record sets: [{name, type, ttl (null for an alias), "
                          "set_identifier, failover: PRIMARY|SECONDARY|null, health_check_id, "
                          "alias, target}] (ListHealthChecks once per account)",
                          [{"name": "app.example.com", "type": "CNAME", "ttl": 60,
                            "set_identifier": None, "failover": None, "health_check_id": None,
                            "alias": False, "target": "main.d1.amplifyapp.com"}]),
                Attribute("failover", "Failover routing, one entry per name and type: {name, "
                          "type, ttl, primary, secondary (set identifiers or null), "
                          "primary_target, secondary_target, health_check_id, health_check: "
                          "the primary's {id, type, fqdn, disabled, inverted}, null when it "
                          "has none or it does not exist}",
                          [{"name": "app.example.com", "type": "CNAME", "ttl": 60,
                            "primary": "primary", "secondary": "recovery",
                            "primary_target": "main.d1.amplifyapp.com",
                            "secondary_target": "main.d2.amplifyapp.com",
                            "health_check_id": "abc",
                            "health_check": {"id": "abc", "type": "HTTPS",
                                             "fqdn": "app.example.com", "disabled": False,
                                             "inverted": False}}]),
            ),
            fetch_one=_records,
        ),
        Detail(
            "tags",
            Call("route53", "ListTagsForResource", "ResourceTagSet",
                 {"ResourceType": "hostedzone"}),
            {"ResourceId": "id"},
            (Field(TAGS_ATTRIBUTE, Get("Tags", convert=tag_list)),),
        ),
    ),
    cloudformation=("AWS::Route53::HostedZone",),
    terraform=("aws_route53_zone",),
)

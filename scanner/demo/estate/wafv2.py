"""AWS WAF (v2): web ACLs, IP sets and the rules that block them, and a web ACL's
association with a REST API stage."""

from __future__ import annotations

from typing import Any

import boto3

from .tagging import tag_list


def attach_web_acl(session: boto3.Session, region: str, api_id: str, stage: str) -> str:
    """A regional web ACL associated with a REST API stage."""
    waf = session.client("wafv2", region_name=region)
    acl = waf.create_web_acl(
        Name=f"{api_id}-{stage}-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                          "MetricName": f"{api_id}-{stage}"},
    )["Summary"]["ARN"]
    waf.associate_web_acl(
        WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}")
    return str(acl)


def create_ip_set(session: boto3.Session, region: str, name: str) -> str:
    """A regional WAF IP set (empty): what a block-an-address runbook step updates."""
    return str(session.client("wafv2", region_name=region).create_ip_set(
        Name=name, Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])["Summary"]["Id"])


def _ip_block_rule(ip_set_arn: str, priority: int = 0) -> dict[str, Any]:
    return {"Name": "blocked-addresses", "Priority": priority, "Action": {"Block": {}},
            "Statement": {"IPSetReferenceStatement": {"ARN": ip_set_arn}},
            "VisibilityConfig": {"SampledRequestsEnabled": True,
                                 "CloudWatchMetricsEnabled": True,
                                 "MetricName": "blocked-addresses"}}


def block_addresses(session: boto3.Session, region: str, acl_arn: str) -> str:
    """Give an existing web ACL an IP set and a rule that blocks it; the set's ARN."""
    waf = session.client("wafv2", region_name=region)
    acl_id, acl_name, scope = acl_arn.rsplit("/", 1)[1], acl_arn.split("/")[-2], "REGIONAL"
    ip_set = waf.create_ip_set(Name=f"{acl_name}-blocked", Scope=scope,
                               IPAddressVersion="IPV4", Addresses=[])["Summary"]["ARN"]
    current = waf.get_web_acl(Name=acl_name, Scope=scope, Id=acl_id)
    acl = current["WebACL"]
    waf.update_web_acl(Name=acl_name, Scope=scope, Id=acl_id, LockToken=current["LockToken"],
                       DefaultAction=acl["DefaultAction"],
                       VisibilityConfig=acl["VisibilityConfig"],
                       Rules=[*acl.get("Rules", []), _ip_block_rule(ip_set)])
    return str(ip_set)


def create_web_acl(session: boto3.Session, name: str, *, scope: str = "REGIONAL",
                   region: str = "us-east-1", block_ip_set: bool = False,
                   tags: dict[str, str] | None = None) -> str:
    """A web ACL, not associated; CLOUDFRONT scope lives in us-east-1. ``block_ip_set``:
    with an IP set and a rule that blocks it. Otherwise a rate-based rule only."""
    waf = session.client("wafv2", region_name=region)
    rules: list[dict[str, Any]] = [{
        "Name": "rate-limit", "Priority": 1, "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                             "MetricName": "rate-limit"}}]
    if block_ip_set:
        ip_set = waf.create_ip_set(Name=f"{name}-blocked", Scope=scope, IPAddressVersion="IPV4",
                                   Addresses=[])["Summary"]["ARN"]
        rules.append(_ip_block_rule(ip_set))
    params: dict[str, Any] = {
        "Name": name, "Scope": scope, "DefaultAction": {"Allow": {}}, "Rules": rules,
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                             "MetricName": name}}
    if tags:
        params["Tags"] = tag_list(tags)
    return str(waf.create_web_acl(**params)["Summary"]["ARN"])

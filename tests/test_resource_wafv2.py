"""aws.wafv2.web_acl on moto: both scopes listed, IP-set block rules read from GetWebACL."""

from __future__ import annotations

from typing import Any

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Status
from preflight_scanner.resources.wafv2 import ip_block_rules

from tests.faultproxy import Fault
from tests.support import by_name

ACCOUNT = estate.MANAGEMENT_ACCOUNT
POLICY = "wafv2-ip-block-rule"
PROD = {"Environment": "prod"}
VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
              "MetricName": "m"}


def _rule(name: str, statement: dict[str, Any], action: str = "Block") -> dict[str, Any]:
    return {"Name": name, "Priority": len(name), "Action": {action: {}},
            "Statement": statement, "VisibilityConfig": VISIBILITY}


def _acl(name: str, rules: list[dict[str, Any]], region: str = "us-east-1") -> str:
    return str(boto3.client("wafv2", region_name=region).create_web_acl(
        Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules,
        VisibilityConfig=VISIBILITY, Tags=[{"Key": "Environment", "Value": "prod"}],
    )["Summary"]["ARN"])


def _ip_set(name: str, region: str = "us-east-1") -> str:
    return str(boto3.client("wafv2", region_name=region).create_ip_set(
        Name=name, Scope="REGIONAL", IPAddressVersion="IPV4",
        Addresses=["192.0.2.0/24"])["Summary"]["ARN"])


def test_block_rules_over_an_ip_set_in_both_scopes(aws, scan):
    session = boto3.Session()
    blocked = _ip_set("blocked")
    listed = {"IPSetReferenceStatement": {"ARN": blocked}}
    _acl("direct", [_rule("block-listed", listed)])
    _acl("either", [_rule("block-any", {"OrStatement": {"Statements": [
        {"GeoMatchStatement": {"CountryCodes": ["AQ"]}}, listed]}})])
    _acl("counting", [_rule("count-listed", listed, action="Count")])
    _acl("inverted", [_rule("allow-list", {"NotStatement": {"Statement": listed}})])
    estate.create_web_acl(session, "cdn", scope="CLOUDFRONT", block_ip_set=True, tags=PROD)
    estate.create_web_acl(session, "cdn-rate-only", scope="CLOUDFRONT", tags=PROD)
    _acl("west", [_rule("block-listed", {"IPSetReferenceStatement": {
        "ARN": _ip_set("west-blocked", "eu-west-1")}})], region="eu-west-1")
    sessions = Sessions()

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=[POLICY], sessions=sessions)

    assert not result.errors
    acls = by_name(result, POLICY)
    assert {n: f.status for n, f in acls.items()} == {
        "direct": Status.PASS, "either": Status.PASS, "counting": Status.FAIL,
        "inverted": Status.FAIL, "cdn": Status.PASS, "cdn-rate-only": Status.FAIL,
        "west": Status.PASS}
    assert acls["direct"].evidence["ip_block_rules"] == [
        {"name": "block-listed", "priority": 12, "ip_set_arn": blocked}]
    assert acls["direct"].message == f"rule block-listed blocks the addresses of {blocked}"
    assert "nowhere to add an attacker's address" in acls["counting"].message
    # CLOUDFRONT-scope ACLs are answered in us-east-1 only, and carry that region.
    cdn = acls["cdn"].resource
    assert (cdn.region, cdn.environment) == ("us-east-1", "prod")
    assert cdn.arn.startswith(f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/cdn/")
    assert acls["west"].resource.region == "eu-west-1"
    counts = sessions.call_log.counts
    # REGIONAL in each region, CLOUDFRONT once (us-east-1); one GetWebACL and one
    # ListTagsForResource (the environment tag) per ACL.
    assert counts["wafv2:ListWebACLs"] == 3
    assert counts["wafv2:GetWebACL"] == counts["wafv2:ListTagsForResource"] == 7


def test_a_web_acl_whose_rules_cannot_be_read_is_an_error_never_a_pass(aws, scan):
    estate.create_web_acl(boto3.Session(), "edge", block_ip_set=True, tags=PROD)
    aws.faults.append(Fault(service="wafv2", operation="GetWebACL"))

    result = scan({"regions": ["us-east-1"]}, policies=[POLICY])

    assert aws.faults[0].hits
    [finding] = result.findings
    assert (finding.resource.name, finding.status) == ("edge", Status.ERROR)
    assert "GetWebACL" in finding.message


def test_a_failed_cloudfront_listing_is_a_gap_not_an_empty_list(aws, scan):
    estate.create_web_acl(boto3.Session(), "cdn", scope="CLOUDFRONT", block_ip_set=True)
    aws.faults.append(Fault(service="wafv2", operation="ListWebACLs", body="CLOUDFRONT"))

    result = scan({"regions": ["us-east-1"], "accounts": [{"id": ACCOUNT,
                                                           "environment": "prod"}]},
                  policies=[POLICY])

    assert aws.faults[0].hits
    assert [(f.resource.id, f.status) for f in result.findings] == [("*", Status.ERROR)]


def test_only_a_block_action_over_a_whole_ip_set_counts():
    listed = {"IPSetReferenceStatement": {"ARN": "arn:set"}}
    nested: dict[str, Any] = listed
    for _ in range(50):  # deeper than any real ACL: bounded, not a recursion error
        nested = {"OrStatement": {"Statements": [nested]}}
    rules = [
        {"Name": "and", "Action": {"Block": {}},
         "Statement": {"AndStatement": {"Statements": [listed, listed]}}},
        {"Name": "group", "OverrideAction": {"None": {}}, "Statement": listed},
        {"Name": "deep", "Action": {"Block": {}}, "Statement": nested},
        {"Name": "captcha", "Action": {"Captcha": {}}, "Statement": listed},
        "not a rule",
    ]
    assert ip_block_rules(rules) == []
    assert ip_block_rules(None) == []
    assert ip_block_rules([{"Name": "ok", "Priority": 3, "Action": {"Block": {}},
                            "Statement": listed}]) == [
        {"name": "ok", "priority": 3, "ip_set_arn": "arn:set"}]

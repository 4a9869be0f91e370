"""A REST stage's web ACL on moto: the stage names its ACL (GetStages' webAclArn), the join
reads that ACL's IP-set block rules, one GetWebACL per distinct ACL, fail-closed per stage."""

from __future__ import annotations

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.faultproxy import Fault
from tests.support import by_name

ACCOUNT = estate.MANAGEMENT_ACCOUNT
POLICY = "apigateway-waf-blocks-addresses"
CONFIG = {"regions": ["us-east-1"], "accounts": [{"id": ACCOUNT, "environment": "prod"}]}


def _estate() -> None:
    session = boto3.Session()
    api = estate.create_rest_api(session, "us-east-1", "orders-api",
                                 [estate.Stage("prod"), estate.Stage("canary"),
                                  estate.Stage("beta")])
    acl = estate.attach_web_acl(session, "us-east-1", api, "prod")
    estate.block_addresses(session, "us-east-1", acl)
    # canary shares prod's ACL; beta has one without an IP-set rule.
    boto3.client("wafv2", region_name="us-east-1").associate_web_acl(
        WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/canary")
    estate.attach_web_acl(session, "us-east-1", api, "beta")
    estate.create_rest_api(session, "us-east-1", "admin-api", [estate.Stage("prod")])


def test_each_stage_joins_its_web_acl_once_per_acl(aws, scan):
    _estate()
    sessions = Sessions()

    result = scan(CONFIG, policies=[POLICY], sessions=sessions)

    assert not result.errors
    stages = by_name(result, POLICY)
    assert {n: f.status for n, f in stages.items()} == {
        "orders-api/prod": Status.PASS, "orders-api/canary": Status.PASS,
        "orders-api/beta": Status.FAIL, "admin-api/prod": Status.FAIL}
    assert stages["orders-api/prod"].message.startswith("its web ACL ")
    assert "has no rule that blocks the addresses of an IP set" in \
        stages["orders-api/beta"].message
    assert stages["admin-api/prod"].message == \
        "no web ACL is attached, so no rule can block an address in front of this stage"
    joined = stages["orders-api/canary"].evidence["web_acl.ip_block_rules"]
    assert [rule["name"] for rule in joined] == ["blocked-addresses"]
    # Two distinct ACLs, two calls: the shared one is read once; no call for admin-api.
    assert sessions.call_log.counts["wafv2:GetWebACL"] == 2


def test_an_acl_that_cannot_be_read_makes_only_its_stages_errors(aws, scan):
    _estate()
    aws.faults.append(Fault(service="wafv2", operation="GetWebACL", body="-beta-acl"))

    result = scan(CONFIG, policies=[POLICY])

    assert aws.faults[0].hits
    stages = by_name(result, POLICY)
    assert {n: f.status for n, f in stages.items()} == {
        "orders-api/prod": Status.PASS, "orders-api/canary": Status.PASS,
        "orders-api/beta": Status.ERROR, "admin-api/prod": Status.FAIL}
    assert "GetWebACL" in stages["orders-api/beta"].message

"""The demo estate's secrets and web ACLs: each new policy passes and fails where the
estate says it should (the demo's totals are asserted in test_demo.py)."""

from __future__ import annotations

from preflight_scanner.models import Status

from tests.support import statuses

POLICIES = ["secretsmanager-rotation-enabled", "secretsmanager-rotated-recently",
            "wafv2-ip-block-rule", "apigateway-waf-blocks-addresses"]


def test_the_demo_secrets_and_web_acls_pass_and_fail_on_purpose(demo_scan):
    result = demo_scan.result  # the worker's one scan of the demo estate by the whole pack

    assert not result.errors
    for policy in POLICIES[:2]:
        assert statuses(result, policy) == {"shop/orders-db": Status.PASS,
                                            "shop/payments-api-key": Status.FAIL}
    acls = statuses(result, "wafv2-ip-block-rule")
    # The stage's regional ACL got an IP set and a Block rule; the CloudFront one has a
    # rate limit only.
    assert {name.endswith("-prod-acl") for name in acls} == {True, False}
    assert {s for n, s in acls.items() if n.endswith("-prod-acl")} == {Status.PASS}
    assert acls["shop-cdn"] is Status.FAIL
    # The ACL in front of the demo's logged CloudFront distribution blocks no IP set either.
    assert acls["shop-web-edge"] is Status.FAIL
    assert len(acls) == 3
    # Only the orders API's prod stage is behind that ACL; canary and checkout have none.
    assert statuses(result, "apigateway-waf-blocks-addresses") == {
        "orders-api/prod": Status.PASS, "orders-api/canary": Status.FAIL,
        "checkout-api/prod": Status.FAIL}

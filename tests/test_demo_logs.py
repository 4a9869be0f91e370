"""The demo estate's log groups, API Gateway account settings and Lambda Insights: each
policy of them passes and fails on the resources the demo seeds for it."""

from __future__ import annotations

from preflight_scanner.models import Status

POLICIES = ["logs-retention-set", "apigateway-account-logging-role",
            "apigateway-execution-log-group", "lambda-log-group-exists",
            "lambda-insights-enabled"]


def test_the_demo_seeds_a_pass_and_a_fail_for_each_log_policy(demo_aws, demo_scan):
    names = {a["id"]: a["name"] for a in demo_aws.config["accounts"]}
    result = demo_scan.result  # the worker's one scan of the demo estate by the whole pack

    found = {(f.policy_id, names[f.resource.account_id], f.resource.region, f.resource.name):
             f.status for f in result.findings if f.policy_id in POLICIES}
    assert Status.ERROR not in found.values()
    fail, ok = Status.FAIL, Status.PASS
    logs = {k[3]: v for k, v in found.items() if k[0] == "logs-retention-set"}
    assert logs == {"/aws/lambda/orders-handler": ok, "/aws/lambda/checkout-handler": fail,
                    next(n for n in logs if n.startswith("API-Gateway-Execution-Logs_")): ok}
    role = {(k[1], k[2]): v for k, v in found.items()
            if k[0] == "apigateway-account-logging-role"}
    assert role[("shop-prod", "us-east-1")] is fail  # two REST APIs, no role
    assert role[("shop-prod", "eu-west-1")] is ok  # the role is set
    assert list(role.values()).count(ok) == 5
    stages = {k[3]: v for k, v in found.items() if k[0] == "apigateway-execution-log-group"}
    assert stages == {"orders-api/prod": ok, "orders-api/canary": fail, "checkout-api/prod": ok}
    functions = {k[3]: v for k, v in found.items() if k[0] == "lambda-log-group-exists"}
    assert functions == {"orders-handler": ok, "checkout-handler": ok, "nightly-report": fail,
                         "image-resizer": fail}
    insights = {k[3]: v for k, v in found.items() if k[0] == "lambda-insights-enabled"}
    assert insights == {"orders-handler": ok, "checkout-handler": fail, "nightly-report": fail,
                        "image-resizer": fail}

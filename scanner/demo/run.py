"""The demo estate: an online shop with prod and staging accounts, some things right and
some wrong, scanned by exactly the code that scans real AWS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

from . import estate
from .estate import Stage
from .server import moto_server, pointed_at

if TYPE_CHECKING:
    from preflight_scanner.models import Severity
    from preflight_scanner.reports.terminal import View

REGIONS = ("us-east-1", "eu-west-1")

# Policies the embedded fake AWS (moto) cannot exercise, because it does not implement the
# calls they read: left out of the demo's scan explicitly (a config override), and named in
# its output, rather than shown as errors or, worse, as passes nobody checked.
NOT_IN_DEMO = {
    "cloudfront-additional-metrics": "moto does not implement CloudFront's "
                                     "GetMonitoringSubscription",
    "amplify-redeployable-job": "moto does not implement Amplify",
}


def seed_demo_estate() -> dict[str, Any]:
    """Create the estate on the current endpoint; return the scan config for it.

    Every built-in policy has at least one resource that passes and one that fails.
    """
    ids = estate.create_organization(["shop-prod", "shop-staging"])
    prod, staging = ids["shop-prod"], ids["shop-staging"]
    management = estate.account_session(estate.MANAGEMENT_ACCOUNT)
    _seed_management(management)
    _seed_prod(estate.account_session(prod))
    _seed_staging(estate.account_session(staging))
    return {
        "regions": list(REGIONS),
        "organization": True,
        "role_name": estate.MEMBER_ROLE,
        "accounts": [
            {"id": estate.MANAGEMENT_ACCOUNT, "name": "shop-management",
             "environment": "management"},
            {"id": prod, "name": "shop-prod", "environment": "prod"},
            {"id": staging, "name": "shop-staging", "environment": "staging"},
        ],
        "parameters": {
            "prod": {"lambda-timeout-bounds": {"max_seconds": 120}},
            "*": {"cloudwatch-environment-dashboard": {"app": "shop"}},
        },
        "policies": {policy: {"enabled": False} for policy in NOT_IN_DEMO},
    }


def _seed_management(session: Any) -> None:
    east, west = REGIONS
    estate.create_budget(session, "organization-monthly")
    estate.create_dashboard(session, east, "shop-management-dashboard")
    estate.enable_guardduty(session, east)
    estate.enable_guardduty(session, west)


def _seed_prod(session: Any) -> None:
    east, west = REGIONS
    _prod_tables(session, east, west)
    estate.create_bucket(session, east, "shop-prod-assets", versioning="Enabled")
    estate.create_bucket(session, east, "shop-prod-uploads", versioning="Suspended")
    estate.create_bucket(session, west, "shop-prod-backups-eu")
    estate.create_user_pool(session, east, "shop-customers", mfa="ON", deletion_protection=True)
    estate.create_user_pool(session, west, "shop-partners", mfa="OPTIONAL")
    _prod_functions_and_apis(session, east, west)
    estate.enable_guardduty(session, east)  # eu-west-1 has none: fails
    estate.create_budget(session, "shop-prod-monthly")
    estate.create_dashboard(session, east, "shop-prod-dashboard")
    estate.create_failover_zone(session, "shop.example.com", "app.shop.example.com",
                                primary="main.d1abc.amplifyapp.com",
                                secondary="main.d2def.amplifyapp.com")
    _prod_secrets_and_web_acls(session, east)
    # Logged and behind a web ACL; the media one neither: both CloudFront policies fail it.
    estate.create_distribution(session, "shop-web", logging_bucket="shop-prod-logs",
                               web_acl=True)
    estate.create_distribution(session, "shop-media")


def _prod_tables(session: Any, east: str, west: str) -> None:
    estate.create_table(session, east, "orders", pitr=True, autoscaling=("read", "write"),
                        backup=True, deletion_protection=True)
    estate.create_alarm(session, east, "orders-throttled", namespace="AWS/DynamoDB",
                        metric="ThrottledRequests", dimensions={"TableName": "orders"})
    estate.create_table(session, east, "carts", on_demand=True)  # no PITR, no backup
    estate.create_table(session, east, "inventory", pitr=True, autoscaling=("read",))
    # An alarm nobody receives does not count.
    estate.create_alarm(session, east, "inventory-throttled", namespace="AWS/DynamoDB",
                        metric="WriteThrottleEvents", dimensions={"TableName": "inventory"},
                        with_action=False)
    estate.create_table(session, west, "orders-replica", on_demand=True, pitr=True)


def _prod_functions_and_apis(session: Any, east: str, west: str) -> None:
    orders_fn = estate.create_function(session, east, "orders-handler", timeout=25, reserved=50)
    estate.publish_versions(session, east, "orders-handler", 2)
    estate.put_durations(session, east, "orders-handler", [180.0, 2400.0, 3100.0])
    estate.create_alarm(session, east, "orders-handler-errors", namespace="AWS/Lambda",
                        metric="Errors", dimensions={"FunctionName": "orders-handler"})
    checkout_fn = estate.create_function(session, east, "checkout-handler", timeout=60)
    estate.put_durations(session, east, "checkout-handler", [21000.0, 58500.0])
    estate.create_function(session, east, "nightly-report", timeout=900)
    estate.create_function(session, west, "image-resizer", timeout=30)
    orders_api = estate.create_rest_api(
        session, east, "orders-api", [Stage("prod", rate=500, burst=1000), Stage("canary")],
        lambda_arn=orders_fn)
    estate.set_execution_logging(session, east, orders_api, "prod")
    # The stage's web ACL can block an address: an IP set and a Block rule over it.
    estate.block_addresses(session, east, estate.attach_web_acl(session, east, orders_api, "prod"))
    estate.create_alarm(session, east, "orders-api-5xx", namespace="AWS/ApiGateway",
                        metric="5XXError", dimensions={"ApiName": "orders-api", "Stage": "prod"})
    # No Stage dimension: watches every stage of the API.
    estate.create_alarm(session, east, "orders-api-latency", namespace="AWS/ApiGateway",
                        metric="Latency", dimensions={"ApiName": "orders-api"})
    estate.create_rest_api(session, east, "checkout-api", [Stage("prod", rate=100, burst=200)],
                           lambda_arn=checkout_fn)
    estate.create_http_api(session, west, "webhooks", [Stage("prod", rate=50, burst=100)])
    _prod_logs(session, east, west, orders_api)


def _prod_logs(session: Any, east: str, west: str, orders_api: str) -> None:
    # orders-handler's group (written by its runs) keeps 30 days; checkout-handler's
    # never expires: fails logs-retention-set.
    estate.set_log_retention(session, east, "/aws/lambda/orders-handler", 30)
    execution_logs = f"API-Gateway-Execution-Logs_{orders_api}/prod"
    estate.create_log_group(session, east, execution_logs)
    estate.set_log_retention(session, east, execution_logs, 90)
    # The role is set where no REST API needs it and missing where two do (us-east-1).
    estate.set_apigateway_logs_role(session, west, "apigateway-logs")
    # canary logs errors, but no group exists yet: fails apigateway-execution-log-group.
    estate.set_execution_logging(session, east, orders_api, "canary", "ERROR")
    # Only orders-handler runs Lambda Insights; nightly-report and image-resizer never
    # ran, so they have no log group (lambda-log-group-exists).
    estate.add_insights_layer(session, east, "orders-handler")


def _prod_secrets_and_web_acls(session: Any, east: str) -> None:
    estate.create_secret(session, east, "shop/orders-db", rotate_every_days=30)
    estate.create_secret(session, east, "shop/payments-api-key")  # never rotated: fails
    # A CloudFront ACL with a rate limit only: no IP set to add an attacker's address to.
    estate.create_web_acl(session, "shop-cdn", scope="CLOUDFRONT")


def _seed_staging(session: Any) -> None:
    east, _ = REGIONS
    estate.create_table(session, east, "orders", autoscaling=("read", "write"))  # no PITR
    estate.create_bucket(session, east, "shop-staging-assets", versioning="Enabled")
    # Tagged prod although it lives in staging: the tag decides its environment.
    estate.create_user_pool(session, east, "shop-load-test", mfa="OFF",
                            tags={"Environment": "prod"})
    estate.create_user_pool(session, east, "shop-staging-customers", mfa="OFF")
    estate.create_function(session, east, "orders-handler", timeout=900)
    estate.create_http_api(session, east, "webhooks", [Stage("staging")])
    estate.create_budget(session, "shop-staging-monthly", alert_at_percent=None)
    estate.create_dashboard(session, east, "shop-prod-dashboard")  # not staging's own
    # No SECONDARY: the failover has nowhere to go.
    estate.create_failover_zone(session, "staging.shop.example.com",
                                "app.staging.shop.example.com",
                                primary="staging.d3ghi.amplifyapp.com", secondary=None)


def run_demo(out_dir: Path, view: View | None = None, serve: bool = False) -> int:
    """Seed, scan, report; with ``serve``, keep the fake AWS up until Ctrl-C.

    The demo exits 0 when its scan worked: the estate's failures are there on purpose, so
    the scan's own gate (1) is reported, not returned. What it prints is what it returns.
    """
    from preflight_scanner.reports import terminal

    from ..config import load_config
    from ..exitcodes import EXIT_FAILURES, EXIT_OK
    from ..formats import installed
    from ..job import Delivery, Gate
    from ..runner import scan_and_report

    started = time.monotonic()
    click.echo("starting an embedded fake AWS (moto) on 127.0.0.1 ...", err=True)
    with moto_server() as endpoint, pointed_at(endpoint):
        config = seed_demo_estate()
        out_dir.mkdir(parents=True, exist_ok=True)
        config_path = out_dir / "demo-config.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        load_config(config_path)  # the demo's config must itself be valid
        click.echo(f"seeded a demo estate; config: {config_path}", err=True)
        delivery = Delivery(out_dir, installed(), Gate(_fail_on_low()), view=view or terminal.View())
        gate = scan_and_report(str(config_path), [], [], delivery)
        code = EXIT_OK if gate in (EXIT_OK, EXIT_FAILURES) else gate
        click.echo(check_own_runbooks(config_path, out_dir))
        click.echo(not_in_demo())
        click.echo(f"demo finished in {time.monotonic() - started:.1f}s: exit code {code}"
                   + (f" (the scan's gate says {gate}: the estate fails on purpose)"
                      if gate != code else ""), err=True)
        if serve and code == EXIT_OK:
            from .explore import guide, serve_until_stopped, write_sample_waivers

            waivers = write_sample_waivers(out_dir)
            for line in guide(endpoint, out_dir.resolve(), config_path.resolve(),
                              waivers.resolve()):
                click.echo(line)
            serve_until_stopped()
    if serve:
        # Ctrl-C must end the process promptly. The fake estate left about 10^5 objects in
        # cycles; the interpreter's final collection of them took seconds, to free memory
        # the exiting process gives back anyway. Frozen objects are not collected.
        import gc

        gc.freeze()
    return code


def check_own_runbooks(config_path: Path, out_dir: Path) -> str:
    """`preflight runbooks check` of Preflight's own runbooks on the demo estate, its reports
    beside report.html; the one line to print. Some steps are not ready on purpose (the
    estate's gaps), so, like the scan's gate, its verdict is reported and not returned."""
    from ..config import load_config
    from ..output import publish
    from ..runbookcheck import check_runbooks
    from ..runbookcheck.files import FORMATS, report_files, summary
    from ..runbooks import builtin_runbook_dir

    result = check_runbooks([str(builtin_runbook_dir())], load_config(config_path))
    publish(out_dir, report_files(result, FORMATS))
    return (f"runbooks check of Preflight's own runbooks: {summary(result)}: "
            f"{out_dir / 'runbooks.html'}")


def not_in_demo() -> str:
    """The line that says which built-in checks this demo leaves out, and why."""
    return "not checked in the demo (the embedded fake AWS cannot answer them): " + "; ".join(
        f"{policy} ({why})" for policy, why in NOT_IN_DEMO.items())


def _fail_on_low() -> Severity:
    from ..models import Severity

    return Severity.LOW

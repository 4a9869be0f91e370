"""The demo estate: an online shop with prod and staging accounts, some things right and
some wrong, scanned by exactly the code that scans real AWS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import yaml

from . import estate
from .estate import Stage
from .server import moto_server, pointed_at

REGIONS = ("us-east-1", "eu-west-1")


def seed_demo_estate() -> dict[str, Any]:
    """Create the estate on the current endpoint; return the scan config for it."""
    ids = estate.create_organization(["shop-prod", "shop-staging"])
    prod, staging = ids["shop-prod"], ids["shop-staging"]
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
        "parameters": {"prod": {"lambda-timeout-bounds": {"max_seconds": 120}}},
    }


def _seed_prod(session: Any) -> None:
    east, west = REGIONS
    estate.create_table(session, east, "orders", pitr=True, autoscaling=("read", "write"))
    estate.create_table(session, east, "carts", on_demand=True)  # no PITR: fails
    estate.create_table(session, east, "inventory", pitr=True, autoscaling=("read",))
    estate.create_table(session, west, "orders-replica", on_demand=True, pitr=True)
    estate.create_bucket(session, east, "shop-prod-assets", versioning="Enabled")
    estate.create_bucket(session, east, "shop-prod-uploads", versioning="Suspended")
    estate.create_bucket(session, west, "shop-prod-backups-eu")
    estate.create_user_pool(session, east, "shop-customers", mfa="ON")
    estate.create_user_pool(session, west, "shop-partners", mfa="OPTIONAL")
    orders_fn = estate.create_function(session, east, "orders-handler", timeout=25)
    checkout_fn = estate.create_function(session, east, "checkout-handler", timeout=60)
    estate.create_function(session, east, "nightly-report", timeout=900)
    estate.create_function(session, west, "image-resizer", timeout=30)
    estate.create_rest_api(session, east, "orders-api",
                           [Stage("prod", rate=500, burst=1000), Stage("canary")],
                           lambda_arn=orders_fn)
    estate.create_rest_api(session, east, "checkout-api", [Stage("prod", rate=100, burst=200)],
                           lambda_arn=checkout_fn)
    estate.create_http_api(session, west, "webhooks", [Stage("prod", rate=50, burst=100)])


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


def run_demo(out_dir: Path) -> int:
    from ..config import load_config
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
        code = scan_and_report(str(config_path), [], [], out_dir, _fail_on_low(), None)
    click.echo(f"demo finished in {time.monotonic() - started:.1f}s "
               f"(exit code {code}: the estate has failures on purpose)", err=True)
    return 0 if code in (0, 1) else code


def _fail_on_low():
    from ..models import Severity

    return Severity.LOW

"""preflight iac on CloudFront: a CloudFormation template and a Terraform plan declare
standard logging, the web ACL and the monitoring subscription (a resource of its own,
joined to the distribution it names); the live spec's names and defaults are the plan's."""

from __future__ import annotations

from pathlib import Path

import pytest
from preflight_scanner.config import load_config
from preflight_scanner.iac import run_iac
from preflight_scanner.iac.mappings import PLANNABLE
from preflight_scanner.iac.mappings import cloudfront as mapping
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY, amplify, cloudfront

from tests.support import BUILTIN_POLICIES

CFN = "tests/data/iac/cfn-edge/edge.yaml"
TF = "tests/data/iac/terraform-edge/main.tf"
POLICIES = ["cloudfront-logging-enabled", "cloudfront-waf-attached",
            "cloudfront-additional-metrics", "amplify-redeployable-job"]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)


def _table(*paths: str) -> set[tuple[str, str, str, str]]:
    policies = [p for p in load_policies([BUILTIN_POLICIES]) if p.id in POLICIES]
    result = run_iac(list(paths), load_config(None), policies, environment="prod")
    return {(f.policy_id, f.status.value, f.resource.name, f.location.describe())
            for f in result.findings}


def test_cloudformation_distributions_and_their_monitoring_subscription() -> None:
    # A failure points at the setting to add: DistributionConfig (line 44) has no Logging
    # or WebACLId; the missing subscription is a resource of its own, so the distribution.
    assert _table(CFN) == {
        ("cloudfront-logging-enabled", "pass", "shop-web", f"{CFN}:13"),
        ("cloudfront-waf-attached", "pass", "shop-web", f"{CFN}:13"),
        ("cloudfront-additional-metrics", "pass", "shop-web", f"{CFN}:13"),
        ("cloudfront-logging-enabled", "fail", "shop-media", f"{CFN}:44"),
        ("cloudfront-waf-attached", "fail", "shop-media", f"{CFN}:44"),
        ("cloudfront-additional-metrics", "fail", "shop-media", f"{CFN}:41"),
    }


def test_terraform_plan_distributions_and_their_monitoring_subscription() -> None:
    # web_acl_id is known only after apply, but the .tf names a web ACL: it will be set.
    assert _table("tests/data/iac/terraform-edge") == {
        ("cloudfront-logging-enabled", "pass", "shop-web", f"{TF}:6"),
        ("cloudfront-waf-attached", "pass", "shop-web", f"{TF}:6"),
        ("cloudfront-additional-metrics", "pass", "shop-web", f"{TF}:6"),
        ("cloudfront-logging-enabled", "fail", "shop-media", f"{TF}:29"),
        ("cloudfront-waf-attached", "fail", "shop-media", f"{TF}:29"),
        ("cloudfront-additional-metrics", "fail", "shop-media", f"{TF}:29"),
    }


def test_planned_attributes_are_the_specs_with_the_live_defaults() -> None:
    spec = REGISTRY[cloudfront.TYPE]
    assert PLANNABLE[cloudfront.TYPE] <= set(spec.attribute_names())
    for attribute in ("logging", "additional_metrics"):
        field = spec.field(attribute)
        assert field is not None
    assert mapping.NO_METRICS == "Disabled" == spec.field("additional_metrics").default
    assert mapping._logging(None, None, declared=False) == spec.field("logging").default == {
        "enabled": False, "bucket": None, "prefix": None}


def test_amplify_jobs_exist_only_after_deployment_so_nothing_plans_them() -> None:
    assert amplify.TYPE not in PLANNABLE
    assert set(REGISTRY[amplify.TYPE].terraform) == set(REGISTRY[amplify.TYPE].cloudformation) \
        == set()

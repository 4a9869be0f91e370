"""Call economy on moto: a scan makes exactly the calls its policies need, no more.

The estate is the benchmark's (benchmarks/estate.py, size ``tiny``: an organisation of two
accounts x two regions), seeded through the fault proxy; the minimum is computed from the
estate and the plan by benchmarks/minimum.py, independently of the scanner. Counts, not
timings: deterministic.
"""

from __future__ import annotations

from collections import Counter

import pytest
from preflight_scanner.aws import Sessions
from preflight_scanner.collect import make_plan
from preflight_scanner.config import load_config
from preflight_scanner.demo.run import NOT_IN_DEMO
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY
from preflight_scanner.scan import configure_policies, plan_attributes

from benchmarks import estate as bench_estate
from benchmarks.minimum import minimum_calls, place_counts
from tests.support import BUILTIN_POLICIES

POLICIES = BUILTIN_POLICIES  # the installed pack, not the checkout's copy
SIX = ("dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "s3-versioning-enabled",
       "cognito-mfa-on-in-prod", "apigateway-stage-throttling", "lambda-timeout-bounds")


@pytest.fixture
def tiny(aws, monkeypatch):
    """The tiny benchmark estate on moto, seeded through the proxy (about a second)."""
    return bench_estate.seed(bench_estate.SIZES["tiny"], aws.endpoint)  # type: ignore[attr-defined]


def _needed(spec, config, policies) -> Counter[str]:
    plan = {t: [d.name for d in details]
            for t, details in make_plan(plan_attributes(policies, config)).items()}
    accounts, places = place_counts(spec)
    return minimum_calls(plan, accounts, list(spec.regions), places, organization=True)


def _scan(scan, spec, write_config, policy_ids, extra=None):
    config_dict = {**spec.config(), **(extra or {})}
    loaded = [p for p in load_policies([POLICIES]) if p.id in policy_ids]
    sessions = Sessions()
    result = scan(config_dict, policies=list(policy_ids), sessions=sessions)
    config = load_config(write_config(config_dict))
    return result, sessions.call_log.counts, _needed(spec, config,
                                                    configure_policies(loaded, config))


def test_the_six_founding_policies_make_exactly_the_calls_they_need(tiny, scan, write_config, aws):
    """Then the same with tags in play (one seeding serves both: seeding is the slow part)."""
    aws.seen.clear()
    result, made, needed = _scan(scan, tiny, write_config, SIX)

    assert not result.errors
    assert made == needed
    # The proxy saw what the scanner's own log says: no call escaped the count.
    assert result.api_calls == sum(made.values()) == sum(aws.seen.values())
    # And the verdicts are the ones the estate was built to give.
    got = Counter(f"{f.policy_id}:{f.status.value}" for f in result.findings)
    assert got == tiny.expected()

    _tags_for_environment_scope_come_from_one_tagging_listing_per_account_region(
        tiny, scan, write_config)


def _tags_for_environment_scope_come_from_one_tagging_listing_per_account_region(
        tiny, scan, write_config):
    # Scoping PITR and versioning to prod makes tables', buckets' and functions' tags
    # matter (the Environment tag overrides the account's environment).
    extra = {"policies": {p: {"scope": {"environments": ["prod"]}}
                          for p in ("dynamodb-pitr-enabled", "s3-versioning-enabled",
                                    "lambda-timeout-bounds")}}
    result, made, needed = _scan(scan, tiny, write_config, SIX, extra)

    assert not result.errors
    assert made == needed
    places = len(tiny.places)
    assert made["resourcegroupstaggingapi:GetResources"] == places  # not one per resource
    for per_resource in ("dynamodb:ListTagsOfResource", "s3:GetBucketTagging", "lambda:ListTags"):
        assert made[per_resource] == 0
    # Per-resource semantics are kept: a tagged resource has its tags, an untagged one {}.
    env = {i: e for i, _, e in tiny.accounts}
    expected = set()
    for p in tiny.places:
        for t in p.tables:
            expected.add(("dynamodb-pitr-enabled", t.name, p.account, p.region,
                          t.tags.get("Environment", env[p.account])))
    got = {(f.policy_id, f.resource.name, f.resource.account_id, f.resource.region,
            f.resource.environment)
           for f in result.findings if f.policy_id == "dynamodb-pitr-enabled"}
    assert got == {e for e in expected if e[-1] == "prod"}


def test_the_whole_pack_makes_exactly_the_calls_it_needs(tiny, scan, write_config):
    """Every policy moto can answer (as run.py's ``--policies pack`` and the demo leave out
    Amplify and CloudFront's GetMonitoringSubscription), the newer types' per-resource and
    per-value calls included."""
    ids = [p.id for p in load_policies([POLICIES]) if p.id not in NOT_IN_DEMO]
    result, made, needed = _scan(scan, tiny, write_config, ids)

    assert not result.errors
    assert made == needed
    assert made["resourcegroupstaggingapi:GetResources"] == len(tiny.places)
    accounts = len(tiny.accounts)
    # One DescribeLogGroups per account-region, shared by the log groups and the joins.
    assert made["logs:DescribeLogGroups"] == len(tiny.places)
    assert made["secretsmanager:ListSecrets"] == len(tiny.places)
    # GetWebACL: once per ACL (the web ACL type: a regional one per account-region, and the
    # edge ACL of every other distribution) and once per distinct ACL the stages name.
    edge = sum(1 for p in tiny.places for d in p.distributions if d.edge_acl)
    named = sum(1 for p in tiny.places for acl in p.web_acls if acl.stages)
    assert edge > 0 and named > 0
    assert made["wafv2:GetWebACL"] == len(tiny.places) + edge + named
    assert made["cloudfront:ListDistributions"] == accounts
    assert made["cloudfront:GetDistributionConfig"] == accounts
    assert made["cloudfront:GetMonitoringSubscription"] == 0  # left out: moto lacks it
    # The newer types' policies see both sides, so their calls are made on real work.
    verdicts = {(f.policy_id, f.status.value) for f in result.findings}
    for policy in ("lambda-log-group-exists", "logs-retention-set",
                   "secretsmanager-rotation-enabled", "apigateway-waf-attached",
                   "cloudfront-waf-attached", "cloudfront-logging-enabled"):
        assert {(policy, "pass"), (policy, "fail")} <= verdicts, policy


def test_the_minimum_model_counts_every_call_every_spec_declares():
    """The model reads the specs: a plan of every detail, on a place where each call lists
    one item, needs each declared call, and the tagging listing for the tagging types."""
    from benchmarks.minimum import AccountCounts, PlaceCounts, tagging_types

    declared = {c.name for t in REGISTRY.values() for c in t.calls()}
    one_each = {name: 1 for name in declared}
    plan = {name: [d.name for d in t.details] for name, t in REGISTRY.items()}
    needed = minimum_calls(plan, [AccountCounts("1", assumed=False, items=one_each)], ["r"],
                           {("1", "r"): PlaceCounts(items=one_each, tagged={})},
                           organization=False)
    assert set(needed) == declared | {"sts:GetCallerIdentity"}
    assert tagging_types() == {"aws.dynamodb.table": "dynamodb:table", "aws.s3.bucket": "s3",
                               "aws.lambda.function": "lambda:function"}

"""Evaluation is pure: synthetic resources in, findings out, no AWS."""

from __future__ import annotations

import datetime

import pytest
from preflight_scanner.evaluate import EvaluationContext, evaluate
from preflight_scanner.models import Account, CollectionError, Gap, Resource, Status, WaiverHit
from preflight_scanner.policy import load_policy_file
from preflight_scanner.waivers import load_waivers
from preflight_scanner.yamlfile import load_yaml

PROD = Account("111111111111", "shop-prod", "prod")
STAGING = Account("222222222222", "shop-staging", "staging")


def policy(tmp_path, name="t-policy", **overrides):
    body = {
        "id": name, "title": "t", "description": "d", "severity": "high",
        "resource": "aws.dynamodb.table", "runbook": "disaster-recovery#restore-a-dynamodb-table",
        "check": {"attribute": "pitr.status", "equals": "ENABLED"},
        "remediation": ["fix {{ name }} in {{ region }}"],
    } | overrides
    import yaml

    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(body))
    return load_policy_file(path)


def table(name, account=PROD, pitr="ENABLED", tags=None, **extra):
    data = {"pitr": {"status": pitr}, **extra}
    if tags is not None:
        data["tags"] = tags
    return Resource("aws.dynamodb.table", name, name, f"arn:aws:dynamodb:us-east-1:{account.id}:table/{name}",
                    account, "us-east-1", data)


def run(policies, resources, gaps=(), tags_read=True, **ctx):
    return list(evaluate(policies, resources, gaps, EvaluationContext(**ctx),
                         {"aws.dynamodb.table": tags_read}).findings)


def test_pass_fail_with_evidence_message_and_rendered_remediation(tmp_path):
    p = policy(tmp_path)
    ok, bad = run([p], [table("a"), table("b", pitr="DISABLED")])
    assert (ok.status, ok.remediation) == (Status.PASS, ())
    assert bad.status is Status.FAIL
    assert bad.evidence == {"pitr.status": "DISABLED"}
    # No policy message: one written from the attribute's description, not its expression.
    assert bad.message == "point-in-time recovery status is DISABLED; it should be ENABLED"
    assert [d.to_dict() for d in bad.decisive] == [
        {"attribute": "pitr.status", "operator": "equals", "expected": "ENABLED"}]
    assert ok.decisive_keys == ("pitr.status",)
    assert bad.remediation == ("fix b in us-east-1",)


def test_environment_tag_overrides_the_account_and_drives_scope(tmp_path):
    p = policy(tmp_path, scope={"environments": ["prod"]})
    findings = run([p], [table("x", STAGING, pitr="DISABLED", tags={"Environment": "prod"}),
                         table("y", STAGING, pitr="DISABLED", tags={})],
                   environment_tag="Environment")
    assert [(f.resource.name, f.resource.environment) for f in findings] == [("x", "prod")]


def test_unreadable_attribute_is_an_error_not_a_verdict(tmp_path):
    p = policy(tmp_path)
    broken = table("a")
    del broken.data["pitr"]
    broken.unreadable["pitr"] = "DescribeContinuousBackups failed (AccessDenied)"
    [finding] = run([p], [broken])
    assert finding.status is Status.ERROR
    assert "AccessDenied" in finding.message


def test_unreadable_tags_make_scope_unknown_and_fail_closed(tmp_path):
    p = policy(tmp_path, scope={"environments": ["prod"]})
    broken = table("a", STAGING)
    broken.unreadable["tags"] = "ListTagsOfResource failed (ThrottlingException)"
    [finding] = run([p], [broken], environment_tag="Environment")
    assert finding.status is Status.ERROR
    assert "cannot tell whether the policy applies" in finding.message


def test_gaps_yield_one_error_per_policy_in_scope(tmp_path):
    p = policy(tmp_path, scope={"environments": ["prod"]})
    error = CollectionError(PROD.id, "us-east-1", "aws.dynamodb.table", "ListTables",
                            "AccessDeniedException", "no")
    gaps = [Gap(PROD, "us-east-1", "aws.dynamodb.table", error),
            Gap(STAGING, "us-east-1", "aws.dynamodb.table", error)]
    # Without an environment tag, staging is provably out of scope.
    [finding] = run([p], [], gaps, environment_tag=None)
    assert (finding.status, finding.resource.id, finding.resource.account_id) == (
        Status.ERROR, "*", PROD.id)
    # Tags are not read for the type: no tag can override the account's environment.
    [finding] = run([p], [], gaps, tags_read=False, environment_tag="Environment")
    assert finding.resource.account_id == PROD.id


def test_a_gap_where_a_tag_could_override_the_environment_errors_there_too(tmp_path):
    # A staging table tagged Environment=prod is in scope of a prod-only policy; unlisted,
    # nobody knows whether one exists, so the gap is an error for that policy as well.
    p = policy(tmp_path, scope={"environments": ["prod"]})
    error = CollectionError(STAGING.id, "us-east-1", "aws.dynamodb.table", "ListTables",
                            "AccessDeniedException", "no")
    [finding] = run([p], [], [Gap(STAGING, "us-east-1", "aws.dynamodb.table", error)],
                    environment_tag="Environment")
    assert (finding.status, finding.resource.account_id) == (Status.ERROR, STAGING.id)
    assert "Environment tag can place it in scope" in finding.message
    other_region = policy(tmp_path, name="east-only", scope={"environments": ["prod"],
                                                             "regions": ["eu-west-1"]})
    # Region is provably known: a policy scoped elsewhere stays out.
    assert run([other_region], [], [Gap(STAGING, "us-east-1", "aws.dynamodb.table", error)],
               environment_tag="Environment") == []


def test_parameters_are_overridden_per_environment(tmp_path):
    p = policy(tmp_path, parameters={"limit": {"default": 10}},
               check={"attribute": "provisioned_throughput.read", "lte": {"param": "limit"}})
    resources = [table("a", PROD, provisioned_throughput={"read": 20}),
                 table("b", STAGING, provisioned_throughput={"read": 20})]
    overrides = {("t-policy", "prod"): {"limit": 50}}
    findings = run([p], resources, overrides=lambda pid, env: overrides.get((pid, env), {}))
    assert {f.resource.name: f.status for f in findings} == {"a": Status.PASS, "b": Status.FAIL}


def test_a_failed_not_explains_what_was_expected(tmp_path):
    p = policy(tmp_path, check={"not": {"attribute": "billing_mode", "equals": "PROVISIONED"}})
    [finding] = run([p], [table("a", billing_mode="PROVISIONED")])
    assert finding.status is Status.FAIL
    assert finding.message == "billing mode is PROVISIONED; it should not be PROVISIONED"
    assert finding.decisive[0].operator == "not equals"


def test_a_template_that_cannot_render_for_one_resource_does_not_abort_the_scan(tmp_path):
    p = policy(tmp_path, remediation=["scale from {{ autoscaling.read.min_capacity }}"])
    [finding] = run([p], [table("a", pitr="DISABLED")])
    assert finding.status is Status.FAIL
    assert finding.remediation[0].startswith("# could not fill in this command for a")


def test_yaml_12_booleans_keep_on_and_yes_as_strings():
    doc = load_yaml("x.yml", text="a: ON\nb: yes\nc: true\nd: off\n")
    assert doc.data == {"a": "ON", "b": "yes", "c": True, "d": "off"}


def test_evidence_includes_attributes_read_as_operands(tmp_path):
    p = policy(tmp_path, check={"attribute": "autoscaling.read.max_capacity",
                                "gt": {"attribute": "autoscaling.read.min_capacity"}})
    [finding] = run([p], [table("a", autoscaling={"read": {"min_capacity": 5,
                                                           "max_capacity": 5}})])
    assert finding.status is Status.FAIL
    assert finding.evidence == {"autoscaling.read.max_capacity": 5,
                                "autoscaling.read.min_capacity": 5}


def test_time_functions_measure_against_iso_timestamps():
    from preflight_scanner.policy.conditions import search
    from preflight_scanner.policy.unevaluable import Unevaluable

    doc = {"made": "2026-01-01T00:00:00Z", "scan_time": "2026-01-08T12:00:00+00:00",
           "naive": "2026-01-08T12:00:00", "missing": None}
    assert search("days_between(made, scan_time)", doc) == 7.5
    assert search("hours_between(made, scan_time)", doc) == 180.0
    assert search("days_between(made, naive)", doc) == 7.5  # no zone given: UTC
    assert search("days_between(missing, scan_time)", doc) is None
    with pytest.raises(Unevaluable, match="'not a time' is not an ISO 8601 timestamp"):
        search("hours_between(made, 'not a time')", doc)  # unknown, not "never"


WAIVERS = """\
waivers:
  - id: current
    policies: [t-policy]
    resources: [b]
    reason: Accepted until the platform migration lands
    owner: platform
    expires: 2024-03-10
  - id: ran-out
    policies: [t-policy]
    include_errors: true
    reason: Accepted until the platform migration lands
    owner: platform
    expires: 2024-02-28
"""


def test_evaluation_returns_waiver_hits_and_leaves_the_matcher_untouched(tmp_path):
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS)
    matcher = load_waivers(path).matcher(datetime.date(2024, 3, 1))
    error = CollectionError(PROD.id, "us-east-1", "aws.dynamodb.table", "ListTables",
                            "AccessDeniedException", "no")
    evaluation = evaluate([policy(tmp_path)], [table("a"), table("b", pitr="DISABLED"),
                                               table("c", pitr="DISABLED")],
                          [Gap(STAGING, "us-east-1", "aws.dynamodb.table", error)],
                          EvaluationContext(), {"aws.dynamodb.table": True}, matcher)
    by_id = {f.resource.id: f.status for f in evaluation.findings}
    assert by_id == {"a": Status.PASS, "b": Status.WAIVED, "c": Status.FAIL, "*": Status.ERROR}
    # b waived by the current waiver; c and the gap's error only by the expired one
    assert sorted(evaluation.waiver_hits, key=repr) == sorted(
        [WaiverHit("current"), WaiverHit("ran-out", expired=True),
         WaiverHit("ran-out", expired=True)], key=repr)
    assert not matcher.applied and not matcher.expired_hits  # evaluating counted nothing
    matcher.record(evaluation.waiver_hits)
    states = {w.id: (w.state, w.matched) for w in matcher.report().waivers}
    assert states == {"current": ("applied", 1), "ran-out": ("expired", 2)}

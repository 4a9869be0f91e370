"""Fail-closed live scans: a gap or an uncomputable value is an error, never silence.

The estate puts a resource of every listed type, tagged Environment=prod, into an account
configured as `dev`: prod-only policies apply to them through the tag. When a listing in
that account fails (or its role cannot be assumed) nothing is known about those resources,
so every finding the clean run has must still be there, either identical or as an error.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import boto3
import pytest
from preflight_scanner.aws import Sessions
from preflight_scanner.cli import main
from preflight_scanner.collect import make_plan
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.models import Finding, ScanResult, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY
from preflight_scanner.scan import plan_attributes

from tests.faultproxy import Fault
from tests.support import BUILTIN_POLICIES, write_probe

EAST = "us-east-1"
PROD_TAG = {"Environment": "prod"}
MFA = "cognito-mfa-on-in-prod"


@pytest.fixture
def tagged_dev_account(aws):
    """A prod and a dev account; the dev account holds prod-tagged resources of every type."""
    ids = estate.create_organization(["prod", "dev"])
    dev = estate.account_session(ids["dev"])
    estate.create_table(dev, EAST, "dev-orders", tags=PROD_TAG)
    estate.create_bucket(dev, EAST, "dev-assets-bucket", tags=PROD_TAG)
    for n in range(3):
        estate.create_user_pool(dev, EAST, f"dev-customers-{n}", tags=PROD_TAG)
    function = estate.create_function(dev, EAST, "dev-checkout", tags=PROD_TAG)
    estate.create_rest_api(dev, EAST, "dev-shop", [estate.Stage("live", tags=PROD_TAG)],
                           lambda_arn=function)
    estate.create_http_api(dev, EAST, "dev-web", [estate.Stage("live", tags=PROD_TAG)],
                           lambda_arn=function)
    estate.create_failover_zone(dev, "dev.example.com.", "app.dev.example.com",
                                primary="a.example.com", secondary=None)
    estate.create_log_group(dev, EAST, "/aws/lambda/dev-checkout")
    estate.create_secret(dev, EAST, "dev-db-password", tags=PROD_TAG)
    estate.create_web_acl(dev, "dev-edge", region=EAST, tags=PROD_TAG)
    estate.create_distribution(dev, "dev-cdn", tags=PROD_TAG)
    prod = estate.account_session(ids["prod"])
    estate.create_user_pool(prod, EAST, "prod-customers", tags=PROD_TAG)
    config = {
        "regions": [EAST],
        "organization": True,
        "role_name": estate.MEMBER_ROLE,
        "accounts": [{"id": ids["prod"], "environment": "prod"},
                     {"id": ids["dev"], "environment": "dev"}],
    }
    return ids, config


def _place(finding: Finding) -> tuple[str, str, str, str]:
    ref = finding.resource
    return finding.policy_id, ref.account_id, ref.region, ref.type


def _key(finding: Finding) -> tuple[str, ...]:
    return (*_place(finding), finding.resource.id)


def missing_findings(clean: ScanResult, faulted: ScanResult) -> list[tuple[str, ...]]:
    """Clean findings that the faulted run neither repeats nor covers with an error.

    Covered means: the same resource as an error, or an error for every resource of its
    type in its account-region (a gap's finding, resource id "*").
    """
    by_key = {_key(f): f for f in faulted.findings}
    gap_places = {_place(f) for f in faulted.findings
                  if f.status is Status.ERROR and f.resource.id == "*"}
    missing = []
    for finding in clean.findings:
        again = by_key.get(_key(finding))
        if again is not None and (again.status is Status.ERROR or again == finding):
            continue
        if _place(finding) in gap_places:
            continue
        missing.append(_key(finding))
    return missing


def _signing_name(service: str) -> str:
    client = boto3.session.Session().client(service, region_name=EAST)
    return str(client.meta.service_model.signing_name)


def _listings() -> Iterable[tuple[str, str, str]]:
    """(resource type, signing name, operation) of every type's first listing call."""
    for name, rtype in sorted(REGISTRY.items()):
        # moto has no Amplify: tests/test_resource_amplify.py injects its listing fault.
        if rtype.list_calls and not name.startswith("aws.amplify."):
            service, operation = rtype.list_calls[0].split(":", 1)
            yield name, _signing_name(service), operation


LISTINGS = list(_listings())


def test_the_estate_puts_a_prod_tagged_resource_of_every_listed_type_in_scope(
        scan, tagged_dev_account):
    ids, config = tagged_dev_account
    clean = scan(config)
    dev_types = {f.resource.type for f in clean.findings if f.resource.account_id == ids["dev"]
                 and f.resource.id != "*"}
    assert dev_types >= {name for name, _, _ in LISTINGS}
    mfa = Counter((f.resource.account_id, f.status) for f in clean.findings if f.policy_id == MFA)
    # The tag puts the dev account's pools under the prod-only MFA policy.
    assert mfa == {(ids["dev"], Status.FAIL): 3, (ids["prod"], Status.FAIL): 1}


def _policies_making(call: str, config: dict[str, Any], write_config) -> list[str]:
    """The built-in policies whose plan makes ``call`` ("service:Operation"): the type's own,
    and those that join its listing (a function's log group reads DescribeLogGroups)."""
    loaded = load_config(write_config(config))
    making = []
    for policy in load_policies([BUILTIN_POLICIES]):
        plan = make_plan(plan_attributes([policy], loaded))
        calls = {c.name for name, details in plan.items()
                 for c in (*REGISTRY[name].listing.calls, *(c for d in details
                                                            for c in d.spec_calls))}
        if call in calls:
            making.append(policy.id)
    return making


def test_a_failed_listing_in_a_dev_account_turns_every_finding_it_hides_into_an_error(
        scan, aws, tagged_dev_account, write_config):
    # One estate and one clean run for all the types; each faulted run scans only the policies
    # whose plan makes the failing call (a run of the whole pack costs seconds), and none of
    # their findings may go missing.
    ids, config = tagged_dev_account
    clean = scan(config)
    problems = {}
    for type_name, service, operation in LISTINGS:
        policies = _policies_making(REGISTRY[type_name].list_calls[0], config, write_config)
        aws.faults[:] = [Fault(service=service, operation=operation, account=ids["dev"])]
        faulted = scan(config, policies=policies)
        hidden = [f for f in faulted.findings if f.resource.type == type_name
                  and f.resource.account_id == ids["dev"]]
        clean_part = dataclasses.replace(clean, findings=[
            f for f in clean.findings if f.policy_id in policies])
        if not aws.faults[0].hits:
            problems[type_name] = f"the fault on {service}:{operation} never fired"
        elif missing := missing_findings(clean_part, faulted):
            problems[type_name] = f"findings gone: {missing}"
        elif not hidden or any(f.status is not Status.ERROR for f in hidden):
            problems[type_name] = f"not all errors: {[(f.policy_id, f.status) for f in hidden]}"
    assert problems == {}


def test_the_policies_a_listing_feeds_include_the_joins(tagged_dev_account, write_config):
    """The narrowing above must not drop a policy that reads the listing through a join."""
    _, config = tagged_dev_account
    reading_log_groups = _policies_making("logs:DescribeLogGroups", config, write_config)
    assert {"logs-retention-set", "lambda-log-group-exists",
            "apigateway-execution-log-group"} <= set(reading_log_groups)
    assert "dynamodb-pitr-enabled" not in reading_log_groups


def test_an_unassumable_dev_account_errors_every_policy_that_could_apply_there(
        scan, aws, tagged_dev_account):
    ids, config = tagged_dev_account
    clean = scan(config)
    aws.faults.append(Fault(service="sts", operation="AssumeRole", body=ids["dev"]))
    faulted = scan(config)
    assert missing_findings(clean, faulted) == []
    mfa = [f for f in faulted.findings if f.policy_id == MFA and f.resource.account_id == ids["dev"]]
    assert [f.status for f in mfa] == [Status.ERROR]
    assert "AssumeRole" in mfa[0].message and "Environment tag" in mfa[0].message


def test_without_an_environment_tag_a_dev_gap_does_not_invent_prod_errors(
        scan, aws, tagged_dev_account):
    # Provably known: with environment_tag switched off, a dev account is dev.
    ids, config = tagged_dev_account
    config = {**config, "environment_tag": None}
    aws.faults.append(Fault(service="cognito-idp", operation="ListUserPools", account=ids["dev"]))
    result = scan(config, policies=[MFA])
    assert [(f.resource.account_id, f.status) for f in result.findings] == [
        (ids["prod"], Status.FAIL)]


FAULTS = {
    "access denied": Fault(service="cognito-idp", operation="ListUserPools"),
    "throttled past retries": Fault(service="cognito-idp", operation="ListUserPools",
                                    status=400, code="TooManyRequestsException",
                                    message="Rate exceeded"),
    "region not enabled": Fault(service="cognito-idp", status=403,
                                code="UnrecognizedClientException",
                                message="The security token included in the request is invalid"),
    "connection reset": Fault(service="cognito-idp", operation="ListUserPools", status=0),
    "role not assumable": Fault(service="sts", operation="AssumeRole"),
}


@pytest.mark.parametrize("kind", FAULTS)
def test_the_critical_mfa_policy_reports_errors_and_the_cli_exits_3(
        aws, tagged_dev_account, write_config, tmp_path, capsys, monkeypatch, kind):
    ids, config = tagged_dev_account
    fault = FAULTS[kind]
    fault.account = ids["dev"] if fault.service != "sts" else None
    fault.body = ids["dev"] if fault.service == "sts" else None
    aws.faults.append(fault)
    # Few retries: "past retries" is the point, not the wait.
    monkeypatch.setattr(Sessions.__init__, "__defaults__", _few_retries())
    out = tmp_path / "out"
    code = main(["scan", "--config", str(write_config(config)), "--out", str(out),
                 "--policies", str(BUILTIN_POLICIES / f"{MFA}.yml"), "--fail-on", "critical"])
    report = json.loads((out / "report.json").read_text())
    statuses = Counter((f["resource"]["account_id"], f["status"]) for f in report["findings"]
                       if f["policy_id"] == MFA)
    assert statuses == {(ids["prod"], "fail"): 1, (ids["dev"], "error"): 1}, statuses
    assert code == 1  # the prod pool fails at critical; the error is there too
    terminal = capsys.readouterr().out
    assert MFA in terminal
    code = main(["scan", "--config", str(write_config(config)), "--out", str(tmp_path / "o2"),
                 "--policies", str(BUILTIN_POLICIES / f"{MFA}.yml"), "--regions", EAST,
                 "--fail-on", "critical", "--no-fail-on-error"])
    assert code == 1


def _few_retries() -> tuple[Any, ...]:
    defaults = list(Sessions.__init__.__defaults__ or ())
    names = Sessions.__init__.__code__.co_varnames[1:Sessions.__init__.__code__.co_argcount]
    offset = len(names) - len(defaults)
    defaults[names.index("max_retries") - offset] = 1
    return tuple(defaults)


def test_a_gap_alone_exits_3_not_0(aws, tagged_dev_account, write_config, tmp_path):
    ids, config = tagged_dev_account
    config = {**config, "organization": False,
              "accounts": [a for a in config["accounts"] if a["id"] == ids["dev"]]}
    aws.faults.append(Fault(service="cognito-idp", operation="ListUserPools", account=ids["dev"]))
    code = main(["scan", "--config", str(write_config(config)), "--out", str(tmp_path / "out"),
                 "--policies", str(BUILTIN_POLICIES / f"{MFA}.yml")])
    assert code == 3
    code = main(["scan", "--config", str(write_config(config)), "--out", str(tmp_path / "o2"),
                 "--policies", str(BUILTIN_POLICIES / f"{MFA}.yml"), "--no-fail-on-error"])
    assert code == 0


def _probe(tmp_path, policy_id, check):
    """A probe policy pointing at a real built-in runbook section, so the CLI accepts it."""
    folder = write_probe(tmp_path, policy_id, "aws.dynamodb.table", check)
    policy = folder / f"{policy_id}.yml"
    policy.write_text(policy.read_text().replace("tests#probe",
                                                 "disaster-recovery#restore-a-dynamodb-table"))
    return folder


def test_a_template_operand_that_does_not_render_is_an_error_not_a_pass(
        aws, write_config, tmp_path):
    estate.create_table(estate.account_session("123456789012"), EAST, "orders")  # no tags
    # Renders on the loader's sample (tagged Environment=prod), not on this untagged table.
    folder = _probe(tmp_path, "probe-template",
                    {"attribute": "name", "not_equals": {"template": "{{ tags['Environment'] }}"}})
    out = tmp_path / "out"
    code = main(["scan", "--config", str(write_config({"regions": [EAST]})), "--out", str(out),
                 "--policies", str(folder)])
    [finding] = json.loads((out / "report.json").read_text())["findings"]
    assert finding["status"] == "error", finding
    assert "did not render" in finding["message"] and "Environment" in finding["message"]
    assert code == 3


@pytest.mark.parametrize("check", [
    # The pattern comes from the resource (a tag), so no validation could have seen it.
    {"not": {"attribute": "name", "matches": {"attribute": "tags.Pattern"}}},
    {"attribute": "length(deletion_protection)", "not_equals": 1},
])
def test_an_expression_or_pattern_that_cannot_be_computed_is_an_error(
        aws, write_config, tmp_path, check):
    estate.create_table(estate.account_session("123456789012"), EAST, "orders",
                        tags={"Pattern": "(["})
    folder = _probe(tmp_path, "probe-uncomputable", check)
    out = tmp_path / "out"
    code = main(["scan", "--config", str(write_config({"regions": [EAST]})), "--out", str(out),
                 "--policies", str(folder)])
    [finding] = json.loads((out / "report.json").read_text())["findings"]
    assert finding["status"] == "error", finding
    assert "could not be evaluated" in finding["message"]
    assert code == 3


def test_a_config_override_used_as_a_pattern_must_compile_before_the_scan(
        aws, write_config, tmp_path, capsys):
    folder = _probe(tmp_path, "probe-pattern",
                    {"not": {"attribute": "name", "matches": {"param": "pattern"}}})
    policy = folder / "probe-pattern.yml"
    policy.write_text(policy.read_text() + "parameters:\n  pattern:\n    default: '^orders$'\n"
                      "    description: a pattern the config overrides\n")
    config = write_config({"regions": [EAST],
                           "parameters": {"*": {"probe-pattern": {"pattern": "(["}}}})
    code = main(["scan", "--config", str(config), "--out", str(tmp_path / "out"),
                 "--policies", str(folder)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{config}:" in err and "probe-pattern.pattern is used as a regular expression" in err
    assert sum(aws.seen.values()) == 0

"""Findings people understand: sentences from the policy or from attribute descriptions,
never expression syntax or a comparison with null, in every output of the pack."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.errors import InputError
from preflight_scanner.evaluate import EvaluationContext, evaluate
from preflight_scanner.models import Account, Resource, ScanResult, Status
from preflight_scanner.policy import load_policies, load_policy_file
from preflight_scanner.policy.conditions import All, AnyOf, Condition, Leaf, Not
from preflight_scanner.policy.model import Policy
from preflight_scanner.policy.templates import sample_resource
from preflight_scanner.reports import html, junit, markdown, sarif, terminal
from preflight_scanner.resources import REGISTRY

PROD = Account("111111111111", "shop-prod", "prod")

# What a person would not write: JMESPath filters, operators, literals and function calls,
# the old "expected <op> <value>" tail, a comparison with null, and attribute names.
_SYNTAX = [r"\[\?", "&&", r"\|\|", "==", "`", r"\bnull\b", r"\bexpected\b", r"\.name\b",
           r"\b(?:length|min|max|to_number|days_between|hours_between)\("]
_ATTRIBUTES = sorted({name for t in REGISTRY.values() for name in t.attribute_names()
                      if "_" in name})
SYNTAX = re.compile("|".join([*_SYNTAX, *(rf"\b{a}\b" for a in _ATTRIBUTES)]))


def syntax_in(text: str) -> list[str]:
    return SYNTAX.findall(text)


def write_policy(tmp_path: Path, name: str = "t-policy", **overrides: Any) -> Path:
    body = {"id": name, "title": "t", "description": "d", "severity": "high",
            "resource": "aws.dynamodb.table",
            "runbook": "disaster-recovery#restore-a-dynamodb-table",
            "check": {"attribute": "pitr.status", "equals": "ENABLED"}} | overrides
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def judge(policy: Policy, **data: Any) -> Any:
    unreadable = data.pop("unreadable", {})
    resource = Resource("aws.dynamodb.table", "t", "t", None, PROD, "us-east-1", data, unreadable)
    (finding,) = evaluate([policy], [resource], (), EvaluationContext(), {}).findings
    return finding


# -- the engine ----------------------------------------------------------------------------

def test_a_leaf_message_is_rendered_with_the_resource_and_the_compared_values(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={
        "attribute": "provisioned_throughput.read", "lte": 100,
        "message": "{{ name }} reads {{ value }} units, more than {{ expected }}"}))
    finding = judge(policy, provisioned_throughput={"read": 500, "write": 5})
    assert finding.status is Status.FAIL
    assert finding.message == "t reads 500 units, more than 100"
    # The expression stays available: as evidence and as the decisive comparison.
    assert finding.evidence == {"provisioned_throughput.read": 500}
    assert [d.to_dict() for d in finding.decisive] == [
        {"attribute": "provisioned_throughput.read", "operator": "lte", "expected": 100}]


def test_a_group_message_speaks_once_for_the_leaves_that_made_it_fail(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={"all": [
        {"attribute": "pitr.status", "equals": "ENABLED"},
        {"attribute": "deletion_protection", "equals": True},
        {"attribute": "billing_mode", "equals": "PAY_PER_REQUEST",
         "message": "the table is provisioned"},
    ], "message": "the table is not protected"}))
    finding = judge(policy, pitr={"status": "DISABLED"}, deletion_protection=False,
                    billing_mode="PAY_PER_REQUEST")
    assert finding.message == "the table is not protected"
    assert finding.decisive_keys == ("pitr.status", "deletion_protection")


def test_leaf_messages_join_and_an_empty_one_says_nothing(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={"any": [
        {"attribute": "billing_mode", "equals": "PAY_PER_REQUEST",
         "message": "{# the next clause says it #}"},
        {"attribute": "autoscaling.read", "exists": True, "message": "reads are not auto scaled"},
        {"attribute": "autoscaling.write", "exists": True, "message": "writes are not auto scaled"},
    ]}))
    finding = judge(policy, billing_mode="PROVISIONED", autoscaling={"read": None, "write": None})
    assert finding.message == "reads are not auto scaled; writes are not auto scaled"


def test_under_not_the_inner_leaf_message_does_not_describe_the_failure(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={"not": {
        "attribute": "billing_mode", "equals": "PROVISIONED", "message": "it is on demand"}}))
    finding = judge(policy, billing_mode="PROVISIONED")
    assert finding.status is Status.FAIL
    assert "on demand" not in finding.message
    assert finding.message == "billing mode is PROVISIONED; it should not be PROVISIONED"
    stated = load_policy_file(write_policy(tmp_path, "t-stated", check={"not": {
        "attribute": "billing_mode", "equals": "PROVISIONED"}, "message": "it is provisioned"}))
    assert judge(stated, billing_mode="PROVISIONED").message == "it is provisioned"


def test_outcome_messages_for_pass_fail_and_error(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, messages={
        "fail": "point-in-time recovery is off on {{ name }}", "pass": "point-in-time recovery is on",
        "error": "cannot tell whether {{ name }} can be restored"}))
    assert judge(policy, pitr={"status": "DISABLED"}).message == "point-in-time recovery is off on t"
    assert judge(policy, pitr={"status": "ENABLED"}).message == "point-in-time recovery is on"
    error = judge(policy, unreadable={"pitr": "DescribeContinuousBackups failed (AccessDenied)"})
    assert error.status is Status.ERROR
    assert error.message == ("cannot tell whether t can be restored: DescribeContinuousBackups "
                             "failed (AccessDenied)")


def test_without_messages_the_sentence_comes_from_descriptions_and_never_says_null(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={"all": [
        {"attribute": "latest_backup.created_at", "exists": True},
        {"attribute": "backup_count", "gte": 1},
        {"attribute": "length(alarms[?metric == 'ThrottledRequests'])", "gt": 0},
    ]}))
    finding = judge(policy, latest_backup=None, backup_count=None, alarms=[])
    assert finding.message == (
        "latest backup created at is not set; number of backups is not "
        "set; it should be at least 1; what the policy computes from alarms is 0; it should "
        "be more than 0")
    assert syntax_in(finding.message) == []
    error = judge(policy, unreadable={"latest_backup": "ListBackups failed (Throttling)"})
    assert error.message == \
        "cannot tell: latest backup could not be read (ListBackups failed (Throttling))"
    wrong = judge(policy, latest_backup={"created_at": "x"}, backup_count=1, alarms=5)
    assert wrong.status is Status.ERROR
    assert wrong.message == (
        "cannot tell: what the policy computes from alarms could not be evaluated (the function "
        "length was given a value that is not set where text or a list or a mapping is needed)")


def test_every_attribute_is_named_by_what_it_is_not_by_one_of_its_values():
    # "Enabled, Suspended or Disabled" once made S3 versioning read "enabled is Suspended".
    from preflight_scanner.policy.messages import subject

    for name, rtype in REGISTRY.items():
        for attribute in [*rtype.listed, *(a for d in rtype.details for a in d.attributes)]:
            said = subject(attribute.name, [name])
            values = {v.lower() for v in re.findall(r"\b([A-Za-z_$]+)(?:,| or )", attribute.description)}
            assert said.lower() not in values, (name, attribute.name, said)
            assert not re.search(r"\*/\*|as a mapping|keyed by|how many", said), (name, said)


def test_a_message_that_fails_on_one_resource_falls_back_to_a_written_sentence(tmp_path):
    policy = load_policy_file(write_policy(tmp_path, check={
        "attribute": "provisioned_throughput.read", "lte": 100,
        "message": "reads are {{ value + 1 }}"}))  # renders on a number, not on a string
    finding = judge(policy, provisioned_throughput={"read": "lots"})
    assert finding.status is Status.FAIL
    assert finding.message == "provisioned throughput read is lots; it should be at most 100"


def test_message_templates_are_validated_with_file_and_line(tmp_path):
    path = write_policy(tmp_path, check={"attribute": "pitr.status", "equals": "ENABLED",
                                         "message": "{{ pitr.stauts }} on {{ nmae }}"},
                        messages={"fial": "x"})
    with pytest.raises(InputError) as info:
        load_policy_file(path)
    problems = info.value.problems
    text = path.read_text()
    lines = text.splitlines()
    by_line = {p.line: p for p in problems}
    message_line = next(i for i, line in enumerate(lines, 1) if "message:" in line)
    fial_line = next(i for i, line in enumerate(lines, 1) if "fial:" in line)
    assert "'nmae' is undefined" in by_line[message_line].message
    assert "unknown key 'fial'" in by_line[fial_line].message
    assert "did you mean 'fail'?" in by_line[fial_line].hint


# -- the catalogue -------------------------------------------------------------------------

def _covered(condition: Condition, spoken: bool) -> list[str]:
    """The leaves whose failure no message speaks for (so Preflight would write one)."""
    if isinstance(condition, Leaf):
        return [] if spoken or condition.message else [condition.expression]
    if isinstance(condition, Not):  # a not drops its leaves' messages: it needs its own
        return _covered(condition.item, spoken or condition.message is not None)
    assert isinstance(condition, (All, AnyOf))
    return [e for item in condition.items
            for e in _covered(item, spoken or condition.message is not None)]


def _variants(policy: Policy) -> list[dict[str, Any]]:
    """Documents that make the leaves fail in different ways: the sample resource, every
    attribute missing, every attribute empty."""
    variants = []
    for type_name in policy.resources:
        sample = sample_resource(type_name)
        for blank in (None, [], 0):
            variants.append({**sample, **dict.fromkeys(policy.attributes(), blank)})
        variants.append(sample)
    return variants


def failure_messages(policy: Policy) -> list[str]:
    messages = []
    for doc in _variants(policy):
        data = {k: v for k, v in doc.items() if k not in ("id", "name", "arn", "account_id",
                                                           "region", "environment")}
        resource = Resource(policy.resources[0], "sample", "sample", None, PROD, "us-east-1", data)
        (finding,) = evaluate([policy], [resource], (), EvaluationContext(), {}).findings
        messages.append(finding.message)
    return messages


BUILTIN = load_policies(None)


@pytest.mark.parametrize("policy", BUILTIN, ids=[p.id for p in BUILTIN])
def test_every_builtin_policy_states_its_messages(policy):
    assert _covered(policy.check, policy.messages.fail is not None) == [], \
        "every leaf's failure needs a message (its own, a group's, or messages.fail)"
    assert policy.messages.passed, "a pass says what is right, in words"
    for message in failure_messages(policy):
        assert message and syntax_in(message) == [], message


def test_the_catalogue_check_catches_a_message_that_shows_syntax(tmp_path):
    leaky = load_policy_file(write_policy(tmp_path, check={
        "attribute": "alarms[?metric == 'ThrottledRequests'].name", "exists": True,
        "message": "alarms[?metric == 'ThrottledRequests'].name is {{ value }}"},
        messages={"pass": "fine"}))
    assert any(syntax_in(m) for m in failure_messages(leaky))
    silent = load_policy_file(write_policy(tmp_path, "t-silent"))
    assert _covered(silent.check, False) == ["pitr.status"]
    for text in ("autoscaling.write is null", "timeout is 900, expected <= 300",
                 "reserved_concurrency is null", "length(api_integrations) is 1"):
        assert syntax_in(text), text


# -- every output of the pack --------------------------------------------------------------

SYNTH = "tests/data/iac/cdk-synth/"


def _junit_messages(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    return [e.get("message", "") for tag in ("failure", "error", "skipped")
            for e in root.iter(tag)]


def _html_messages(page: str) -> list[str]:
    """The message of each finding the page's data block holds (details: [message, ...])."""
    from tests.test_reports_html import data_of

    data = data_of(page)
    return [data["strings"][detail[0]] for detail in data["details"]]


def _sarif_messages(text: str) -> list[str]:
    # The lead line: the lines after it are the resource and the fix (commands may query).
    return [r["message"]["text"].split("\n")[0] for run in json.loads(text)["runs"]
            for r in run["results"]]


def test_no_output_of_the_demo_the_drill_or_iac_shows_expression_syntax(
        demo_aws, demo_scan, write_config, tmp_path, capsys):
    config = demo_aws.config
    result: ScanResult = demo_scan.result
    failing = [f for f in result.findings if f.status is not Status.PASS]
    assert len(failing) > 40  # the demo fails on purpose, in every policy
    for finding in result.findings:
        assert syntax_in(finding.message) == [], (finding.policy_id, finding.message)
        assert finding.status is Status.PASS or finding.decisive or not finding.evidence
    outputs = {
        "terminal": [terminal.render(result)],
        "markdown": [markdown.render(result)],
        "junit": _junit_messages(junit.render(result)),
        "sarif": _sarif_messages(sarif.render(result)),
        "html": _html_messages(html.render(result)),
    }
    # The drill's "blocked by" column, in its document and its Markdown.
    out = tmp_path / "drill"
    main(["drill", "--config", str(write_config(config)), "--out", str(out)])
    drill = json.loads((out / "drill.json").read_text())
    outputs["drill"] = [b["message"] for step in drill["steps"] for r in step["resources"]
                        for b in r.get("blocking", [])]
    # Its Markdown's readiness table (the checklist below it holds runbook commands, which
    # may well use --query).
    readiness = (out / "drill.md").read_text().split("## Readiness per runbook step")[1]
    outputs["drill.md"] = [readiness.split("\n## ")[0]]
    # `iac`: the terminal line of each planned resource that fails (its notes name the
    # attributes a policy reads, on purpose: they are not findings).
    capsys.readouterr()
    main(["iac", SYNTH, "tests/data/iac/terraform", "--environment", "prod",
          "--out", str(tmp_path / "iac")])
    outputs["iac"] = [line for line in capsys.readouterr().out.splitlines()
                      if not line.startswith("note: ")]
    for name, texts in outputs.items():
        assert texts and any(texts), name
        for text in texts:
            if name.endswith("markdown") or name.endswith(".md"):
                text = text.replace("`", "")  # Markdown's code spans, not JMESPath literals
            assert syntax_in(text) == [], (name, syntax_in(text), text[:300])
    assert any("point-in-time recovery is off" in line for line in outputs["iac"])
    assert any("cannot tell: reserved concurrent executions is unknown before deployment" in line
               for line in outputs["iac"])
    assert any("no CloudWatch alarm with enabled actions" in m for m in outputs["drill"])

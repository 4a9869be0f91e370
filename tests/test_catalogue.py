"""Meta-lint over the whole built-in pack: every policy is complete and consistent."""

from __future__ import annotations

from pathlib import Path

import pytest
from preflight_scanner.policy import builtin_policy_dir, load_policies
from preflight_scanner.policy.sandbox import render
from preflight_scanner.policy.templates import sample_resource
from preflight_scanner.resources import REGISTRY
from preflight_scanner.runbooks import RunbookLibrary

POLICIES = load_policies(None, runbooks=RunbookLibrary())
RUNBOOKS = RunbookLibrary()


def test_the_pack_is_not_empty_and_ships_inside_the_package():
    assert len(POLICIES) >= 6
    assert all(Path(p.source).parent == builtin_policy_dir() for p in POLICIES)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_policy_is_complete(policy):
    assert policy.id == Path(policy.source).stem
    section = RUNBOOKS.section(policy.runbook)
    assert section is not None, f"{policy.runbook} is not a runbook section"
    assert "```" in section.markdown or section.level == 2, "the section a responder follows has commands"
    assert policy.frameworks or len(policy.unmapped) > 20, "a mapping, or a stated reason for none"
    assert policy.remediation, "every policy says how to fix a failure"
    assert len(policy.description) > 80, "the description says why the runbook needs it"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_remediation_renders_with_the_resources_names(policy):
    for type_name in policy.resources:
        resource = sample_resource(type_name) | {"name": "orders-table-x", "region": "eu-west-3"}
        commands = [render(t, resource, policy.defaults()) for t in policy.remediation]
        text = "\n".join(commands)
        # A global type (CloudFront: listed once per account) is managed through us-east-1.
        assert "eu-west-3" in text or "region" not in " ".join(policy.remediation) or (
            REGISTRY[type_name].per_account and "--region us-east-1" in text)
        assert "{{" not in text and "{%" not in text
        assert any(token in text for token in ("orders-table-x", resource["id"],
                                                resource["account_id"], "eu-west-3")), text


def test_frameworks_use_known_catalogue_names():
    known = {"aws-fsbp", "aws-config", "cis-aws"}
    for policy in POLICIES:
        assert set(policy.frameworks) <= known, policy.id


def test_every_runbook_lists_its_preconditions():
    for name in RUNBOOKS.names():
        book = RUNBOOKS.runbook(name)
        assert book is not None and book.title
        assert "preconditions-preflight-checks" in book.sections, name

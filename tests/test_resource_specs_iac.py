"""The IaC mappings speak the specs' language: every attribute they plan exists in the spec
of its type, and what they assume for a property a template leaves out is what AWS answers
for it live (the spec's Field default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from preflight_scanner.iac.mappings import CLOUDFORMATION, PLANNABLE, TERRAFORM
from preflight_scanner.iac.model import Planned
from preflight_scanner.iac.run import load_planned
from preflight_scanner.iac.values import first_unknown
from preflight_scanner.resources import REGISTRY

FIXTURES = Path(__file__).parent / "data" / "iac"
# The types an IaC mapping plans (a mapping is optional: Route 53 zones have none yet).
MAPPED = [t for t in REGISTRY.values() if t.name in PLANNABLE]


def _bare(tmp_path: Path) -> list[Planned]:
    """Each spec's own CloudFormation and Terraform type, with no properties at all."""
    resources = {f"R{i}": {"Type": t.cloudformation[0], "Properties": {}}
                 for i, t in enumerate(MAPPED) if t.cloudformation}
    (tmp_path / "bare.yml").write_text(yaml.safe_dump(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}), encoding="utf-8")
    changes = [{"address": f"{t.terraform[0]}.x", "mode": "managed", "type": t.terraform[0],
                "name": "x", "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": None, "after": {},
                           "after_unknown": {}}}
               for t in MAPPED if t.terraform]
    (tmp_path / "plan.json").write_text(json.dumps(
        {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes}),
        encoding="utf-8")
    return load_planned([str(tmp_path / "bare.yml"), str(tmp_path / "plan.json")], {},
                        "eu-west-1", "111122223333")


def test_a_mapped_type_maps_the_iac_types_its_spec_names():
    assert MAPPED
    for rtype in MAPPED:
        assert rtype.cloudformation and rtype.terraform, rtype.name
        assert set(rtype.cloudformation) <= set(CLOUDFORMATION), rtype.name
        assert set(rtype.terraform) <= set(TERRAFORM), rtype.name


@pytest.mark.parametrize("type_name", sorted(PLANNABLE))
def test_plannable_attributes_exist_in_the_spec(type_name):
    assert type_name in REGISTRY
    assert PLANNABLE[type_name] <= set(REGISTRY[type_name].attribute_names())


def test_planned_documents_use_only_spec_attributes(tmp_path):
    fixtures = [str(p) for p in sorted(FIXTURES.iterdir()) if p.is_dir()]
    planned = load_planned(fixtures, {}, "eu-west-1", "111122223333") + _bare(tmp_path)
    assert {p.type for p in planned} == {t.name for t in MAPPED}
    for p in planned:
        known = set(REGISTRY[p.type].attribute_names())
        assert set(p.data) <= known, (p.id, set(p.data) - known)


def test_absent_properties_default_as_aws_answers_live(tmp_path):
    compared: dict[str, set[str]] = {}
    for p in _bare(tmp_path):
        rtype = REGISTRY[p.type]
        for name, value in p.data.items():
            field = rtype.field(name)
            if field is None or first_unknown(value) is not None:
                continue  # code provides it live, or the template cannot know it
            assert value == field.default, (p.type, p.kind, name)
            compared.setdefault(p.type, set()).add(name)
    # The comparison covers the attributes the mappings plan from the specs' defaults.
    assert compared["aws.s3.bucket"] >= {"versioning", "mfa_delete"}
    assert compared["aws.cognito.user_pool"] >= {"mfa_configuration", "deletion_protection"}
    assert compared["aws.dynamodb.table"] >= {"billing_mode", "deletion_protection", "pitr"}
    assert compared["aws.lambda.function"] >= {"timeout", "memory_size", "package_type",
                                               "architectures", "reserved_concurrency"}

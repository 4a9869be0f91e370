"""aws.cognito.user_pool from AWS::Cognito::UserPool and aws_cognito_user_pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources import cognito as spec
from ..model import Planned
from ..planvalues import tags as plan_tags
from ..remediation import Fix

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = spec.TYPE
# What a pool the template says nothing about has, as DescribeUserPool answers live.
MFA_OFF = spec.MFA_CONFIGURATION.default
UNPROTECTED = spec.DELETION_PROTECTION.default
PLANNABLE = {TYPE: frozenset({"mfa_configuration", "deletion_protection", "tags"})}


def user_pool_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {
        "mfa_configuration": t.value(r, "MfaConfiguration", default=MFA_OFF),
        "deletion_protection": t.value(r, "DeletionProtection", default=UNPROTECTED),
        "tags": t.tags(r, "UserPoolTags"),
    }
    return t.planned(logical_id, r, TYPE, t.value(r, "UserPoolName"), data, {
        "mfa_configuration": "MfaConfiguration", "deletion_protection": "DeletionProtection",
        "tags": "UserPoolTags"})


def user_pool_from_plan(p: Plan, c: Change) -> Planned:
    data = {
        "mfa_configuration": c.get("mfa_configuration", default=MFA_OFF),
        "deletion_protection": c.get("deletion_protection", default=UNPROTECTED),
        "tags": plan_tags(c),
    }
    return p.planned(c, TYPE, c.get("name"), data, {
        "mfa_configuration": "mfa_configuration", "deletion_protection": "deletion_protection",
        "tags": "tags"})


FIXES = {TYPE: {
    "mfa_configuration": Fix('set MfaConfiguration: "ON" (with EnabledMfas: '
                             "[SOFTWARE_TOKEN_MFA])",
                             'set mfa_configuration = "ON" with software_token_mfa_configuration '
                             "{ enabled = true }"),
    "deletion_protection": Fix("set DeletionProtection: ACTIVE",
                               'set deletion_protection = "ACTIVE"'),
}}
CLOUDFORMATION = {"AWS::Cognito::UserPool": user_pool_from_template}
TERRAFORM = {"aws_cognito_user_pool": user_pool_from_plan}

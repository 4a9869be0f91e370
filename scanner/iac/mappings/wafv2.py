"""aws.wafv2.web_acl from AWS::WAFv2::WebACL and aws_wafv2_web_acl: its scope and the rules
that block an IP set, judged by the live type's own reading of rules (``ip_block_rules``).

CloudFormation writes rules as the API does, except ``IPSetReferenceStatement.Arn``;
Terraform writes nested blocks as lists in snake case (``action { block {} }``,
``statement { ip_set_reference_statement { arn } }``). Both are put into the API's shape
first, so a rule means the same before and after deployment. An IP set created in the same
template or plan has no ARN yet: the reference (``${BlockedIPs.Arn}``, or "known after
apply") stands in for it, which is enough to know that the rule references a set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources.wafv2 import REGIONAL, ip_block_rules
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..values import Unknown, first_unknown

if TYPE_CHECKING:
    from ..model import Planned
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = "aws.wafv2.web_acl"
PLANNABLE = {TYPE: frozenset({"scope", "ip_block_rules", "tags"})}
_MAX_DEPTH = 20  # as the live reading: statements nest, a hostile template must not recurse


def _api_statement(statement: Any, depth: int = 0) -> Any:
    """CloudFormation's statement in the API's shape: ``Arn`` becomes ``ARN``."""
    if not isinstance(statement, dict) or depth > _MAX_DEPTH:
        return statement
    out = dict(statement)
    reference = out.get("IPSetReferenceStatement")
    if isinstance(reference, dict) and "Arn" in reference:
        out["IPSetReferenceStatement"] = {"ARN": str(reference["Arn"])}
    branches = (out.get("OrStatement") or {}).get("Statements")
    if isinstance(branches, list):
        out["OrStatement"] = {"Statements": [_api_statement(b, depth + 1) for b in branches]}
    return out


def _cfn_rules(rules: Any) -> Any:
    if isinstance(rules, Unknown) or (unknown := first_unknown(rules)) is not None:
        return rules if isinstance(rules, Unknown) else unknown
    return ip_block_rules([{**rule, "Statement": _api_statement(rule.get("Statement"))}
                           for rule in rules or [] if isinstance(rule, dict)])


def web_acl_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {"scope": t.value(r, "Scope", default=REGIONAL),
            "ip_block_rules": _cfn_rules(t.value(r, "Rules", default=[])),
            "tags": t.tags(r)}
    return t.planned(logical_id, r, TYPE, t.value(r, "Name"), data,
                     {"scope": "Scope", "ip_block_rules": "Rules", "tags": "Tags"})


def _first(blocks: Any) -> dict[str, Any]:
    """Terraform's one-element list of a nested block, or {}."""
    return blocks[0] if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict) \
        else {}


def _tf_statement(statement: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        return {}
    reference = _first(statement.get("ip_set_reference_statement"))
    if reference:
        arn = reference.get("arn")
        return {"IPSetReferenceStatement": {"ARN": arn if isinstance(arn, str) and arn
                                            else "(an IP set known after apply)"}}
    branches = _first(statement.get("or_statement")).get("statement") or []
    return {"OrStatement": {"Statements": [_tf_statement(b, depth + 1) for b in branches
                                           if isinstance(b, dict)]}} if branches else {}


def _tf_rules(c: Change) -> Any:
    rules = c.get("rule", default=[])
    if isinstance(rules, Unknown):
        return rules
    api_rules = []
    for rule in rules if isinstance(rules, list) else []:
        action = _first(rule.get("action"))
        taken = [name.capitalize() for name, value in action.items() if value]
        api_rules.append({"Name": rule.get("name"), "Priority": rule.get("priority"),
                          "Action": {name: {} for name in taken},
                          "Statement": _tf_statement(_first(rule.get("statement")))})
    return ip_block_rules(api_rules)


def web_acl_from_plan(p: Plan, c: Change) -> Planned:
    data = {"scope": c.get("scope", default=REGIONAL), "ip_block_rules": _tf_rules(c),
            "tags": plan_tags(c)}
    return p.planned(c, TYPE, c.get("name"), data,
                     {"scope": "scope", "ip_block_rules": "rule", "tags": "tags"})


FIXES = {TYPE: {"ip_block_rules": Fix(
    "add an AWS::WAFv2::IPSet and, in Rules, {Name: blocked-addresses, Priority: 0, Action: "
    "{Block: {}}, Statement: {IPSetReferenceStatement: {Arn: !GetAtt <the set>.Arn}}, "
    "VisibilityConfig: ...}",
    "add resource \"aws_wafv2_ip_set\" and a rule { action { block {} } statement { "
    "ip_set_reference_statement { arn = <the set>.arn } } } to this web ACL")}}
CLOUDFORMATION = {"AWS::WAFv2::WebACL": web_acl_from_template}
TERRAFORM = {"aws_wafv2_web_acl": web_acl_from_plan}

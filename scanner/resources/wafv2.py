"""WAFv2 web ACLs: the rules that block what an IP set lists, and the join from API stages.

The security-incident runbook blocks an address by adding it to an IP set; that works only
if a rule with a Block action references the set. GetWebACL gives the rules, so the type is
a listing (ListWebACLs) and one GetWebACL per ACL a policy reads.

Regional ACLs (API Gateway, ALB, Cognito, AppSync) are listed in every scanned region.
CLOUDFRONT-scope ACLs are global but answered only in us-east-1, so they are listed there
(when the scan includes us-east-1) and carry that region. IP sets are not a type of their
own: WAF refuses to delete a set a rule references, so the rule's reference is the set.

moto lacks ListResourcesForWebACL, and it would cost a call per ACL and resource type: the
stages' side already names its ACL (GetStages' webAclArn), so a stage joins its ACL from
there (:func:`stage_web_acl_detail`), one GetWebACL per distinct ACL the stages name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import engine
from .spec import (
    TAGS_ATTRIBUTE,
    Attribute,
    Call,
    CustomDetail,
    CustomListing,
    Detail,
    Document,
    Field,
    Get,
    ResourceType,
    tag_list,
)

if TYPE_CHECKING:
    from ..aws import RegionContext
    from ..models import Resource

TYPE = "aws.wafv2.web_acl"
REGIONAL, CLOUDFRONT = "REGIONAL", "CLOUDFRONT"
CLOUDFRONT_REGION = "us-east-1"  # the only endpoint that answers the CLOUDFRONT scope

# ListWebACLs has no botocore paginator: NextMarker goes back as it came. 100 is WAF's most.
LIST_REGIONAL = Call("wafv2", "ListWebACLs", "WebACLs", {"Scope": REGIONAL}, page_size=100,
                     page_param="Limit", token="NextMarker", token_on_last_page=True)
LIST_CLOUDFRONT = Call("wafv2", "ListWebACLs", "WebACLs", {"Scope": CLOUDFRONT}, page_size=100,
                       page_param="Limit", token="NextMarker", token_on_last_page=True,
                       only_region=CLOUDFRONT_REGION)
GET_WEB_ACL = Call("wafv2", "GetWebACL", "WebACL")
# The same call made for a stage's join: once per distinct ACL the stages name.
GET_STAGE_WEB_ACL = Call("wafv2", "GetWebACL", "WebACL", per_value_of="web_acl_arn")
LIST_TAGS = Call("wafv2", "ListTagsForResource", "TagInfoForResource")

# Statements nest (And/Or/Not); AWS bounds them by capacity units, this by depth, so a
# hostile answer cannot recurse without end.
_MAX_DEPTH = 20


def _action(rule: dict[str, Any]) -> str:
    """Block, Allow, Count, Captcha or Challenge; a rule group's rules decide themselves."""
    action = rule.get("Action") or {}
    return next(iter(action), "RuleGroup" if rule.get("OverrideAction") else "None")


def _blocked_sets(statement: Any, depth: int = 0) -> list[str]:
    """IP sets every address of which the statement matches: one referenced directly, or
    any branch of an OrStatement. An And or Not narrows or inverts the set, so a rule built
    on it does not block an address merely added to the set."""
    if not isinstance(statement, dict) or depth > _MAX_DEPTH:
        return []
    reference = statement.get("IPSetReferenceStatement")
    if isinstance(reference, dict) and reference.get("ARN"):
        return [str(reference["ARN"])]
    branches = (statement.get("OrStatement") or {}).get("Statements") or []
    return [arn for branch in branches for arn in _blocked_sets(branch, depth + 1)]


def ip_block_rules(rules: Any) -> list[dict[str, Any]]:
    """The rules with a Block action over an IP set: {name, priority, ip_set_arn}."""
    return [{"name": rule.get("Name"), "priority": rule.get("Priority"), "ip_set_arn": arn}
            for rule in rules or [] if isinstance(rule, dict) and _action(rule) == "Block"
            for arn in _blocked_sets(rule.get("Statement"))]


def rule_summaries(rules: Any) -> list[dict[str, Any]]:
    return [{"name": rule.get("Name"), "priority": rule.get("Priority"),
             "action": _action(rule)} for rule in rules or [] if isinstance(rule, dict)]


def default_action(value: Any) -> str | None:
    return next(iter(value), None) if isinstance(value, dict) else None


IP_BLOCK_RULES = Field(
    Attribute("ip_block_rules", "Rules that block the addresses of an IP set: {name, "
              "priority, ip_set_arn}", [{"name": "block-listed", "priority": 0,
                                         "ip_set_arn": "arn:aws:wafv2:us-east-1:123456789012:"
                                         "regional/ipset/blocklist/1a2b"}],
              "IP-set block rules"),
    Get("Rules", [], ip_block_rules),
)
RULES = Field(Attribute("rules", "Every rule: {name, priority, action}",
                        [{"name": "rate-limit", "priority": 1, "action": "Block"}]),
              Get("Rules", [], rule_summaries))
DEFAULT_ACTION = Field(Attribute("default_action", "Allow or Block: what no rule matched gets",
                                 "Allow"), Get("DefaultAction", None, default_action))
TAGS = Field(TAGS_ATTRIBUTE, Get("TagList", convert=tag_list))


def _list(ctx: RegionContext) -> Iterator[Resource]:
    calls = [LIST_REGIONAL] + ([LIST_CLOUDFRONT] if ctx.region == CLOUDFRONT_REGION else [])
    for call in calls:
        for acl in engine.items(ctx, call):
            yield ctx.resource(TYPE, acl["Id"], acl["Name"], acl["ARN"],
                               {"scope": call.params["Scope"]})


RESOURCE = ResourceType(
    name=TYPE,
    description="A WAFv2 web ACL (CLOUDFRONT scope: listed in us-east-1)",
    listing=CustomListing((LIST_REGIONAL, LIST_CLOUDFRONT), _list, (
        Attribute("scope", "REGIONAL, or CLOUDFRONT for distributions and Amplify apps",
                  REGIONAL),
    )),
    details=(
        Detail("web_acl", GET_WEB_ACL, {"Name": "name", "Scope": "scope", "Id": "id"},
               (IP_BLOCK_RULES, RULES, DEFAULT_ACTION)),
        Detail("tags", LIST_TAGS, {"ResourceARN": "arn"}, (TAGS,)),
    ),
    cloudformation=("AWS::WAFv2::WebACL",),
    terraform=("aws_wafv2_web_acl",),
)


# --- the stage side of the join ------------------------------------------------------------

def _named(arn: str) -> dict[str, str]:
    """GetWebACL's parameters from a regional ACL's ARN (…:regional/webacl/NAME/ID)."""
    parts = arn.split(":", 5)[-1].split("/")
    if len(parts) != 4 or parts[1] != "webacl":
        raise ValueError(f"{arn!r} is not a WAFv2 web ACL ARN")
    return {"Name": parts[2], "Id": parts[3],
            "Scope": CLOUDFRONT if parts[0] == "global" else REGIONAL}


def _joined(ctx: RegionContext, arn: str) -> Document:
    acl = engine.answer(ctx, GET_STAGE_WEB_ACL, **_named(arn))
    return {"arn": arn, "name": acl.get("Name"), "ip_block_rules": IP_BLOCK_RULES.read(acl)}


def _fetch_stage_acl(ctx: RegionContext, stage: Resource) -> Document:
    """Per stage, so a stage without an ACL costs nothing and cannot fail, and an ACL that
    cannot be read makes only its own stages unreadable; the answer is shared by every
    stage of the account-region that names the same ACL (one call, or one error)."""
    arn = stage.data.get("web_acl_arn")
    if not arn:
        return {"web_acl": None}
    joined: Document = ctx.shared(f"wafv2:web_acl:{arn}", lambda: _joined(ctx, arn))
    return {"web_acl": joined}


def stage_web_acl_detail() -> CustomDetail:
    """``web_acl`` of a REST stage: its associated ACL's name and IP-set block rules."""
    return CustomDetail(
        "web_acl", (GET_STAGE_WEB_ACL,),
        (Attribute("web_acl", "The associated web ACL: {arn, name, ip_block_rules}, or null",
                   {"arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/orders/0f1e",
                    "name": "orders", "ip_block_rules": IP_BLOCK_RULES.attribute.example},
                   "attached web ACL"),),
        fetch_one=_fetch_stage_acl,
    )

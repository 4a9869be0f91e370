"""Cognito user pools: MFA configuration and tags (one DescribeUserPool gives both)."""

from __future__ import annotations

from ..aws import RegionContext
from ..models import Resource
from .base import Attribute, Detail, Document, ResourceType

TYPE = "aws.cognito.user_pool"


def _list(ctx: RegionContext):
    for pool in ctx.paginate("cognito-idp", "list_user_pools", "UserPools", MaxResults=60):
        pool_id = pool["Id"]
        yield ctx.resource(TYPE, pool_id, pool.get("Name", pool_id),
                           ctx.arn("cognito-idp", f"userpool/{pool_id}"), {})


def _describe(ctx: RegionContext, pool: Resource) -> Document:
    desc = ctx.client("cognito-idp").describe_user_pool(UserPoolId=pool.id)["UserPool"]
    return {
        "mfa_configuration": desc.get("MfaConfiguration", "OFF"),
        "deletion_protection": desc.get("DeletionProtection", "INACTIVE"),
        "tags": dict(desc.get("UserPoolTags") or {}),
    }


RESOURCE = ResourceType(
    name=TYPE,
    description="A Cognito user pool",
    list_calls=("cognito-idp:ListUserPools",),
    list=_list,
    listed=(),
    details=(
        Detail(
            "user_pool",
            ("cognito-idp:DescribeUserPool",),
            (
                Attribute("mfa_configuration", "OFF, ON or OPTIONAL", "ON"),
                Attribute("deletion_protection", "ACTIVE or INACTIVE", "ACTIVE"),
                Attribute("tags", "Resource tags as a mapping", {"Environment": "prod"}, "tags"),
            ),
            fetch_one=_describe,
        ),
    ),
)

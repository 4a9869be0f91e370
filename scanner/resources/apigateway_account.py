"""API Gateway's account settings, one per account-region: the CloudWatch Logs role.

API Gateway writes execution logs with a role set once per account and region
(GetAccount's ``cloudwatchRoleArn``). Without it, turning a stage's execution logging on
(the first step of the API Gateway runbook when a 5XX has no explanation) is refused, in
the middle of the incident. ``rest_api_count`` counts the region's REST APIs from the
listing the stages already share, so a policy can ask for the role only where there is
something to log, at no extra call.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..aws import RegionContext
from ..models import Resource
from .apigateway import REST_APIS, rest_apis
from .spec import Attribute, Call, CustomDetail, CustomListing, Detail, Document, Field, Get, ResourceType

TYPE = "aws.apigateway.account"

# API Gateway authorises apigateway:GET on the /account path.
GET_ACCOUNT = Call("apigateway", "GetAccount", iam_path="/account")

CLOUDWATCH_ROLE = Field(
    Attribute("cloudwatch_role_arn", "IAM role API Gateway writes CloudWatch Logs with, or "
              "null", "arn:aws:iam::111111111111:role/apigateway-logs",
              "API Gateway CloudWatch Logs role"),
    Get("cloudwatchRoleArn"))


def _list(ctx: RegionContext) -> Iterator[Resource]:
    partition = ctx.sessions.partition(ctx.region)
    yield ctx.resource(TYPE, f"{ctx.account.id}/{ctx.region}", ctx.region,
                       f"arn:{partition}:apigateway:{ctx.region}::/account", {})


def _rest_api_count(ctx: RegionContext, accounts: list[Resource]) -> dict[str, Document]:
    count = len(rest_apis(ctx))
    return {account.id: {"rest_api_count": count} for account in accounts}


RESOURCE = ResourceType(
    name=TYPE,
    description="API Gateway's settings in an account-region (one per scanned account and "
                "region)",
    listing=CustomListing((), _list),
    details=(
        Detail("account", GET_ACCOUNT, {}, (CLOUDWATCH_ROLE,)),
        CustomDetail("rest_apis", (REST_APIS,),
                     (Attribute("rest_api_count", "REST APIs in the account-region (from the "
                                "listing the stages share)", 3, "REST APIs"),),
                     fetch_batch=_rest_api_count),
    ),
    cloudformation=("AWS::ApiGateway::Account",),
    terraform=("aws_api_gateway_account",),
)

"""API Gateway stages: REST (v1) method settings and HTTP (v2) default route settings.

A stage's throttling, logging and tags all come back with GetStages, so listing the
stages is the only cost: one GetRestApis per account-region, one GetStages per API.
The ``alarms`` attribute joins the account-region's single DescribeAlarms listing (shared
with every other watched type) to each stage by its metric dimensions: REST APIs publish
``ApiName`` and ``Stage``, HTTP APIs ``ApiId`` and ``Stage``. An alarm without a Stage
dimension watches the whole API, so it covers every stage; one on another stage does not.
"""

from __future__ import annotations

from typing import Any

from ..aws import RegionContext
from . import cloudwatch
from .base import Attribute, ResourceType

REST_TYPE = "aws.apigateway.stage"
# GetRestApis and GetResources answer 25 items a page unless asked for up to 500.
PAGE_SIZE = 500
HTTP_TYPE = "aws.apigatewayv2.stage"


def rest_apis(ctx: RegionContext) -> list[dict[str, Any]]:
    """The region's REST APIs, listed once and shared with other resource types."""
    return ctx.shared("apigateway.rest_apis",
                      lambda: ctx.paginate("apigateway", "get_rest_apis", "items", limit=PAGE_SIZE))


def http_apis(ctx: RegionContext) -> list[dict[str, Any]]:
    return ctx.shared("apigatewayv2.apis",
                      lambda: ctx.paginate("apigatewayv2", "get_apis", "Items"))


def _list_rest(ctx: RegionContext):
    client = ctx.client("apigateway")
    partition = ctx.sessions.partition(ctx.region)
    apis = rest_apis(ctx)
    # One GetStages per API, spread over idle workers.
    stages_of = ctx.map(lambda api: client.get_stages(restApiId=api["id"]).get("item", []), apis)
    for api, stages in zip(apis, stages_of, strict=True):
        for stage in stages:
            name = stage["stageName"]
            settings = stage.get("methodSettings") or {}
            default = settings.get("*/*", {})
            yield ctx.resource(
                REST_TYPE,
                f"{api['id']}/{name}",
                f"{api.get('name', api['id'])}/{name}",
                f"arn:{partition}:apigateway:{ctx.region}::/restapis/{api['id']}/stages/{name}",
                {
                    "api_id": api["id"],
                    "api_name": api.get("name", ""),
                    "stage_name": name,
                    "throttling": {
                        "rate_limit": default.get("throttlingRateLimit"),
                        "burst_limit": default.get("throttlingBurstLimit"),
                    },
                    "logging_level": default.get("loggingLevel", "OFF"),
                    "metrics_enabled": bool(default.get("metricsEnabled", False)),
                    "method_settings": {
                        path: {
                            "rate_limit": s.get("throttlingRateLimit"),
                            "burst_limit": s.get("throttlingBurstLimit"),
                            "logging_level": s.get("loggingLevel", "OFF"),
                        }
                        for path, s in settings.items()
                    },
                    "tracing_enabled": bool(stage.get("tracingEnabled", False)),
                    "web_acl_arn": stage.get("webAclArn"),
                    "access_log_destination": (stage.get("accessLogSettings") or {}).get(
                        "destinationArn"),
                    "tags": dict(stage.get("tags") or {}),
                },
            )


def _list_http(ctx: RegionContext):
    client = ctx.client("apigatewayv2")
    partition = ctx.sessions.partition(ctx.region)

    def stages_of(api: dict[str, Any]) -> list[dict[str, Any]]:
        stages = []
        params: dict[str, Any] = {"ApiId": api["ApiId"]}
        while True:  # GetStages has no boto3 paginator
            page = client.get_stages(**params)
            stages.extend(page.get("Items", []))
            if not page.get("NextToken"):
                return stages
            params["NextToken"] = page["NextToken"]

    apis = http_apis(ctx)
    for api, stages in zip(apis, ctx.map(stages_of, apis), strict=True):
        for stage in stages:
            name = stage["StageName"]
            route = stage.get("DefaultRouteSettings") or {}
            yield ctx.resource(
                HTTP_TYPE,
                f"{api['ApiId']}/{name}",
                f"{api.get('Name', api['ApiId'])}/{name}",
                f"arn:{partition}:apigateway:{ctx.region}::/apis/{api['ApiId']}/stages/{name}",
                {
                    "api_id": api["ApiId"],
                    "api_name": api.get("Name", ""),
                    "protocol_type": api.get("ProtocolType"),
                    "stage_name": name,
                    "throttling": {
                        "rate_limit": route.get("ThrottlingRateLimit"),
                        "burst_limit": route.get("ThrottlingBurstLimit"),
                    },
                    "access_log_destination": (stage.get("AccessLogSettings") or {}).get(
                        "DestinationArn"),
                    "tags": dict(stage.get("Tags") or {}),
                },
            )


_STAGE_COMMON = (
    Attribute("api_id", "Identifier of the API", "a1b2c3d4e5"),
    Attribute("api_name", "Name of the API", "orders-api"),
    Attribute("stage_name", "Name of the stage", "prod"),
    Attribute("throttling", "Stage-wide throttling: {rate_limit, burst_limit}, null when unset",
              {"rate_limit": 1000.0, "burst_limit": 2000}),
    Attribute("access_log_destination", "ARN access logs go to, or null", None),
    Attribute("tags", "Resource tags as a mapping", {"Environment": "prod"}, "tags"),
)

REST_RESOURCE = ResourceType(
    name=REST_TYPE,
    description="A stage of an API Gateway REST API",
    list_calls=("apigateway:GetRestApis", "apigateway:GetStages"),
    list=_list_rest,
    listed=(
        *_STAGE_COMMON,
        Attribute("logging_level", "Execution logging level of */*: OFF, ERROR or INFO", "INFO",
                  "execution logging level"),
        Attribute("metrics_enabled", "Detailed CloudWatch metrics on */*", True,
                  "detailed CloudWatch metrics"),
        Attribute("method_settings", "Per-method settings keyed by 'resource/method'",
                  {"*/*": {"rate_limit": 1000.0, "burst_limit": 2000, "logging_level": "INFO"}},
                  "per-method settings"),
        Attribute("tracing_enabled", "X-Ray tracing", False),
        Attribute("web_acl_arn", "ARN of the associated WAF web ACL, or null", None),
    ),
    details=(
        cloudwatch.alarm_detail(
            "AWS/ApiGateway",
            identity=lambda s: {"ApiName": s.data["api_name"], "Stage": s.data["stage_name"]},
            required={"ApiName"},
        ),
    ),
)

HTTP_RESOURCE = ResourceType(
    name=HTTP_TYPE,
    description="A stage of an API Gateway HTTP or WebSocket API (v2)",
    list_calls=("apigatewayv2:GetApis", "apigatewayv2:GetStages"),
    list=_list_http,
    listed=(
        *_STAGE_COMMON,
        Attribute("protocol_type", "HTTP or WEBSOCKET", "HTTP"),
    ),
    details=(
        cloudwatch.alarm_detail(
            "AWS/ApiGateway",
            identity=lambda s: {"ApiId": s.data["api_id"], "Stage": s.data["stage_name"]},
            required={"ApiId"},
        ),
    ),
)

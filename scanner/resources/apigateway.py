"""API Gateway stages: REST (v1) method settings and HTTP (v2) default route settings.

A stage's throttling, logging and tags all come back with GetStages, so listing the
stages is the only cost: one GetRestApis per account-region, one GetStages per API.
The ``alarms`` attribute joins the account-region's single DescribeAlarms listing (shared
with every other watched type) to each stage by its metric dimensions: REST APIs publish
``ApiName`` and ``Stage``, HTTP APIs ``ApiId`` and ``Stage``. An alarm without a Stage
dimension watches the whole API, so it covers every stage; one on another stage does not.
A REST stage's ``execution_log_group`` comes from the shared log-group listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import cloudwatch, engine, logs, wafv2
from .spec import TAGS_ATTRIBUTE, Attribute, Call, CustomListing, ResourceType

REST_TYPE = "aws.apigateway.stage"
HTTP_TYPE = "aws.apigatewayv2.stage"

# The region's REST and HTTP APIs: listed once and shared with other types (Lambda's
# integrations). GetRestApis and GetResources answer 25 items a page unless asked for 500.
# API Gateway authorises apigateway:GET on the resource path a call reads.
REST_APIS = Call("apigateway", "GetRestApis", "items", page_size=500, page_param="limit",
                 shared="apigateway.rest_apis", iam_path="/restapis")
REST_STAGES = Call("apigateway", "GetStages", "item", per_item_of=REST_APIS,
                   iam_path="/restapis/*/stages")
HTTP_APIS = Call("apigatewayv2", "GetApis", "Items", token="NextToken",
                 shared="apigatewayv2.apis", iam_path="/apis")
HTTP_STAGES = Call("apigatewayv2", "GetStages", "Items", token="NextToken",
                   per_item_of=HTTP_APIS, iam_path="/apis/*/stages")


def rest_apis(ctx: RegionContext) -> list[dict[str, Any]]:
    """The region's REST APIs, listed once and shared with other resource types."""
    return engine.shared_items(ctx, REST_APIS)


def http_apis(ctx: RegionContext) -> list[dict[str, Any]]:
    return engine.shared_items(ctx, HTTP_APIS)


def _list_rest(ctx: RegionContext) -> Iterator[Resource]:
    partition = ctx.sessions.partition(ctx.region)
    apis = rest_apis(ctx)
    # One GetStages per API, spread over idle workers.
    stages_of = ctx.map(lambda api: engine.answer(ctx, REST_STAGES, restApiId=api["id"]), apis)
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


def _list_http(ctx: RegionContext) -> Iterator[Resource]:
    partition = ctx.sessions.partition(ctx.region)

    def stages_of(api: dict[str, Any]) -> list[dict[str, Any]]:
        return engine.items(ctx, HTTP_STAGES, ApiId=api["ApiId"])

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
    TAGS_ATTRIBUTE,
)

REST_RESOURCE = ResourceType(
    name=REST_TYPE,
    description="A stage of an API Gateway REST API",
    listing=CustomListing((REST_APIS, REST_STAGES), _list_rest, (
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
    )),
    details=(
        cloudwatch.alarm_detail(
            "AWS/ApiGateway",
            identity=lambda s: {"ApiName": s.data["api_name"], "Stage": s.data["stage_name"]},
            required={"ApiName"},
        ),
        # The group API Gateway names after the API and stage when execution logging is on.
        logs.log_group_detail(
            "execution_log_group", "The stage's execution log group "
            "(API-Gateway-Execution-Logs_<api id>/<stage>), as the runbook reads it",
            lambda s: f"API-Gateway-Execution-Logs_{s.data['api_id']}/{s.data['stage_name']}"),
        wafv2.stage_web_acl_detail(),  # web_acl: the ACL web_acl_arn names, joined
    ),
    cloudformation=("AWS::ApiGateway::Stage",),
    terraform=("aws_api_gateway_stage",),
)

HTTP_RESOURCE = ResourceType(
    name=HTTP_TYPE,
    description="A stage of an API Gateway HTTP or WebSocket API (v2)",
    listing=CustomListing((HTTP_APIS, HTTP_STAGES), _list_http, (
        *_STAGE_COMMON,
        Attribute("protocol_type", "HTTP or WEBSOCKET", "HTTP"),
    )),
    details=(
        cloudwatch.alarm_detail(
            "AWS/ApiGateway",
            identity=lambda s: {"ApiId": s.data["api_id"], "Stage": s.data["stage_name"]},
            required={"ApiId"},
        ),
    ),
    cloudformation=("AWS::ApiGatewayV2::Stage",),
    terraform=("aws_apigatewayv2_stage",),
)

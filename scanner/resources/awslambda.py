"""Lambda functions: timeout, memory, runtime, reserved concurrency, tags, aliases and
published versions (the rollback the runbook performs), the alarms that watch them, their
longest recent execution (one GetMetricData batch per account-region), and which API
Gateway integrations call them (joined from the region's APIs in one pass). The log group
each writes to comes from the region's shared log-group listing; Lambda Insights from the
layers ListFunctions already answers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ..aws import RegionContext
from ..models import Resource
from . import cloudwatch, engine, logs, tagging
from .apigateway import HTTP_APIS, REST_APIS, http_apis, rest_apis
from .spec import Attribute, Call, CustomDetail, Detail, Document, Field, Get, Listing, ResourceType

TYPE = "aws.lambda.function"

REST_RESOURCES = Call("apigateway", "GetResources", "items", {"embed": ["methods"]},
                      page_size=500, page_param="limit", per_item_of=REST_APIS,
                      iam_path="/restapis/*/resources")
HTTP_INTEGRATIONS = Call("apigatewayv2", "GetIntegrations", "Items", token="NextToken",
                         per_item_of=HTTP_APIS, iam_path="/apis/*/integrations")
LIST_ALIASES = Call("lambda", "ListAliases", "Aliases", page_size=50)
LIST_VERSIONS = Call("lambda", "ListVersionsByFunction", "Versions", page_size=50)
# GetMetricData accepts at most 500 queries per request: the "page" is 500 functions.
GET_METRIC_DATA = Call("cloudwatch", "GetMetricData", "MetricDataResults", page_size=500)

# arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
_INVOKE_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


TIMEOUT = Field(Attribute("timeout", "Timeout in seconds", 30), Get("Timeout", 3))
MEMORY_SIZE = Field(Attribute("memory_size", "Memory in MB", 512), Get("MemorySize", 128))
RESERVED_CONCURRENCY = Field(
    Attribute("reserved_concurrency", "Reserved concurrent executions, null if unreserved", 50),
    Get("ReservedConcurrentExecutions"))


# AWS publishes the Lambda Insights extension as a layer named LambdaInsightsExtension
# (-Arm64 for Graviton) from its own accounts, one per region: the name is what is stable.
_INSIGHTS_LAYER = re.compile(r":layer:LambdaInsightsExtension(-Arm64)?:\d+$")


def _layer_arns(layers: Any) -> list[str]:
    return [str(layer.get("Arn", "")) for layer in layers or ()]


def is_insights_layer(arn: str) -> bool:
    """Is this layer version ARN the Lambda Insights extension? (The IaC mapping asks too.)"""
    return _INSIGHTS_LAYER.search(arn) is not None


def _has_insights(layers: Any) -> bool:
    return any(is_insights_layer(arn) for arn in _layer_arns(layers))


LAYERS = Field(Attribute("layers", "ARNs of the layers the function runs with",
                         ["arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:49"]),
               Get("Layers", (), _layer_arns))
LAMBDA_INSIGHTS = Field(
    Attribute("lambda_insights", "The Lambda Insights extension is one of its layers "
              "(LambdaInsightsExtension[-Arm64], read from ListFunctions: no extra call)", True,
              "Lambda Insights"),
    Get("Layers", (), _has_insights))
# The group a function logs to: its logging configuration's, else Lambda's default name.
LOG_GROUP_NAME = Field(
    Attribute("log_group_name", "Log group its logging configuration names (null: the default "
              "/aws/lambda/<name>)", None),
    Get("LoggingConfig.LogGroup"))


def _log_group_of(fn: Resource) -> str:
    return str(fn.data.get("log_group_name") or f"/aws/lambda/{fn.name}")


def _unqualified(function_arn: str) -> str:
    """Drop an alias or version: arn:...:function:NAME[:QUALIFIER] -> arn:...:function:NAME."""
    return ":".join(function_arn.split(":")[:7])


def _api_integrations(ctx: RegionContext, functions: list[Resource]) -> dict[str, Document]:
    found: dict[str, list[dict[str, Any]]] = {}

    def rest_integrations(api: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for resource in engine.items(ctx, REST_RESOURCES, restApiId=api["id"]):
            for method, spec in (resource.get("resourceMethods") or {}).items():
                integration = spec.get("methodIntegration") or {}
                match = _INVOKE_URI.search(integration.get("uri") or "")
                if match:
                    out.append((_unqualified(match.group(1)), {
                        "api_type": "REST", "api_id": api["id"], "path": resource.get("path"),
                        "method": method,
                        **_timeouts(integration.get("timeoutInMillis", 29000)),
                    }))
        return out

    def http_integrations(api: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for integration in engine.items(ctx, HTTP_INTEGRATIONS, ApiId=api["ApiId"]):
            uri = integration.get("IntegrationUri") or ""
            match = _INVOKE_URI.search(uri)
            target = match.group(1) if match else uri
            if ":lambda:" in target and ":function:" in target:
                out.append((_unqualified(target), {
                    "api_type": api.get("ProtocolType", "HTTP"), "api_id": api["ApiId"],
                    "path": None, "method": None,
                    **_timeouts(integration.get("TimeoutInMillis", 30000)),
                }))
        return out

    # One call per API, REST and HTTP alike, spread over idle workers; order is kept.
    jobs = [(rest_integrations, api) for api in rest_apis(ctx)]
    jobs += [(http_integrations, api) for api in http_apis(ctx)]
    for pairs in ctx.map(lambda job: job[0](job[1]), jobs):
        for function_arn, integration in pairs:
            found.setdefault(function_arn, []).append(integration)
    return {fn.id: {"api_integrations": found.get(_unqualified(fn.arn or ""), [])}
            for fn in functions}


def _timeouts(timeout_ms: int) -> dict[str, Any]:
    # Seconds too, so a policy compares with the function's `timeout` without arithmetic.
    return {"timeout_ms": timeout_ms, "timeout_seconds": timeout_ms / 1000}


def _aliases(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": alias["Name"], "function_version": alias.get("FunctionVersion")}
            for alias in listed]


def _published(listed: list[dict[str, Any]]) -> list[int]:
    return sorted(int(v["Version"]) for v in listed
                  if str(v.get("Version", "")).isdigit())  # not $LATEST


# The look-back window of the `duration` attribute: long enough to include a weekly batch
# job or a monthly peak's run-up, short enough to stay in CloudWatch's 1-minute retention.
DURATION_WINDOW_DAYS = 14
METRIC_QUERIES_PER_CALL = GET_METRIC_DATA.page_size or 500


def _duration(ctx: RegionContext, functions: list[Resource]) -> dict[str, Document]:
    """Maximum Duration over the window for every function, one query each, batched.

    One period spans the whole window, so each query yields (at most) one datapoint; the
    maximum over whatever comes back is taken in case CloudWatch splits the window at a
    period boundary. A query CloudWatch could not answer fails the batch: a function with
    no datapoints is reported as such, never one whose datapoints could not be read.
    """
    # Up to the next whole minute: includes datapoints of the current minute.
    end = (ctx.now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    start = end - timedelta(days=DURATION_WINDOW_DAYS)
    period = DURATION_WINDOW_DAYS * 86400
    maxima: dict[str, float | None] = {}
    for offset in range(0, len(functions), METRIC_QUERIES_PER_CALL):
        chunk = functions[offset:offset + METRIC_QUERIES_PER_CALL]
        ids = {f"f{i}": fn.id for i, fn in enumerate(chunk)}  # ids must start lowercase
        queries = [{
            "Id": f"f{i}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Duration",
                           "Dimensions": [{"Name": "FunctionName", "Value": fn.name}]},
                "Period": period, "Stat": "Maximum",
            },
            "ReturnData": True,
        } for i, fn in enumerate(chunk)]
        results = engine.items(ctx, GET_METRIC_DATA, MetricDataQueries=queries,
                               StartTime=start, EndTime=end)
        for fn_id in ids.values():
            maxima.setdefault(fn_id, None)
        for result in results:  # a query's values may continue on later pages
            if result.get("StatusCode") in ("InternalError", "Forbidden"):
                from botocore.exceptions import ClientError

                raise ClientError({"Error": {
                    "Code": result["StatusCode"],
                    "Message": f"GetMetricData could not read Duration of "
                               f"{ids.get(result.get('Id'), result.get('Id'))}"}},
                    "GetMetricData")
            queried = ids.get(result.get("Id", ""))
            values = [v for v in result.get("Values") or [] if v is not None]
            if queried is not None and values:
                current = maxima.get(queried)
                maxima[queried] = max(values) if current is None else max(current, *values)
    docs = {}
    for fn in functions:
        max_ms = maxima.get(fn.id)
        timeout = fn.data.get("timeout")
        ratio = (round(max_ms / (timeout * 1000), 3)
                 if max_ms is not None and timeout else None)
        docs[fn.id] = {"duration": {"max_ms": max_ms, "window_days": DURATION_WINDOW_DAYS,
                                    "ratio_of_timeout": ratio}}
    return docs


RESOURCE = ResourceType(
    name=TYPE,
    description="A Lambda function",
    listing=Listing(
        Call("lambda", "ListFunctions", "Functions", page_size=50),
        id=Get("FunctionName"), arn=Get("FunctionArn"),
        fields=(TIMEOUT, MEMORY_SIZE,
                Field(Attribute("runtime", "Runtime identifier, null for container images",
                                "python3.12"), Get("Runtime")),
                Field(Attribute("package_type", "Zip or Image", "Zip"), Get("PackageType", "Zip")),
                # A tuple default, listed afresh: no two functions share one list.
                Field(Attribute("architectures", "Instruction set architectures", ["arm64"]),
                      Get("Architectures", ("x86_64",), list)),
                LAYERS, LAMBDA_INSIGHTS, LOG_GROUP_NAME),
    ),
    details=(
        Detail(
            "concurrency", Call("lambda", "GetFunctionConcurrency"), {"FunctionName": "name"},
            (RESERVED_CONCURRENCY,),
            # GetFunctionConcurrency answers 404 on some endpoints when nothing is reserved.
            missing=frozenset({"ResourceNotFoundException"}),
        ),
        tagging.tags_detail("lambda:function"),
        CustomDetail(
            "api_integrations", (REST_APIS, REST_RESOURCES, HTTP_APIS, HTTP_INTEGRATIONS),
            (Attribute("api_integrations", "API Gateway integrations that invoke the function: "
                       "[{api_type, api_id, path, method, timeout_ms, timeout_seconds}]",
                       [{"api_type": "REST", "api_id": "a1b2c3", "path": "/orders",
                         "method": "GET", "timeout_ms": 29000, "timeout_seconds": 29.0}]),),
            fetch_batch=_api_integrations,
        ),
        # Two details, not one: a policy reading only aliases does not pay for versions.
        Detail(
            "aliases", LIST_ALIASES, {"FunctionName": "name"},
            (Field(Attribute("aliases", "Aliases and the version each points at: "
                             "[{name, function_version}] ($LATEST when unpublished)",
                             [{"name": "production", "function_version": "7"}], "aliases"),
                   Get("", convert=_aliases)),),
        ),
        Detail(
            "versions", LIST_VERSIONS, {"FunctionName": "name"},
            (Field(Attribute("versions", "Published version numbers, ascending, without "
                             "$LATEST", [5, 6, 7]), Get("", convert=_published)),),
        ),
        cloudwatch.alarm_detail("AWS/Lambda", identity=lambda f: {"FunctionName": f.name},
                                required={"FunctionName"}),
        CustomDetail(
            "duration", (GET_METRIC_DATA,),
            (Attribute("duration", f"Longest execution over the last {DURATION_WINDOW_DAYS} "
                       "days (CloudWatch AWS/Lambda Duration, Maximum; one GetMetricData call "
                       "per 500 functions): {max_ms, window_days, ratio_of_timeout} where "
                       "ratio_of_timeout = max_ms / (timeout x 1000), to 3 decimals; max_ms and "
                       "ratio_of_timeout are null when the function reported no Duration in "
                       "the window (not invoked)",
                       {"max_ms": 2480.5, "window_days": DURATION_WINDOW_DAYS,
                        "ratio_of_timeout": 0.083}),),
            fetch_batch=_duration,
        ),
        logs.log_group_detail(
            "log_group", "The log group the function writes to and the runbook reads",
            _log_group_of),
    ),
    cloudformation=("AWS::Lambda::Function",),
    terraform=("aws_lambda_function",),
)

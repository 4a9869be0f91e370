"""Lambda functions: timeout, memory, runtime, reserved concurrency, tags, and which
API Gateway integrations call them (joined from the region's APIs in one pass)."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from ..aws import RegionContext
from ..models import Resource
from .apigateway import http_apis, rest_apis
from .base import Attribute, Detail, Document, ResourceType

TYPE = "aws.lambda.function"

# arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
_INVOKE_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


def _list(ctx: RegionContext):
    for fn in ctx.paginate("lambda", "list_functions", "Functions"):
        yield ctx.resource(
            TYPE,
            fn["FunctionName"],
            fn["FunctionName"],
            fn["FunctionArn"],
            {
                "timeout": fn.get("Timeout", 3),
                "memory_size": fn.get("MemorySize", 128),
                "runtime": fn.get("Runtime"),
                "package_type": fn.get("PackageType", "Zip"),
                "architectures": fn.get("Architectures", ["x86_64"]),
            },
        )


def _concurrency(ctx: RegionContext, fn: Resource) -> Document:
    response = ctx.client("lambda").get_function_concurrency(FunctionName=fn.name)
    return {"reserved_concurrency": response.get("ReservedConcurrentExecutions")}


def _tags(ctx: RegionContext, fn: Resource) -> Document:
    return {"tags": dict(ctx.client("lambda").list_tags(Resource=fn.arn).get("Tags") or {})}


def _unqualified(function_arn: str) -> str:
    """Drop an alias or version: arn:...:function:NAME[:QUALIFIER] -> arn:...:function:NAME."""
    return ":".join(function_arn.split(":")[:7])


def _api_integrations(ctx: RegionContext, functions: list[Resource]) -> dict[str, Document]:
    found: dict[str, list[dict[str, Any]]] = {}
    for api in rest_apis(ctx):
        for resource in ctx.paginate("apigateway", "get_resources", "items",
                                     restApiId=api["id"], embed=["methods"]):
            for method, spec in (resource.get("resourceMethods") or {}).items():
                integration = spec.get("methodIntegration") or {}
                match = _INVOKE_URI.search(integration.get("uri") or "")
                if match:
                    found.setdefault(_unqualified(match.group(1)), []).append({
                        "api_type": "REST", "api_id": api["id"], "path": resource.get("path"),
                        "method": method,
                        "timeout_ms": integration.get("timeoutInMillis", 29000),
                    })
    v2 = ctx.client("apigatewayv2")
    for api in http_apis(ctx):
        params: dict[str, Any] = {"ApiId": api["ApiId"]}
        while True:  # GetIntegrations has no boto3 paginator
            page = v2.get_integrations(**params)
            for integration in page.get("Items", []):
                uri = integration.get("IntegrationUri") or ""
                match = _INVOKE_URI.search(uri)
                target = match.group(1) if match else uri
                if ":lambda:" in target and ":function:" in target:
                    found.setdefault(_unqualified(target), []).append({
                        "api_type": api.get("ProtocolType", "HTTP"), "api_id": api["ApiId"],
                        "path": None, "method": None,
                        "timeout_ms": integration.get("TimeoutInMillis", 30000),
                    })
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
    return {fn.id: {"api_integrations": found.get(_unqualified(fn.arn or ""), [])}
            for fn in functions}


def _not_found_is_none(fetch):
    """GetFunctionConcurrency answers 404 on some endpoints when nothing is reserved."""
    def wrapper(ctx: RegionContext, fn: Resource) -> Document:
        try:
            return fetch(ctx, fn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {"reserved_concurrency": None}
            raise
    return wrapper


RESOURCE = ResourceType(
    name=TYPE,
    description="A Lambda function",
    list_calls=("lambda:ListFunctions",),
    list=_list,
    listed=(
        Attribute("timeout", "Timeout in seconds", 30),
        Attribute("memory_size", "Memory in MB", 512),
        Attribute("runtime", "Runtime identifier, null for container images", "python3.12"),
        Attribute("package_type", "Zip or Image", "Zip"),
        Attribute("architectures", "Instruction set architectures", ["arm64"]),
    ),
    details=(
        Detail(
            "concurrency",
            ("lambda:GetFunctionConcurrency",),
            (Attribute("reserved_concurrency", "Reserved concurrent executions, null if unreserved",
                       50),),
            fetch_one=_not_found_is_none(_concurrency),
        ),
        Detail(
            "tags",
            ("lambda:ListTags",),
            (Attribute("tags", "Resource tags as a mapping", {"Environment": "prod"}),),
            fetch_one=_tags,
        ),
        Detail(
            "api_integrations",
            ("apigateway:GetRestApis", "apigateway:GetResources",
             "apigatewayv2:GetApis", "apigatewayv2:GetIntegrations"),
            (Attribute("api_integrations", "API Gateway integrations that invoke the function: "
                       "[{api_type, api_id, path, method, timeout_ms}]",
                       [{"api_type": "REST", "api_id": "a1b2c3", "path": "/orders",
                         "method": "GET", "timeout_ms": 29000}]),),
            fetch_batch=_api_integrations,
        ),
    ),
)

"""aws.lambda.function from AWS::Lambda::Function, SAM's AWS::Serverless::Function and
aws_lambda_function, with ``api_integrations``: the API Gateway integrations that invoke the
function (REST methods, HTTP API integrations, SAM Api/HttpApi events) and their timeouts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources.awslambda import is_insights_layer
from .. import sam
from ..include import unresolved
from ..intrinsics import references
from ..model import Planned
from ..planvalues import deferred, unset
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..values import Unknown, as_number

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = "aws.lambda.function"
PLANNABLE = {TYPE: frozenset({"timeout", "memory_size", "runtime", "package_type",
                              "architectures", "reserved_concurrency", "tags",
                              "api_integrations", "layers", "lambda_insights"})}
REST_DEFAULT_TIMEOUT_MS = 29000  # API Gateway's defaults when an integration sets none
HTTP_DEFAULT_TIMEOUT_MS = 30000
_PROPS = {"timeout": "Timeout", "memory_size": "MemorySize", "runtime": "Runtime",
          "reserved_concurrency": "ReservedConcurrentExecutions", "tags": "Tags",
          "package_type": "PackageType", "architectures": "Architectures",
          "layers": "Layers", "lambda_insights": "Layers"}


def _layers(arns: Any, where: str) -> dict[str, Any]:
    """``layers`` and ``lambda_insights`` from a template's or plan's layer ARNs. A literal
    LambdaInsightsExtension ARN decides; otherwise an ARN known only at deployment (a
    parameter without a value, a layer built elsewhere) leaves the answer unknown."""
    if isinstance(arns, Unknown):
        return {"layers": arns, "lambda_insights": arns}
    if arns is None:
        arns = []
    if not isinstance(arns, list):
        unknown = Unknown(f"{where} is not a list of layer ARNs")
        return {"layers": unknown, "lambda_insights": unknown}
    literal = [a for a in arns if type(a) is str]  # not Deferred (a str known later)
    insights: Any = any(is_insights_layer(a) for a in literal)
    if not insights and len(literal) < len(arns):
        insights = Unknown(f"{where} names a layer known only at deployment: whether it is "
                           "Lambda Insights cannot be told from here")
    return {"layers": list(arns), "lambda_insights": insights}


def integration(api_type: Any, api_id: Any, path: Any, method: Any, timeout_ms: Any
                ) -> dict[str, Any]:
    """One entry of ``api_integrations``, as the live collector writes it."""
    seconds = timeout_ms / 1000 if isinstance(timeout_ms, (int, float)) else timeout_ms
    return {"api_type": api_type, "api_id": api_id, "path": path, "method": method,
            "timeout_ms": timeout_ms, "timeout_seconds": seconds}


# -- CloudFormation ----------------------------------------------------------------------

def function_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {
        "timeout": as_number(t.value(r, "Timeout", default=3), "Timeout"),
        "memory_size": as_number(t.value(r, "MemorySize", default=128), "MemorySize"),
        "runtime": t.value(r, "Runtime"),
        "package_type": t.value(r, "PackageType", default="Zip"),
        "architectures": t.value(r, "Architectures", default=["x86_64"]),
        "reserved_concurrency": as_number(t.value(r, "ReservedConcurrentExecutions"),
                                          "ReservedConcurrentExecutions"),
        "tags": t.tags(r),
        "api_integrations": _template_integrations(t, logical_id)
        + _openapi_integrations(t, logical_id) + _sam_event_integrations(t, r),
        **_layers(t.value(r, "Layers"), "Layers"),
    }
    return t.planned(logical_id, r, TYPE, t.value(r, "FunctionName"), data, _PROPS)


def _template_integrations(t: Template, function_id: str) -> list[dict[str, Any]]:
    """REST methods and HTTP API integrations whose URI names this function."""
    found = []
    for method_id, method in t.of_type("AWS::ApiGateway::Method"):
        spec = t.props(method).get("Integration") or {}
        if not isinstance(spec, dict) or function_id not in references(spec.get("Uri")):
            continue
        found.append(integration(
            "REST", t.ctx.resolve(t.props(method).get("RestApiId")),
            _rest_path(t, t.props(method).get("ResourceId")),
            t.value(method, "HttpMethod", default=method_id),
            as_number(t.value(method, "Integration", "TimeoutInMillis",
                              default=REST_DEFAULT_TIMEOUT_MS), "TimeoutInMillis")))
    for api_id, api in t.of_type("AWS::ApiGatewayV2::Api"):  # quick create: Target
        if function_id in references(t.props(api).get("Target")):
            found.append(integration("HTTP", t.ctx.resolve({"Ref": api_id}), None, None,
                                     HTTP_DEFAULT_TIMEOUT_MS))
    for _, spec in t.of_type("AWS::ApiGatewayV2::Integration"):
        if function_id not in references(t.props(spec).get("IntegrationUri")):
            continue
        api_ref = t.props(spec).get("ApiId")
        named = t.named(api_ref)
        named_api = named[1] if named else None
        found.append(integration(
            t.value(named_api, "ProtocolType", default="HTTP") if named_api else "HTTP",
            t.ctx.resolve(api_ref), None, None,
            as_number(t.value(spec, "TimeoutInMillis", default=HTTP_DEFAULT_TIMEOUT_MS),
                      "TimeoutInMillis")))
    return found


# API type -> (its OpenAPI definition property, the integration's API type)
_OPENAPI = {"AWS::ApiGateway::RestApi": ("Body", "REST"), sam.API: ("DefinitionBody", "REST"),
            "AWS::ApiGatewayV2::Api": ("Body", "HTTP"), sam.HTTP_API: ("DefinitionBody", "HTTP")}


# Where an API's definition lives when it is not inline: not read before deployment.
_ELSEWHERE = ("BodyS3Location", "DefinitionUri")


def _openapi_integrations(t: Template, function_id: str) -> list[Any]:
    """Integrations an inline OpenAPI definition declares (``x-amazon-apigateway-integration``
    whose ``uri`` names this function). A definition that is not read (in S3, behind a
    macro) may integrate any function: it is an Unknown in every function's list."""
    found: list[Any] = []
    for api_id, api in t.of_type(*_OPENAPI):
        prop, api_type = _OPENAPI[str(api["Type"])]
        definition = t.props(api).get(prop)
        elsewhere = unresolved(definition) or next(
            (f"{key} {t.props(api)[key]!s}" for key in _ELSEWHERE
             if definition is None and key in t.props(api)), None)
        if elsewhere is not None:
            found.append(Unknown(f"the OpenAPI definition of {api_id} ({elsewhere}) is not "
                                 "read before deployment: which functions it integrates, with "
                                 "which timeouts, is unknown"))
            continue
        paths = definition.get("paths") if isinstance(definition, dict) else None
        for path, operations in paths.items() if isinstance(paths, dict) else ():
            for verb, operation in operations.items() if isinstance(operations, dict) else ():
                spec = operation.get("x-amazon-apigateway-integration") \
                    if isinstance(operation, dict) else None
                if not isinstance(spec, dict) or function_id not in references(spec.get("uri")):
                    continue
                rest = api_type == "REST"
                method = "ANY" if verb == "x-amazon-apigateway-any-method" else str(verb).upper()
                timeout = spec.get("timeoutInMillis",
                                   REST_DEFAULT_TIMEOUT_MS if rest else HTTP_DEFAULT_TIMEOUT_MS)
                found.append(integration(
                    api_type, t.ctx.resolve({"Ref": api_id}), str(path) if rest else None,
                    method if rest else None,
                    as_number(t.ctx.resolve(timeout), "timeoutInMillis")))
    return found


def _sam_event_integrations(t: Template, r: dict[str, Any]) -> list[dict[str, Any]]:
    """A SAM function's Api / HttpApi events (on the implicit API when they name none)."""
    found = []
    for _, event in sam.events(r, "Api"):
        api = event.get("RestApiId", {"Ref": sam.IMPLICIT_REST_API})
        found.append(integration(
            "REST", t.ctx.resolve(api), t.ctx.resolve(event.get("Path")),
            str(t.ctx.resolve(event.get("Method", "ANY"))).upper(),
            as_number(t.ctx.resolve(event.get("TimeoutInMillis", REST_DEFAULT_TIMEOUT_MS)),
                      "TimeoutInMillis")))
    for _, event in sam.events(r, "HttpApi"):
        api = event.get("ApiId", {"Ref": sam.IMPLICIT_HTTP_API})
        # as live: an HTTP API integration is not tied to one route
        found.append(integration(
            "HTTP", t.ctx.resolve(api), None, None,
            as_number(t.ctx.resolve(event.get("TimeoutInMillis", HTTP_DEFAULT_TIMEOUT_MS)),
                      "TimeoutInMillis")))
    return found


def _rest_path(t: Template, raw_resource_id: Any) -> str | None:
    """/orders/{id} from a chain of AWS::ApiGateway::Resource PathParts."""
    parts: list[str] = []
    node = raw_resource_id
    for _ in range(32):
        named = t.named(node)
        resource = named[1] if named else None
        if resource is None or resource.get("Type") != "AWS::ApiGateway::Resource":
            return "/" + "/".join(reversed(parts))  # the API's root (!GetAtt Api.RootResourceId)
        parts.append(str(t.value(resource, "PathPart", default="")))
        node = t.props(resource).get("ParentId")
    return None


# -- Terraform ---------------------------------------------------------------------------

def function_from_plan(p: Plan, c: Change) -> Planned:
    data = {
        "timeout": c.get("timeout", default=3),
        "memory_size": c.get("memory_size", default=128),
        "runtime": c.get("runtime"),
        "package_type": c.get("package_type", default="Zip"),
        "architectures": c.get("architectures", default=["x86_64"]),
        "reserved_concurrency": unset(c.get("reserved_concurrent_executions")),
        "tags": plan_tags(c),
        "api_integrations": _plan_integrations(p, c),
        **_layers(c.get("layers"), "layers"),
    }
    return p.planned(c, TYPE, c.get("function_name"), data, {
        "timeout": "timeout", "memory_size": "memory_size", "runtime": "runtime",
        "tags": "tags", "reserved_concurrency": "reserved_concurrent_executions",
        "layers": "layers", "lambda_insights": "layers"})


def _plan_integrations(p: Plan, function: Change) -> list[dict[str, Any] | Unknown]:
    found: list[dict[str, Any] | Unknown] = [
        integration("REST", deferred(i, "rest_api_id", i.get("rest_api_id")),
                         _plan_rest_path(p, i),
                         i.get("http_method"),
                         i.get("timeout_milliseconds", default=REST_DEFAULT_TIMEOUT_MS))
             for i in p.of_type("aws_api_gateway_integration")
             if i.refers_to_change("uri", function)]
    found += [integration("HTTP", deferred(i, "api_id", i.get("api_id")), None, None,
                          i.get("timeout_milliseconds", default=HTTP_DEFAULT_TIMEOUT_MS))
              for i in p.of_type("aws_apigatewayv2_integration")
              if i.refers_to_change("integration_uri", function)]
    found += [integration("HTTP", deferred(api, "id", api.get("id")), None, None,
                          HTTP_DEFAULT_TIMEOUT_MS)  # quick create: target
              for api in p.of_type("aws_apigatewayv2_api")
              if api.refers_to_change("target", function)]
    return found + [Unknown(reason) for reason in _unresolved_integrations(p)]


# Integration type -> (the argument naming its target, the argument saying what kind it is)
_PLAN_INTEGRATIONS = {"aws_api_gateway_integration": ("uri", "type"),
                      "aws_apigatewayv2_integration": ("integration_uri", "integration_type"),
                      "aws_apigatewayv2_api": ("target", None)}
_LAMBDA_KINDS = (None, "AWS", "AWS_PROXY")  # None: the kind is unknown or unset


def _unresolved_integrations(p: Plan) -> list[str]:
    """Why it is unknown which function an integration invokes, one reason per integration
    whose target is neither a function of the plan (by reference) nor a literal URI: its
    expression reads a variable, a module output or a local (a module boundary), so any
    function of the plan may be behind it. Each function's ``api_integrations`` is then
    unknown (an error), never a list that quietly leaves it out."""
    functions = p.of_type("aws_lambda_function")
    reasons = []
    for type_name, (argument, kind_argument) in _PLAN_INTEGRATIONS.items():
        for i in p.of_type(type_name):
            kind = i.get(kind_argument) if kind_argument else None
            if isinstance(kind, str) and kind not in _LAMBDA_KINDS:
                continue  # HTTP, MOCK...: no function behind it
            target = i.get(argument)
            if target is None or isinstance(target, str):  # Unknown is not a str
                continue  # not set, or a literal URI: no function of this plan by reference
            if any(i.refers_to_change(argument, f) for f in functions):
                continue
            via = ", ".join(sorted(i.references.get(argument, ()))) or "no reference recorded"
            reasons.append(f"{i.address}: which function its {argument} invokes is not "
                           f"resolved ({via}: a value from outside its module, or known only "
                           "after apply)")
    return reasons


def _plan_rest_path(p: Plan, start: Change) -> str | None:
    """/orders/{id}: the aws_api_gateway_resource chain an integration's resource_id names,
    by reference (or by id, for resources that exist already); None when it leads
    elsewhere than the API's root_resource_id."""
    parts: list[str] = []
    node, argument = start, "resource_id"
    for _ in range(32):
        value = node.get(argument)
        resource = next((r for r in p.of_type("aws_api_gateway_resource")
                         if node.refers_to_change(argument, r)
                         or (isinstance(value, str) and value and r.get("id") == value)), None)
        if resource is None:
            at_root = any(ref.endswith(".root_resource_id")
                          for ref in node.references.get(argument, ())) or any(
                isinstance(value, str) and value and api.get("root_resource_id") == value
                for api in p.of_type("aws_api_gateway_rest_api"))
            return "/" + "/".join(reversed(parts)) if at_root else None
        path = resource.get("path")
        if isinstance(path, str) and path:  # known when the resource exists already
            return path.rstrip("/") + "".join("/" + part for part in reversed(parts))
        part = resource.get("path_part")
        if not isinstance(part, str):  # unknown: the path is informative, not worth an error
            return None
        parts.append(part)
        node, argument = resource, "parent_id"
    return None


FIXES = {TYPE: {
    "timeout": Fix("set Timeout: SECONDS", "set timeout = SECONDS", bounded=True),
    "reserved_concurrency": Fix("set ReservedConcurrentExecutions: N",
                                "set reserved_concurrent_executions = N", bounded=True),
}}
CLOUDFORMATION = {"AWS::Lambda::Function": function_from_template,
                  sam.FUNCTION: function_from_template}
TERRAFORM = {"aws_lambda_function": function_from_plan}

"""API Gateway stages: aws.apigateway.stage (REST) from AWS::ApiGateway::Stage, a
Deployment's StageName/StageDescription, SAM's AWS::Serverless::Api and
aws_api_gateway_stage (+ aws_api_gateway_method_settings); aws.apigatewayv2.stage from
AWS::ApiGatewayV2::Stage, SAM's AWS::Serverless::HttpApi and aws_apigatewayv2_stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..intrinsics import references
from ..model import Planned
from ..planvalues import deferred, known, unset
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..sam import API, HTTP_API, IMPLICIT_HTTP_STAGE
from ..values import Unknown, as_bool, as_number

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

REST_STAGE = "aws.apigateway.stage"
HTTP_STAGE = "aws.apigatewayv2.stage"
_STAGE = {"api_id", "api_name", "stage_name", "throttling", "access_log_destination", "tags"}
PLANNABLE = {
    REST_STAGE: frozenset(_STAGE | {"logging_level", "metrics_enabled", "method_settings",
                                    "tracing_enabled", "web_acl_arn"}),
    HTTP_STAGE: frozenset(_STAGE | {"protocol_type"}),
}
# The template property each REST stage attribute comes from (for its line).
_REST_PROPS = {"throttling": "MethodSettings", "logging_level": "MethodSettings",
               "metrics_enabled": "MethodSettings", "method_settings": "MethodSettings",
               "tracing_enabled": "TracingEnabled", "access_log_destination": "AccessLogSetting",
               "stage_name": "StageName", "tags": "Tags"}


def rate(value: Any) -> Any:
    """Rate limits are doubles in both API Gateway APIs (the live value of 100 is 100.0)."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def rest_stage_data(api_id: Any, api_name: Any, stage_name: Any, method_settings: Any,
                    **rest: Any) -> dict[str, Any]:
    """The REST stage document from its method settings ({"<path>/<METHOD>": {rate_limit,
    burst_limit, logging_level, metrics_enabled}} or Unknown): the stage-wide values are
    the ``*/*`` entry's, as the live collector reports them."""
    throttling: Any
    logging: Any
    metrics: Any
    settings: Any
    if isinstance(method_settings, Unknown):
        throttling = logging = metrics = settings = method_settings
    else:
        default = method_settings.get("*/*", {})
        throttling = {"rate_limit": default.get("rate_limit"),
                      "burst_limit": default.get("burst_limit")}
        logging = default.get("logging_level", "OFF")
        metrics = default.get("metrics_enabled", False)
        metrics = metrics if isinstance(metrics, Unknown) else bool(metrics)
        settings = {key: {"rate_limit": value["rate_limit"], "burst_limit": value["burst_limit"],
                          "logging_level": value["logging_level"]}
                    for key, value in method_settings.items()}
    return {"api_id": api_id, "api_name": api_name, "stage_name": stage_name,
            "throttling": throttling, "logging_level": logging, "metrics_enabled": metrics,
            "method_settings": settings, **rest}


# -- CloudFormation ----------------------------------------------------------------------

def _api(t: Template, raw_api_id: Any) -> tuple[Any, Any, dict[str, Any] | None]:
    """(api id, api name, the API resource) of a stage's RestApiId/ApiId."""
    api_id = t.ctx.resolve(raw_api_id)
    named = t.named(raw_api_id)
    if named is None:
        return api_id, api_id, None
    ref, api = named
    return api_id, t.value(api, "Name", default=ref), api


def _method_settings(settings: Any) -> Any:
    """CloudFormation's MethodSettings list, keyed as the live collector keys them."""
    if isinstance(settings, Unknown):
        return settings
    out: dict[str, Any] = {}
    for s in settings or []:
        if isinstance(s, Unknown):
            return s
        path = str(s.get("ResourcePath", "/*")).lstrip("/").replace("/", "~1") or "*"
        out[f"{path}/{s.get('HttpMethod', '*')}"] = {
            "rate_limit": rate(as_number(s.get("ThrottlingRateLimit"), "ThrottlingRateLimit")),
            "burst_limit": as_number(s.get("ThrottlingBurstLimit"), "ThrottlingBurstLimit"),
            "logging_level": s.get("LoggingLevel", "OFF"),
            "metrics_enabled": as_bool(s.get("MetricsEnabled", False), "MetricsEnabled"),
        }
    return out


def _web_acl(t: Template, logical_id: str, api_ref: Any, stage_name: Any) -> Any:
    """The WebACLArn of an association whose ResourceArn names this stage."""
    api_ids = references(api_ref)
    for _, association in t.of_type("AWS::WAFv2::WebACLAssociation"):
        raw = t.props(association).get("ResourceArn")
        named = references(raw)
        if logical_id in named or (api_ids & named and isinstance(stage_name, str)
                                   and str(t.ctx.resolve(raw)).endswith(f"/stages/{stage_name}")):
            return t.value(association, "WebACLArn")
    return None


def _rest_stage(t: Template, logical_id: str, r: dict[str, Any], api_ref: Any,
                stage_name: Any, settings: Any, stage: dict[str, Any] | None,
                props: dict[str, str]) -> Planned:
    """``stage``: the map holding TracingEnabled, AccessLogSetting and Tags (the resource's
    Properties, or a Deployment's StageDescription)."""
    api_id, api_name, _ = _api(t, api_ref)
    holder = {"Properties": stage} if isinstance(stage, dict) else {}
    data = rest_stage_data(
        api_id, api_name, stage_name, _method_settings(settings),
        tracing_enabled=as_bool(t.value(holder, "TracingEnabled", default=False),
                                "TracingEnabled"),
        web_acl_arn=_web_acl(t, logical_id, api_ref, stage_name),
        access_log_destination=t.value(holder, "AccessLogSetting", "DestinationArn"),
        tags=t.tags(holder))
    return t.planned(logical_id, r, REST_STAGE, f"{api_name}/{stage_name}", data, props)


def rest_stage_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    return _rest_stage(t, logical_id, r, t.props(r).get("RestApiId"),
                       t.value(r, "StageName", default=logical_id),
                       t.value(r, "MethodSettings", default=[]), t.props(r), _REST_PROPS)


def deployment_stage_from_template(t: Template, logical_id: str, r: dict[str, Any]
                                   ) -> Planned | None:
    """A Deployment with a StageName creates that stage, configured by StageDescription,
    whose throttling/logging/metrics keys are the stage-wide (``*/*``) method settings."""
    stage_name = t.value(r, "StageName")
    if stage_name is None:
        return None
    described = t.value(r, "StageDescription", default={}) or {}
    if isinstance(described, Unknown):
        settings: Any = described
    else:
        stage_wide = {key: described[key] for key in (
            "ThrottlingRateLimit", "ThrottlingBurstLimit", "LoggingLevel", "MetricsEnabled")
            if key in described}
        settings = ([{"ResourcePath": "/*", "HttpMethod": "*", **stage_wide}] if stage_wide
                    else []) + list(described.get("MethodSettings") or [])
    props = {attribute: f"StageDescription.{key}" for attribute, key in {
        "throttling": "ThrottlingRateLimit", "logging_level": "LoggingLevel",
        "metrics_enabled": "MetricsEnabled", "method_settings": "MethodSettings",
        "tracing_enabled": "TracingEnabled", "access_log_destination": "AccessLogSetting",
        "tags": "Tags"}.items()}
    props["stage_name"] = "StageName"
    raw = t.props(r).get("StageDescription")
    return _rest_stage(t, logical_id, r, t.props(r).get("RestApiId"), stage_name, settings,
                       raw if isinstance(raw, dict) else None, props)


def sam_api_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    return _rest_stage(t, logical_id, r, {"Ref": logical_id},
                       t.value(r, "StageName", default="Prod"),
                       t.value(r, "MethodSettings", default=[]), t.props(r), _REST_PROPS)


def _http_stage(t: Template, logical_id: str, r: dict[str, Any], api_ref: Any,
                stage_name: Any) -> Planned:
    api_id, api_name, api = _api(t, api_ref)
    route = t.value(r, "DefaultRouteSettings", default={}) or {}
    protocol = None
    if api is not None:
        protocol = "HTTP" if api.get("Type") == HTTP_API else t.value(api, "ProtocolType")
    data = {
        "api_id": api_id, "api_name": api_name, "stage_name": stage_name,
        "protocol_type": protocol,
        "throttling": route if isinstance(route, Unknown) else {
            "rate_limit": rate(as_number(route.get("ThrottlingRateLimit"),
                                         "ThrottlingRateLimit")),
            "burst_limit": as_number(route.get("ThrottlingBurstLimit"), "ThrottlingBurstLimit")},
        "access_log_destination": t.value(r, "AccessLogSettings", "DestinationArn"),
        "tags": t.tags(r),
    }
    return t.planned(logical_id, r, HTTP_STAGE, f"{api_name}/{stage_name}", data, {
        "throttling": "DefaultRouteSettings", "access_log_destination": "AccessLogSettings",
        "stage_name": "StageName", "tags": "Tags"})


def http_stage_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    return _http_stage(t, logical_id, r, t.props(r).get("ApiId"),
                       t.value(r, "StageName", default=logical_id))


def sam_http_api_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    return _http_stage(t, logical_id, r, {"Ref": logical_id},
                       t.value(r, "StageName", default=IMPLICIT_HTTP_STAGE))


def quick_create_stage_from_template(t: Template, logical_id: str, r: dict[str, Any]
                                     ) -> Planned | None:
    """An HTTP API with ``Target`` is a "quick create": API Gateway adds a ``$default`` stage
    (auto-deployed, no throttling) that no Stage resource declares."""
    if "Target" not in t.props(r):
        return None
    return _http_stage(t, logical_id, r, {"Ref": logical_id}, IMPLICIT_HTTP_STAGE)


# -- Terraform ---------------------------------------------------------------------------

def _api_name(p: Plan, c: Change, argument: str, api_type: str) -> tuple[Any, Change | None]:
    for api in p.of_type(api_type):
        if c.refers_to_change(argument, api) or (
                c.get(argument) == api.get("id") and not isinstance(c.get(argument), Unknown)):
            return api.get("name", default=api.name), api
    return c.get(argument), None


def _settings_of(p: Plan, stage: Change) -> tuple[dict[str, Any], list[Change]]:
    """aws_api_gateway_method_settings of this stage, keyed by method path."""
    stage_name = stage.get("stage_name")
    apis = p.referenced(stage, "rest_api_id", "aws_api_gateway_rest_api")
    found: dict[str, Any] = {}
    sources = []
    for ms in p.of_type("aws_api_gateway_method_settings"):
        same_api = (ms.get("rest_api_id") == stage.get("rest_api_id")
                    and not isinstance(stage.get("rest_api_id"), Unknown)) or any(
            ms.refers_to_change("rest_api_id", api) for api in apis)
        if not (ms.refers_to_change("stage_name", stage)
                or (ms.get("stage_name") == stage_name and same_api)):
            continue
        s = ms.block("settings")
        found[str(ms.get("method_path", default="*/*"))] = {
            "rate_limit": rate(unset(s.get("throttling_rate_limit"))),
            "burst_limit": unset(s.get("throttling_burst_limit")),
            "logging_level": s.get("logging_level", default="OFF") or "OFF",
            "metrics_enabled": s.get("metrics_enabled", default=False),
        }
        sources.append(ms)
    return found, sources


def rest_stage_from_plan(p: Plan, c: Change) -> Planned:
    stage_name = c.get("stage_name")
    api_name, _ = _api_name(p, c, "rest_api_id", "aws_api_gateway_rest_api")
    settings, sources = _settings_of(p, c)
    elsewhere = {}
    for source in sources:
        for attribute in ("throttling", "logging_level", "metrics_enabled", "method_settings"):
            elsewhere[attribute] = p.location(source)[0]
    data = rest_stage_data(
        deferred(c, "rest_api_id", c.get("rest_api_id")), api_name, stage_name, settings,
        tracing_enabled=bool(c.get("xray_tracing_enabled", default=False)),
        web_acl_arn=known(c.get("web_acl_arn")) or _waf(p, c),
        access_log_destination=deferred(c, "access_log_settings", c.block(
            "access_log_settings").get("destination_arn")),
        tags=plan_tags(c))
    return p.planned(c, REST_STAGE, f"{api_name}/{stage_name}", data, {
        "tracing_enabled": "xray_tracing_enabled", "tags": "tags",
        "access_log_destination": "access_log_settings"}, elsewhere)


def deployment_stage_from_plan(p: Plan, c: Change) -> Planned | None:
    """aws_api_gateway_deployment's (deprecated) ``stage_name`` creates that stage."""
    return rest_stage_from_plan(p, c) if c.get("stage_name") not in (None, "") else None


def quick_create_stage_from_plan(p: Plan, c: Change) -> Planned | None:
    """aws_apigatewayv2_api with ``target`` (quick create) gets a ``$default`` stage."""
    if c.get("target") in (None, ""):
        return None
    name = c.get("name", default=c.name)
    data = {"api_id": deferred(c, "id", c.get("id")), "api_name": name,
            "stage_name": IMPLICIT_HTTP_STAGE, "protocol_type": c.get("protocol_type"),
            "throttling": {"rate_limit": None, "burst_limit": None},
            "access_log_destination": None, "tags": plan_tags(c)}
    return p.planned(c, HTTP_STAGE, f"{name}/{IMPLICIT_HTTP_STAGE}", data, {"tags": "tags"})


def _waf(p: Plan, stage: Change) -> Any:
    for association in p.of_type("aws_wafv2_web_acl_association"):
        if association.refers_to_change("resource_arn", stage):
            return association.get("web_acl_arn")
    return None


def http_stage_from_plan(p: Plan, c: Change) -> Planned:
    stage_name = c.get("name")
    api_name, api = _api_name(p, c, "api_id", "aws_apigatewayv2_api")
    route = c.block("default_route_settings")
    data = {
        "api_id": deferred(c, "api_id", c.get("api_id")), "api_name": api_name,
        "stage_name": stage_name,
        "protocol_type": api.get("protocol_type") if api is not None else None,
        "throttling": {"rate_limit": rate(unset(route.get("throttling_rate_limit"))),
                       "burst_limit": unset(route.get("throttling_burst_limit"))},
        "access_log_destination": deferred(c, "access_log_settings", c.block(
            "access_log_settings").get("destination_arn")),
        "tags": plan_tags(c),
    }
    return p.planned(c, HTTP_STAGE, f"{api_name}/{stage_name}", data, {
        "throttling": "default_route_settings", "tags": "tags",
        "access_log_destination": "access_log_settings"})


_REST_THROTTLING = Fix(
    'set MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 1000, '
    "ThrottlingBurstLimit: 2000}] (a Deployment's stage: StageDescription.ThrottlingRateLimit "
    "and ThrottlingBurstLimit)",
    'add aws_api_gateway_method_settings { method_path = "*/*" settings { '
    "throttling_rate_limit = 1000 throttling_burst_limit = 2000 } } for this stage",
    bounded=True)
FIXES = {
    REST_STAGE: {
        "throttling": _REST_THROTTLING,
        "logging_level": Fix('set MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", '
                             "LoggingLevel: INFO}] (a Deployment's stage: "
                             "StageDescription.LoggingLevel: INFO)",
                             'add aws_api_gateway_method_settings { method_path = "*/*" '
                             'settings { logging_level = "INFO" } } for this stage'),
        "web_acl_arn": Fix("add an AWS::WAFv2::WebACLAssociation whose ResourceArn is this "
                           "stage's ARN",
                           "add aws_wafv2_web_acl_association { resource_arn = <this "
                           "stage>.arn web_acl_arn = ... }"),
    },
    HTTP_STAGE: {"throttling": Fix(
        "set DefaultRouteSettings: {ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000}",
        "add default_route_settings { throttling_rate_limit = 1000 "
        "throttling_burst_limit = 2000 }", bounded=True)},
}
CLOUDFORMATION = {
    "AWS::ApiGateway::Stage": rest_stage_from_template,
    "AWS::ApiGateway::Deployment": deployment_stage_from_template,
    API: sam_api_from_template,
    "AWS::ApiGatewayV2::Stage": http_stage_from_template,
    HTTP_API: sam_http_api_from_template,
    "AWS::ApiGatewayV2::Api": quick_create_stage_from_template,
}
TERRAFORM = {"aws_api_gateway_stage": rest_stage_from_plan,
             "aws_api_gateway_deployment": deployment_stage_from_plan,
             "aws_apigatewayv2_stage": http_stage_from_plan,
             "aws_apigatewayv2_api": quick_create_stage_from_plan}

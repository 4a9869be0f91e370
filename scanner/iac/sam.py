"""AWS SAM templates (``Transform: AWS::Serverless-2016-10-31``), read as SAM deploys them.

Two parts of the transform change what a policy sees, and both are applied here to the
decoded template, in place, before it is mapped:

- ``Globals``: properties under ``Globals.Function`` / ``Api`` / ``HttpApi`` / ``SimpleTable``
  apply to every resource of that type (and to the implicit APIs); a resource's own value
  wins, maps merge, lists concatenate, ``IgnoreGlobals`` opts out. The merged keys keep
  their line, so a finding about a value set in Globals points at the Globals section.
- Implicit APIs: a function event ``Type: Api`` (``HttpApi``) without ``RestApiId``
  (``ApiId``) makes SAM create ``ServerlessRestApi`` with stage ``Prod``
  (``ServerlessHttpApi`` with stage ``$default``); they are added as SAM resources so the
  stage policies judge them too.
- The "Stage" stage: a REST API without ``OpenApiVersion`` also gets a stage named
  ``Stage`` with no settings (a long-standing SAM behaviour); it is added too.

The rest of the transform (roles, permissions, deployments) creates nothing a policy reads;
the SAM resource types themselves are mapped in ``scanner.iac.mappings``.
"""

from __future__ import annotations

from typing import Any

from .intrinsics import is_intrinsic

TRANSFORM = "AWS::Serverless-2016-10-31"
FUNCTION = "AWS::Serverless::Function"
API = "AWS::Serverless::Api"
HTTP_API = "AWS::Serverless::HttpApi"
SIMPLE_TABLE = "AWS::Serverless::SimpleTable"
APPLICATION = "AWS::Serverless::Application"
_GLOBALS = {"Function": FUNCTION, "Api": API, "HttpApi": HTTP_API, "SimpleTable": SIMPLE_TABLE}
IMPLICIT_REST_API, IMPLICIT_REST_STAGE = "ServerlessRestApi", "Prod"
IMPLICIT_HTTP_API, IMPLICIT_HTTP_STAGE = "ServerlessHttpApi", "$default"
SAM_STAGE = "Stage"  # the extra stage SAM creates unless OpenApiVersion is set


def is_sam(body: dict[str, Any]) -> bool:
    transform = body.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return TRANSFORM in names


def expand(body: dict[str, Any]) -> dict[str, Any]:
    """Apply Globals and add the implicit APIs; returns the resources added, each with the
    node of the event that caused it (for its line). A template without the SAM transform
    is left alone."""
    if not is_sam(body) or not isinstance(body.get("Resources"), dict):
        return {}
    resources: dict[str, Any] = body["Resources"]
    globals_by_type = _globals(body.get("Globals"))
    added = _implicit_apis(resources)
    for resource in resources.values():
        if isinstance(resource, dict) and isinstance(resource.get("Type"), str) \
                and resource["Type"] in globals_by_type:
            _apply_globals(resource, globals_by_type[resource["Type"]])
    return added | _stage_stages(resources, added)


def _stage_stages(resources: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """SAM gives every REST API a second stage named "Stage", with no settings, unless the
    API sets OpenApiVersion: live, it is a stage without throttling or logging like any
    other, so it is added as the Deployment that creates it."""
    stages: dict[str, Any] = {}
    for logical_id, resource in list(resources.items()):
        if not isinstance(resource, dict) or resource.get("Type") != API:
            continue
        if "OpenApiVersion" in (resource.get("Properties") or {}):
            continue
        stage_id = f"{logical_id}DeploymentStage"
        if stage_id not in resources:
            resources[stage_id] = {"Type": "AWS::ApiGateway::Deployment", "Properties": {
                "RestApiId": {"Ref": str(logical_id)}, "StageName": SAM_STAGE}}
            stages[stage_id] = added.get(str(logical_id), logical_id)
    return stages


def events(function: dict[str, Any], event_type: str) -> list[tuple[Any, dict[str, Any]]]:
    """(event name, its Properties) of a function's events of one type."""
    raw = (function.get("Properties") or {}).get("Events") or {}
    return [(name, event.get("Properties") or {}) for name, event in raw.items()
            if isinstance(event, dict) and event.get("Type") == event_type]


def _globals(section: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(section, dict):
        return {}
    return {_GLOBALS[name]: props for name, props in section.items()
            if name in _GLOBALS and isinstance(props, dict)}


def _apply_globals(resource: dict[str, Any], global_props: dict[str, Any]) -> None:
    ignore = resource.get("IgnoreGlobals")
    if ignore == "*":
        return
    skipped = set(ignore) if isinstance(ignore, list) else set()
    chosen = {k: v for k, v in global_props.items() if str(k) not in skipped}
    local = resource.get("Properties")
    resource["Properties"] = _merge(chosen, local if isinstance(local, dict) else {})


def _merge(global_value: Any, local_value: Any) -> Any:
    """SAM's rules: the local value wins, maps merge key by key, lists concatenate; an
    intrinsic function on either side is a value, not a map."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if is_intrinsic(global_value) or is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value



def _implicit_apis(resources: dict[str, Any]) -> dict[str, Any]:
    added: dict[str, Any] = {}
    implicit = ((API, "RestApiId", IMPLICIT_REST_API, IMPLICIT_REST_STAGE),
                (HTTP_API, "ApiId", IMPLICIT_HTTP_API, IMPLICIT_HTTP_STAGE))
    for function in [r for r in resources.values()
                     if isinstance(r, dict) and r.get("Type") == FUNCTION]:
        for api_type, id_property, logical_id, stage in implicit:
            if logical_id in resources:
                continue
            event_type = "Api" if api_type == API else "HttpApi"
            for name, props in events(function, event_type):
                if id_property not in props:
                    resources[logical_id] = {"Type": api_type,
                                             "Properties": {"StageName": stage}}
                    added[logical_id] = name
                    break
    return added


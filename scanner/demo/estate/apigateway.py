"""API Gateway: REST APIs and HTTP APIs with their stages, execution logging, and the
account-region's CloudWatch Logs role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3


@dataclass
class Stage:
    """A stage to create; ``rate``/``burst`` set stage-wide throttling when given."""

    name: str
    rate: float | None = None
    burst: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


def create_rest_api(session: boto3.Session, region: str, name: str, stages: list[Stage], *,
                    lambda_arn: str | None = None, timeout_ms: int = 29000) -> str:
    """A REST API with one GET /items method (optionally a Lambda proxy) and stages."""
    api = session.client("apigateway", region_name=region)
    api_id = api.create_rest_api(name=name)["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = api.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    api.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                   authorizationType="NONE")
    if lambda_arn:
        uri = (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
               f"{lambda_arn}/invocations")
        api.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                            type="AWS_PROXY", integrationHttpMethod="POST", uri=uri,
                            timeoutInMillis=timeout_ms)
    else:
        api.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                            type="MOCK")
    deployment = api.create_deployment(restApiId=api_id)["id"]
    for stage in stages:
        api.create_stage(restApiId=api_id, stageName=stage.name, deploymentId=deployment,
                         tags=stage.tags)
        ops = []
        if stage.rate is not None:
            ops.append({"op": "replace", "path": "/*/*/throttling/rateLimit",
                        "value": str(stage.rate)})
        if stage.burst is not None:
            ops.append({"op": "replace", "path": "/*/*/throttling/burstLimit",
                        "value": str(stage.burst)})
        if ops:
            api.update_stage(restApiId=api_id, stageName=stage.name, patchOperations=ops)
    return str(api_id)


def create_http_api(session: boto3.Session, region: str, name: str, stages: list[Stage], *,
                    lambda_arn: str | None = None) -> str:
    """An HTTP API (optionally with a Lambda proxy integration) and stages. Its id."""
    api = session.client("apigatewayv2", region_name=region)
    api_id = api.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    if lambda_arn:
        api.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                               IntegrationUri=lambda_arn, PayloadFormatVersion="2.0")
    for stage in stages:
        settings: dict[str, Any] = {}
        if stage.rate is not None:
            settings["ThrottlingRateLimit"] = stage.rate
        if stage.burst is not None:
            settings["ThrottlingBurstLimit"] = stage.burst
        params: dict[str, Any] = {"ApiId": api_id, "StageName": stage.name, "Tags": stage.tags}
        if settings:
            params["DefaultRouteSettings"] = settings
        api.create_stage(**params)
    return str(api_id)


def set_execution_logging(session: boto3.Session, region: str, api_id: str, stage: str,
                          level: str = "INFO") -> None:
    """Turn on a REST API stage's execution logging at ``level`` ('INFO' or 'ERROR')."""
    session.client("apigateway", region_name=region).update_stage(
        restApiId=api_id, stageName=stage,
        patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": level}])


def set_apigateway_logs_role(session: boto3.Session, region: str, role_name: str) -> str:
    """API Gateway's CloudWatch Logs role of the account-region (the role is not created:
    API Gateway's fake does not check it)."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    arn = f"arn:aws:iam::{account}:role/{role_name}"
    session.client("apigateway", region_name=region).update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}])
    return arn

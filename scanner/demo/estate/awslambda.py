"""Lambda functions, their versions and layers, and what a function that ran leaves behind
(its metrics and log group)."""

from __future__ import annotations

import contextlib
import io
import zipfile
from datetime import UTC, datetime

import boto3


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def create_function(session: boto3.Session, region: str, name: str, *, timeout: int = 30,
                    reserved: int | None = None, tags: dict[str, str] | None = None) -> str:
    """A function with its own execution role (reused if it exists); ``reserved`` sets its
    reserved concurrency. Its ARN."""
    iam = session.client("iam", region_name=region)
    role = f"{name}-role"
    try:
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    fn = session.client("lambda", region_name=region).create_function(
        FunctionName=name, Runtime="python3.12", Role=arn, Handler="handler.handler",
        Code={"ZipFile": _zip()}, Timeout=timeout, Tags=tags or {},
    )
    if reserved is not None:
        session.client("lambda", region_name=region).put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=reserved)
    return str(fn["FunctionArn"])


def publish_versions(session: boto3.Session, region: str, function: str, count: int, *,
                     alias: str | None = "production") -> list[str]:
    """Publish ``count`` versions; point ``alias`` at the newest."""
    client = session.client("lambda", region_name=region)
    versions = []
    for i in range(count):
        client.update_function_configuration(FunctionName=function, Description=f"release {i}")
        versions.append(client.publish_version(FunctionName=function)["Version"])
    if alias and versions:
        client.create_alias(FunctionName=function, Name=alias, FunctionVersion=versions[-1])
    return versions


def add_insights_layer(session: boto3.Session, region: str, function: str) -> str:
    """Run ``function`` with a layer named like the Lambda Insights extension. AWS publishes
    the real one from its own accounts; the fake only attaches layers it holds, so the
    estate publishes its namesake (the scanner recognises the extension by name)."""
    client = session.client("lambda", region_name=region)
    layer = client.publish_layer_version(LayerName="LambdaInsightsExtension",
                                         Content={"ZipFile": _zip()})["LayerVersionArn"]
    client.update_function_configuration(FunctionName=function, Layers=[layer])
    return str(layer)


def put_durations(session: boto3.Session, region: str, function: str,
                  milliseconds: list[float]) -> None:
    """What a function that ran leaves behind, as Lambda would publish it: Duration
    datapoints, Invocations, Errors and Throttles (zero), and one START line per run in its
    log group, /aws/lambda/NAME (created on the first run, as Lambda does)."""
    now = datetime.now(UTC)
    dimensions = [{"Name": "FunctionName", "Value": function}]
    data = [{"MetricName": "Duration", "Value": ms, "Unit": "Milliseconds", "Timestamp": now,
             "Dimensions": dimensions} for ms in milliseconds]
    data += [{"MetricName": name, "Value": value, "Unit": "Count", "Timestamp": now,
              "Dimensions": dimensions}
             for name, value in (("Invocations", float(len(milliseconds))), ("Errors", 0.0),
                                 ("Throttles", 0.0))]
    session.client("cloudwatch", region_name=region).put_metric_data(
        Namespace="AWS/Lambda", MetricData=data)
    logs = session.client("logs", region_name=region)
    group = f"/aws/lambda/{function}"
    for create, params in ((logs.create_log_group, {}), (logs.create_log_stream,
                                                       {"logStreamName": "runs"})):
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            create(logGroupName=group, **params)
    logs.put_log_events(logGroupName=group, logStreamName="runs", logEvents=[
        {"timestamp": int(now.timestamp() * 1000), "message": f"START duration={ms}ms"}
        for ms in milliseconds])

"""Builders for a fake AWS estate on moto, used by the demo and by the tests.

These write (they create resources on the fake); the scanner never uses them. Each
builder takes a boto3 Session bound to one account, so an estate can span accounts.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import boto3

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
MEMBER_ROLE = "OrganizationAccountAccessRole"


def account_session(account_id: str, region: str = "us-east-1") -> boto3.Session:
    """Credentials for ``account_id``: moto switches account on AssumeRole."""
    if account_id == MANAGEMENT_ACCOUNT:
        return boto3.Session(region_name=region)
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def create_organization(accounts: list[str]) -> dict[str, str]:
    """An organization in the management account with one member per name: name -> id."""
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids = {}
    for name in accounts:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        ids[name] = status["CreateAccountStatus"]["AccountId"]
    return ids


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


def create_table(session: boto3.Session, region: str, name: str, *, on_demand: bool = False,
                 pitr: bool = False, autoscaling: tuple[str, ...] = (),
                 tags: dict[str, str] | None = None, backup: bool = False,
                 deletion_protection: bool = False) -> str:
    """A table; ``autoscaling`` lists directions ('read', 'write') to register."""
    ddb = session.client("dynamodb", region_name=region)
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    }
    if on_demand:
        params["BillingMode"] = "PAY_PER_REQUEST"
    else:
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if tags:
        params["Tags"] = _tags(tags)
    if deletion_protection:
        params["DeletionProtectionEnabled"] = True
    arn = ddb.create_table(**params)["TableDescription"]["TableArn"]
    if pitr:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    if backup:
        ddb.create_backup(TableName=name, BackupName=f"{name}-backup")
    scaling = session.client("application-autoscaling", region_name=region)
    for direction in autoscaling:
        dimension = f"dynamodb:table:{direction.capitalize()}CapacityUnits"
        scaling.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
            ScalableDimension=dimension, MinCapacity=5, MaxCapacity=100,
        )
        scaling.put_scaling_policy(
            PolicyName=f"{name}-{direction}", ServiceNamespace="dynamodb",
            ResourceId=f"table/{name}", ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": f"DynamoDB{direction.capitalize()}CapacityUtilization"
                },
            },
        )
    return str(arn)


def create_bucket(session: boto3.Session, region: str, name: str, *,
                  versioning: str | None = None, tags: dict[str, str] | None = None) -> None:
    """``versioning``: None (never enabled), 'Enabled' or 'Suspended'."""
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioning == "Suspended":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(tags)})


def create_user_pool(session: boto3.Session, region: str, name: str, *, mfa: str = "OFF",
                     tags: dict[str, str] | None = None, deletion_protection: bool = False) -> str:
    idp = session.client("cognito-idp", region_name=region)
    pool_id = idp.create_user_pool(
        PoolName=name, UserPoolTags=tags or {},
        DeletionProtection="ACTIVE" if deletion_protection else "INACTIVE")["UserPool"]["Id"]
    if mfa != "OFF":
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
    return str(pool_id)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def create_function(session: boto3.Session, region: str, name: str, *, timeout: int = 30,
                    reserved: int | None = None, tags: dict[str, str] | None = None) -> str:
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


@dataclass
class Stage:
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


def create_alarm(session: boto3.Session, region: str, name: str, *, namespace: str,
                 metric: str, dimensions: dict[str, str], with_action: bool = True) -> None:
    """A metric alarm; ``with_action`` adds an SNS action, so it pages someone."""
    params: dict[str, Any] = {
        "AlarmName": name, "Namespace": namespace, "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    if with_action:
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
        params["AlarmActions"] = [f"arn:aws:sns:{region}:{account}:oncall-page"]
    session.client("cloudwatch", region_name=region).put_metric_alarm(**params)


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


def put_durations(session: boto3.Session, region: str, function: str,
                  milliseconds: list[float]) -> None:
    """What a function that ran leaves behind, as Lambda would publish it: Duration
    datapoints, Invocations, Errors and Throttles (zero), and one START line per run in its
    log group, /aws/lambda/NAME (created on the first run, as Lambda does)."""
    from datetime import datetime

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


def enable_guardduty(session: boto3.Session, region: str) -> str:
    detector = session.client("guardduty", region_name=region).create_detector(Enable=True)
    return str(detector["DetectorId"])


def create_budget(session: boto3.Session, name: str, *, amount: float = 1000.0,
                  alert_at_percent: float | None = 80.0) -> None:
    client = session.client("budgets", region_name="us-east-1")
    account = session.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    notifications = []
    if alert_at_percent is not None:
        notifications.append({
            "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                             "Threshold": alert_at_percent, "ThresholdType": "PERCENTAGE"},
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "oncall@example.com"}],
        })
    client.create_budget(
        AccountId=account,
        Budget={"BudgetName": name, "BudgetLimit": {"Amount": str(amount), "Unit": "USD"},
                "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        NotificationsWithSubscribers=notifications,
    )


def create_dashboard(session: boto3.Session, region: str, name: str) -> None:
    session.client("cloudwatch", region_name=region).put_dashboard(
        DashboardName=name, DashboardBody='{"widgets": []}')


def set_execution_logging(session: boto3.Session, region: str, api_id: str, stage: str,
                          level: str = "INFO") -> None:
    session.client("apigateway", region_name=region).update_stage(
        restApiId=api_id, stageName=stage,
        patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": level}])


def attach_web_acl(session: boto3.Session, region: str, api_id: str, stage: str) -> str:
    """A regional web ACL associated with a REST API stage."""
    waf = session.client("wafv2", region_name=region)
    acl = waf.create_web_acl(
        Name=f"{api_id}-{stage}-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                          "MetricName": f"{api_id}-{stage}"},
    )["Summary"]["ARN"]
    waf.associate_web_acl(
        WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}")
    return str(acl)


def create_failover_zone(session: boto3.Session, zone: str, hostname: str, *, primary: str,
                         secondary: str | None, ttl: int = 60) -> str:
    """A public hosted zone where ``hostname`` fails over (Route 53 failover routing) from a
    health-checked ``primary`` to ``secondary``; without a secondary the pair is incomplete."""
    r53 = session.client("route53", region_name="us-east-1")
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    check = r53.create_health_check(CallerReference=hostname, HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": hostname, "Port": 443,
        "ResourcePath": "/health"})["HealthCheck"]["Id"]
    records = [{"Name": hostname, "Type": "CNAME", "SetIdentifier": "primary",
                "Failover": "PRIMARY", "TTL": ttl, "HealthCheckId": check,
                "ResourceRecords": [{"Value": primary}]}]
    if secondary:
        records.append({"Name": hostname, "Type": "CNAME", "SetIdentifier": "recovery",
                        "Failover": "SECONDARY", "TTL": ttl,
                        "ResourceRecords": [{"Value": secondary}]})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": r} for r in records]})
    return str(zone_id.removeprefix("/hostedzone/"))


def create_log_group(session: boto3.Session, region: str, name: str, *,
                     events: tuple[str, ...] = ()) -> None:
    """A log group; ``events`` are written to one stream, so it has stored something."""
    import time

    logs = session.client("logs", region_name=region)
    logs.create_log_group(logGroupName=name)
    if events:
        logs.create_log_stream(logGroupName=name, logStreamName="seed")
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=name, logStreamName="seed",
                            logEvents=[{"timestamp": now, "message": m} for m in events])


def put_metric(session: boto3.Session, region: str, namespace: str, metric: str,
               dimensions: dict[str, str] | None = None, value: float = 1.0) -> None:
    """One datapoint, so ListMetrics lists the metric as a service would have published it."""
    from datetime import datetime

    session.client("cloudwatch", region_name=region).put_metric_data(
        Namespace=namespace,
        MetricData=[{"MetricName": metric, "Value": value, "Timestamp": datetime.now(UTC),
                     "Dimensions": [{"Name": k, "Value": v}
                                    for k, v in (dimensions or {}).items()]}])


def create_ip_set(session: boto3.Session, region: str, name: str) -> str:
    """A regional WAF IP set (empty): what a block-an-address runbook step updates."""
    return str(session.client("wafv2", region_name=region).create_ip_set(
        Name=name, Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])["Summary"]["Id"])


def set_log_retention(session: boto3.Session, region: str, name: str, days: int) -> None:
    """Keep a log group's events for ``days`` (a group is created without, never expiring)."""
    session.client("logs", region_name=region).put_retention_policy(
        logGroupName=name, retentionInDays=days)


def set_apigateway_logs_role(session: boto3.Session, region: str, role_name: str) -> str:
    """API Gateway's CloudWatch Logs role of the account-region (the role is not created:
    API Gateway's fake does not check it)."""
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    arn = f"arn:aws:iam::{account}:role/{role_name}"
    session.client("apigateway", region_name=region).update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}])
    return arn


def add_insights_layer(session: boto3.Session, region: str, function: str) -> str:
    """Run ``function`` with a layer named like the Lambda Insights extension. AWS publishes
    the real one from its own accounts; the fake only attaches layers it holds, so the
    estate publishes its namesake (the scanner recognises the extension by name)."""
    client = session.client("lambda", region_name=region)
    layer = client.publish_layer_version(LayerName="LambdaInsightsExtension",
                                         Content={"ZipFile": _zip()})["LayerVersionArn"]
    client.update_function_configuration(FunctionName=function, Layers=[layer])
    return str(layer)


def create_secret(session: boto3.Session, region: str, name: str, *,
                  rotate_every_days: int | None = None,
                  tags: dict[str, str] | None = None) -> str:
    """A secret; ``rotate_every_days`` schedules rotation and rotates once (now)."""
    secrets = session.client("secretsmanager", region_name=region)
    params: dict[str, Any] = {"Name": name, "SecretString": "demo-value"}
    if tags:
        params["Tags"] = _tags(tags)
    arn = str(secrets.create_secret(**params)["ARN"])
    if rotate_every_days:
        # moto rotates without a rotation function; AWS would need RotationLambdaARN.
        secrets.rotate_secret(SecretId=arn,
                              RotationRules={"AutomaticallyAfterDays": rotate_every_days})
    return arn


def _ip_block_rule(ip_set_arn: str, priority: int = 0) -> dict[str, Any]:
    return {"Name": "blocked-addresses", "Priority": priority, "Action": {"Block": {}},
            "Statement": {"IPSetReferenceStatement": {"ARN": ip_set_arn}},
            "VisibilityConfig": {"SampledRequestsEnabled": True,
                                 "CloudWatchMetricsEnabled": True,
                                 "MetricName": "blocked-addresses"}}


def block_addresses(session: boto3.Session, region: str, acl_arn: str) -> str:
    """Give an existing web ACL an IP set and a rule that blocks it; the set's ARN."""
    waf = session.client("wafv2", region_name=region)
    acl_id, acl_name, scope = acl_arn.rsplit("/", 1)[1], acl_arn.split("/")[-2], "REGIONAL"
    ip_set = waf.create_ip_set(Name=f"{acl_name}-blocked", Scope=scope,
                               IPAddressVersion="IPV4", Addresses=[])["Summary"]["ARN"]
    current = waf.get_web_acl(Name=acl_name, Scope=scope, Id=acl_id)
    acl = current["WebACL"]
    waf.update_web_acl(Name=acl_name, Scope=scope, Id=acl_id, LockToken=current["LockToken"],
                       DefaultAction=acl["DefaultAction"],
                       VisibilityConfig=acl["VisibilityConfig"],
                       Rules=[*acl.get("Rules", []), _ip_block_rule(ip_set)])
    return str(ip_set)


def create_web_acl(session: boto3.Session, name: str, *, scope: str = "REGIONAL",
                   region: str = "us-east-1", block_ip_set: bool = False,
                   tags: dict[str, str] | None = None) -> str:
    """A web ACL, not associated; CLOUDFRONT scope lives in us-east-1. ``block_ip_set``:
    with an IP set and a rule that blocks it. Otherwise a rate-based rule only."""
    waf = session.client("wafv2", region_name=region)
    rules: list[dict[str, Any]] = [{
        "Name": "rate-limit", "Priority": 1, "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                             "MetricName": "rate-limit"}}]
    if block_ip_set:
        ip_set = waf.create_ip_set(Name=f"{name}-blocked", Scope=scope, IPAddressVersion="IPV4",
                                   Addresses=[])["Summary"]["ARN"]
        rules.append(_ip_block_rule(ip_set))
    params: dict[str, Any] = {
        "Name": name, "Scope": scope, "DefaultAction": {"Allow": {}}, "Rules": rules,
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                             "MetricName": name}}
    if tags:
        params["Tags"] = _tags(tags)
    return str(waf.create_web_acl(**params)["Summary"]["ARN"])


def create_distribution(session: boto3.Session, name: str, *, logging_bucket: str | None = None,
                        web_acl: bool = False, tags: dict[str, str] | None = None) -> str:
    """A CloudFront distribution in front of an S3 origin (``name`` is its comment and
    caller reference); with ``logging_bucket`` it writes standard logs there, with
    ``web_acl`` a CLOUDFRONT-scope web ACL is attached. Returns its id."""
    acl = ""
    if web_acl:
        acl = session.client("wafv2", region_name="us-east-1").create_web_acl(
            Name=f"{name}-edge", Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                              "MetricName": f"{name}-edge"})["Summary"]["ARN"]
    config = {
        "CallerReference": name, "Comment": name, "Enabled": True, "WebACLId": acl,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "origin", "DomainName": f"{name}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin",
                                 "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "Logging": {"Enabled": logging_bucket is not None, "IncludeCookies": False,
                    "Bucket": f"{logging_bucket}.s3.amazonaws.com" if logging_bucket else "",
                    "Prefix": "cloudfront/" if logging_bucket else ""},
    }
    answer = session.client("cloudfront", region_name="us-east-1").create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config,
                                    "Tags": {"Items": _tags(tags)}})
    return str(answer["Distribution"]["Id"])

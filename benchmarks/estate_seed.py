"""Seeding the benchmark estate (benchmarks/estate_spec.py) on a moto endpoint.

Through an organisation and assumed roles (moto switches account on AssumeRole),
concurrently, one worker per account-region, with the cheapest creates (one IAM role per
account, few Cognito pools: moto's create_user_pool costs ~100 ms). The founding six types
are created here; the newer ones by benchmarks/estate_newer.py.
"""

from __future__ import annotations

import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.estate_newer import Bound, seed_newer
from benchmarks.estate_spec import MANAGEMENT_ACCOUNT, MEMBER_ROLE, Api, EstateSpec, RegionEstate, Size


def seed(size: Size, endpoint: str, workers: int = 6) -> EstateSpec:
    """Create the organisation and the estate on ``endpoint``; return the spec with real ids.

    Accounts are opened concurrently (AssumeRole and the function role on the same pool as
    the resources): at 1,000 accounts the serial opening alone took longer than the rest."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint)
    org.create_organization(FeatureSet="ALL")
    members = []
    for i in range(1, size.accounts):
        status = org.create_account(AccountName=f"member-{i:02d}", Email=f"m{i}@example.com")
        members.append(status["CreateAccountStatus"]["AccountId"])
    spec = EstateSpec.build(size, members)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint)
    places: dict[str, list[RegionEstate]] = {}
    for p in spec.places:
        places.setdefault(p.account, []).append(p)

    def open_account(account_id: str) -> list[tuple[Any, RegionEstate, str | None]]:
        session = _AccountClients(account_id, sts)
        role = None
        if size.functions:
            role = session.client("iam", endpoint_url=endpoint).create_role(
                RoleName="bench-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        return [(session, p, role) for p in places[account_id]]

    with ThreadPoolExecutor(workers) as pool:
        opened = pool.map(open_account, [a for a, _, _ in spec.accounts])
        futures = [pool.submit(_seed_place, session, endpoint, p, role)
                   for jobs in opened for session, p, role in jobs]
        for future in futures:
            future.result()
    return spec


class _AccountClients:
    """Clients for one account, all from one boto3 session (service models load once, not
    once per account: with a session per account, seeding 200 accounts spent minutes
    of CPU loading models) with the account's assumed-role keys."""

    base: Any = None

    def __init__(self, account_id: str, sts: Any) -> None:
        import boto3

        with _CLIENTS:
            if _AccountClients.base is None:
                _AccountClients.base = boto3.Session(region_name="us-east-1")
        self.keys: dict[str, str] = {}
        if account_id != MANAGEMENT_ACCOUNT:
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}",
                                    RoleSessionName="seed")["Credentials"]
            self.keys = {"aws_access_key_id": creds["AccessKeyId"],
                         "aws_secret_access_key": creds["SecretAccessKey"],
                         "aws_session_token": creds["SessionToken"]}

    def client(self, service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", "us-east-1")
        with _CLIENTS:
            return self.base.client(service, **kwargs, **self.keys)


# Creating clients from one session is not thread-safe.
_CLIENTS = threading.Lock()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


_ZIP = _zip()


def _seed_place(session: _AccountClients, endpoint: str, p: RegionEstate, role_arn: str | None) -> None:
    import botocore.config

    bound = Bound(session, endpoint,
                  botocore.config.Config(retries={"mode": "standard", "max_attempts": 10}))

    def client(service: str) -> Any:
        return bound.client(service, p.region)

    ddb, scaling = client("dynamodb"), client("application-autoscaling")
    for t in p.tables:
        params: dict[str, Any] = {
            "TableName": t.name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        }
        if t.on_demand:
            params["BillingMode"] = "PAY_PER_REQUEST"
        else:
            params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if t.tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in t.tags.items()]
        ddb.create_table(**params)
        if t.pitr:
            ddb.update_continuous_backups(
                TableName=t.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for direction in t.autoscaling:
            dimension = f"dynamodb:table:{direction.capitalize()}CapacityUnits"
            scaling.register_scalable_target(
                ServiceNamespace="dynamodb", ResourceId=f"table/{t.name}",
                ScalableDimension=dimension, MinCapacity=5, MaxCapacity=100)
            scaling.put_scaling_policy(
                PolicyName=f"{t.name}-{direction}", ServiceNamespace="dynamodb",
                ResourceId=f"table/{t.name}", ScalableDimension=dimension,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType":
                            f"DynamoDB{direction.capitalize()}CapacityUtilization"}})
    s3 = client("s3")
    for b in p.buckets:
        if p.region == "us-east-1":
            s3.create_bucket(Bucket=b.name)
        else:
            s3.create_bucket(Bucket=b.name,
                             CreateBucketConfiguration={"LocationConstraint": p.region})
        if b.versioning == "Suspended":
            s3.put_bucket_versioning(Bucket=b.name, VersioningConfiguration={"Status": "Enabled"})
        if b.versioning:
            s3.put_bucket_versioning(Bucket=b.name,
                                     VersioningConfiguration={"Status": b.versioning})
        if b.tags:
            s3.put_bucket_tagging(Bucket=b.name, Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in b.tags.items()]})
    lam = client("lambda")
    arns = {}
    for f in p.functions:
        arns[f.name] = lam.create_function(
            FunctionName=f.name, Runtime="python3.12", Role=role_arn, Handler="handler.handler",
            Code={"ZipFile": _ZIP}, Timeout=f.timeout, Tags=f.tags)["FunctionArn"]
    rest, v2 = client("apigateway"), client("apigatewayv2")
    rest_ids = {}
    for api in p.apis:
        if api.kind == "REST":
            rest_ids[api.name] = _rest_api(rest, p.region, api, arns.get(api.function or ""))
        else:
            api_id = v2.create_api(Name=api.name, ProtocolType="HTTP")["ApiId"]
            if api.function:
                v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                      IntegrationUri=arns[api.function],
                                      PayloadFormatVersion="2.0")
            for name, rate, burst in api.stages:
                params = {"ApiId": api_id, "StageName": name}
                if rate is not None:
                    params["DefaultRouteSettings"] = {"ThrottlingRateLimit": rate,
                                                      "ThrottlingBurstLimit": burst}
                v2.create_stage(**params)
    idp = client("cognito-idp")
    for pool in p.pools:
        pool_id = idp.create_user_pool(PoolName=pool.name, UserPoolTags=pool.tags)["UserPool"]["Id"]
        if pool.mfa != "OFF":
            idp.set_user_pool_mfa_config(UserPoolId=pool_id,
                                         SoftwareTokenMfaConfiguration={"Enabled": True},
                                         MfaConfiguration=pool.mfa)
    seed_newer(bound, p, rest_ids)


def _rest_api(client: Any, region: str, api: Api, function_arn: str | None) -> str:
    api_id = client.create_rest_api(name=api.name)["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = client.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    client.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                      authorizationType="NONE")
    if function_arn:
        uri = (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
               f"{function_arn}/invocations")
        client.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                               type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    deployment = client.create_deployment(restApiId=api_id)["id"]
    for name, rate, burst in api.stages:
        client.create_stage(restApiId=api_id, stageName=name, deploymentId=deployment)
        if rate is not None:
            client.update_stage(restApiId=api_id, stageName=name, patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)}])
    return str(api_id)

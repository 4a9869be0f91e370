"""A parameterised fake organisation for the benchmark: the spec, its seeding, its counts.

The spec is pure data (``EstateSpec.build``): every resource with the properties that
decide its verdict, so the compliant/non-compliant mix is known in advance and the
minimum call count can be computed from it without asking moto. ``seed`` creates it on
a moto endpoint through an organisation and assumed roles (moto switches account on
AssumeRole), concurrently, one worker per account-region, with the cheapest creates
(one IAM role per account, few Cognito pools: moto's create_user_pool costs ~100 ms).

Every tagged resource carries exactly one tag, so the Resource Groups Tagging API's page
packing is the same on moto (fewer than 100 tags a page) and predictable.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
MEMBER_ROLE = "OrganizationAccountAccessRole"
ALL_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1",
               "us-east-2")


@dataclass(frozen=True)
class Size:
    """Accounts (the management account included) x regions, and per account-region counts."""

    accounts: int
    regions: int
    tables: int
    buckets: int
    functions: int
    rest_apis: int
    http_apis: int
    stages_per_api: int
    pools: int

    @property
    def per_region(self) -> int:
        return (self.tables + self.buckets + self.functions + self.pools
                + (self.rest_apis + self.http_apis) * self.stages_per_api)

    @property
    def resources(self) -> int:
        return self.accounts * self.regions * self.per_region


SIZES = {
    # for the tests: seeds in about a second
    "tiny": Size(2, 2, tables=3, buckets=2, functions=2, rest_apis=1, http_apis=1,
                 stages_per_api=1, pools=1),
    "small": Size(2, 2, tables=10, buckets=8, functions=10, rest_apis=3, http_apis=2,
                  stages_per_api=2, pools=1),  # 39 per account-region, 156
    "medium": Size(4, 3, tables=20, buckets=15, functions=20, rest_apis=5, http_apis=4,
                   stages_per_api=2, pools=2),  # 75 per account-region, 900
    "large": Size(10, 4, tables=70, buckets=50, functions=70, rest_apis=15, http_apis=12,
                  stages_per_api=2, pools=2),  # 246 per account-region, 9,840
    # accounts-heavy: a few resources of every type in each account-region (no user pools:
    # moto's CreateUserPool costs ~100 ms; ListUserPools is still made everywhere)
    "accounts": Size(200, 2, tables=2, buckets=1, functions=1, rest_apis=1, http_apis=1,
                     stages_per_api=1, pools=0),  # 6 per account-region, 2,400
    # one resource type (a table per account-region), for memory against account count
    "one-type": Size(1000, 2, tables=1, buckets=0, functions=0, rest_apis=0, http_apis=0,
                     stages_per_api=0, pools=0),
}


@dataclass(frozen=True)
class Table:
    name: str
    on_demand: bool
    pitr: bool
    autoscaling: tuple[str, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class Bucket:
    name: str
    versioning: str | None  # None (never enabled), Enabled, Suspended
    tags: dict[str, str]


@dataclass(frozen=True)
class Function:
    name: str
    timeout: int
    tags: dict[str, str]


@dataclass(frozen=True)
class Api:
    name: str
    kind: str  # REST or HTTP
    stages: tuple[tuple[str, float | None, int | None], ...]  # (name, rate, burst)
    function: str | None  # the function its integration invokes


@dataclass(frozen=True)
class Pool:
    name: str
    mfa: str
    tags: dict[str, str]


@dataclass
class RegionEstate:
    account: str
    region: str
    tables: list[Table] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)


@dataclass
class EstateSpec:
    size: Size
    accounts: list[tuple[str, str, str]]  # (id, name, environment); ids known after seeding
    regions: tuple[str, ...]
    places: list[RegionEstate]

    @classmethod
    def build(cls, size: Size, member_ids: list[str] | None = None) -> EstateSpec:
        """The estate; ``member_ids`` are the organisation's member account ids (placeholders
        until the organisation exists)."""
        members = member_ids or [f"{100000000000 + i:012d}" for i in range(1, size.accounts)]
        accounts = [(MANAGEMENT_ACCOUNT, "management", "shared")]
        for i, account_id in enumerate(members):
            accounts.append((account_id, f"member-{i + 1:02d}", "prod" if i % 2 == 0 else "staging"))
        regions = ALL_REGIONS[:size.regions]
        places = []
        for a, (account_id, _, _) in enumerate(accounts):
            for r, region in enumerate(regions):
                places.append(_place(size, account_id, region, a, r))
        return cls(size, accounts, regions, places)

    def place(self, account: str, region: str) -> RegionEstate:
        return next(p for p in self.places if p.account == account and p.region == region)

    def config(self) -> dict[str, Any]:
        """The scan config for this estate (the management account with the caller's
        credentials, the members through the organisation's role)."""
        return {
            "regions": list(self.regions),
            "organization": True,
            "role_name": MEMBER_ROLE,
            "accounts": [{"id": i, "name": n, "environment": e} for i, n, e in self.accounts],
            "max_workers": 16,
        }

    def expected(self) -> Counter[str]:
        """The verdicts the six founding policies must give: 'policy:status' -> count."""
        out: Counter[str] = Counter()
        env = {i: e for i, _, e in self.accounts}
        for p in self.places:
            for t in p.tables:
                out[f"dynamodb-pitr-enabled:{'pass' if t.pitr else 'fail'}"] += 1
                ok = t.on_demand or t.autoscaling == ("read", "write")
                out[f"dynamodb-autoscaling-registered:{'pass' if ok else 'fail'}"] += 1
            for b in p.buckets:
                out[f"s3-versioning-enabled:{'pass' if b.versioning == 'Enabled' else 'fail'}"] += 1
            for pool in p.pools:
                if pool.tags.get("Environment", env[p.account]) == "prod":
                    out[f"cognito-mfa-on-in-prod:{'pass' if pool.mfa == 'ON' else 'fail'}"] += 1
            for api in p.apis:
                for _, rate, burst in api.stages:
                    ok = rate is not None and burst is not None
                    out[f"apigateway-stage-throttling:{'pass' if ok else 'fail'}"] += 1
            behind = {a.function for a in p.apis if a.function}
            for f in p.functions:
                ok = 1 <= f.timeout <= 300 and (f.name not in behind or f.timeout <= 29)
                out[f"lambda-timeout-bounds:{'pass' if ok else 'fail'}"] += 1
        return out


def _place(size: Size, account: str, region: str, a: int, r: int) -> RegionEstate:
    place = RegionEstate(account, region)
    suffix = f"{account}-{region}"  # bucket names are global: the whole account id
    for k in range(size.tables):
        place.tables.append(Table(
            f"table-{k:03d}", on_demand=k % 4 == 0, pitr=k % 3 != 0,
            autoscaling={1: ("read", "write"), 2: ("read",)}.get(k % 4, ()),
            tags={0: {"Environment": "prod"}, 1: {"Team": "payments"}}.get(k % 5, {})))
    for k in range(size.buckets):
        place.buckets.append(Bucket(
            f"bucket-{k:03d}-{suffix}", versioning=(None, "Enabled", "Suspended")[k % 3],
            tags={"Environment": "staging"} if k % 4 == 0 else {}))
    for k in range(size.functions):
        place.functions.append(Function(
            f"function-{k:03d}", timeout=(3, 30, 120, 900)[k % 4],
            tags={"Environment": "prod"} if k % 3 == 0 else {}))
    for k in range(size.rest_apis):
        stages = tuple((f"s{j}", 100.0 if (k + j) % 2 == 0 else None,
                        200 if (k + j) % 2 == 0 else None) for j in range(size.stages_per_api))
        target = place.functions[k % len(place.functions)].name if place.functions else None
        place.apis.append(Api(f"rest-{k:03d}", "REST", stages, target))
    for k in range(size.http_apis):
        stages = tuple((f"s{j}", 50.0 if (k + j) % 3 == 0 else None,
                        100 if (k + j) % 3 == 0 else None) for j in range(size.stages_per_api))
        target = (place.functions[-1 - k % len(place.functions)].name
                  if place.functions and k % 2 == 0 else None)
        place.apis.append(Api(f"http-{k:03d}", "HTTP", stages, target))
    for k in range(size.pools):
        place.pools.append(Pool(f"pool-{k:02d}", mfa="ON" if k % 2 == 0 else "OFF",
                                tags={"Environment": "prod"} if k == 1 else {}))
    return place


# --- seeding ------------------------------------------------------------------------------


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

    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 10})

    def client(service: str) -> Any:
        return session.client(service, region_name=p.region, endpoint_url=endpoint,
                               config=config)

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
    for api in p.apis:
        if api.kind == "REST":
            _rest_api(rest, p.region, api, arns.get(api.function or ""))
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


def _rest_api(client: Any, region: str, api: Api, function_arn: str | None) -> None:
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

"""The yardstick: a plain single-process boto3 scanner that makes exactly the minimum calls.

    python benchmarks/yardstick.py --config preflight.yml --plan '{"aws.dynamodb.table": [...]}'

One process, one thread pool (``--workers``), and a client per account, region and service
created on first use and kept, as a script written straight on boto3 would; every client
comes from one boto3 session with the account's assumed-role keys, so the service models
load once (a session per account costs about four times as much per client:
benchmarks/client_cost.py), which makes this the stricter yardstick.

It makes the calls ``benchmarks/minimum.py`` counts for the plan (the same listings, the
same page sizes, one detail call per resource, one batch call per account-region, a
dataset two types share fetched once) and nothing else: it does not
evaluate, it keeps only what a policy would read, and it writes no report. run.py runs it in
the same run as Preflight, against the same proxy, and checks its calls equal the minimum:
so Preflight's wall time, CPU and memory are measured against the least a boto3 client
must do for the same answers.

Only the details of the six founding policies are implemented (the plan is checked).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.minimum import AWS_PAGES  # noqa: E402  (the page sizes a scanner asks for)

SUPPORTED = {
    "aws.dynamodb.table": {"table", "continuous_backups", "autoscaling"},
    "aws.s3.bucket": {"versioning"},
    "aws.cognito.user_pool": {"user_pool"},
    "aws.apigateway.stage": set(),
    "aws.apigatewayv2.stage": set(),
    "aws.lambda.function": {"api_integrations"},
}

Task = Callable[[], list[Callable[[], Any]]]  # a task returns the follow-up tasks it found


class Scanner:
    def __init__(self, config: dict[str, Any], plan: dict[str, set[str]], workers: int) -> None:
        import boto3
        import botocore.config

        for type_name, details in plan.items():
            if type_name not in SUPPORTED or not details <= SUPPORTED[type_name]:
                raise SystemExit(f"yardstick: {type_name} {sorted(details)} is not implemented")
        self.boto3 = boto3
        self.config = config
        self.plan = plan
        self.workers = workers
        self.client_config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=workers)
        self.keys: dict[str, dict[str, str]] = {}  # account -> its assumed-role keys
        self.clients: dict[tuple[str, str, str], Any] = {}
        self.lock = threading.Lock()  # boto3 sessions are not thread-safe for creating clients
        self.found: Counter[str] = Counter()
        self.kept: list[Any] = []  # what the policies read, as a scanner would keep it

    # -- clients -------------------------------------------------------------------------

    def client(self, account: str, region: str, service: str) -> Any:
        key = (account, region, service)
        client = self.clients.get(key)
        if client is None:
            with self.lock:
                client = self.clients.get(key)
                if client is None:
                    client = self.clients[key] = self.home.client(
                        service, region_name=region, config=self.client_config,
                        **self.keys[account])
        return client

    # -- the scan ------------------------------------------------------------------------

    def run(self) -> None:
        regions = self.config["regions"]
        home = self.home = self.boto3.Session(region_name=regions[0])
        with self.lock:
            sts = home.client("sts", config=self.client_config)
        caller = sts.get_caller_identity()["Account"]
        accounts = [a["Id"] for page in home.client("organizations", config=self.client_config)
                    .get_paginator("list_accounts").paginate() for a in page["Accounts"]]
        self.keys[caller] = {}
        role = self.config["role_name"]

        def open_account(account: str) -> list[Callable[[], Any]]:
            if account != caller:
                creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                        RoleSessionName="yardstick")["Credentials"]
                self.keys[account] = {"aws_access_key_id": creds["AccessKeyId"],
                                      "aws_secret_access_key": creds["SecretAccessKey"],
                                      "aws_session_token": creds["SessionToken"]}
            return [lambda r=r: self.region(account, r) for r in regions]

        self.drain([lambda a=a: open_account(a) for a in accounts])

    def drain(self, tasks: list[Task]) -> None:
        """Run tasks and the tasks they return on the pool until none is left."""
        with ThreadPoolExecutor(self.workers) as pool:
            pending: set[Future[list[Callable[[], Any]]]] = {pool.submit(t) for t in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending |= {pool.submit(t) for t in future.result() or ()}

    def region(self, account: str, region: str) -> list[Callable[[], Any]]:
        """The listings of one account-region; the per-resource calls as follow-up tasks."""
        def c(service: str) -> Any:
            return self.client(account, region, service)

        follow: list[Callable[[], Any]] = []
        plan = self.plan
        if "aws.dynamodb.table" in plan:
            follow += self.tables(c, plan["aws.dynamodb.table"])
        if "aws.s3.bucket" in plan:
            buckets = list(pages(c("s3"), "list_buckets", "Buckets", BucketRegion=region))
            self.found["aws.s3.bucket"] += len(buckets)
            if "versioning" in plan["aws.s3.bucket"]:
                follow += [lambda b=b: self.keep(c("s3").get_bucket_versioning(
                    Bucket=b["Name"]).get("Status")) for b in buckets]
        if "aws.cognito.user_pool" in plan:
            pools = list(pages(c("cognito-idp"), "list_user_pools", "UserPools",
                               MaxResults=AWS_PAGES["cognito-idp:ListUserPools"]))
            self.found["aws.cognito.user_pool"] += len(pools)
            follow += [lambda p=p: self.keep(c("cognito-idp").describe_user_pool(
                UserPoolId=p["Id"])["UserPool"].get("MfaConfiguration")) for p in pools]
        follow += self.apis(c)
        return follow

    def tables(self, c: Callable[[str], Any], details: set[str]) -> list[Callable[[], Any]]:
        names = list(pages(c("dynamodb"), "list_tables", "TableNames"))
        self.found["aws.dynamodb.table"] += len(names)
        follow: list[Callable[[], Any]] = []
        if "table" in details:
            follow += [lambda n=n: self.keep(c("dynamodb").describe_table(
                TableName=n)["Table"].get("BillingModeSummary")) for n in names]
        if "continuous_backups" in details:
            follow += [lambda n=n: self.keep(c("dynamodb").describe_continuous_backups(
                TableName=n)["ContinuousBackupsDescription"]) for n in names]
        if "autoscaling" in details and names:
            size = AWS_PAGES["application-autoscaling:DescribeScalableTargets"]
            follow += [lambda op=op, key=key: self.keep(list(pages(
                c("application-autoscaling"), op, key, ServiceNamespace="dynamodb",
                MaxResults=size)))
                for op, key in (("describe_scalable_targets", "ScalableTargets"),
                                ("describe_scaling_policies", "ScalingPolicies"))]
        return follow

    def apis(self, c: Callable[[str], Any]) -> list[Callable[[], Any]]:
        """REST and HTTP APIs, listed once for both the stages and the functions' integrations."""
        plan = self.plan
        lambdas = "api_integrations" in plan.get("aws.lambda.function", ())
        follow: list[Callable[[], Any]] = []
        if "aws.lambda.function" in plan:
            functions = list(pages(c("lambda"), "list_functions", "Functions"))
            self.found["aws.lambda.function"] += len(functions)
        if "aws.apigateway.stage" in plan or lambdas:
            rest = list(pages(c("apigateway"), "get_rest_apis", "items",
                              limit=AWS_PAGES["apigateway:GetRestApis"]))
            if "aws.apigateway.stage" in plan:
                follow += [lambda a=a: self.count("aws.apigateway.stage", c("apigateway").get_stages(
                    restApiId=a["id"]).get("item", [])) for a in rest]
            if lambdas:
                follow += [lambda a=a: self.keep(list(pages(
                    c("apigateway"), "get_resources", "items", restApiId=a["id"],
                    embed=["methods"], limit=AWS_PAGES["apigateway:GetResources"]))) for a in rest]
        if "aws.apigatewayv2.stage" in plan or lambdas:
            http = list(pages(c("apigatewayv2"), "get_apis", "Items"))
            if "aws.apigatewayv2.stage" in plan:
                follow += [lambda a=a: self.count("aws.apigatewayv2.stage", tokens(
                    c("apigatewayv2").get_stages, "Items", ApiId=a["ApiId"])) for a in http]
            if lambdas:
                follow += [lambda a=a: self.keep(tokens(
                    c("apigatewayv2").get_integrations, "Items", ApiId=a["ApiId"])) for a in http]
        return follow

    def keep(self, value: Any) -> list[Callable[[], Any]]:
        self.kept.append(value)
        return []

    def count(self, type_name: str, items: list[Any]) -> list[Callable[[], Any]]:
        self.found[type_name] += len(items)
        return []


def pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def tokens(call: Callable[..., Any], key: str, **params: Any) -> list[Any]:
    """An operation without a boto3 paginator, followed by NextToken."""
    items: list[Any] = []
    while True:
        page = call(**params)
        items.extend(page.get(key, []))
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the scan's config (YAML)")
    parser.add_argument("--plan", required=True, help="JSON: resource type -> details")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)
    import yaml

    config = yaml.safe_load(args.config.read_text())
    plan = {t: set(d) for t, d in json.loads(args.plan).items()}
    scanner = Scanner(config, plan, args.workers)
    scanner.run()
    print(json.dumps({"found": dict(scanner.found), "clients": len(scanner.clients)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

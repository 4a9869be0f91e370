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

from preflight_scanner.demo import estate as builders

from benchmarks.estate_newer import Bound, seed_newer
from benchmarks.estate_spec import MANAGEMENT_ACCOUNT, MEMBER_ROLE, EstateSpec, RegionEstate, Size


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

    for t in p.tables:
        builders.create_table(bound, p.region, t.name, on_demand=t.on_demand, pitr=t.pitr,
                              autoscaling=t.autoscaling, tags=t.tags)
    for b in p.buckets:
        builders.create_bucket(bound, p.region, b.name, versioning=b.versioning, tags=b.tags)
    # Not the demo's create_function: it makes a role per function, and the estate shares one
    # role per account (IAM creates are moto's slowest).
    lam = bound.client("lambda", p.region)
    arns = {}
    for f in p.functions:
        arns[f.name] = lam.create_function(
            FunctionName=f.name, Runtime="python3.12", Role=role_arn, Handler="handler.handler",
            Code={"ZipFile": _ZIP}, Timeout=f.timeout, Tags=f.tags)["FunctionArn"]
    rest_ids = {}
    for api in p.apis:
        stages = [builders.Stage(name, rate, burst) for name, rate, burst in api.stages]
        create = builders.create_rest_api if api.kind == "REST" else builders.create_http_api
        api_id = create(bound, p.region, api.name, stages, lambda_arn=arns.get(api.function or ""))
        if api.kind == "REST":
            rest_ids[api.name] = api_id
    for pool in p.pools:
        builders.create_user_pool(bound, p.region, pool.name, mfa=pool.mfa, tags=pool.tags)
    seed_newer(bound, p, rest_ids)


"""The benchmark estate as pure data: sizes, every resource and what decides its verdict.

``EstateSpec.build`` lays out the estate without asking moto, so the compliant and
non-compliant mix is known in advance (``expected``) and the minimum call count can be
computed from it (benchmarks/minimum.py ``place_counts``). Seeding it is
benchmarks/estate_seed.py's job.

Every tagged resource carries exactly one tag, so the Resource Groups Tagging API's page
packing is the same on moto (fewer than 100 tags a page) and predictable.
"""

from __future__ import annotations

from collections import Counter
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
    # The types added after the six founding ones (their calls are measured too).
    log_groups: int = 0  # the first for every other function (/aws/lambda/...), then others
    secrets: int = 0
    web_acls: int = 0  # regional, on the first stage of every other REST API (or none)
    distributions: int = 0  # per account (CloudFront is global): an edge ACL or logging

    @property
    def per_region(self) -> int:
        return (self.tables + self.buckets + self.functions + self.pools
                + (self.rest_apis + self.http_apis) * self.stages_per_api
                + self.log_groups + self.secrets + self.web_acls)

    @property
    def resources(self) -> int:
        edge_acls = sum(_edge_acl(a, k) for a in range(self.accounts)
                        for k in range(self.distributions))
        return (self.accounts * self.regions * self.per_region
                + self.accounts * self.distributions + edge_acls)


SIZES = {
    # for the tests: seeds in about a second
    "tiny": Size(2, 2, tables=3, buckets=2, functions=2, rest_apis=1, http_apis=1,
                 stages_per_api=1, pools=1, log_groups=2, secrets=2, web_acls=1,
                 distributions=1),
    "small": Size(2, 2, tables=10, buckets=8, functions=10, rest_apis=3, http_apis=2,
                  stages_per_api=2, pools=1, log_groups=4, secrets=2, web_acls=1,
                  distributions=1),  # 46 per account-region, 187
    "medium": Size(4, 3, tables=20, buckets=15, functions=20, rest_apis=5, http_apis=4,
                   stages_per_api=2, pools=2, log_groups=8, secrets=4, web_acls=1,
                   distributions=1),  # 88 per account-region, 1,062
    "large": Size(10, 4, tables=70, buckets=50, functions=70, rest_apis=15, http_apis=12,
                  stages_per_api=2, pools=2, log_groups=20, secrets=6, web_acls=2,
                  distributions=2),  # 274 per account-region, 10,990
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


@dataclass(frozen=True)
class LogGroup:
    name: str
    retention: int | None  # days; None: events never expire


@dataclass(frozen=True)
class Secret:
    name: str
    rotation_days: int | None  # None: rotation never configured


@dataclass(frozen=True)
class WebAcl:
    """A regional web ACL; ``stages`` are the REST stages associated with it (api, stage)."""

    name: str
    stages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Distribution:
    """A CloudFront distribution (in its account's us-east-1 place: CloudFront's endpoint);
    ``edge_acl`` is the name of the CLOUDFRONT-scope web ACL attached to it, if any."""

    name: str
    logging_bucket: str | None
    edge_acl: str | None
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
    log_groups: list[LogGroup] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    web_acls: list[WebAcl] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)  # per account: r == 0


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
    _newer_types(size, place, a, r)
    return place


def _edge_acl(a: int, k: int) -> bool:
    return (a + k) % 2 == 0


def _newer_types(size: Size, place: RegionEstate, a: int, r: int) -> None:
    """Log groups, secrets, web ACLs and distributions: each with passes and fails, and none
    that changes the six founding policies' verdicts."""
    for k in range(size.log_groups):
        # Every other function has its group (lambda-log-group-exists passes and fails).
        name = (f"/aws/lambda/{place.functions[2 * k].name}" if 2 * k < len(place.functions)
                else f"/bench/app-{k:03d}")
        place.log_groups.append(LogGroup(name, retention=30 if k % 2 == 0 else None))
    for k in range(size.secrets):
        place.secrets.append(Secret(f"secret-{k:03d}", rotation_days=30 if k % 2 == 0 else None))
    rest = [api for api in place.apis if api.kind == "REST" and api.stages]
    for k in range(size.web_acls):
        # The first stage of every other REST API (the odd ones in every other place, so a
        # place with one REST API has none), spread over the ACLs.
        attached = rest[(a + r) % 2::2]
        stages = tuple((api.name, api.stages[0][0]) for j, api in enumerate(attached)
                       if j % size.web_acls == k)
        place.web_acls.append(WebAcl(f"acl-{k:02d}", stages))
    if r == 0:  # CloudFront is global: the account's distributions live in its first region
        for k in range(size.distributions):
            name = f"dist-{k:02d}-{place.account}"
            # An edge ACL or standard logging, never both: cloudfront-waf-attached and
            # cloudfront-logging-enabled each pass in one account and fail in the next.
            edge = _edge_acl(a, k)
            place.distributions.append(Distribution(
                name, logging_bucket=place.buckets[0].name if place.buckets and not edge
                else None, edge_acl=f"{name}-edge" if edge else None,
                tags={"Environment": "prod"}))  # in the prod-scoped policies' scope

"""What a set of runbooks needs to know about the estate, read once, concurrently, read-only.

Resource types the scanner already collects go through its Collector (one listing per
type, account and region, shared by every step that names one). What it does not collect is
listed here with the same discipline: log groups (DescribeLogGroups), published metrics
(ListMetrics, once per namespace) and regional WAF IP sets (ListIPSets), each once per
account-region, paginated, through the same guarded read-only clients. A listing that fails
is kept as the reason it failed: every step that depends on it cannot be told.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import MutatingCallBlocked, Sessions, error_code
from ..collect import Collector, make_plan
from ..models import Account
from ..redact import redact
from ..resources import REGISTRY
from .kinds import LOGS, WAF

METRICS = "cloudwatch:ListMetrics"
Key = tuple[str, str, str]  # (listing, account id, region)


@dataclass(frozen=True)
class Failed:
    """A listing that could not be read: why."""

    reason: str


@dataclass
class Snapshot:
    """Everything read, by (listing, account, region); a listing is a collector type, LOGS,
    WAF, or ``cloudwatch:ListMetrics:NAMESPACE``."""

    regions: tuple[str, ...]
    found: dict[Key, Any] = field(default_factory=dict)
    api_calls: int = 0

    def get(self, listing: str, account_id: str, region: str) -> Any:
        rtype = REGISTRY.get(listing)
        if rtype is not None and rtype.per_account:
            region = self.regions[0]  # account-wide things are listed in the first region
        return self.found.get((listing, account_id, region), Failed(f"{listing} was not read"))


def metric_listing(namespace: str) -> str:
    return f"{METRICS}:{namespace}"


def gather(sessions: Sessions, accounts: Sequence[Account], regions: Sequence[str],
           collector_needs: dict[str, set[str]], own: set[Key], max_workers: int,
           now: datetime) -> Snapshot:
    snapshot = Snapshot(tuple(regions))
    by_id = {a.id: a for a in accounts}
    # Our own listings first: they open each account once (AssumeRole), and the collector
    # then finds the credentials cached instead of assuming the role again.
    ordered = sorted(own)
    with ThreadPoolExecutor(max_workers, thread_name_prefix="preflight-runbooks") as pool:
        results = pool.map(lambda key: _read(sessions, by_id[key[1]], key), ordered)
        for key, result in zip(ordered, results, strict=True):
            snapshot.found[key] = result
    if collector_needs:
        inventory = Collector(sessions, accounts, regions, make_plan(collector_needs),
                              max_workers=max_workers, now=now).run()
        for account in accounts:
            for type_name in collector_needs:
                # Account-wide types are listed once, in the first region (Snapshot.get).
                for region in regions[:1] if REGISTRY[type_name].per_account else regions:
                    snapshot.found[(type_name, account.id, region)] = []
        for resource in inventory.resources:
            snapshot.found[(resource.type, resource.account.id, resource.region)].append(resource)
        for gap in inventory.gaps:
            snapshot.found[(gap.resource_type, gap.account.id, gap.region)] = \
                Failed(gap.error.describe())
    snapshot.api_calls = sessions.call_log.total
    return snapshot


def _read(sessions: Sessions, account: Account, key: Key) -> Any:
    listing, _, region = key

    def client(service: str) -> Any:
        return sessions.client(account, service, region)

    try:
        if listing == LOGS:
            return {group["logGroupName"]: group.get("storedBytes", 0)
                    for page in client("logs").get_paginator("describe_log_groups").paginate()
                    for group in page.get("logGroups", [])}
        if listing == WAF:
            return _ip_sets(client("wafv2"))
        namespace = listing.removeprefix(f"{METRICS}:")
        return {(m["MetricName"], frozenset((d["Name"], d["Value"])
                                            for d in m.get("Dimensions", [])))
                for page in client("cloudwatch").get_paginator("list_metrics").paginate(
                    Namespace=namespace)
                for m in page.get("Metrics", [])}
    except (ClientError, BotoCoreError, MutatingCallBlocked) as exc:
        what = listing.removeprefix(f"{METRICS}:") if listing.startswith(METRICS) else listing
        operation = METRICS if listing.startswith(METRICS) else listing
        return Failed(f"{operation} failed ({error_code(exc)}) for {account.id} {region}"
                      f"{'' if what == listing else f' ({what})'}: {redact(str(exc))[:300]}")


def _ip_sets(waf: Any) -> set[str]:
    """Names and ids of the regional IP sets (ListIPSets has no boto3 paginator)."""
    found: set[str] = set()
    params: dict[str, Any] = {"Scope": "REGIONAL", "Limit": 100}
    while True:
        page = waf.list_ip_sets(**params)
        for item in page.get("IPSets", []):
            found.update((item["Name"], item["Id"]))
        if not page.get("NextMarker") or not page.get("IPSets"):
            return found
        params["NextMarker"] = page["NextMarker"]


"""Seeding the types added after the founding six: log groups, secrets, web ACLs, distributions.

The demo's builders (``preflight_scanner.demo.estate``) create each of them, and all of the
founding six but functions (estate_seed.py). They take any object with boto3's
``client(service, region_name=...)``, so :class:`Bound` hands them an account's clients
pointed at the benchmark's endpoint, with retries for a busy moto.
API Gateway's account settings need no seeding (one per account-region exists already);
Amplify (moto has none) and Route 53 are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from preflight_scanner.demo import estate as builders

from benchmarks.estate_spec import RegionEstate


@dataclass(frozen=True)
class Bound:
    """An account's clients on one endpoint, shaped like a boto3 Session for the builders.

    The builders ask for a client per resource they create; each (service, region) client is
    built once here (a client costs ~7 ms of CPU, and the estate has thousands of resources).
    One Bound serves one account-region's seeding, on one thread.
    """

    session: Any  # estate_seed._AccountClients
    endpoint: str
    config: Any  # botocore.config.Config
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False)

    def client(self, service: str, region_name: str) -> Any:
        key = (service, region_name)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region_name,
                                                     endpoint_url=self.endpoint,
                                                     config=self.config)
        return self._clients[key]


def seed_newer(bound: Bound, p: RegionEstate, rest_ids: dict[str, str]) -> None:
    """Create ``p``'s newer types; ``rest_ids``: the place's REST API ids by name."""
    for group in p.log_groups:
        builders.create_log_group(bound, p.region, group.name)
        if group.retention:
            builders.set_log_retention(bound, p.region, group.name, group.retention)
    for secret in p.secrets:
        builders.create_secret(bound, p.region, secret.name, rotate_every_days=secret.rotation_days)
    waf = bound.client("wafv2", p.region)
    for acl in p.web_acls:
        arn = builders.create_web_acl(bound, acl.name, region=p.region)
        for api, stage in acl.stages:
            waf.associate_web_acl(WebACLArn=arn, ResourceArn=(
                f"arn:aws:apigateway:{p.region}::/restapis/{rest_ids[api]}/stages/{stage}"))
    for dist in p.distributions:  # the builder names the edge ACL "<name>-edge", as the spec
        builders.create_distribution(bound, dist.name, logging_bucket=dist.logging_bucket,
                                     web_acl=dist.edge_acl is not None, tags=dist.tags)

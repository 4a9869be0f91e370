"""A resource as a template or plan describes it, before it becomes a scanner Resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Account, Resource, SourceLocation
from .values import Unknown, first_unknown, plain

DYNAMODB = "aws.dynamodb.table"
S3 = "aws.s3.bucket"
COGNITO = "aws.cognito.user_pool"
REST_STAGE = "aws.apigateway.stage"
HTTP_STAGE = "aws.apigatewayv2.stage"
LAMBDA = "aws.lambda.function"

_STAGE = {"api_id", "api_name", "stage_name", "throttling", "access_log_destination", "tags"}

# The attributes a template or plan can express, per type: the same names the live collectors
# produce. Anything else (alarms, backups, aliases, recent durations...) exists only after
# deployment; a policy reading it does not apply before deployment (see scanner.iac.run).
PLANNABLE: dict[str, frozenset[str]] = {
    DYNAMODB: frozenset({"billing_mode", "provisioned_throughput", "deletion_protection", "pitr",
                         "autoscaling", "tags"}),
    S3: frozenset({"versioning", "mfa_delete", "tags"}),
    COGNITO: frozenset({"mfa_configuration", "deletion_protection", "tags"}),
    REST_STAGE: frozenset(_STAGE | {"logging_level", "metrics_enabled", "method_settings",
                                    "tracing_enabled", "web_acl_arn"}),
    HTTP_STAGE: frozenset(_STAGE | {"protocol_type"}),
    LAMBDA: frozenset({"timeout", "memory_size", "runtime", "package_type", "architectures",
                       "reserved_concurrency", "tags", "api_integrations"}),
}
# Every document has these (scanner.evaluate.document).
COMMON = frozenset({"id", "name", "arn", "account_id", "region", "environment", "scan_time"})


@dataclass(frozen=True)
class InlineWaiver:
    """A waiver written next to the resource: CloudFormation Metadata or a Terraform comment."""

    policy: str
    reason: str
    source: SourceLocation
    owner: str = ""
    expires: str = ""  # ISO date; empty: for as long as the template carries it


@dataclass
class Planned:
    type: str
    id: str  # unique in the run: "<file>#<logical id or address>"
    name: str
    arn: str | None
    data: dict[str, Any]  # may hold Unknown values
    location: SourceLocation
    attribute_locations: dict[str, SourceLocation] = field(default_factory=dict)
    waivers: list[InlineWaiver] = field(default_factory=list)

    def to_resource(self, account: Account, region: str) -> Resource:
        unreadable: dict[str, str] = {}
        data: dict[str, Any] = {}
        for key, value in self.data.items():
            unknown = first_unknown(value)
            if unknown is not None:
                unreadable[key] = _unknown_message(key, unknown, self.attribute_locations.get(key))
            else:
                data[key] = plain(value)
        return Resource(self.type, self.id, str(self.name), plain(self.arn), account, region,
                        data, unreadable, self.location, dict(self.attribute_locations))


def _unknown_message(attribute: str, unknown: Unknown, where: SourceLocation | None) -> str:
    at = f" ({where.describe()})" if where is not None else ""
    return f"{attribute} is unknown before deployment{at}: {unknown.reason}"

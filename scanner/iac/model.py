"""A resource as a template or plan describes it, before it becomes a scanner Resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Account, Resource, SourceLocation
from .values import Unknown, first_unknown, plain

# Every document has these (scanner.evaluate.document), planned or live.
COMMON = frozenset({"id", "name", "arn", "account_id", "region", "environment", "scan_time"})


@dataclass(frozen=True)
class InlineWaiver:
    """A waiver written next to the resource: CloudFormation Metadata or a Terraform comment."""

    policy: str
    reason: str
    source: SourceLocation
    owner: str = ""
    expires: str = ""  # ISO date; required (checked as a waivers file's are)
    include_errors: bool = False  # also accept an error (a value unknown before deployment)


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
    kind: str = "cloudformation"  # or "terraform": how a fix is written (remediation.py)

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

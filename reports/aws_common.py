"""Small helpers the AWS-facing formats share (ocsf, asff): times, partitions, identities."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from preflight_scanner.models import Account, Finding, RunbookExcerpt, ScanResult
from preflight_scanner.reports.sarif import fingerprint

__all__ = ["Lookups", "epoch_ms", "fingerprint", "is_web", "partition", "utc_z"]

_WEB = re.compile(r"^https?://[^\s<>()\[\]`\\\"{}|^]+$")


def is_web(link: str) -> bool:
    """A plain http(s) URL: a runbook link fit to send as a URL field."""
    return bool(_WEB.match(link))


def _moment(timestamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_z(timestamp: str) -> str | None:
    """ISO 8601 in UTC with a 'Z' and milliseconds (what ASFF wants); None if unparsable."""
    moment = _moment(timestamp)
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(timestamp: str) -> int | None:
    """Milliseconds since the epoch (OCSF's timestamp_t); None if unparsable."""
    moment = _moment(timestamp)
    return None if moment is None else int(moment.timestamp() * 1000)


def partition(arn: str | None) -> str:
    """aws, aws-cn or aws-us-gov, from an ARN; aws when there is none."""
    if arn and arn.startswith("arn:"):
        part = arn.split(":", 2)[1]
        if part:
            return part
    return "aws"


class Lookups:
    """The result's policies, accounts and runbook excerpts by key, built once per render."""

    def __init__(self, result: ScanResult) -> None:
        self.policies = {p.id: p for p in result.policies}
        self.accounts: dict[str, Account] = {a.id: a for a in result.accounts}
        self.excerpts: dict[str, RunbookExcerpt] = {e.ref: e for e in result.runbooks}

    def title(self, finding: Finding) -> str:
        policy = self.policies.get(finding.policy_id)
        return policy.title if policy and policy.title else finding.policy_id

    def link(self, finding: Finding) -> str:
        excerpt = self.excerpts.get(finding.runbook)
        return excerpt.link if excerpt else ""

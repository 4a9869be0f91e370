"""`preflight export securityhub`: send a saved report's ASFF findings to Security Hub.

This is a write, so it lives apart from the scan: its own command, its own client (built
here, not by aws.Sessions, whose read-only guard stays as it is) and its own IAM policy
(``IAM_POLICY``): ``securityhub:BatchImportFindings``, plus ``securityhub:GetFindings`` with
``--archive-missing``.

- BatchImportFindings with the default product accepts only the calling account's findings:
  the findings of other accounts in the report are counted and left out (run the export with
  each account's credentials, e.g. a matrix of export roles). Pre-deploy findings (with a
  source location) describe templates, not resources, and are never sent.
- Batches of 100 (the API's limit). botocore retries throttling and 5xx (adaptive mode);
  findings the API rejects individually (``FailedFindings``) are retried a bounded number
  of times, then reported with their error code.
- ``--archive-missing``: the findings this product imported earlier for this account that
  the report no longer has are re-imported with ``RecordState: ARCHIVED`` (how a provider
  archives its own findings; BatchUpdateFindings is the customers' workflow API and cannot
  set it). Fail-closed: only findings of a policy, and of a region, the report covers, and
  never where the report has an error for that policy, account and region (a resource that
  became unreadable has not disappeared).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from preflight_scanner.reports import asff
from preflight_scanner.reports.aws_common import Lookups, partition

from ..errors import PreflightError
from ..models import ScanResult, Status
from ..redact import redact

BATCH = 100  # BatchImportFindings takes at most 100 findings per call
ATTEMPTS = 4  # tries for findings the API rejected individually
RETRYABLE = {"InternalException", "InternalError", "ThrottlingException", "LimitExceededException",
             "TooManyRequestsException", "ServiceUnavailable"}
IAM_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "PreflightExportImport", "Effect": "Allow",
                   "Action": ["securityhub:BatchImportFindings"],
                   "Resource": "arn:aws:securityhub:*:*:product/*/default"}],
}
ARCHIVE_STATEMENT: dict[str, Any] = {"Sid": "PreflightExportArchiveMissing", "Effect": "Allow",
                                     "Action": ["securityhub:GetFindings"], "Resource": "*"}


class ExportError(PreflightError):
    """Security Hub could not be reached or refused the export as a whole (exit code 2)."""


@dataclass(frozen=True)
class Failed:
    id: str
    code: str
    message: str


@dataclass(frozen=True)
class ExportSummary:
    account_id: str
    region: str
    imported: int = 0
    archived: int = 0
    failed: tuple[Failed, ...] = ()
    other_accounts: dict[str, int] = field(default_factory=dict)
    pre_deploy: int = 0


def client(service: str, region: str | None) -> Any:
    """A client of its own (not aws.Sessions: that one may only read), adaptive retries."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=10,
                    read_timeout=30, user_agent_extra="preflight-export")
    session: Any = boto3.session.Session()  # the service is a variable: no typed overload
    return session.client(service, region_name=region, config=config)


def _aws_error(action: str, exc: Exception) -> ExportError:
    return ExportError(redact(f"{action}: {exc}"))


def import_batches(hub: Any, findings: Sequence[dict[str, Any]],
                   sleep: Callable[[float], None] | None = None) -> tuple[int, list[Failed]]:
    """Import in batches of 100; retry individually rejected findings whose error is
    transient; return how many were imported and what failed for good."""
    from botocore.exceptions import BotoCoreError, ClientError

    imported, failed = 0, list[Failed]()
    for start in range(0, len(findings), BATCH):
        pending = list(findings[start:start + BATCH])
        for attempt in range(ATTEMPTS):
            try:
                answer = hub.batch_import_findings(Findings=pending)
            except (ClientError, BotoCoreError) as exc:
                raise _aws_error("BatchImportFindings failed", exc) from None
            imported += int(answer.get("SuccessCount", 0))
            rejected = {f.get("Id", ""): f for f in answer.get("FailedFindings", [])}
            retry = [f for f in pending if f["Id"] in rejected
                     and rejected[f["Id"]].get("ErrorCode") in RETRYABLE]
            failed.extend(Failed(i, str(r.get("ErrorCode", "")), redact(str(r.get("ErrorMessage", ""))))
                          for i, r in rejected.items()
                          if r.get("ErrorCode") not in RETRYABLE or attempt == ATTEMPTS - 1)
            if not retry or attempt == ATTEMPTS - 1:
                break
            pending = retry
            (sleep or time.sleep)(min(2.0 ** attempt, 8.0))
    return imported, failed


def _active(hub: Any, product: str, account_id: str) -> Iterator[dict[str, Any]]:
    """This product's active findings for the account (filtered again here: a filter the
    endpoint ignores must not widen what gets archived)."""
    filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
               "AwsAccountId": [{"Value": account_id, "Comparison": "EQUALS"}],
               "GeneratorId": [{"Value": "preflight/", "Comparison": "PREFIX"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
    for page in hub.get_paginator("get_findings").paginate(Filters=filters,
                                                           PaginationConfig={"PageSize": 100}):
        for finding in page.get("Findings", []):
            if (finding.get("ProductArn") == product and finding.get("AwsAccountId") == account_id
                    and str(finding.get("GeneratorId", "")).startswith("preflight/")
                    and finding.get("RecordState", "ACTIVE") == "ACTIVE"):
                yield finding


# What a provider sends (the attributes asff.document writes); GetFindings adds Security
# Hub's own (ProcessedAt, Workflow, aws/securityhub/* product fields), not ours to re-send.
PROVIDER_KEYS = ("SchemaVersion", "Id", "ProductArn", "ProductName", "CompanyName", "GeneratorId",
                 "AwsAccountId", "Types", "FirstObservedAt", "LastObservedAt", "CreatedAt",
                 "UpdatedAt", "Severity", "FindingProviderFields", "Title", "Description",
                 "Remediation", "ProductFields", "Resources", "Compliance", "SourceUrl")


def _provider_fields(finding: dict[str, Any]) -> dict[str, Any]:
    out = {k: finding[k] for k in PROVIDER_KEYS if k in finding}
    if "ProductFields" in out:
        out["ProductFields"] = {k: v for k, v in out["ProductFields"].items()
                                if not k.startswith("aws/")}
    return out


def archivable(finding: dict[str, Any], result: ScanResult, account_id: str) -> bool:
    """Whether the report proves the finding is gone (fail-closed, see the module doc)."""
    policy = str(finding.get("ProductFields", {}).get("Preflight/PolicyId", ""))
    region = next((str(r.get("Region", "")) for r in finding.get("Resources", [])), "")
    if policy not in {p.id for p in result.policies}:
        return False
    if region and region not in result.regions:
        return False
    return not any(f.underlying_status is Status.ERROR and f.policy_id == policy
                   and f.resource.account_id == account_id and f.resource.region in ("", region)
                   for f in result.findings) and not any(
        e.account_id == account_id and e.region in (None, "", region) for e in result.errors)


def export(result: ScanResult, region: str | None, archive_missing: bool = False,
           sleep: Callable[[float], None] | None = None) -> ExportSummary:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account_id = client("sts", region).get_caller_identity()["Account"]
        hub = client("securityhub", region)
        region = hub.meta.region_name
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error("cannot start the export (credentials, region)", exc) from None
    summary = ExportSummary(account_id, region)
    look, documents, others, pre_deploy = Lookups(result), [], dict[str, int](), 0
    for finding in result.findings:
        if finding.location is not None:
            pre_deploy += 1
        elif finding.resource.account_id != account_id:
            others[finding.resource.account_id] = others.get(finding.resource.account_id, 0) + 1
        else:
            documents.append(asff.document(finding, result, look, region))
    imported, failed = import_batches(hub, documents, sleep)
    summary = replace(summary, imported=imported, failed=tuple(failed), other_accounts=others,
                      pre_deploy=pre_deploy)
    if not archive_missing:
        return summary
    if account_id not in {a.id for a in result.accounts}:
        raise ExportError(f"--archive-missing: account {account_id} is not in this report, so "
                          "the report cannot show that any of its findings disappeared")
    arn_partition = partition(documents[0]["ProductArn"] if documents else None)
    product = asff.product_arn(arn_partition, region, account_id)
    current = {d["Id"] for d in documents}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    try:
        gone = [_provider_fields(f) | {"RecordState": "ARCHIVED", "UpdatedAt": now}
                for f in _active(hub, product, account_id)
                if f["Id"] not in current and archivable(f, result, account_id)]
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error("GetFindings failed (--archive-missing needs securityhub:GetFindings)",
                         exc) from None
    archived, archive_failed = import_batches(hub, gone, sleep)
    return replace(summary, archived=archived, failed=(*summary.failed, *archive_failed))

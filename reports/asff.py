"""report.asff.json: AWS Security Finding Format, what Security Hub's BatchImportFindings takes.

A JSON array of ASFF findings, one per line, passing ones included: importing a PASSED
finding is how Security Hub learns that an earlier failure was fixed (it then resolves it).
`preflight export securityhub` sends them; this renderer only writes them.

- ``Id`` is ``preflight/<policy>/<sha256 of (policy, account, region, type, id)>``, the same
  identity as SARIF's fingerprint: a re-import updates the finding instead of adding one.
- ``ProductArn`` is the account's default product in the hub's region (the resource's
  region, or the scan's first region for a global one); ``export --region`` rewrites it.
  BatchImportFindings with the default product accepts only findings of the calling account.
- ``Compliance.Status``: pass -> PASSED, fail -> FAILED, error -> NOT_AVAILABLE (ASFF: "check
  could not be performed due to ... API error"; never PASSED). A waived finding keeps its
  underlying FAILED or NOT_AVAILABLE with a ``WAIVED`` status reason, and the waiver in
  ``ProductFields``. Preflight sets no ``Workflow``: Security Hub lets a provider set it only
  when a finding is created, so a SUPPRESSED set by a waiver would outlive the waiver's
  expiry; suppress waived findings with an automation rule on ``Preflight/WaiverId``.
- Lengths are clipped to the API's limits (title 256, description 1024, recommendation 512,
  product field values 2048), with an ellipsis; the full text is in report.json.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from preflight_scanner.models import Change, Finding, ScanResult, Status
from preflight_scanner.reports import jsonstream
from preflight_scanner.reports.aws_common import Lookups, fingerprint, is_web, partition, utc_z

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

SCHEMA_VERSION = "2018-10-08"
COMPLIANCE = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "NOT_AVAILABLE"}
LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW",
         "info": "INFORMATIONAL"}
RESOURCE_TYPES = {"aws.dynamodb.table": "AwsDynamoDbTable", "aws.s3.bucket": "AwsS3Bucket",
                  "aws.lambda.function": "AwsLambdaFunction",
                  "aws.apigateway.stage": "AwsApiGatewayStage", "aws.account": "AwsAccount"}
TYPES = ["Software and Configuration Checks/AWS Security Best Practices/Preflight"]
MAX_TITLE, MAX_DESCRIPTION, MAX_RECOMMENDATION, MAX_FIELD = 256, 1024, 512, 2048
MAX_REQUIREMENTS = 32


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def finding_id(finding: Finding) -> str:
    return f"preflight/{finding.policy_id}/{fingerprint(finding)}"


def hub_region(finding: Finding, result: ScanResult) -> str:
    return finding.resource.region or (result.regions[0] if result.regions else "us-east-1")


def product_arn(part: str, region: str, account_id: str) -> str:
    return f"arn:{part}:securityhub:{region}:{account_id}:product/{account_id}/default"


def _resource(finding: Finding) -> dict[str, Any]:
    r = finding.resource
    ident = r.arn or (f"AWS::::Account:{r.account_id}" if r.type == "aws.account"
                      else f"{r.type}/{r.id}")
    out: dict[str, Any] = {
        "Type": RESOURCE_TYPES.get(r.type, "Other"), "Id": clip(ident, MAX_FIELD),
        "Partition": partition(r.arn),
        "Details": {"Other": {k: clip(v, 1024) for k, v in (
            ("PreflightType", r.type), ("Id", r.id), ("Name", r.name),
            ("Environment", r.environment)) if v}},
    }
    if r.region:
        out["Region"] = r.region
    return out


def _product_fields(finding: Finding, link: str) -> dict[str, str]:
    fields = {
        "Preflight/PolicyId": finding.policy_id, "Preflight/Status": finding.status.value,
        "Preflight/Runbook": finding.runbook, "Preflight/RunbookLink": link,
        "Preflight/Environment": finding.resource.environment,
        "Preflight/ResourceType": finding.resource.type,
        "Preflight/Evidence": json.dumps(finding.evidence, default=str, sort_keys=True)
        if finding.evidence else "",
        "Preflight/Change": finding.change.value if finding.change else "",
        "Preflight/Location": finding.location.describe() if finding.location else "",
    }
    if finding.waiver is not None:
        w = finding.waiver
        fields.update({"Preflight/WaiverId": w.id, "Preflight/WaiverOwner": w.owner,
                       "Preflight/WaiverExpires": w.expires, "Preflight/WaiverReason": w.reason})
    return {key: clip(value, MAX_FIELD) for key, value in fields.items() if value}


def _description(finding: Finding, look: Lookups) -> str:
    r = finding.resource
    account = look.accounts.get(r.account_id)
    who = f"{r.account_id} ({account.name})" if account and account.name != r.account_id \
        else r.account_id
    lead = finding.message or look.title(finding)
    return (f"{lead}\nResource: {r.arn or f'{r.type} {r.id}'}\n"
            f"Account: {who}, region: {r.region or 'global'}, environment: {r.environment}")


def _recommendation(finding: Finding, link: str) -> dict[str, str]:
    text = f"Runbook: {finding.runbook}" + "".join(f"\n{c}" for c in finding.remediation)
    out = {"Text": clip(text, MAX_RECOMMENDATION)}
    if link and is_web(link):
        out["Url"] = link
    return out


def document(finding: Finding, result: ScanResult, look: Lookups,
             region: str | None = None) -> dict[str, Any]:
    """One finding in ASFF; ``region`` is the Security Hub region it will be imported into."""
    r = finding.resource
    policy = look.policies.get(finding.policy_id)
    link = look.link(finding)
    when = utc_z(result.finished_at) or utc_z(result.started_at) or "1970-01-01T00:00:00.000Z"
    first = utc_z(result.baseline.started_at) if result.baseline is not None and \
        finding.change is Change.UNCHANGED else utc_z(result.started_at)
    severity = {"Label": LABEL[finding.severity.value], "Original": finding.severity.value}
    compliance: dict[str, Any] = {"Status": COMPLIANCE[finding.underlying_status]}
    requirements = [f"{name} {control}" for name, controls in (policy.frameworks if policy else ())
                    for control in controls][:MAX_REQUIREMENTS]
    if requirements:
        compliance["RelatedRequirements"] = requirements
    if finding.waiver is not None:  # the reason itself is the Description's first line
        w = finding.waiver
        compliance["StatusReasons"] = [{"ReasonCode": "WAIVED", "Description": clip(
            f"Waived by {w.id} until {w.expires} (owner {w.owner}): {w.reason}", MAX_FIELD)}]
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding),
        "ProductArn": product_arn(partition(r.arn), region or hub_region(finding, result),
                                  r.account_id),
        "ProductName": "Preflight", "CompanyName": "Preflight",
        "GeneratorId": f"preflight/{finding.policy_id}",
        "AwsAccountId": r.account_id,
        "Types": TYPES,
        "FirstObservedAt": first or when, "LastObservedAt": when,
        "CreatedAt": when, "UpdatedAt": when,
        "Severity": severity,
        "FindingProviderFields": {"Severity": severity, "Types": TYPES},
        "Title": clip(look.title(finding), MAX_TITLE),
        "Description": clip(_description(finding, look), MAX_DESCRIPTION),
        "Remediation": {"Recommendation": _recommendation(finding, link)},
        "ProductFields": _product_fields(finding, link),
        "Resources": [_resource(finding)],
        "Compliance": compliance,
        "RecordState": "ACTIVE",
    }
    if link and is_web(link):
        out["SourceUrl"] = link
    return out


def documents(result: ScanResult, region: str | None = None) -> Iterator[dict[str, Any]]:
    look = Lookups(result)
    for finding in result.findings:
        yield document(finding, result, look, region)


def write(result: ScanResult, sink: Sink) -> None:
    """A JSON array, one finding per line (ASCII: no raw control or bidi character), streamed."""
    jsonstream.write_lines_array((json.dumps(d, separators=(",", ":")) for d in documents(result)), sink)


def render(result: ScanResult) -> str:
    buffer = io.StringIO()
    write(result, buffer)
    return buffer.getvalue()

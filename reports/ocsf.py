"""report.ocsf.json and report.ocsf.jsonl: OCSF 1.5 Compliance Finding events (class 2003).

The class Prowler emits and AWS Security Lake, Splunk, Sentinel and other OCSF consumers
read. One event per finding, passing ones included (a compliance record proves what passed):

- ``compliance.status_id``: pass -> 1 Pass, fail -> 3 Fail, error -> 2 Warning (OCSF: "did
  not yield a result due to missing information": never a pass); a waived finding keeps
  its underlying Fail or Warning and the event's ``status_id`` is 3 Suppressed (else 1
  New). ``status_code`` is Preflight's own status (pass, fail, error, waived).
- ``compliance.control`` is the policy id, ``standards`` and ``requirements`` its framework
  mappings (``aws-fsbp:DynamoDB.2``); ``finding_info.uid`` is the same stable identity of
  the (policy, account, region, type, id) pair as SARIF's fingerprint.
- The cloud profile: ``cloud`` (AWS, region, account) and ``resources[]`` (ARN or id as
  ``uid``, partition, region). What OCSF has no attribute for (evidence, environment,
  waiver, baseline change, source location, remediation commands) is in
  ``unmapped.preflight``.

``ocsf`` writes one JSON array with one event per line (a JSON document that line tools
can still split); ``ocsf-jsonl`` writes JSON Lines, one event per line and nothing else,
for streaming ingestion of large results. Both are built event by event, never as one tree.
The events are plain dicts: the tests validate them with the maintained OCSF models
(py-ocsf-models), which the scanner itself does not need.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from preflight_scanner.models import Change, Finding, ScanResult, Severity, Status
from preflight_scanner.reports import jsonstream
from preflight_scanner.reports.aws_common import Lookups, epoch_ms, fingerprint, is_web, partition
from preflight_scanner.reports.sarif import INFORMATION_URI

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {Severity.INFO: (1, "Informational"), Severity.LOW: (2, "Low"),
               Severity.MEDIUM: (3, "Medium"), Severity.HIGH: (4, "High"),
               Severity.CRITICAL: (5, "Critical")}
# The compliance object's status_id: Pass 1, Warning 2, Fail 3.
COMPLIANCE_STATUS = {Status.PASS: 1, Status.ERROR: 2, Status.FAIL: 3}
AWS_ACCOUNT_TYPE = 10  # OCSF account type_id "AWS Account"


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    """OCSF omits what is unknown: no None, empty string, list or dict attributes."""
    return {k: v for k, v in value.items() if v not in (None, "", [], {})}


def _unmapped(finding: Finding, result: ScanResult) -> dict[str, Any]:
    # Only what no OCSF attribute holds: every byte here is paid per event (100,000s of them).
    extra: dict[str, Any] = {"environment": finding.resource.environment,
                             "evidence": finding.evidence, "runbook": finding.runbook,
                             "resource_id": finding.resource.id}
    if finding.waiver is not None:
        extra["waiver"] = finding.waiver.to_dict()
    if finding.change is not None:
        extra["change"] = finding.change.value
    if finding.location is not None:
        extra["location"] = finding.location.to_dict()
    if result.shard is not None:
        extra["shard"] = f"{result.shard[0]}/{result.shard[1]}"
    return {"preflight": _drop_empty(extra)}


def _first_seen(finding: Finding, result: ScanResult) -> int | None:
    if result.baseline is not None and finding.change is Change.UNCHANGED:
        return epoch_ms(result.baseline.started_at)
    return epoch_ms(result.started_at)


def event(finding: Finding, result: ScanResult, look: Lookups) -> dict[str, Any]:
    """One finding as an OCSF Compliance Finding event."""
    r = finding.resource
    policy = look.policies.get(finding.policy_id)
    severity_id, severity = SEVERITY_ID[finding.severity]
    waived = finding.status is Status.WAIVED
    link = look.link(finding)
    account = look.accounts.get(r.account_id)
    frameworks = policy.frameworks if policy else ()
    time = epoch_ms(result.finished_at) or epoch_ms(result.started_at) or 0
    remediation = _drop_empty({
        "desc": f"Follow the runbook section {finding.runbook}" + (f" ({link})" if link else "")
                + "".join(f"\n{command}" for command in finding.remediation),
        "references": [link] if link and is_web(link) else None,
    })
    return _drop_empty({
        "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": CATEGORY_UID, "category_name": "Findings",
        "class_uid": CLASS_UID, "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE, "type_name": "Compliance Finding: Create",
        "severity_id": severity_id, "severity": severity,
        "status_id": 3 if waived else 1, "status": "Suppressed" if waived else "New",
        "status_code": finding.status.value, "message": finding.message, "time": time,
        "metadata": _drop_empty({
            "version": OCSF_VERSION, "profiles": ["cloud"], "event_code": finding.policy_id,
            "product": {"name": "Preflight", "vendor_name": "Preflight",
                        "version": result.tool_version, "url_string": INFORMATION_URI},
        }),
        "finding_info": _drop_empty({
            # The policy's long description stays in report.json: repeating it in every event
            # would double the file; the title and control id identify the check.
            "uid": fingerprint(finding), "title": look.title(finding),
            "types": [r.type], "created_time": time,
            "first_seen_time": _first_seen(finding, result), "last_seen_time": time,
            "src_url": link if link and is_web(link) else None,
        }),
        "compliance": _drop_empty({
            "status_id": COMPLIANCE_STATUS[finding.underlying_status],
            "control": finding.policy_id,
            "standards": [name for name, _ in frameworks],
            "requirements": [f"{name}:{control}" for name, controls in frameworks
                             for control in controls],
            "desc": policy.title if policy else None,
        }),
        "cloud": _drop_empty({
            "provider": "AWS", "region": r.region,
            "account": _drop_empty({"uid": r.account_id, "name": account.name if account else None,
                                    "type_id": AWS_ACCOUNT_TYPE, "type": "AWS Account"}),
        }),
        "resources": [_drop_empty({
            "uid": r.arn or r.id, "name": r.name, "type": r.type, "region": r.region,
            "cloud_partition": partition(r.arn), "labels": [f"environment:{r.environment}"],
        })],
        "remediation": remediation,
        "unmapped": _unmapped(finding, result),
    })


def events(result: ScanResult) -> Iterator[dict[str, Any]]:
    look = Lookups(result)
    for finding in result.findings:
        yield event(finding, result, look)


def _lines(result: ScanResult) -> Iterator[str]:
    for item in events(result):
        # ASCII: no raw C1 control or bidirectional override can reach a terminal or a log
        yield json.dumps(item, separators=(",", ":"))


def write(result: ScanResult, sink: Sink) -> None:
    """One JSON array, one event per line, streamed."""
    jsonstream.write_lines_array(_lines(result), sink)


def render(result: ScanResult) -> str:
    buffer = io.StringIO()
    write(result, buffer)
    return buffer.getvalue()


def write_lines(result: ScanResult, sink: Sink) -> None:
    """JSON Lines: one event per line, streamed."""
    for line in _lines(result):
        sink.write(line + "\n")


def render_lines(result: ScanResult) -> str:
    buffer = io.StringIO()
    write_lines(result, buffer)
    return buffer.getvalue()

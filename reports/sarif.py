"""report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

- One rule per policy: title, description, the runbook section as help, the severity as
  both a SARIF level and GitHub's ``security-severity`` score, frameworks and categories
  as tags.
- One result per ``fail`` finding. A live-scan result has no source file, so it is located
  at the policy file (``policies/<id>.yml`` under the ``PREFLIGHT_PACK`` base) and at the
  resource as a logical location; the resource's ARN, account and region are in the
  message (plain text, brackets escaped so no value can form a SARIF embedded link) and,
  unescaped, in ``properties``.
- A pre-deploy (``preflight iac``) finding carries the file and line of its resource (or of
  the offending property): its physical location is that file, relative to the repository
  root, at that line, so GitHub annotates the pull request on it. The run's notes (policies
  not applicable before deployment) are ``note`` notifications.
- One result per ``error`` finding, with ``kind: open`` ("the tool could not determine
  whether this passes"; SARIF then requires ``level: none``). An error is never a pass:
  dropping it would let GitHub close an open alert for a resource that merely became
  unreadable. Passing findings are not results: their absence is what closes an alert.
- Every read error (``result.errors``) is a notification in
  ``invocations[0].toolExecutionNotifications``, and ``executionSuccessful`` is false
  when the scan was incomplete.
- At most 25,000 results (GitHub rejects a run with more): past that the most severe are
  kept and a warning notification counts the rest. At most 10 tags per rule (GitHub keeps
  10): security, categories, frameworks, resource types, in that order.
- ``partialFingerprints`` identifies the (policy, account, region, resource type, resource
  id) pair (``models.finding_key``, the key the baseline and merge use too), so the same
  problem keeps its alert across scans: under ``preflight/v1`` and under
  ``primaryLocationLineHash``, the one fingerprint GitHub code scanning keys alerts on. Left
  out, the upload action would compute it from the text at the primary location, which for
  a live scan is the same policy file line for every resource: all of a policy's resources
  would share one alert, and fixing one would not close it.
- A ``waived`` finding is a result as its underlying status would be (fail or open) with
  ``suppressions: [{kind: external, status: accepted, justification: <reason>}]`` and the
  waiver's owner, expiry and id in the suppression's properties: a viewer that honours
  suppressions shows it as accepted, not as an open problem.
- Against a baseline, results carry ``baselineState`` new or unchanged. The baseline's
  fixed findings are not results (a result would reopen an alert); they are listed in the
  run's ``properties.baseline.fixed``, as the waivers' outcomes are in
  ``properties.waivers``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from preflight_scanner.models import (
    Account,
    CollectionError,
    Finding,
    PolicySummary,
    RunbookExcerpt,
    ScanResult,
    Severity,
    Status,
)

from . import jsonstream

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "preflight/v1"
# GitHub code scanning matches alerts across uploads on this key alone.
GITHUB_FINGERPRINT = "primaryLocationLineHash"
# tool.driver.informationUri: where a SARIF viewer sends people to read about the tool (the
# same address as pyproject.toml's project.urls: change them together).
INFORMATION_URI = "https://github.com/preflight-scanner/preflight"
# GitHub rejects a run with more than 25,000 results (and shows the 5,000 most severe) and
# keeps 10 tags per rule (rejecting more than 20).
MAX_RESULTS = 25_000
MAX_TAGS = 10
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
URI_BASE = "PREFLIGHT_PACK"

# GitHub buckets security-severity as critical >= 9.0, high 7.0-8.9, medium 4.0-6.9,
# low 0.1-3.9. GitHub has no "info" bucket: info maps to the bottom of low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def fingerprint(finding: Finding) -> str:
    """Stable identity of a (policy, resource) pair: no message, time or status in it."""
    key = json.dumps(list(finding.key))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fingerprints(finding: Finding) -> dict[str, str]:
    """The pair's identity under our own name and under the one GitHub keys alerts on; set
    for pre-deploy findings too, so an alert follows its resource when template lines move."""
    identity = fingerprint(finding)
    return {FINGERPRINT: identity, GITHUB_FINGERPRINT: identity}


def utc(timestamp: str) -> str | None:
    """An ISO 8601 time as SARIF wants it (UTC, 'Z'); None when it does not parse."""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_name(policy_id: str) -> str:
    """dynamodb-pitr-enabled -> DynamodbPitrEnabled (SARIF names are identifiers)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", policy_id))


_WEB_LINK = re.compile(r"^https?://[^\s<>()\[\]`\\\"{}|^]+$")


def _is_web(link: str) -> bool:
    """A plain http(s) URL: fit for helpUri and a Markdown link."""
    return bool(_WEB_LINK.match(link))


def _rule(policy: PolicySummary, excerpt: RunbookExcerpt | None) -> dict[str, Any]:
    link = excerpt.link if excerpt else ""
    section = excerpt.markdown.strip() if excerpt and excerpt.markdown else ""
    where = f"{policy.runbook} ({link})" if link else policy.runbook
    help_text = f"{section}\n\nRunbook: {where}" if section else f"Runbook: {where}"
    if link and _is_web(link):
        anchor = f"[{policy.runbook}]({link})"
    else:
        anchor = f"`{policy.runbook}`" + (f" ({link})" if link else "")
    help_markdown = f"{section}\n\nRunbook: {anchor}" if section else f"Runbook: {anchor}"
    tags = ["security", *policy.categories,
            *(f"{name}:{control}" for name, controls in policy.frameworks for control in controls),
            *(t for t in policy.resource.split(",") if t)]
    rule: dict[str, Any] = {
        "id": policy.id,
        "name": rule_name(policy.id),
        "shortDescription": {"text": policy.title},
        "fullDescription": {"text": policy.description.strip() or policy.title},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVEL[policy.severity]},
        "properties": {
            "tags": list(dict.fromkeys(tags))[:MAX_TAGS],
            "security-severity": SECURITY_SEVERITY[policy.severity],
            "precision": "very-high",
            "severity": policy.severity.value,
            "runbook": policy.runbook,
            "frameworks": {name: list(controls) for name, controls in policy.frameworks},
        },
    }
    if link and _is_web(link):
        rule["helpUri"] = link
    return rule


def _stand_in(policy_id: str, finding: Finding) -> PolicySummary:
    """A rule for a finding whose policy is not in the result's policy list."""
    return PolicySummary(policy_id, policy_id, finding.severity, finding.resource.type,
                         finding.runbook, "")


def plain(text: str) -> str:
    """Message text as data: SARIF reads ``[text](target)`` in a message as an embedded
    link, so literal brackets (and a backslash before one) are escaped as the spec says."""
    return re.sub(r"([\[\]])", r"\\\1", re.sub(r"\\(?=[\[\]])", r"\\\\", text))


def _message(finding: Finding, account: Account | None, excerpt: RunbookExcerpt | None) -> str:
    r = finding.resource
    lead = finding.message if finding.underlying_status is Status.FAIL else \
        f"Could not be checked: {finding.message}"
    if finding.waiver is not None:
        w = finding.waiver
        lead = (f"Waived until {w.expires} (owner {w.owner}, waiver {w.id}): {w.reason}\n"
                f"{lead}")
    who = f"{r.account_id} ({account.name})" if account and account.name != r.account_id \
        else r.account_id
    lines = [
        lead,
        f"Resource: {r.arn or f'{r.type} {r.id}'} ({r.name})" if r.name != r.id
        else f"Resource: {r.arn or f'{r.type} {r.id}'}",
        f"Account: {who}, region: {r.region or 'global'}, environment: {r.environment}",
    ]
    if finding.location is not None:
        lines.append(f"Declared at: {finding.location.describe()}")
    if finding.remediation:
        lines.append("Fix:")
        lines.extend(f"  {command}" for command in finding.remediation)
    link = excerpt.link if excerpt else ""
    lines.append(f"Runbook: {finding.runbook}" + (f" ({link})" if link else ""))
    return "\n".join(lines)


def _result(finding: Finding, rule_index: int, account: Account | None,
            excerpt: RunbookExcerpt | None) -> dict[str, Any]:
    r = finding.resource
    failed = finding.underlying_status is Status.FAIL
    logical: dict[str, Any] = {"name": r.name, "kind": "resource"}
    if r.arn:
        logical["fullyQualifiedName"] = r.arn
    result: dict[str, Any] = {
        "ruleId": finding.policy_id,
        "ruleIndex": rule_index,
        "kind": "fail" if failed else "open",
        "level": LEVEL[finding.severity] if failed else "none",
        "message": {"text": plain(_message(finding, account, excerpt))},
        "locations": [{
            "physicalLocation": _physical(finding),
            "logicalLocations": [logical],
        }],
        "partialFingerprints": _fingerprints(finding),
        "properties": {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "resource_type": r.type,
            "resource_id": r.id,
            "resource_name": r.name,
            "arn": r.arn,
            "account_id": r.account_id,
            "account_name": account.name if account else None,
            "region": r.region,
            "environment": r.environment,
            "evidence": finding.evidence,
            "remediation": list(finding.remediation),
        },
    }
    if finding.change is not None:
        result["baselineState"] = finding.change.value
    if finding.waiver is not None:
        w = finding.waiver
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": w.reason,
            "properties": {"waiver": w.id, "owner": w.owner, "expires": w.expires,
                           "source": w.source},
        }]
        result["properties"]["waiver"] = w.to_dict()
    return result


def _physical(finding: Finding) -> dict[str, Any]:
    """A pre-deploy finding points at the template line (uri relative to the repository
    root, so GitHub annotates the pull request there); a live one at its policy file."""
    if finding.location is not None:
        return {"artifactLocation": {"uri": finding.location.path},
                "region": {"startLine": finding.location.line}}
    return {"artifactLocation": {"uri": f"policies/{finding.policy_id}.yml",
                                 "uriBaseId": URI_BASE},
            "region": {"startLine": 1}}


def _notification(error: CollectionError) -> dict[str, Any]:
    return {
        "level": "error",
        "descriptor": {"id": error.code or "ReadError"},
        "message": {"text": plain(error.describe())},
        "properties": error.to_dict(),
    }


def _driver(version: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "Preflight", "informationUri": INFORMATION_URI,
                              "version": version}
    if _SEMVER.match(version):
        driver["semanticVersion"] = version
    driver["rules"] = rules
    return driver


def _worst(findings: list[Finding], limit: int) -> tuple[list[Finding], int]:
    """At most ``limit`` findings, the most severe first to stay (failures before errors at
    the same severity), in their original order; and how many were left out."""
    if len(findings) <= limit:
        return findings, 0
    order = {Status.FAIL: 0, Status.ERROR: 1}
    ranked = sorted(range(len(findings)), key=lambda i: (
        -findings[i].severity.rank, order.get(findings[i].status, 2), i))
    keep = sorted(ranked[:limit])
    return [findings[i] for i in keep], len(findings) - limit


def to_document(result: ScanResult, max_results: int | None = MAX_RESULTS) -> dict[str, Any]:
    document, results = _document(result, max_results)
    document["runs"][0]["results"] = list(results)
    return document


def _document(result: ScanResult, max_results: int | None
              ) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The SARIF log with a marker for its results, and the results, made one at a time."""
    excerpts = {e.ref: e for e in result.runbooks}
    accounts = {a.id: a for a in result.accounts}
    policies = {p.id: p for p in result.policies}
    for finding in result.findings:  # a finding of an unlisted policy still needs a rule
        if finding.policy_id not in policies:
            policies[finding.policy_id] = _stand_in(finding.policy_id, finding)
    index = {pid: n for n, pid in enumerate(policies)}
    rules = [_rule(p, excerpts.get(p.runbook)) for p in policies.values()]
    reported = [f for f in result.findings
                if f.status in (Status.FAIL, Status.ERROR, Status.WAIVED)]
    reported, left_out = _worst(reported, max_results) if max_results is not None \
        else (reported, 0)
    results = (
        _result(f, index[f.policy_id], accounts.get(f.resource.account_id),
                excerpts.get(f.runbook))
        for f in reported
    )
    invocation: dict[str, Any] = {"executionSuccessful": not result.incomplete}
    for key, value in (("startTimeUtc", utc(result.started_at)),
                       ("endTimeUtc", utc(result.finished_at))):
        if value:
            invocation[key] = value
    notifications = [_notification(e) for e in result.errors]
    notifications.extend({"level": "note", "descriptor": {"id": "NotApplied"},
                          "message": {"text": plain(note)}} for note in result.notes)
    if left_out:
        notifications.append({
            "level": "warning",
            "descriptor": {"id": "TooManyResults"},
            "message": {"text": f"{left_out} less severe failing or unreadable resources are "
                                f"not in this file, which holds the {max_results} most severe "
                                "(GitHub rejects a run with more); report.json has them all."},
            "properties": {"omitted": left_out},
        })
    invocation["toolExecutionNotifications"] = notifications
    invocation["properties"] = {
        "accounts": [{"id": a.id, "name": a.name, "environment": a.environment}
                     for a in result.accounts],
        "regions": list(result.regions),
        "api_calls": result.api_calls,
        "counts": {s.value: result.count(s) for s in Status},
    }
    if result.waivers is not None:
        from .json_report import waivers_section

        invocation["properties"]["waivers"] = waivers_section(result.waivers)
    if result.baseline is not None:
        b = result.baseline
        invocation["properties"]["baseline"] = {
            "source": b.source, "started_at": b.started_at,
            "counts": {"new": b.new, "unchanged": b.unchanged, "fixed": len(b.fixed)},
            "fixed": [{"ruleId": f.policy_id, "fingerprint": fingerprint(f),
                       "resource_type": f.resource.type, "resource_id": f.resource.id,
                       "arn": f.resource.arn, "account_id": f.resource.account_id,
                       "region": f.resource.region, "message": f.message}
                      for f in b.fixed],
        }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": _driver(result.tool_version, rules)},
            "originalUriBaseIds": {URI_BASE: {"description": {
                "text": "The directory holding the policy pack's policies/ folder: the "
                        "repository root for a pack kept in the repository."}}},
            "invocations": [invocation],
            "results": jsonstream.MARKER,
            "columnKind": "unicodeCodePoints",
        }],
    }, results


def write(result: ScanResult, sink: Sink, *, max_results: int | None = MAX_RESULTS) -> None:
    """Stream the SARIF log, one result at a time (see jsonstream)."""
    document, results = _document(result, max_results)
    jsonstream.write(document, results, sink, ensure_ascii=False)


def render(result: ScanResult, *, max_results: int | None = MAX_RESULTS) -> str:
    buffer = io.StringIO()
    write(result, buffer, max_results=max_results)
    return buffer.getvalue()

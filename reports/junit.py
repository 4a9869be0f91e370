"""report.junit.xml: the scan as JUnit XML, for CI systems that show test results.

- One ``<testsuite>`` per policy (named by its id), one ``<testcase>`` per finding:
  ``classname`` is ``<policy id>.<account id>`` and ``name`` is ``<region>/<resource name>``
  (plus the id in parentheses when it differs from the name), unique within a class.
  A finding of a pre-deploy scan also has ``file`` and ``line`` (where the resource, or
  its offending property, is declared, relative to the repository root), which CI test
  reporters turn into annotations on that line, and a ``location:`` line in its body.
- ``fail`` -> ``<failure>`` (message, evidence, remediation and runbook link in the body),
  ``error`` -> ``<error>``, ``waived`` -> ``<skipped>`` with the reason; any other status
  is reported as an ``<error>``: a status this renderer does not know is never a pass.
  A waived finding's ``<skipped>`` has the waiver's reason as its message and the owner,
  expiry, waiver id and the finding itself in its body.
- Against a baseline, each failing or errored case has a ``baseline`` property (new or
  unchanged), and a suite ``preflight.baseline`` lists the baseline's fixed findings as
  passing cases. Expired and unused waivers are properties of a suite ``preflight.waivers``.
- Read errors that make the scan incomplete are one more suite, ``preflight``, with one
  errored test case listing them, so a CI that reads only this file cannot mistake an
  incomplete scan for a clean one.
- ``tests``/``failures``/``errors``/``skipped`` are set on every suite and on the root.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from preflight_scanner.models import Account, Finding, ScanResult

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COUNTED = ("tests", "failures", "errors", "skipped")


def xml_text(value: object) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def status_of(finding: Finding) -> str:
    """The status as a string; works for the Status enum and for statuses it lacks yet."""
    status = finding.status
    return str(getattr(status, "value", status))


def _sub(parent: ET.Element, tag: str, attrs: dict[str, Any] | None = None,
         text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _case_name(finding: Finding) -> str:
    r = finding.resource
    label = r.name if r.name == r.id else f"{r.name} ({r.id})"
    return f"{r.region}/{label}" if r.region else label


def _case_attributes(finding: Finding, name: str) -> dict[str, str]:
    attributes = {"name": name, "classname": f"{finding.policy_id}.{finding.resource.account_id}"}
    if finding.location is not None:
        attributes.update(file=finding.location.path, line=str(finding.location.line))
    return attributes


def _location_lines(finding: Finding) -> list[str]:
    location = finding.location
    if location is None:
        return []
    prop = f" ({location.property})" if location.property else ""
    return [f"location: {location.describe()}{prop}"]


def _body(finding: Finding, account: Account | None, link: str) -> str:
    r = finding.resource
    who = f"{r.account_id} ({account.name})" if account and account.name != r.account_id \
        else r.account_id
    lines = [
        finding.message,
        "",
        f"resource: {r.arn or f'{r.type} {r.id}'}",
        f"type: {r.type}, id: {r.id}, name: {r.name}",
        f"account: {who}, region: {r.region or 'global'}, environment: {r.environment}",
        *_location_lines(finding),
    ]
    if finding.evidence:
        lines.append("evidence:")
        lines.extend(f"  {expr} = {json.dumps(value, default=str, ensure_ascii=False)}"
                     for expr, value in finding.evidence.items())
    if finding.remediation:
        lines.append("fix:")
        lines.extend(f"  {command}" for command in finding.remediation)
    lines.append(f"runbook: {finding.runbook}" + (f" {link}" if link else ""))
    return "\n".join(lines)


def _testcase(suite: ET.Element, finding: Finding, account: Account | None, link: str
              ) -> str:
    case = _sub(suite, "testcase", _case_attributes(finding, _case_name(finding)))
    status = status_of(finding)
    change = getattr(finding, "change", None)
    if change is not None:
        _properties(case, [("baseline", str(getattr(change, "value", change)))])
    if status == "pass":
        return "pass"
    if status == "fail":
        _sub(case, "failure", {"message": finding.message, "type": finding.severity.value},
             _body(finding, account, link))
        return "failures"
    if status == "waived":
        waiver = getattr(finding, "waiver", None)
        if waiver is None:
            _sub(case, "skipped", {"message": f"waived: {finding.message}"})
        else:
            _sub(case, "skipped", {"message": waiver.reason},
                 f"waived by {waiver.id} until {waiver.expires}, owner {waiver.owner} "
                 f"({waiver.source}); without it: {waiver.status.value}\n\n"
                 + _body(finding, account, link))
        return "skipped"
    message = finding.message if status == "error" else \
        f"unknown status {status!r}: {finding.message}"
    _sub(case, "error", {"message": message, "type": "error"}, _body(finding, account, link))
    return "errors"


def _count(element: ET.Element, counts: dict[str, int]) -> None:
    for key in _COUNTED:
        element.set(key, str(counts[key]))


def _duration(started: str, finished: str) -> str | None:
    try:
        seconds = (datetime.fromisoformat(finished.replace("Z", "+00:00"))
                   - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
    except (ValueError, TypeError):
        return None
    return f"{max(seconds, 0.0):.3f}"


def _groups(result: ScanResult) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {p.id: [] for p in result.policies}
    for finding in result.findings:
        groups.setdefault(finding.policy_id, []).append(finding)
    return groups


def _properties(element: ET.Element, pairs: Iterable[tuple[str, str]]) -> None:
    props = _sub(element, "properties")
    for name, value in pairs:
        _sub(props, "property", {"name": name, "value": value})


def to_element(result: ScanResult) -> ET.Element:
    root = ET.Element("testsuites", {"name": "preflight"})
    accounts = {a.id: a for a in result.accounts}
    policies = {p.id: p for p in result.policies}
    links = {e.ref: e.link for e in result.runbooks}
    totals = dict.fromkeys(_COUNTED, 0)
    for policy_id, findings in _groups(result).items():
        suite = _sub(root, "testsuite", {"name": policy_id, "timestamp": result.started_at})
        policy = policies.get(policy_id)
        if policy is not None:
            _properties(suite, [("title", policy.title), ("severity", policy.severity.value),
                                ("resource", policy.resource), ("runbook", policy.runbook),
                                ("runbook_link", links.get(policy.runbook, ""))])
        counts = dict.fromkeys(_COUNTED, 0)
        for finding in findings:
            outcome = _testcase(suite, finding, accounts.get(finding.resource.account_id),
                                links.get(finding.runbook, ""))
            counts["tests"] += 1
            if outcome in counts:
                counts[outcome] += 1
        _count(suite, counts)
        for key in _COUNTED:
            totals[key] += counts[key]
    if result.baseline is not None:
        b = result.baseline
        suite = _sub(root, "testsuite", {"name": "preflight.baseline",
                                         "timestamp": result.started_at})
        _properties(suite, [("source", b.source), ("baseline_started_at", b.started_at),
                            ("new", str(b.new)), ("unchanged", str(b.unchanged)),
                            ("fixed", str(len(b.fixed)))])
        for finding in b.fixed:
            _sub(suite, "testcase", _case_attributes(finding, f"fixed: {_case_name(finding)}"))
        _count(suite, {"tests": len(b.fixed), "failures": 0, "errors": 0, "skipped": 0})
        totals["tests"] += len(b.fixed)
    if result.waivers is not None and (result.waivers.in_state("expired")
                                       or result.waivers.in_state("unused")):
        suite = _sub(root, "testsuite", {"name": "preflight.waivers",
                                         "timestamp": result.started_at})
        _properties(suite, [(f"{w.state}:{w.id}",
                             f"expires {w.expires}, owner {w.owner}, {w.matched} finding(s), "
                             f"{w.source}")
                            for w in (*result.waivers.in_state("expired"),
                                      *result.waivers.in_state("unused"))])
        _count(suite, dict.fromkeys(_COUNTED, 0))
    if result.errors:
        suite = _sub(root, "testsuite", {"name": "preflight", "timestamp": result.started_at})
        case = _sub(suite, "testcase", {"name": "every account, region and resource was read",
                                        "classname": "preflight.scan"})
        _sub(case, "error", {"message": f"the scan is incomplete: {len(result.errors)} "
                                        "read error(s)", "type": "incomplete"},
             "\n".join(e.describe() for e in result.errors))
        _count(suite, {"tests": 1, "failures": 0, "errors": 1, "skipped": 0})
        totals["tests"] += 1
        totals["errors"] += 1
    _count(root, totals)
    duration = _duration(result.started_at, result.finished_at)
    if duration is not None:
        root.set("time", duration)
    return root


def render(result: ScanResult) -> str:
    root = to_element(result)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

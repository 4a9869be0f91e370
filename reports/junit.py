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

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from preflight_scanner.models import Account, Finding, PolicySummary, ScanResult

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

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


def _outcome(finding: Finding) -> str:
    """Which count a finding's test case adds to (as ``_testcase`` decides)."""
    return {"pass": "pass", "fail": "failures", "waived": "skipped"}.get(status_of(finding),
                                                                         "errors")


@dataclass(frozen=True)
class _Context:
    accounts: dict[str, Account]
    policies: dict[str, PolicySummary]
    links: dict[str, str]

    @classmethod
    def of(cls, result: ScanResult) -> _Context:
        return cls({a.id: a for a in result.accounts}, {p.id: p for p in result.policies},
                   {e.ref: e.link for e in result.runbooks})


def _policy_suite(result: ScanResult, policy_id: str, findings: list[Finding],
                  context: _Context) -> tuple[ET.Element, dict[str, int]]:
    """A policy's <testsuite> with its properties and counts, but not yet its test cases."""
    suite = ET.Element("testsuite", {"name": xml_text(policy_id),
                                     "timestamp": xml_text(result.started_at)})
    policy = context.policies.get(policy_id)
    if policy is not None:
        _properties(suite, [("title", policy.title), ("severity", policy.severity.value),
                            ("resource", policy.resource), ("runbook", policy.runbook),
                            ("runbook_link", context.links.get(policy.runbook, ""))])
    counts = dict.fromkeys(_COUNTED, 0)
    for finding in findings:
        counts["tests"] += 1
        if (outcome := _outcome(finding)) in counts:
            counts[outcome] += 1
    _count(suite, counts)
    return suite, counts


def _case(finding: Finding, context: _Context) -> ET.Element:
    holder = ET.Element("holder")
    _testcase(holder, finding, context.accounts.get(finding.resource.account_id),
              context.links.get(finding.runbook, ""))
    return holder[0]


def _closing_suites(result: ScanResult) -> list[ET.Element]:
    """The baseline's, the waivers' and the read errors' suites, after the policies'."""
    suites = []
    if result.baseline is not None:
        b = result.baseline
        suite = ET.Element("testsuite", {"name": "preflight.baseline",
                                         "timestamp": xml_text(result.started_at)})
        _properties(suite, [("source", b.source), ("baseline_started_at", b.started_at),
                            ("new", str(b.new)), ("unchanged", str(b.unchanged)),
                            ("fixed", str(len(b.fixed)))])
        for finding in b.fixed:
            _sub(suite, "testcase", _case_attributes(finding, f"fixed: {_case_name(finding)}"))
        _count(suite, {"tests": len(b.fixed), "failures": 0, "errors": 0, "skipped": 0})
        suites.append(suite)
    if result.waivers is not None and (result.waivers.in_state("expired")
                                       or result.waivers.in_state("unused")):
        suite = ET.Element("testsuite", {"name": "preflight.waivers",
                                         "timestamp": xml_text(result.started_at)})
        _properties(suite, [(f"{w.state}:{w.id}",
                             f"expires {w.expires}, owner {w.owner}, {w.matched} finding(s), "
                             f"{w.source}")
                            for w in (*result.waivers.in_state("expired"),
                                      *result.waivers.in_state("unused"))])
        _count(suite, dict.fromkeys(_COUNTED, 0))
        suites.append(suite)
    if result.errors:
        suite = ET.Element("testsuite", {"name": "preflight",
                                         "timestamp": xml_text(result.started_at)})
        case = _sub(suite, "testcase", {"name": "every account, region and resource was read",
                                        "classname": "preflight.scan"})
        _sub(case, "error", {"message": f"the scan is incomplete: {len(result.errors)} "
                                        "read error(s)", "type": "incomplete"},
             "\n".join(e.describe() for e in result.errors))
        _count(suite, {"tests": 1, "failures": 0, "errors": 1, "skipped": 0})
        suites.append(suite)
    return suites


def _totals(groups: dict[str, list[Finding]], closing: list[ET.Element]) -> dict[str, int]:
    totals = dict.fromkeys(_COUNTED, 0)
    for findings in groups.values():
        for finding in findings:
            totals["tests"] += 1
            if (outcome := _outcome(finding)) in totals:
                totals[outcome] += 1
    for suite in closing:
        for key in _COUNTED:
            totals[key] += int(suite.get(key, "0"))
    return totals


def _root(result: ScanResult, totals: dict[str, int]) -> ET.Element:
    root = ET.Element("testsuites", {"name": "preflight"})
    _count(root, totals)
    duration = _duration(result.started_at, result.finished_at)
    if duration is not None:
        root.set("time", duration)
    return root


def to_element(result: ScanResult) -> ET.Element:
    """The whole tree (for tests and callers that want one); ``write`` streams it."""
    context, groups, closing = _Context.of(result), _groups(result), _closing_suites(result)
    root = _root(result, _totals(groups, closing))
    for policy_id, findings in groups.items():
        suite, _ = _policy_suite(result, policy_id, findings, context)
        suite.extend(_case(finding, context) for finding in findings)
        root.append(suite)
    root.extend(closing)
    return root


def _split(element: ET.Element, level: int) -> tuple[str, str]:
    """The element's serialisation before and after a marker child, indented at ``level``."""
    marker = ET.SubElement(element, "preflight-marker")
    ET.indent(element, space="  ", level=level)
    head, tail = ET.tostring(element, encoding="unicode").split("<preflight-marker />")
    element.remove(marker)
    return head, tail


def _serialised(element: ET.Element, level: int) -> str:
    ET.indent(element, space="  ", level=level)
    return ET.tostring(element, encoding="unicode")


def write(result: ScanResult, sink: Sink) -> None:
    """Stream the XML one test case at a time: the bytes ElementTree writes for the whole
    tree (``to_element``, indented), with only one case's elements alive at once. Counts
    come first in the file, so they are added up from the statuses beforehand."""
    context, groups, closing = _Context.of(result), _groups(result), _closing_suites(result)
    root = _root(result, _totals(groups, closing))
    sink.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    if not groups and not closing:
        sink.write(_serialised(root, 0) + "\n")
        return
    head, tail = _split(root, 0)
    sink.write(head)
    first = True
    for policy_id, findings in groups.items():
        suite, _ = _policy_suite(result, policy_id, findings, context)
        sink.write("" if first else "\n  ")
        first = False
        if not findings:
            sink.write(_serialised(suite, 1))
            continue
        suite_head, suite_tail = _split(suite, 1)
        sink.write(suite_head)
        for n, finding in enumerate(findings):
            sink.write(("\n    " if n else "") + _serialised(_case(finding, context), 2))
        sink.write(suite_tail)
    for suite in closing:
        sink.write(("" if first else "\n  ") + _serialised(suite, 1))
        first = False
    sink.write(tail + "\n")


def render(result: ScanResult) -> str:
    buffer = io.StringIO()
    write(result, buffer)
    return buffer.getvalue()

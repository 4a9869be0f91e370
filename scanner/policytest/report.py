"""What `preflight test` prints: text, json or junit, each a pure function of the run.

Every case is listed, passed or not (a list of failures alone proves nothing about the
rest); a failed case carries the leaves that decided its verdict: attribute, operator,
expected and actual.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from enum import Enum
from typing import Any

from preflight_scanner.reports.junit import xml_text
from preflight_scanner.reports.text import inert

from ..policy.conditions import LeafResult
from .run import CaseResult, CaseRun


class Format(str, Enum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


def render(run: CaseRun, fmt: Format) -> str:
    renderers: dict[Format, Callable[[CaseRun], str]] = {
        Format.TEXT: text, Format.JSON: to_json, Format.JUNIT: junit}
    return renderers[fmt](run)


def summary(run: CaseRun) -> str:
    policies = len({r.case.policy_id for r in run.results})
    return (f"{len(run.results)} cases of {policies} policies: "
            f"{len(run.results) - len(run.failed)} passed, {len(run.failed)} failed")


def _show(value: Any) -> str:
    """A value as JSON writes it (null, true, "ENABLED"), clipped: it may be long."""
    shown = json.dumps(value, default=str, ensure_ascii=False)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def leaf_text(leaf: LeafResult) -> str:
    if leaf.error is not None:
        return f"{leaf.expression}: could not be evaluated: {leaf.error}"
    verdict = "holds" if leaf.passed else "does not hold"
    return (f"{leaf.expression} {leaf.operator} {_show(leaf.expected)}: actual "
            f"{_show(leaf.actual)}, {verdict}")


def text(run: CaseRun) -> str:
    lines: list[str] = []
    policy = None
    for result in run.results:
        case = result.case
        if case.policy_id != policy:
            policy = case.policy_id
            lines.append(f"{policy} ({case.path})")
        if result.passed:
            lines.append(f"  ok      {case.name}: {result.actual.value}")
            continue
        lines.append(f"  FAILED  {case.name}: {result.failure()} ({case.source})")
        if result.message:
            lines.append(f"          message: {result.message}")
        lines.extend(f"          {leaf_text(leaf)}" for leaf in result.evidence)
    lines.append(summary(run))
    if run.untested:
        lines.append(f"no cases for {len(run.untested)} policies: {', '.join(run.untested)}")
    return "\n".join(inert(line) for line in lines) + "\n"


def _leaf_dict(leaf: LeafResult) -> dict[str, Any]:
    return {"attribute": leaf.expression, "operator": leaf.operator, "expected": leaf.expected,
            "actual": leaf.actual, "passed": leaf.passed, "error": leaf.error}


def _result_dict(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {"policy_id": case.policy_id, "case": case.name, "file": case.path,
            "line": case.line, "type": case.type, "expected": case.expect.value,
            "expected_message": case.message, "actual": result.actual.value,
            "message": result.message, "passed": result.passed,
            "failure": result.failure() or None,
            "evidence": [_leaf_dict(leaf) for leaf in result.evidence]}


def to_json(run: CaseRun) -> str:
    document = {
        "summary": {"cases": len(run.results), "passed": len(run.results) - len(run.failed),
                    "failed": len(run.failed), "untested": list(run.untested)},
        "results": [_result_dict(r) for r in run.results],
    }
    # default=str: a case's values are YAML's (plain data); anything else is shown, not lost
    return json.dumps(document, indent=2, default=str) + "\n"


def junit(run: CaseRun) -> str:
    """One <testsuite> per policy, one <testcase> per case (with file and line); a failed
    case's <failure> holds the message and the deciding leaves."""
    root = ET.Element("testsuites", {"name": "preflight test"})
    suites: dict[str, ET.Element] = {}
    for result in run.results:
        case = result.case
        suite = suites.get(case.policy_id)
        if suite is None:
            suite = suites[case.policy_id] = ET.SubElement(
                root, "testsuite", {"name": xml_text(case.policy_id), "file": xml_text(case.path)})
        element = ET.SubElement(suite, "testcase", {
            "classname": xml_text(case.policy_id), "name": xml_text(case.name),
            "file": xml_text(case.path), "line": str(case.line)})
        if not result.passed:
            body = [f"message: {result.message}"] if result.message else []
            body += [leaf_text(leaf) for leaf in result.evidence]
            failure = ET.SubElement(element, "failure", {"message": xml_text(result.failure())})
            failure.text = xml_text("\n".join(body))
    for policy_id in run.untested:  # a policy without cases is reported, not passed over
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(policy_id)})
        element = ET.SubElement(suite, "testcase", {"classname": xml_text(policy_id),
                                                     "name": "(no cases)"})
        ET.SubElement(element, "skipped", {"message": "the policy has no test cases"})
    for suite in root:
        _count(suite)
    _count(root, nested=True)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _count(element: ET.Element, nested: bool = False) -> None:
    cases = [c for s in element for c in s] if nested else list(element)
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", "0")
    element.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))

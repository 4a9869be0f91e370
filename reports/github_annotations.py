"""report.annotations.txt: GitHub Actions workflow commands that annotate a pull request.

For repositories without code scanning (SARIF needs it): a step prints this file
(``cat preflight/report.annotations.txt``) and GitHub turns each line into an annotation on
the file and line where the resource is declared. Only pre-deploy findings (``preflight
iac``: those with a source location) are annotated; the last line is a notice with the
counts, so a live scan's file is that one line.

- fail -> ``::error`` (critical, high) or ``::warning`` (medium, low, info); error (could not
  be checked) -> ``::warning``; waived -> ``::notice`` naming the waiver; pass -> nothing.
- The most severe come first: GitHub shows at most 10 errors and 10 warnings per step.
- Escaped as GitHub's runner parses them (actions/toolkit ``escapeData``/``escapeProperty``):
  ``%``, CR and LF in the message; those plus ``:`` and ``,`` in properties. Control
  characters are written as ``\\x..`` first, so nothing from AWS or a template can end the
  line, start another command or send a terminal escape to the log.
"""

from __future__ import annotations

from preflight_scanner.models import Finding, ScanResult, Severity, Status
from preflight_scanner.reports.text import inert_lines

_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY = {**_DATA, ":": "%3A", ",": "%2C"}


def escape_data(text: str) -> str:
    return "".join(_DATA.get(c, c) for c in inert_lines(text))


def escape_property(text: str) -> str:
    return "".join(_PROPERTY.get(c, c) for c in inert_lines(text))


def command(level: str, message: str, **properties: object) -> str:
    """``::level key=value,...::message`` with everything escaped."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else \
        f"::{level}::{escape_data(message)}"


def level(finding: Finding) -> str | None:
    if finding.status is Status.FAIL:
        return "error" if finding.severity.at_least(Severity.HIGH) else "warning"
    if finding.status is Status.ERROR:
        return "warning"
    if finding.status is Status.WAIVED:
        return "notice"
    return None


def _message(finding: Finding, link: str) -> str:
    r = finding.resource
    lead = finding.message if finding.underlying_status is Status.FAIL else \
        f"Could not be checked: {finding.message}"
    lines = [f"{r.type} {r.name}: {lead}"]
    if finding.waiver is not None:
        w = finding.waiver
        lines.append(f"Waived by {w.id} until {w.expires} (owner {w.owner}): {w.reason}")
    lines.extend(f"Fix: {c}" for c in finding.remediation)
    lines.append(f"Runbook: {finding.runbook}" + (f" ({link})" if link else ""))
    return "\n".join(lines)


_ORDER = {"error": 0, "warning": 1, "notice": 2}


def render(result: ScanResult) -> str:
    titles = {p.id: p.title for p in result.policies}
    links = {e.ref: e.link for e in result.runbooks}
    annotated = [(lvl, f) for f in result.findings
                 if f.location is not None and (lvl := level(f)) is not None]
    annotated.sort(key=lambda pair: (_ORDER[pair[0]], -pair[1].severity.rank))
    lines = []
    for lvl, f in annotated:
        assert f.location is not None  # filtered above; for the type checker
        lines.append(command(lvl, _message(f, links.get(f.runbook, "")), file=f.location.path,
                             line=f.location.line,
                             title=f"Preflight {f.severity.value}: "
                                   f"{titles.get(f.policy_id, f.policy_id)}"))
    unlocated = sum(1 for f in result.findings if f.location is None and level(f) is not None)
    summary = (f"Preflight: {result.count(Status.FAIL)} failing, {result.count(Status.ERROR)} "
               f"not checked, {result.count(Status.WAIVED)} waived, {result.count(Status.PASS)} "
               f"passing; {len(annotated)} annotated")
    if unlocated:
        summary += f", {unlocated} without a source location (see report.md or report.html)"
    lines.append(command("notice", summary, title="Preflight"))
    return "\n".join(lines) + "\n"

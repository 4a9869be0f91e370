"""report.html: one self-contained page for the on-call engineer and the auditor.

``render(result)`` is a pure function of the ScanResult. The page has inline CSS and a
small vanilla script and makes no network request of any kind (a Content-Security-Policy
forbids it, and pins the inline script and style by hash so nothing injected could run).

What the server side renders (jinja2, autoescaped): the scope, the counts, the ranked
failing policies, the read errors, and one section per policy with its description and
runbook section. The findings themselves are embedded once, as compact JSON, and the
script renders them page by page under the filters, so a 50,000-finding report stays a
few megabytes and opens quickly. Every string from AWS reaches the DOM through jinja's
escaping or ``textContent``, never as markup.

The JSON (``<script type="application/json" id="report-data">``) is shaped for size:

- ``strings``: a table of *templates*. A template is text in which ``\\ue000`` plus one
  letter stands for a field of the finding it is expanded for (``n`` name, ``i`` id,
  ``r`` region, ``a`` account id) and ``\\ue000\\ue000`` for a literal ``\\ue000``. ARNs,
  messages, evidence and remediation commands are stored as templates, so the thousands
  of findings of one policy share a handful of strings. Each template is checked to
  expand back to exactly the original text.
- ``details``: ``[message, evidence, decisive keys]`` triples (indices into ``strings``;
  evidence is JSON text of ``[[key, value], ...]``; decisive keys are the evidence keys of
  the finding's decisive comparisons, which the page highlights).
- ``commands``: remediation command lists (indices into ``strings``).
- ``policies`` (ids, in page order) with their ``severities``; ``accounts`` ([id, name]),
  ``regions``, ``environments``, ``types``: the tables the findings index.
- ``findings``: one array per finding:
  ``[policy, status, account, region, environment, type, id, name, arn, detail, commands]``
  where policy/account/region/environment/type index the tables beside them, ``status`` is
  0 fail, 1 error, 2 pass, 3 waived, ``name`` is 0 when it equals the id, ``arn`` is -1 when
  there is none. Optional fields follow, each only when it or a later one is set:
  ``waiver`` (an index into ``waivers``: ``[id, reason, owner, expires, status without it,
  source]``, or -1), ``change`` (1 new, 2 unchanged against the baseline, 0 neither) and,
  for a pre-deploy scan, ``location`` (``path:line``) and its ``property`` when known.

Waivers (applied, expired, unused) and the baseline (counts, fixed findings) are rendered
server-side in their own sections.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment
from markupsafe import Markup
from preflight_scanner.models import PolicySummary, ScanResult, Severity, Status

from .html_data import MARK, TOKEN, Encoder, templatize
from .markdown_html import Embedding, page_anchors, render_section, safe_href
from .templates_env import asset, html_environment

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

__all__ = ["render", "write"]

SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
# How many read errors and error groups the page lists before pointing at the filter.
ERROR_ROWS = 500


def render(result: ScanResult) -> str:
    """The whole report page as a string."""
    buffer = io.StringIO()
    write(result, buffer)
    return buffer.getvalue()


def write(result: ScanResult, sink: Sink) -> None:
    """The page to ``sink``, its findings data block streamed (``reports/html_data.py``).

    The page around the block is rendered with a one-time placeholder where the block goes
    (the rest of the page is small: error lists are capped at ERROR_ROWS), then written in
    two halves around the streamed block: the template stays as it is."""
    located = any(f.location is not None for f in result.findings)
    script = asset("report.js")
    style = asset("report.css")
    if "</" in script or "</" in style:  # pragma: no cover - guards our own assets
        raise ValueError("report assets must not contain '</'")
    placeholder = f"preflight-data-{secrets.token_hex(16)}"
    page = _environment().get_template("report.html.j2").render(
        **_context(result),
        located=located,
        data_json=Markup(placeholder),
        script=Markup(script),
        style=Markup(style),
        csp=_csp(script, style),
    )
    head, tail = page.split(placeholder)  # exactly once: the token is random and new
    del page
    sink.write(head)
    Encoder(result, _policies(result), _accounts(result), _environments(result)).write(sink)
    sink.write(tail)


# -- assets and environment ---------------------------------------------------------------

@cache
def _environment() -> Environment:
    env = html_environment()
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env




def _csp(script: str, style: str) -> str:
    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")

    return ("default-src 'none'; "
            f"script-src 'sha256-{digest(script)}'; "
            f"style-src 'sha256-{digest(style)}'; "
            "img-src data:; base-uri 'none'; form-action 'none'")


# -- what the template renders -------------------------------------------------------------

@dataclass(frozen=True)
class _PolicyView:
    index: int
    policy: PolicySummary
    counts: Counter[Status]
    description: str
    frameworks: list[tuple[str, str]]
    runbook_title: str
    runbook_html: Markup | None
    runbook_link: str | None  # http(s): a link; otherwise shown as text
    runbook_location: str


def _policies(result: ScanResult) -> list[PolicySummary]:
    """Every policy, in report order: those with failures or errors first, worst first
    (severity, then failures, then errors); then the passing ones by severity."""
    known = {p.id: p for p in result.policies}
    for f in result.findings:
        if f.policy_id not in known:  # a finding from a policy the result does not describe
            known[f.policy_id] = PolicySummary(f.policy_id, f.policy_id, f.severity, f.resource.type,
                                               f.runbook, "")
    counts = _counts(result)
    return sorted(known.values(), key=lambda p: (
        not (counts[p.id][Status.FAIL] or counts[p.id][Status.ERROR]),
        -p.severity.rank, -counts[p.id][Status.FAIL], -counts[p.id][Status.ERROR], p.id))


def _counts(result: ScanResult) -> dict[str, Counter[Status]]:
    counts: dict[str, Counter[Status]] = {p.id: Counter() for p in result.policies}
    for f in result.findings:
        counts.setdefault(f.policy_id, Counter())[f.status] += 1
    return counts


def _accounts(result: ScanResult) -> list[dict[str, str]]:
    accounts = [{"id": a.id, "name": a.name, "environment": a.environment} for a in result.accounts]
    seen = {a["id"] for a in accounts}
    for f in result.findings:
        if f.resource.account_id not in seen:
            seen.add(f.resource.account_id)
            accounts.append({"id": f.resource.account_id, "name": f.resource.account_id,
                             "environment": f.resource.environment})
    return accounts


def _environments(result: ScanResult) -> list[str]:
    envs = {a.environment for a in result.accounts} | {f.resource.environment for f in result.findings}
    return sorted(envs)


def _policy_views(result: ScanResult) -> list[_PolicyView]:
    counts = _counts(result)
    excerpts = {r.ref: r for r in result.runbooks}
    policies = _policies(result)
    # Each policy's runbook panel is "runbook-p<index>"; a link between runbooks goes to the
    # first panel that shows its section.
    anchors = page_anchors((p.runbook, f"runbook-p{i}", excerpts[p.runbook].markdown)
                           for i, p in enumerate(policies) if p.runbook in excerpts)
    views = []
    for index, policy in enumerate(policies):
        excerpt = excerpts.get(policy.runbook)
        link = excerpt.link if excerpt else ""
        http_link = safe_href(link) if link.lower().startswith(("http://", "https://")) else None
        views.append(_PolicyView(
            index=index,
            policy=policy,
            counts=counts.get(policy.id, Counter()),
            description=policy.description.strip(),
            frameworks=[(name, ", ".join(ids)) for name, ids in policy.frameworks if ids],
            runbook_title=excerpt.title if excerpt else policy.runbook,
            runbook_html=Markup(render_section(
                excerpt.markdown, heading_shift=2, base_url=http_link, embedding=Embedding(
                    policy.runbook.partition("#")[0], f"runbook-p{index}", anchors)))
            if excerpt and excerpt.markdown.strip() else None,
            runbook_link=http_link,
            runbook_location=link or policy.runbook,
        ))
    return views


def _duration(start: str, end: str) -> str:
    try:
        seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return ""
    if seconds < 0:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 90:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


_PLACEHOLDERS = {"n": "{name}", "i": "{id}", "r": "{region}", "a": "{account}", MARK: MARK}


def _error_groups(result: ScanResult) -> list[dict[str, Any]]:
    """Error findings grouped by their reason: the message with the resource's own name,
    id, region and account generalised, so one denied call over many resources is one row."""
    groups: dict[str, dict[str, Any]] = {}
    for f in result.findings:
        if f.status is not Status.ERROR:
            continue
        r = f.resource
        reason = TOKEN.sub(lambda m: _PLACEHOLDERS.get(m.group(1), ""), templatize(
            f.message, {"n": r.name, "i": r.id, "r": r.region, "a": r.account_id}))
        group = groups.setdefault(reason, {"reason": reason, "count": 0, "policies": {},
                                           "examples": []})
        group["count"] += 1
        group["policies"][f.policy_id] = group["policies"].get(f.policy_id, 0) + 1
        if len(group["examples"]) < 3:
            group["examples"].append(f"{r.name} ({r.account_id} {r.region})")
    out = []
    for group in sorted(groups.values(), key=lambda g: (-g["count"], g["reason"])):
        policies = sorted(group["policies"], key=lambda p: (-group["policies"][p], p))
        out.append(dict(group, policies=policies[:5], more_policies=max(0, len(policies) - 5),
                        only_policy=policies[0] if len(policies) == 1 else None))
    return out


def _context(result: ScanResult) -> dict[str, Any]:
    status_totals = Counter(f.status for f in result.findings)
    by_severity: dict[Severity, Counter[Status]] = {sev: Counter() for sev in Severity}
    for f in result.findings:
        by_severity[f.severity][f.status] += 1
    views = _policy_views(result)
    ranked = [v for v in views if v.counts[Status.FAIL] or v.counts[Status.ERROR]]
    per_account = Counter(f.resource.account_id for f in result.findings if f.status is Status.FAIL)
    accounts = [dict(a, failing=per_account[a["id"]]) for a in _accounts(result)]
    error_groups = _error_groups(result)
    return {
        "result": result,
        "complete": not result.incomplete,
        "duration": _duration(result.started_at, result.finished_at),
        "accounts": accounts,
        "environments": _environments(result),
        "totals": {s.value: status_totals[s] for s in Status},
        "total": len(result.findings),
        "severity_rows": [(sev.value, by_severity[sev]) for sev in sorted(Severity, key=lambda s: -s.rank)],
        "ranked": ranked,
        "passing_policies": [v for v in views if not (v.counts[Status.FAIL] or v.counts[Status.ERROR]
                                                      or v.counts[Status.WAIVED])],
        "policies": views,
        "errors": result.errors[:ERROR_ROWS],
        "errors_total": len(result.errors),
        "error_groups": error_groups[:ERROR_ROWS],
        "error_groups_total": len(error_groups),
        "severities": SEVERITIES,
        "Status": Status,
        "error_row_limit": ERROR_ROWS,
        "show_waivers": result.waivers is not None or bool(status_totals[Status.WAIVED]),
        "waivers": result.waivers,
        "waiver_groups": _waiver_groups(result),
        "baseline": result.baseline,
        "fixed": result.baseline.fixed[:ERROR_ROWS] if result.baseline else (),
        "account_names": {a["id"]: a["name"] for a in accounts},
    }


def _waiver_groups(result: ScanResult) -> list[tuple[str, str, list[Any]]]:
    """(state, title, outcomes) for each non-empty state: expired first (they need action)."""
    if result.waivers is None:
        return []
    groups = [("expired", "Expired: no longer applied, the findings they covered count again"),
              ("applied", "Applied: accepted risks"),
              ("unused", "Unused: they matched nothing, remove them")]
    return [(state, title, result.waivers.in_state(state)) for state, title in groups
            if result.waivers.in_state(state)]

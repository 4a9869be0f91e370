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
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from preflight_scanner.models import Change, Finding, PolicySummary, ScanResult, Severity, Status

from .markdown_html import Embedding, page_anchors, render_section, safe_href
from .templates_env import asset, html_environment

__all__ = ["render"]

MARK = "\ue000"
STATUS_CODE = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.WAIVED: 3}
CHANGE_CODE = {Change.NEW: 1, Change.UNCHANGED: 2}
SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
# How many read errors and error groups the page lists before pointing at the filter.
ERROR_ROWS = 500


def render(result: ScanResult) -> str:
    """The whole report page as a string."""
    located = any(f.location is not None for f in result.findings)
    script = asset("report.js")
    style = asset("report.css")
    if "</" in script or "</" in style:  # pragma: no cover - guards our own assets
        raise ValueError("report assets must not contain '</'")
    data = _Encoder(result).document()
    return _environment().get_template("report.html.j2").render(
        **_context(result),
        located=located,
        data_json=Markup(_script_json(data)),
        script=Markup(script),
        style=Markup(style),
        csp=_csp(script, style),
    )


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


def _script_json(data: Any) -> str:
    """JSON that cannot end or confuse the <script> element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- the data the script renders ----------------------------------------------------------

class _Table:
    """Values interned by first appearance: value -> index."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []

    def add(self, value: Any) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


def _templatize(text: str, fields: dict[str, str]) -> str:
    """``text`` with the finding's own name, id, region and account id replaced by tokens.

    The caller checks the result expands back to ``text`` (a value overlapping a token
    could make it wrong, and then the text is stored as is)."""
    template = text.replace(MARK, MARK + MARK)
    for key, value in sorted(fields.items(), key=lambda kv: -len(kv[1])):
        if len(value) >= 3 and MARK not in value:
            template = template.replace(value, MARK + key)
    return template


_TOKEN = re.compile(MARK + "(.)", re.DOTALL)


def _expand(template: str, fields: dict[str, str]) -> str:
    return _TOKEN.sub(lambda m: MARK if m.group(1) == MARK else fields.get(m.group(1), ""), template)


@dataclass
class _Encoder:
    result: ScanResult
    strings: _Table = field(default_factory=_Table)
    details: _Table = field(default_factory=_Table)
    commands: _Table = field(default_factory=_Table)
    waivers: _Table = field(default_factory=_Table)

    def document(self) -> dict[str, Any]:
        result = self.result
        ordered = _policies(result)
        policies = [p.id for p in ordered]
        policy_index = {pid: i for i, pid in enumerate(policies)}
        accounts = _accounts(result)
        account_index = {a["id"]: i for i, a in enumerate(accounts)}
        regions = _Table()
        for region in result.regions:
            regions.add(region)
        environments = _Table()
        for env in _environments(result):
            environments.add(env)
        types = _Table()
        self.commands.add(())
        rows = []
        for f in result.findings:
            r = f.resource
            fields = {"n": r.name, "i": r.id, "r": r.region, "a": r.account_id}
            rows.append([
                policy_index[f.policy_id],
                STATUS_CODE[f.status],
                account_index[r.account_id],
                regions.add(r.region),
                environments.add(r.environment),
                types.add(r.type),
                r.id,
                0 if r.name == r.id else r.name,
                -1 if r.arn is None else self._string(r.arn, fields),
                self._detail(f, fields),
                self.commands.add(tuple(self._string(c, fields) for c in f.remediation)),
            ])
            rows[-1].extend(self._optional(f))
        return {
            "policies": policies,
            "severities": [p.severity.value for p in ordered],
            "accounts": [[a["id"], a["name"]] for a in accounts],
            "regions": regions.values,
            "environments": environments.values,
            "types": types.values,
            "strings": self.strings.values,
            "details": [list(d) for d in self.details.values],
            "commands": [list(c) for c in self.commands.values],
            "waivers": [list(w) for w in self.waivers.values],
            "findings": rows,
        }

    def _optional(self, f: Finding) -> list[Any]:
        """The row's optional tail: waiver, change, then location and property, each
        present when it or a later field is set."""
        waiver = -1 if f.waiver is None else self.waivers.add((
            f.waiver.id, f.waiver.reason, f.waiver.owner, f.waiver.expires,
            f.waiver.status.value, f.waiver.source))
        change = CHANGE_CODE.get(f.change, 0) if f.change is not None else 0
        if f.location is not None:
            prop = [f.location.property] if f.location.property else []
            return [waiver, change, f.location.describe(), *prop]
        if change:
            return [waiver, change]
        return [waiver] if waiver >= 0 else []

    def _string(self, text: str, fields: dict[str, str]) -> int:
        template = _templatize(text, fields)
        if _expand(template, fields) != text:  # pragma: no cover - defensive
            template = text.replace(MARK, MARK + MARK)
        return self.strings.add(template)

    def _detail(self, finding: Finding, fields: dict[str, str]) -> int:
        evidence = finding.evidence or {}
        pairs = json.dumps([[k, v] for k, v in evidence.items()], ensure_ascii=False,
                           separators=(",", ":"), default=str)
        decisive = tuple(self.strings.add(k) for k in finding.decisive_keys if k in evidence)
        return self.details.add((self._string(finding.message, fields),
                                 self._string(pairs, fields), decisive))


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
        reason = _TOKEN.sub(lambda m: _PLACEHOLDERS.get(m.group(1), ""), _templatize(
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
    by_severity = {sev: Counter() for sev in Severity}
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

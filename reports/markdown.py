"""report.md: a summary for $GITHUB_STEP_SUMMARY and pull-request comments.

Counts by severity and status, the comparison with a baseline (new, unchanged and the
first few fixed findings), the policies with failures or errors and their runbooks, the
first few failing resources of each (for a pre-deploy scan, with the ``path:line`` that
declares each and the offending property when known), the waivers (applied with their
reason, owner and expiry; expired; unused), the read errors, and a link to the full HTML
report. It never exceeds ``max_bytes`` (default 1,000,000: GitHub rejects a step summary
over 1 MiB), whatever the size of the estate: past the budget it stops with a note saying
what was left out.

Everything that comes from AWS or from a saved report (names, ids, ARNs, messages, tags)
is made inert before it is written:

- ``text()`` backslash-escapes every ASCII punctuation character (CommonMark renders any
  escaped punctuation literally), so no ``[link](...)``, ``<html>``, ``*emphasis*``,
  ``| table cell |``, heading, list or entity can form, and ``http\\://`` or ``www\\.``
  cannot autolink; newlines and control characters become spaces; ``@`` and ``#`` get a
  zero-width space after them so GitHub makes no @mention, e-mail link or #issue link.
- ``code()`` puts an identifier in a code span (copyable as is, and GitHub links nothing
  inside code), with a backtick fence longer than any backtick run in it and ``|``
  escaped for the table it sits in.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from preflight_scanner.models import Account, Change, Finding, RunbookExcerpt, ScanResult, Severity, Status

MAX_BYTES = 1_000_000  # GitHub's step-summary limit is 1 MiB (1,048,576 bytes) per step
FOOTER_RESERVE = 4_096
DEFAULT_LIMIT = 5

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_SPACE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # newlines and control characters
_BACKTICKS = re.compile(r"`+")
_ZWSP = "\u200b"
_WEB_LINK = re.compile(r"^https?://[^\s<>()\[\]`\\]+$")
_RELATIVE_LINK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]*(#[A-Za-z0-9_-]*)?$")


def _clip(value: object, limit: int) -> str:
    s = _SPACE.sub(" ", str(value)).strip()
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "\u2026"


def text(value: object, limit: int = 300) -> str:
    """Untrusted text, rendered literally anywhere in a Markdown line or table cell."""
    escaped = _PUNCT.sub(r"\\\1", _clip(value, limit))
    return escaped.replace("@", "@" + _ZWSP).replace("#", "#" + _ZWSP)


def code(value: object, limit: int = 200) -> str:
    """An untrusted identifier as a code span, for use inside a table cell."""
    s = _clip(value, limit)
    if not s:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(s)), default=0) + 1)
    s = s.replace("|", "\\|")
    pad = " " if s.startswith("`") or s.endswith("`") or s.endswith("\\|") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def link(label: str, url: str) -> str:
    """``[label](url)`` when url is a plain http(s) URL or a simple relative path, else the
    label alone. The label is already-escaped Markdown."""
    safe = _WEB_LINK.match(url) or (_RELATIVE_LINK.match(url) and ".." not in url)
    return f"[{label}]({url})" if safe else label


@dataclass
class _Budget:
    limit: int
    parts: list[str] = field(default_factory=list)
    used: int = 0

    def fits(self, block: str) -> bool:
        return self.used + len(block.encode("utf-8")) <= self.limit

    def add(self, block: str) -> bool:
        if not self.fits(block):
            return False
        self.parts.append(block)
        self.used += len(block.encode("utf-8"))
        return True


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def _account(account_id: str, accounts: dict[str, Account]) -> str:
    account = accounts.get(account_id)
    if account and account.name and account.name != account_id:
        return f"{code(account_id)} {text(account.name, 80)}"
    return code(account_id)


def _resource(finding: Finding) -> str:
    r = finding.resource
    cell = code(r.name)
    if r.id != r.name:
        cell += f" ({code(r.id)})"
    location = finding.location
    if location is not None:  # pre-deploy scans: where the resource is declared
        cell += f" at {code(location.describe(), 300)}"
        if location.property:
            cell += f" ({code(location.property, 100)})"
    return cell


def _runbook(ref: str, excerpts: dict[str, RunbookExcerpt]) -> str:
    excerpt = excerpts.get(ref)
    if excerpt and _WEB_LINK.match(excerpt.link):
        return link(text(excerpt.title or ref, 120), excerpt.link)
    return code(ref)


def _any(by: dict[Status, list[Finding]]) -> Finding:
    return next(f for items in by.values() for f in items)


def _header(result: ScanResult, counts: Counter[Status]) -> str:
    fail, error, passed = counts[Status.FAIL], counts[Status.ERROR], counts[Status.PASS]
    waived = counts[Status.WAIVED]
    if fail:
        verdict = f"\u274c {_plural(fail, 'failing check')}"
    elif result.incomplete:
        verdict = "\u26a0\ufe0f no failing checks, but the scan is incomplete"
    elif waived:
        verdict = f"\u2705 no failing checks ({_plural(waived, 'waived finding')})"
    else:
        verdict = "\u2705 every check passed"
    lines = [
        "# Preflight report",
        "",
        f"**{verdict}**: {fail} fail, {error} error, "
        + (f"{waived} waived, " if _shows_waivers(result) else "") + f"{passed} pass across "
        f"{_plural(len(result.policies), 'policy', 'policies')}, "
        f"{_plural(len(result.accounts), 'account')} and {_plural(len(result.regions), 'region')} "
        f"({result.api_calls} API calls; {text(result.started_at, 40)} to "
        f"{text(result.finished_at, 40)}; Preflight {text(result.tool_version, 40)}).",
        "",
    ]
    if result.incomplete:
        lines += [
            "> [!WARNING]",
            f"> **The scan was incomplete**: {_plural(len(result.errors), 'read error')} and "
            f"{_plural(error, 'check')} without an answer (status `error`). An error is never a "
            "pass: fix the access or retry, and see the read errors below and `errors` in "
            "report.json.",
            "",
        ]
    return "\n".join(lines) + "\n"


def _severity_table(result: ScanResult) -> str:
    by: dict[Severity, Counter[Status]] = {sev: Counter() for sev in Severity}
    for finding in result.findings:
        by[finding.severity][finding.status] += 1
    statuses = [Status.FAIL, Status.ERROR, *([Status.WAIVED] if _shows_waivers(result) else []),
                Status.PASS]
    rows = ["| severity | " + " | ".join(st.value for st in statuses) + " |",
            "| --- |" + " ---: |" * len(statuses)]
    for sev in Severity:
        c = by[sev]
        rows.append(f"| {sev.value} | " + " | ".join(str(c[st]) for st in statuses) + " |")
    total = Counter(f.status for f in result.findings)
    rows.append("| **total** | " + " | ".join(f"**{total[st]}**" for st in statuses) + " |")
    return "\n".join(rows) + "\n\n"


def _shows_waivers(result: ScanResult) -> bool:
    """Waived counts appear when waivers were in play: no column of zeros otherwise."""
    return result.waivers is not None or any(f.status is Status.WAIVED for f in result.findings)


def _findings_table(findings: list[Finding], accounts: dict[str, Account],
                    baseline: bool = False) -> str:
    head = "| account | region | resource | message |"
    rule = "| --- | --- | --- | --- |"
    if baseline:
        head, rule = "| change " + head, "| --- " + rule
    rows = [head, rule]
    for f in findings:
        change = f"| {_CHANGE.get(f.change, '') if f.change else ''} " if baseline else ""
        rows.append(f"{change}| {_account(f.resource.account_id, accounts)} | "
                    f"{code(f.resource.region or 'global')} | {_resource(f)} | "
                    f"{text(f.message)} |")
    return "\n".join(rows) + "\n"


_CHANGE = {Change.NEW: "**new**", Change.UNCHANGED: "unchanged"}


def _waived_table(findings: list[Finding], accounts: dict[str, Account]) -> str:
    rows = ["| account | region | resource | waiver | owner | expires | reason |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for f in findings:
        w = f.waiver
        rows.append(f"| {_account(f.resource.account_id, accounts)} | "
                    f"{code(f.resource.region or 'global')} | {_resource(f)} | "
                    + (f"{code(w.id)} | {text(w.owner, 100)} | {text(w.expires, 20)} | "
                       f"{text(w.reason)} |" if w else "| | | |"))
    return "\n".join(rows) + "\n"


def _baseline_section(result: ScanResult, accounts: dict[str, Account], limit: int) -> str:
    b = result.baseline
    assert b is not None
    lines = ["## Compared with the baseline\n",
             f"Baseline: the scan of {text(b.started_at, 40)} (Preflight "
             f"{text(b.tool_version, 40)}). **{b.new} new**, {b.unchanged} unchanged, "
             f"**{len(b.fixed)} fixed** failing or unreadable finding(s).\n"]
    if b.fixed:
        first = list(b.fixed[:limit])
        lines.append("Fixed since the baseline" + (f", the first {len(first)}:" if
                                                   len(first) < len(b.fixed) else ":") + "\n")
        rows = ["| policy | account | region | resource |", "| --- | --- | --- | --- |"]
        for f in first:
            rows.append(f"| {code(f.policy_id)} | {_account(f.resource.account_id, accounts)} | "
                        f"{code(f.resource.region or 'global')} | {_resource(f)} |")
        lines.append("\n".join(rows) + "\n")
    return "\n".join(lines) + "\n"


def _waivers_section(result: ScanResult) -> str:
    report = result.waivers
    assert report is not None
    lines = ["## Waivers\n",
             f"From {code(report.source)}; a waiver may run at most {report.max_days} days.\n"]
    for state, title, note in (
        ("expired", "Expired", "no longer applied: the findings they covered count again"),
        ("applied", "Applied", "accepted risks"),
        ("unused", "Unused", "they matched nothing: remove them"),
    ):
        items = report.in_state(state)
        if not items:
            continue
        lines.append(f"**{title}** ({len(items)}, {note}):\n")
        rows = ["| waiver | policies | owner | expires | findings | reason |",
                "| --- | --- | --- | --- | ---: | --- |"]
        for w in items:
            rows.append(f"| {code(w.id)} | {', '.join(code(p) for p in w.policies[:5])} | "
                        f"{text(w.owner, 100)} | {text(w.expires, 20)} | {w.matched} | "
                        f"{text(w.reason)} |")
        lines.append("\n".join(rows) + "\n")
    return "\n".join(lines) + "\n"


def render(result: ScanResult, *, limit: int = DEFAULT_LIMIT, max_bytes: int = MAX_BYTES,
           html_href: str = "report.html") -> str:
    """The summary; ``limit`` failing resources (and errors) shown per policy."""
    accounts = {a.id: a for a in result.accounts}
    policies = {p.id: p for p in result.policies}
    excerpts = {e.ref: e for e in result.runbooks}
    counts = Counter(f.status for f in result.findings)
    per_policy: dict[str, dict[Status, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in result.findings:
        per_policy[finding.policy_id][finding.status].append(finding)

    def severity_of(pid: str) -> Severity:
        policy = policies.get(pid)
        if policy is not None:
            return policy.severity
        return _any(per_policy[pid]).severity

    troubled = sorted(
        (pid for pid, by in per_policy.items() if by[Status.FAIL] or by[Status.ERROR]),
        key=lambda pid: (-severity_of(pid).rank, -len(per_policy[pid][Status.FAIL]),
                         -len(per_policy[pid][Status.ERROR]), pid))

    out = _Budget(max(max_bytes - FOOTER_RESERVE, 0))
    omitted: list[str] = []
    out.add(_header(result, counts))
    out.add(_severity_table(result))
    if result.baseline is not None and not out.add(_baseline_section(result, accounts, limit)):
        omitted.append("the comparison with the baseline")

    if troubled:
        out.add("## Policies with failures or errors\n\n")
        out.add("| policy | severity | fail | error | pass | runbook |\n"
                "| --- | --- | ---: | ---: | ---: | --- |\n")
        shown = 0
        for pid in troubled:
            by = per_policy[pid]
            policy = policies.get(pid)
            title = f" {text(policy.title, 160)}" if policy else ""
            row = (f"| **{text(pid, 100)}**{title} | {severity_of(pid).value} | "
                   f"{len(by[Status.FAIL])} | {len(by[Status.ERROR])} | {len(by[Status.PASS])} | "
                   f"{_runbook(policy.runbook if policy else _any(by).runbook, excerpts)} |\n")
            if not out.add(row):
                break
            shown += 1
        out.add("\n")
        if shown < len(troubled):
            omitted.append(f"{len(troubled) - shown} of the {len(troubled)} policies with "
                           "failures or errors are missing from the table above")

        sections = 0
        for pid in troubled:
            by = per_policy[pid]
            block = [f"### {text(pid, 100)} ({severity_of(pid).value})\n"]
            for status, noun in ((Status.FAIL, "failing"), (Status.ERROR, "unreadable"),
                                 (Status.WAIVED, "waived")):
                items = by[status]
                if not items:
                    continue
                if result.baseline is not None and status is not Status.WAIVED:
                    items = sorted(items, key=lambda f: f.change is not Change.NEW)  # new first
                first = items[:limit]
                block.append(f"\n{len(items)} {noun} "
                             f"{'resource' if len(items) == 1 else 'resources'}"
                             + (f", the first {len(first)}:" if len(first) < len(items) else ":")
                             + "\n\n")
                block.append(_waived_table(first, accounts) if status is Status.WAIVED else
                             _findings_table(first, accounts, result.baseline is not None))
                if len(first) < len(items):
                    block.append(f"\n\u2026 and {len(items) - len(first)} more {noun}: "
                                 "see the full report.\n")
            block.append("\n")
            if not out.add("".join(block)):
                break
            sections += 1
        if sections < len(troubled):
            omitted.append(f"the resource lists of {len(troubled) - sections} of the "
                           f"{len(troubled)} policies with failures or errors")

    has_waivers = result.waivers is not None and bool(result.waivers.waivers)
    if has_waivers and not out.add(_waivers_section(result)):
        omitted.append("the list of waivers")

    if result.errors:
        first_errors = result.errors[:limit]
        rows = ["## Read errors\n",
                f"{_plural(len(result.errors), 'thing')} could not be read"
                + (f", the first {len(first_errors)}:" if len(first_errors) < len(result.errors)
                   else ":") + "\n",
                "| account | region | what | operation | error |",
                "| --- | --- | --- | --- | --- |"]
        for e in first_errors:
            what = " ".join(code(part) for part in (e.resource_type, e.resource_id) if part)
            rows.append(f"| {_account(e.account_id, accounts)} | {code(e.region or 'global')} | "
                        f"{what} | {code(e.operation)} | {code(e.code)}: {text(e.message)} |")
        errors_block = "\n".join(rows) + "\n\n"
        if not out.add(errors_block):
            omitted.append(f"the list of {len(result.errors)} read errors")

    footer = ["---", ""]
    if omitted:
        footer.append("**This summary is truncated** to stay under GitHub's 1 MiB step-summary "
                      "limit. Left out: " + "; ".join(omitted) + ". Everything is in the full "
                      "report.")
        footer.append("")
    footer.append(f"Full report: {link('report.html', html_href)} (with this run's artefacts); "
                  "machine-readable: `report.json`.")
    result_text = "".join(out.parts) + "\n".join(footer) + "\n"
    return result_text

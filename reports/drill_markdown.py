"""drill.md: the drill readiness report in Markdown, for a pull request, a wiki page or
$GITHUB_STEP_SUMMARY.

``render(document)`` is a pure function of a drill.json document. Text from AWS goes through
reports.markdown's ``text()`` and ``code()`` (inert in any Markdown renderer), commands sit in
fenced code blocks whose fence is longer than any backtick run inside them, and the output
stays under ``max_bytes`` (GitHub's step-summary limit), the checklist truncated with a note
past it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from preflight_scanner.drill.readiness import StepStatus
from preflight_scanner.drill.recovery import NO_RESTORE_POINT, UNKNOWN, case_of, worst_case_text

from .markdown import MAX_BYTES, code, text

__all__ = ["render"]

LABEL = {"ready": "✅ ready", "not-ready": "❌ not ready", "unknown": "❔ unknown",
         "not-observable": "👀 verify by hand", "no-resources": "— nothing to check",
         "waived": "⏸ waived", None: ""}
_BACKTICKS = re.compile(r"`+")
RESOURCES_PER_STEP = 20


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}%"


def _min(value: float | None) -> str:
    return "—" if value is None else f"{value:g} min"


def _fenced(command: str) -> str:
    fence = "`" * max(3, max((len(r) for r in _BACKTICKS.findall(command)), default=0) + 1)
    return f"{fence}bash\n{command}\n{fence}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = [_row(headers), _row(["---"] * len(headers))]
    lines += [_row(r) for r in rows]
    return "\n".join(lines)


def _verdict(overall: Mapping[str, Any]) -> str:
    head = (f"**Readiness {_pct(overall['percent'])}**: {overall['score']} of "
            f"{overall['possible']} checks pass, {overall['outstanding']} outstanding "
            f"({overall['unreadable']} unreadable), {overall['waived']} waived (excluded)")
    if overall["target"] is None:
        return head + "; no target set."
    met = "meets" if overall["meets_target"] else "**is below**"
    return head + f"; {met} the target of {_pct(overall['target'])}."


def render(document: Mapping[str, Any], *, max_bytes: int = MAX_BYTES) -> str:
    drill = document["drill"]
    overall = document["score"]["overall"]
    blocks = [
        "# Disaster-recovery drill readiness",
        f"Scan started {code(drill['started_at'])}; {len(drill['accounts'])} account(s), "
        f"regions {', '.join(code(r) for r in drill['regions']) or 'none'}; "
        + ("complete." if drill["complete"] else
           f"**incomplete**: {len(document['errors'])} read error(s)."),
        _verdict(overall),
        "## Readiness per runbook step",
        _table(["Step", "Status", "Ready", "Not ready", "Unknown", "Waived", "Runbook"], [
            [text(s["title"]), LABEL[s["status"]], str(s["counts"]["ready"]),
             str(s["counts"]["not-ready"]), str(s["counts"]["unknown"]),
             str(s["counts"]["waived"]), code(s["ref"])] for s in document["steps"]]),
    ]
    for step in document["steps"]:
        if not step["observable"]:
            blocks.append(f"**{text(step['title'])}**: {text(step['why_not'] or '', 600)}")
            continue
        blocked = [r for r in step["resources"]
                   if r["status"] in (StepStatus.NOT_READY, StepStatus.UNKNOWN)]
        if not blocked:
            continue
        rows = [[code(r["resource"]["name"]), code(r["resource"]["account_id"]),
                 code(r["resource"]["region"]), LABEL[r["status"]],
                 "; ".join(f"{code(b['policy_id'])}: {text(b['message'], 200)}"
                           for b in r["blocking"])]
                for r in blocked[:RESOURCES_PER_STEP]]
        more = len(blocked) - RESOURCES_PER_STEP
        blocks.append(f"### {text(step['title'])}: what blocks it\n\n"
                      + _table(["Resource", "Account", "Region", "Status", "Blocked by"], rows)
                      + (f"\n\n…and {more} more (see drill.html)." if more > 0 else ""))
    score = document["score"]
    blocks += [
        "## Score per account and environment",
        _table(["Account / environment", "Score", "Possible", "%", "Outstanding", "Waived"],
               [[f"{text(a['name'], 80)} {code(a['account_id'])}", str(a["score"]),
                 str(a["possible"]), _pct(a["percent"]), str(a["outstanding"]),
                 str(a["waived"])] for a in score["accounts"]]
               + [[f"environment {code(e['environment'])}", str(e["score"]), str(e["possible"]),
                   _pct(e["percent"]), str(e["outstanding"]), str(e["waived"])]
                  for e in score["environments"]]),
    ]
    if score["waivers"]:
        blocks.append("Waived checks: " + "; ".join(
            f"{code(w['policy_id'])} on {code(w['resource']['name'])} ({text(w['reason'], 200)})"
            for w in score["waivers"][:50]))
    points = document["recovery_points"]
    blocks += ["## Recovery point evidence",
               "Achievable RPO at scan time: scan time - latest restorable time with "
               "point-in-time recovery; the newest on-demand backup's age otherwise; the "
               "smaller when both exist."]
    if points["tables"]:
        blocks.append(_table(
            ["Table", "Account", "Region", "PITR", "Latest restorable", "Newest backup", "RPO"],
            [[code(t["resource"]["name"]), code(t["resource"]["account_id"]),
              code(t["resource"]["region"]), text(t["pitr"]["status"] or "unknown"),
              code(t["pitr"]["latest_restorable_time"] or "—"),
              code(t["latest_backup"]["created_at"]) if t["latest_backup"] else "none",
              ("**no restore point**" if t["restorable"] is False else
               "unknown" if t["restorable"] is None else
               f"{_min(t['rpo_minutes'])} ({t['rpo_source']})")]
             for t in points["tables"]]))
    if points["buckets"]:
        blocks.append(_table(["Bucket", "Account", "Region", "Versioning"], [
            [code(b["resource"]["name"]), code(b["resource"]["account_id"]),
             code(b["resource"]["region"]), text(b["versioning"] or "unknown")]
            for b in points["buckets"]]))
    blocks.append("**Worst recovery point**: "
                  + _worst_text(points["worst"]["overall"]))
    blocks.append(_table(["Account", "Environment", "Worst recovery point",
                          "Without restore point", "Unversioned buckets"], [
        [code(w["account_id"]), code(w["environment"]), _worst_text(w),
         ", ".join(code(n) for n in w["tables_without_restore_point"]) or "none",
         ", ".join(code(n) for n in w["unversioned_buckets"]) or "none"]
        for w in points["worst"]["accounts"]]))
    blocks += _waivers(document.get("waivers"))
    drift = document["drift"]
    blocks.append("## Drift since the last drill")
    if drift is None:
        blocks.append("No previous drill to compare with.")
    else:
        since = drift["since"]
        blocks.append(f"Since {code(since['started_at'])}: {len(drift['became_ready'])} became "
                      f"ready, {len(drift['regressed'])} regressed, {len(drift['changed'])} "
                      f"other changes, {len(drift['new_resources'])} new resource(s) never "
                      f"covered, {len(drift['removed_resources'])} gone.")
        for title, items in (("Became ready", drift["became_ready"]),
                             ("Regressed", drift["regressed"])):
            if items:
                blocks.append(f"**{title}**: " + "; ".join(
                    f"{code(c['resource']['name'])} ({text(c['step_id'])})" for c in items[:50]))
        if drift["new_resources"]:
            blocks.append("**New resources**: " + "; ".join(
                code(c["resource"]["name"]) for c in drift["new_resources"][:50]))
    tail = _signoff(document)
    budget = max_bytes - len(tail.encode("utf-8")) - 512
    out = "\n\n".join(blocks) + "\n\n## Drill checklist\n"
    for section in document["checklist"]:
        part = _section(section)
        if len((out + part).encode("utf-8")) > budget:
            out += ("\n*The checklist is cut here to keep this file under "
                    f"{max_bytes:,} bytes: drill.html has all of it.*\n")
            break
        out += part
    return out + "\n" + tail


def _worst_text(worst: Mapping[str, Any]) -> str:
    """No restore point or unknown, by name, before any number (the same words as the
    terminal and drill.html)."""
    words = worst_case_text(worst)
    return f"**{text(words, 2000)}**" if case_of(worst) in (NO_RESTORE_POINT, UNKNOWN) \
        else text(words, 2000)


def _waivers(waivers: Mapping[str, Any] | None) -> list[str]:
    """What the waivers file did, as scan's report.md lists it: expired first."""
    if not waivers:
        return []
    blocks = ["## Waivers",
              f"From {code(waivers['source'])}; a waiver may run at most "
              f"{waivers['max_days']} days."]
    for state, title, note in (
        ("expired", "Expired", "no longer applied: the checks they covered count again"),
        ("applied", "Applied", "accepted risks"),
        ("unused", "Unused", "they matched nothing: remove them"),
    ):
        items = waivers[state]
        if items:
            blocks.append(f"**{title}** ({len(items)}, {note}):\n\n" + _table(
                ["Waiver", "Policies", "Owner", "Expires", "Checks", "Reason"],
                [[code(w["id"]), ", ".join(code(p) for p in w["policies"][:5]),
                  text(w["owner"], 100), text(w["expires"], 20), str(w["matched"]),
                  text(w["reason"])] for w in items]))
    return blocks


def _section(section: Mapping[str, Any]) -> str:
    lines = [f"\n### ☐ {text(section['title'])}",
             f"Runbook {code(section['ref'])}" + (f" · {LABEL[section['status']]}"
                                                  if section["status"] else "")]
    for group in section["groups"]:
        if group["heading"]:
            lines.append(f"\n**{text(group['heading'])}** {LABEL[group['status']]}")
        if group["note"]:
            lines.append(f"\n> {text(group['note'], 600)}")
        for command in group["commands"]:
            lines.append(f"\n- [ ] {text(command['label'], 300)}\n\n{_fenced(command['command'])}")
    if not section["groups"]:
        lines.append("\nNo commands to fill in: follow the runbook section.")
    return "\n".join(lines) + "\n"


def _signoff(document: Mapping[str, Any]) -> str:
    s = document["signoff"]
    worst = document["recovery_points"]["worst"]["overall"]
    rows = [["RTO", _min(s["rto_target_minutes"]), "not measurable before the drill", " "],
            ["RPO", _min(s["rpo_target_minutes"]), _worst_text(worst), " "]]
    return "\n\n".join([
        "## Sign-off",
        _table(["", "Target", "Preflight at scan time", "Observed in the drill"], rows),
        _table(["Step", "Started", "Finished", "Outcome"],
               [[text(st["title"]), " ", " ", " "] for st in s["steps"]]),
        _table(["Field", "Value"], [[text(f), " "] for f in s["fields"]]),
    ]) + "\n"

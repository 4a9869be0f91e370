"""drill.html: the disaster-recovery drill readiness report, for the team before the drill and
for auditors after it.

``render(document)`` is a pure function of a drill.json document. The page is server-rendered
(jinja2, autoescaped: every name from AWS is text), has no script at all, makes no network
request (its Content-Security-Policy allows only its own inline style, pinned by hash) and
has a print stylesheet meant for "Save as PDF": numbered pages, no forced page break (each
one left a page mostly blank), tables that fit the paper, commands and names that wrap
instead of overflowing (names after their separators, not inside a word), and every status
keeps its colour.

The readiness-over-quarters chart is a small inline SVG drawn here: one bar per quarter,
the target as a dashed line.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape
from preflight_scanner.drill.recovery import NO_RESTORE_POINT, UNKNOWN, case_of, worst_case_text

from .markdown_html import Embedding, page_anchors, render_section, safe_href
from .templates_env import asset, html_environment

__all__ = ["render"]

STATUS_LABEL = {
    "ready": "ready", "not-ready": "not ready", "unknown": "unknown",
    "not-observable": "verify by hand", "no-resources": "nothing to check", "waived": "waived",
}


def render(document: Mapping[str, Any]) -> str:
    style = asset("report.css") + "\n" + asset("drill.css")
    if "</" in style:  # pragma: no cover - guards our own assets
        raise ValueError("drill assets must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    runbooks = _step_runbooks(document["steps"], document["runbooks"])
    overall = document["score"]["overall"]
    return _environment().get_template("drill.html.j2").render(
        doc=document, overall=overall, style=Markup(style), csp=csp, runbooks=runbooks,
        chart=Markup(chart_svg(document["history"], overall["target"])),
        labels=STATUS_LABEL, accounts={a["id"]: a for a in document["drill"]["accounts"]},
    )


def _step_runbooks(steps: Sequence[Mapping[str, Any]], excerpts: Mapping[str, Mapping[str, Any]]
                   ) -> dict[str, dict[str, Any]]:
    """Each step's runbook panel, by step id. The panel is "step-<id>-runbook"; a link from one
    runbook to another goes to the first step that shows the section it names."""
    shown = [(step["id"], step["ref"]) for step in steps if step["ref"] in excerpts]
    anchors = page_anchors((ref, f"step-{sid}-runbook", excerpts[ref]["markdown"])
                           for sid, ref in shown)
    return {sid: _runbook(excerpts[ref], Embedding(ref.partition("#")[0], f"step-{sid}-runbook",
                                                   anchors)) for sid, ref in shown}


def _runbook(excerpt: Mapping[str, Any], embedding: Embedding) -> dict[str, Any]:
    """The section without its heading (the page shows the title), and a link only when it
    is an http(s) one: a relative path means nothing next to a saved report."""
    link = excerpt["link"]
    href = safe_href(link) if link.lower().startswith(("http://", "https://")) else None
    body = render_section(excerpt["markdown"].strip(), heading_shift=2, base_url=href,
                          embedding=embedding)
    return {"title": excerpt["title"], "location": link, "href": href,
            "html": Markup(body) if body else None}


@cache
def _environment() -> Environment:
    env = html_environment()
    env.filters["minutes"] = _minutes
    env.filters["worst_case"] = worst_case_text
    env.filters["worst_class"] = _worst_class
    env.filters["percent"] = lambda p: "n/a" if p is None else f"{p:g}%"
    env.filters["when"] = lambda t: "—" if not t else str(t).replace("+00:00", "Z")
    env.filters["ident"] = breakable
    return env


# After these a long identifier may wrap: "aws.dynamodb.<wbr>table", not "aws.dynamodb.tabl|e".
_BREAK_AFTER = re.compile(r"(?<=[./_:#,)>-])")


def breakable(value: Any) -> Markup:
    """A name, type or policy id that may wrap after its separators rather than inside a
    word: table columns are narrow on a phone and on paper."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.split(str(value)))




def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:g} min"
    hours = value / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _worst_class(worst: Mapping[str, Any]) -> str:
    """No restore point reads as a failure, unknown as an error, a number as itself."""
    return {NO_RESTORE_POINT: "bad strong", UNKNOWN: "err strong"}.get(case_of(worst), "")


def chart_svg(points: Sequence[Mapping[str, Any]], target: float | None) -> str:
    """Bars of readiness percent per quarter, with the target as a dashed line."""
    width, height, left, bottom, top = 560, 200, 36, 30, 14
    plot_h = height - bottom - top
    n = max(len(points), 1)
    slot = (width - left - 10) / n
    bar = min(56.0, slot * 0.6)

    def y(percent: float) -> float:
        return top + plot_h * (1 - percent / 100)

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" '
             f'aria-labelledby="chart-title"><title id="chart-title">Readiness per quarter'
             '</title>']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 6}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}"/><text class="axis" x="{left - 6}" '
                     f'y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, point in enumerate(points):
        percent = float(point["percent"])
        x = left + slot * i + (slot - bar) / 2
        met = target is None or percent >= target
        klass = "bar " + ("bar-ok" if met else "bar-bad") + (" bar-now" if point.get("current")
                                                              else "")
        parts.append(
            f'<rect class="{klass}" x="{x:.1f}" y="{y(percent):.1f}" width="{bar:.1f}" '
            f'height="{max(plot_h * percent / 100, 0.5):.1f}"><title>'
            f'{escape(point["quarter"])}: {percent:g}% ({int(point["score"])}/'
            f'{int(point["possible"])})</title></rect>'
            f'<text class="val" x="{x + bar / 2:.1f}" y="{y(percent) - 4:.1f}" '
            f'text-anchor="middle">{percent:g}%</text>'
            f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - 10}" '
            f'text-anchor="middle">{escape(point["quarter"])}</text>')
    if target is not None:
        parts.append(f'<line class="target" x1="{left}" x2="{width - 6}" y1="{y(target):.1f}" '
                     f'y2="{y(target):.1f}"/><text class="target-label" x="{width - 8}" '
                     f'y="{y(target) - 4:.1f}" text-anchor="end">target {target:g}%</text>')
    parts.append("</svg>")
    return "".join(parts)

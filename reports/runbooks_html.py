"""runbooks.html: the runbook readiness report, one card per section: the runbook's own text
beside its steps, each step's command and, per account and region, whether it would work
and, where not, why and the fix.

``render(result)`` is pure. Same look and the same guarantees as drill.html: server-rendered
with jinja2 (autoescaped: every name from AWS or a runbook is text), no script, no network
request (the Content-Security-Policy allows only the inline style, pinned by hash); the
runbook text goes through the shared Markdown renderer (no raw HTML, safe links).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from preflight_scanner.runbookcheck.model import LABELS, CheckResult, Readiness, SectionReport

from .markdown_html import render_markdown
from .templates_env import asset, html_environment

__all__ = ["render"]


def render(result: CheckResult) -> str:
    style = "\n".join(asset(name) for name in ("report.css", "drill.css", "runbooks.css"))
    if "</" in style:  # pragma: no cover - guards our own assets
        raise ValueError("report assets must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return _environment().get_template("runbooks.html.j2").render(
        result=result, counts=result.counts(), style=Markup(style), csp=csp,
        labels={s.value: LABELS[s] for s in Readiness}, section_html=_section_html)


def _section_html(section: SectionReport) -> Markup | None:
    """The section's text without its heading (the card shows the title)."""
    lines = section.markdown.splitlines()
    if lines and lines[0].lstrip().startswith("#"):
        lines = lines[1:]
    body = "\n".join(lines).strip()
    return Markup(render_markdown(body, heading_shift=2)) if body else None


def _bindings(bindings: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in bindings.items())


@cache
def _environment() -> Environment:
    env = html_environment()
    env.filters["bindings"] = lambda t: _bindings(dict(t.bindings))
    env.filters["when"] = lambda t: "—" if not t else str(t).replace("+00:00", "Z")
    return env

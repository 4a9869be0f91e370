"""A check's result -> the report files (name -> content): runbooks.json always, HTML and
Markdown on request. Shared by `preflight runbooks check` and the demo."""

from __future__ import annotations

from collections.abc import Collection

from .model import CheckResult

FORMATS = ("json", "html", "md")


def report_files(result: CheckResult, formats: Collection[str]) -> dict[str, str]:
    from preflight_scanner.reports import runbooks_json

    files = {"runbooks.json": runbooks_json.render(result)}
    if "html" in formats:
        from preflight_scanner.reports import runbooks_html

        files["runbooks.html"] = runbooks_html.render(result)
    if "md" in formats:
        from preflight_scanner.reports import runbooks_markdown

        files["runbooks.md"] = runbooks_markdown.render(result)
    return files


def summary(result: CheckResult) -> str:
    """One line: how many steps-in-places are ready, not ready, cannot be told, waived."""
    counts = result.counts()
    return (f"{counts['ready']} ready, {counts['not-ready']} not ready, "
            f"{counts['unknown']} cannot tell, {counts['waived']} waived (steps x places); "
            f"{result.api_calls} API calls")

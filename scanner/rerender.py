"""`preflight report`: re-render a saved report.json, or a saved drill.json, without AWS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from .errors import InputError, Problem
from .exitcodes import EXIT_OK
from .formats import Format, installed, write_reports
from .output import prepare_output_dir, publish
from .saved import load_saved_report, read_saved_json

HINT = ("pass a report.json written by `preflight scan` or a drill.json written by "
        "`preflight drill` (`preflight schema report|drill` prints their schemas)")
# A drill renders as its own two documents; the scan formats (sarif, junit...) need findings.
DRILL_FORMATS = {Format.HTML: "drill.html", Format.MD: "drill.md", Format.JSON: "drill.json"}


def rerender(report_path: Path, formats: Sequence[Format], out_dir: Path | None) -> int:
    """Re-render in other formats; which kind of document it is decides the renderers."""
    document = read_saved_json(report_path, HINT)
    target = out_dir if out_dir is not None else report_path.parent
    if isinstance(document, dict) and document.get("kind") == "preflight-drill":
        return _rerender_drill(report_path, document, formats, target)
    return _rerender_scan(report_path, document, formats, target)


def _rerender_scan(report_path: Path, document: Any, formats: Sequence[Format], target: Path
                   ) -> int:
    names = list(formats) or [f for f in installed() if f is not Format.JSON]
    result = load_saved_report(report_path, document)
    prepare_output_dir(target)
    if Format.JSON in names and (target / "report.json").resolve() == report_path.resolve():
        names = [n for n in names if n is not Format.JSON]
        click.echo(f"report: {report_path} (the input; left as it is)")
    for path in write_reports(result, target, names):
        click.echo(f"report: {path}")
    return EXIT_OK


def _rerender_drill(report_path: Path, document: Mapping[str, Any], formats: Sequence[Format],
                    target: Path) -> int:
    from preflight_scanner.reports import drill_html, drill_markdown

    from .drill.document import render_json, validation_errors

    names = list(formats) or [Format.HTML, Format.MD]
    wrong = [n for n in names if n not in DRILL_FORMATS]
    if wrong:
        raise InputError([Problem(str(report_path), None, None,
                                  f"a drill.json renders as {', '.join(DRILL_FORMATS)}, not as "
                                  f"{', '.join(wrong)}", "choose --format html,md")])
    errors = validation_errors(document)
    if errors:
        raise InputError([Problem(str(report_path), None, None,
                                  f"not a valid drill.json: {errors[0]}"
                                  + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                                  HINT)])
    if Format.JSON in names and (target / "drill.json").resolve() == report_path.resolve():
        names = [n for n in names if n is not Format.JSON]
    renderers = {Format.HTML: drill_html.render, Format.MD: drill_markdown.render,
                 Format.JSON: render_json}
    prepare_output_dir(target)
    paths = publish(target, {DRILL_FORMATS[n]: renderers[n](document) for n in names})
    for path in paths:
        click.echo(f"report: {path}")
    return EXIT_OK

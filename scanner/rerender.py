"""`preflight report`: re-render a saved report.json, or a saved drill.json, without AWS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from .errors import InputError, Problem
from .exitcodes import EXIT_OK
from .output import prepare_output_dir, publish
from .runner import load_saved_report, read_saved_json, write_reports

HINT = ("pass a report.json written by `preflight scan` or a drill.json written by "
        "`preflight drill` (`preflight schema report|drill` prints their schemas)")
# A drill renders as its own two documents; the scan formats (sarif, junit...) need findings.
DRILL_FORMATS = {"html": "drill.html", "md": "drill.md", "json": "drill.json"}


def rerender(report_path: Path, formats: Sequence[str], out_dir: Path | None) -> int:
    """Re-render in other formats; which kind of document it is decides the renderers."""
    document = read_saved_json(report_path, HINT)
    target = out_dir if out_dir is not None else report_path.parent
    if isinstance(document, dict) and document.get("kind") == "preflight-drill":
        return _rerender_drill(report_path, document, formats, target)
    return _rerender_scan(report_path, document, formats, target)


def _rerender_scan(report_path: Path, document: Any, formats: Sequence[str], target: Path) -> int:
    from preflight_scanner.reports import available, load_renderers, parse_formats

    names = parse_formats(formats) if formats else [n for n in available() if n != "json"]
    load_renderers(names)
    result = load_saved_report(report_path, document)
    prepare_output_dir(target)
    if "json" in names and (target / "report.json").resolve() == report_path.resolve():
        names = [n for n in names if n != "json"]
        click.echo(f"report: {report_path} (the input; left as it is)")
    for path in write_reports(result, target, names):
        click.echo(f"report: {path}")
    return EXIT_OK


def _rerender_drill(report_path: Path, document: Mapping[str, Any], formats: Sequence[str],
                    target: Path) -> int:
    from preflight_scanner.reports import drill_html, drill_markdown, parse_formats

    from .drill.document import render_json, validation_errors

    names = parse_formats(formats) if formats else ["html", "md"]
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
    if "json" in names and (target / "drill.json").resolve() == report_path.resolve():
        names = [n for n in names if n != "json"]
    renderers = {"html": drill_html.render, "md": drill_markdown.render, "json": render_json}
    prepare_output_dir(target)
    paths = publish(target, {DRILL_FORMATS[n]: renderers[n](document) for n in names})
    for path in paths:
        click.echo(f"report: {path}")
    return EXIT_OK

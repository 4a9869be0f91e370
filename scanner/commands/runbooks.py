"""`preflight runbooks ...`: commands over a set of runbooks. `lint` is static (no AWS access);
`check` reads the estate, read-only, and says whether each step would work today."""

from __future__ import annotations

import json

import click

from ..exitcodes import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK
from .options import split, verbosity_option


@click.group()
def runbooks() -> None:
    """Check runbooks (Markdown) that operators follow during incidents."""


@runbooks.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one object with every problem, for tools.")
def lint(paths: tuple[str, ...], output_format: str) -> int:
    """Check the AWS CLI commands in runbooks against the AWS API models, offline.

    PATHS are Markdown files (.md, or .txt holding Markdown) or directories of them. Exit 0:
    no problems; 1: problems found (each as file:line:column); 2: bad input.
    """
    from ..runbooklint import lint_files

    reports = lint_files(paths)
    problems = [p for r in reports for p in r.problems]
    commands = sum(r.commands for r in reports)
    if output_format == "json":
        click.echo(json.dumps({
            "files": len(reports), "commands": commands,
            "problems": [{"path": p.path, "line": p.line, "column": p.column,
                          "message": p.message, "hint": p.hint} for p in problems],
        }, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        files = len({p.path for p in problems})
        summary = (f"{len(problems)} problem(s) in {files} of {len(reports)} file(s)"
                   if problems else f"no problems in {len(reports)} file(s)")
        click.echo(f"{summary}; {commands} AWS CLI command(s) checked", err=True)
    return EXIT_FAILURES if problems else EXIT_OK


CHECK_FORMATS = ("json", "html", "md")  # runbookcheck.files.FORMATS, without the import


@runbooks.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml: the accounts, roles, regions and environments `scan` uses.")
@click.option("--regions", multiple=True, help="Regions to check, comma-separated (repeatable).")
@click.option("--out", "out_dir", default="preflight-runbooks", show_default=True,
              type=click.Path(file_okay=False), help="Directory for runbooks.json and the "
              "--format ones.")
@click.option("--format", "formats", multiple=True, metavar="FORMAT[,FORMAT...]",
              help="Reports to write besides runbooks.json, comma-separated (repeatable): "
                   "html, md.")
@click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False),
              help="Waivers file; a waiver with policies: runbook-step and resources: a step id "
                   "(runbook#section/step-N, globs allowed) accepts that step.")
@click.option("--max-waiver-days", type=click.IntRange(1, 3650), default=None,
              help="Reject a waiver that expires more than this many days ahead (default 90).")
@click.option("--fail-on-error/--no-fail-on-error", default=True, show_default=True,
              help="Whether a step that cannot be told exits 3.")
@verbosity_option("Log progress to stderr; -vv also each AWS request (credentials redacted).")
def check(paths: tuple[str, ...], config_path: str | None, regions: tuple[str, ...],
          out_dir: str, formats: tuple[str, ...], waivers_path: str | None,
          max_waiver_days: int | None, fail_on_error: bool, verbosity: int) -> int:
    """Check live, read-only, that each AWS CLI step of these runbooks would work today.

    Each step, in every account and region of the config, is ready, not ready (with the
    reason and the fix) or cannot be told (with why). Exit 0: all ready (or waived); 1: a step
    is not ready; 3: a step cannot be told; 2: bad input.
    """
    from datetime import UTC, datetime
    from pathlib import Path

    from ..config import load_config
    from ..output import prepare_output_dir, publish
    from ..runbookcheck import check_runbooks
    from ..runbookcheck.files import report_files, summary
    from ..runbookcheck.model import Readiness
    from ..runbookcheck.run import prepare, unmatched_settings

    names = [n for n in split(formats) if n != "json"]
    unknown = [n for n in names if n not in CHECK_FORMATS]
    if unknown:
        raise click.BadParameter(f"unknown format {unknown[0]!r}; choose from "
                                 f"{', '.join(CHECK_FORMATS)}", param_hint="'--format'")
    config = load_config(config_path)
    matcher = None
    if waivers_path is not None:
        from ..waivers import load_waivers

        matcher = load_waivers(waivers_path).matcher(datetime.now(UTC).date(), max_waiver_days)
    # Bad runbooks are exit 2 before the output directory or any AWS call.
    for pattern in unmatched_settings(prepare(paths, config), config):
        click.echo(f"note: the config's runbooks: check: entry {pattern!r} matches none of the "
                   "runbooks checked; its bindings and scope apply to nothing", err=True)
    out = prepare_output_dir(Path(out_dir))
    result = check_runbooks(paths, config, regions=split(regions), waivers=matcher)
    publish(out, report_files(result, names))
    counts = result.counts()
    for runbook in result.runbooks:
        for step in runbook.steps:
            for outcome in step.outcomes:
                if outcome.status in (Readiness.NOT_READY, Readiness.UNKNOWN):
                    place = outcome.place
                    reasons = [*outcome.reasons, *(r for t in outcome.targets for r in t.reasons)]
                    first = next((r.message for r in reasons if r.status is outcome.status),
                                 reasons[0].message if reasons else "")
                    click.echo(f"{runbook.path}:{step.line}: {step.id} "
                               f"[{place.account_name} {place.region}] "
                               f"{outcome.status.label}: {first}")
    click.echo(f"{summary(result)}; reports in {out}", err=True)
    if counts[Readiness.NOT_READY]:
        return EXIT_FAILURES
    if counts[Readiness.UNKNOWN] and fail_on_error:
        return EXIT_INCOMPLETE
    return EXIT_OK


@runbooks.command(name="schema")
def schema_command() -> int:
    """Print the JSON Schema of runbooks.json."""
    from preflight_scanner.reports.runbooks_json import schema

    click.echo(json.dumps(schema(), indent=2))
    return EXIT_OK

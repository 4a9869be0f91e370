"""`preflight runbooks ...`: commands over a set of runbooks. `lint` is static (no AWS access);
the live `check` comes later (issue 16)."""

from __future__ import annotations

import json

import click

from ..exitcodes import EXIT_FAILURES, EXIT_OK


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

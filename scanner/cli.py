"""Command line: parse, call the library, print, map the result to an exit code.

Exit codes: 0 nothing failed at or above --fail-on; 1 failures at or above it;
2 invalid input (usage, config, policy); 3 no such failures but the scan was incomplete.
Heavy imports (boto3, jinja2) happen inside the commands that need them, so
`preflight --help` and `preflight validate` start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from reports import FORMATS

from . import __version__
from .errors import InputError, PreflightError
from .models import ScanResult, Severity, Status

EXIT_OK, EXIT_FAILURES, EXIT_INVALID, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SEVERITIES = [s.value for s in Severity]
FORMAT_NAMES = tuple(FORMATS)


def exit_code(result: ScanResult, fail_on: Severity) -> int:
    failed = any(f.status is Status.FAIL and f.severity.at_least(fail_on) for f in result.findings)
    if failed:
        return EXIT_FAILURES
    return EXIT_INCOMPLETE if result.incomplete else EXIT_OK


def _split(values: Sequence[str]) -> list[str]:
    """--regions a,b --regions c -> [a, b, c]"""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="preflight")
def cli() -> None:
    """Preflight: check that the preconditions your AWS runbooks rely on are in place."""


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml: accounts, regions, environments, parameters.")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("--regions", multiple=True, help="Regions to scan, comma-separated (repeatable).")
@click.option("--out", "out_dir", default="preflight-report", show_default=True,
              type=click.Path(file_okay=False), help="Directory for report.json.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a failure at or above this severity exists.")
@click.option("--max-workers", type=click.IntRange(1, 256), default=None,
              help="Concurrent API calls (default: config max_workers or 16).")
@click.option("--format", "formats", multiple=True, metavar="FORMAT[,FORMAT...]",
              help="Report formats to write besides report.json, comma-separated "
                   f"(repeatable): {', '.join(FORMAT_NAMES)}.")
def scan(config_path: str | None, policy_paths: tuple[str, ...], regions: tuple[str, ...],
         out_dir: str, fail_on: str, max_workers: int | None, formats: tuple[str, ...]) -> int:
    """Scan the configured accounts and regions; write DIR/report.json (and --format ones)."""
    from .runner import scan_and_report

    names = _formats(formats, always=["json"])
    return scan_and_report(config_path, policy_paths, _split(regions), Path(out_dir),
                           Severity(fail_on), max_workers, names)


def _formats(values: Sequence[str], always: Sequence[str] = ()) -> list[str]:
    """Parse --format values and load their renderers now: a bad name is a usage error
    before any work is done."""
    from reports import FormatError, load_renderers, parse_formats

    try:
        names = parse_formats(values, always=always)
        load_renderers(names)
    except FormatError as exc:
        raise click.BadParameter(str(exc), param_hint="'--format'") from None
    return names


@cli.command()
@click.argument("report_path", metavar="REPORT_JSON", type=click.Path(dir_okay=False))
@click.option("--format", "formats", multiple=True, metavar="FORMAT[,FORMAT...]",
              help=f"Formats to write, comma-separated (repeatable): {', '.join(FORMAT_NAMES)}. "
                   "Default: every available format but json.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Directory for the outputs. Default: the directory of REPORT_JSON.")
def report(report_path: str, formats: tuple[str, ...], out_dir: str | None) -> int:
    """Re-render a saved report.json (html, sarif, junit, md...) without calling AWS."""
    from .runner import rerender

    names = _formats(formats) if formats else []
    return rerender(Path(report_path), names, Path(out_dir) if out_dir else None)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Check runbook references against the config's runbooks.")
def validate(paths: tuple[str, ...], config_path: str | None) -> int:
    """Validate policy files (and directories of them); list every problem."""
    from .config import load_config
    from .policy import load_policies

    policies = load_policies(list(paths), runbooks=load_config(config_path).runbooks())
    click.echo(f"{len(policies)} policies valid")
    return EXIT_OK


@cli.command()
@click.argument("policy_id")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use the config's runbooks and policy overrides.")
def explain(policy_id: str, policy_paths: tuple[str, ...], config_path: str | None) -> int:
    """Explain a policy: what it checks, why, its parameters, mappings and fix."""
    from .config import load_config
    from .explain import explain as render
    from .policy import load_policies
    from .scan import configure_policies

    config = load_config(config_path)
    runbooks = config.runbooks()
    loaded = configure_policies(load_policies(list(policy_paths) or None, runbooks), config)
    policy = next((p for p in loaded if p.id == policy_id), None)
    if policy is None:
        raise click.BadParameter(f"no loaded policy has id {policy_id!r} "
                                 "(see `preflight policies`)", param_hint="POLICY_ID")
    click.echo(render(policy, runbooks), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("ref")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use the config's runbooks instead of the built-in ones.")
def runbook(ref: str, config_path: str | None) -> int:
    """Print a runbook section: REF is runbook#section, e.g. disaster-recovery#fail-over-dns."""
    from .config import load_config
    from .explain import runbook_section

    runbooks = load_config(config_path).runbooks()
    text = runbook_section(ref, runbooks)
    if text is None:
        raise click.BadParameter(f"no runbook section {ref!r}; "
                                 f"{runbooks.suggest(ref)}", param_hint="REF")
    click.echo(text, nl=False)
    return EXIT_OK


@cli.command(name="policies")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
def list_policies(policy_paths: tuple[str, ...]) -> int:
    """List the loaded policies."""
    from tabulate import tabulate

    from .policy import load_policies

    rows = [[p.id, p.severity.value, ", ".join(p.resources), _scope_text(p.scope.to_dict()),
             p.runbook] for p in load_policies(list(policy_paths))]
    click.echo(tabulate(rows, headers=["id", "severity", "resource", "scope", "runbook"]))
    return EXIT_OK


def _scope_text(scope: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in scope.items()) or "everywhere"


@cli.command()
def resources() -> int:
    """List resource types, the attributes policies can use, and the calls they cost."""
    from .resources import REGISTRY

    for rtype in REGISTRY.values():
        click.echo(f"{rtype.name}: {rtype.description}")
        where = "once per account" if rtype.per_account else "once per account-region"
        calls = ", ".join(rtype.list_calls) or "no API call"
        click.echo(f"  listing ({calls}; {where}):")
        for attr in (*rtype.common, *rtype.listed):
            click.echo(f"    {attr.name:24} {attr.description}")
        for detail in rtype.details:
            cost = "per resource" if detail.per_resource else "once per account-region"
            click.echo(f"  {detail.name} ({', '.join(detail.calls)}; {cost}, "
                       "only when a policy reads it):")
            for attr in detail.attributes:
                click.echo(f"    {attr.name:24} {attr.description}")
        click.echo("")
    return EXIT_OK


@cli.command()
@click.argument("which", type=click.Choice(["policy", "config", "report"]), default="policy")
def schema(which: str) -> int:
    """Print a JSON Schema: policy (default), config or report."""
    if which == "policy":
        from .policy import policy_schema

        document = policy_schema()
    elif which == "config":
        from .config import config_schema

        document = config_schema()
    else:
        from reports.json_report import schema as report_schema

        document = report_schema()
    click.echo(json.dumps(document, indent=2))
    return EXIT_OK


@cli.command()
@click.option("--out", "out_dir", default="preflight-demo", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the demo report.")
def demo(out_dir: str) -> int:
    """Scan a built-in fake estate (moto, in-process): the whole pipeline, no AWS account."""
    from .demo import run_demo

    return run_demo(Path(out_dir))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="preflight", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("preflight: interrupted; no report was written", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_INVALID
    except InputError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        return exc.exit_code
    except PreflightError as exc:
        click.echo(f"preflight: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("preflight: interrupted; no report was written", err=True)
        return EXIT_INTERRUPTED
    if isinstance(result, int):  # click returns the command's value; --help returns None
        return result
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

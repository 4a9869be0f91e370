"""Commands that produce reports: scan, report (re-render), demo."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from preflight_scanner.reports import FORMATS

from ..formats import Format
from ..models import Severity

if TYPE_CHECKING:
    from ..selection import Selection
from .options import (
    SEVERITIES,
    F,
    aws_options,
    format_option,
    make_view,
    stack,
    use_aws_options,
    view_options,
)

FORMAT_NAMES = tuple(FORMATS)


def selection_options(command: F) -> F:
    """--check, --exclude-check, --severity, --category, --framework."""
    return stack(command, (
        click.option("--check", "checks", multiple=True, metavar="POLICY_ID",
                     help="Evaluate only this policy (repeatable)."),
        click.option("--exclude-check", "excluded", multiple=True, metavar="POLICY_ID",
                     help="Do not evaluate this policy (repeatable)."),
        click.option("--severity", "min_severity", type=click.Choice(SEVERITIES), default=None,
                     help="Evaluate only the policies at or above this severity."),
        click.option("--category", "categories", multiple=True, metavar="NAME",
                     help="Evaluate only the policies of this category (repeatable), e.g. "
                          "disaster-recovery."),
        click.option("--framework", "frameworks", multiple=True, metavar="NAME",
                     help="Evaluate only the policies mapped to this framework (repeatable), "
                          "e.g. aws-fsbp."),
    ))


def make_selection(checks: Sequence[str], excluded: Sequence[str], min_severity: str | None,
                   categories: Sequence[str], frameworks: Sequence[str]) -> Selection:
    from ..selection import Selection

    return Selection(tuple(checks), tuple(excluded),
                     Severity(min_severity) if min_severity else None,
                     tuple(categories), tuple(frameworks))


def gate_options(command: F) -> F:
    """--baseline, --fail-on-new, --fail-on-error/--no-fail-on-error (scan and merge)."""
    return stack(command, (
        click.option("--baseline", type=click.Path(dir_okay=False), default=None,
                     help="An earlier report.json: mark failures new or unchanged, list the "
                          "fixed ones."),
        click.option("--fail-on-new", is_flag=True, default=False,
                     help="Exit 1 only for failures the baseline did not have."),
        click.option("--fail-on-error/--no-fail-on-error", default=True, show_default=True,
                     help="Whether an incomplete scan (something unreadable) exits 3."),
    ))


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml: accounts, regions, environments, parameters.")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@aws_options
@click.option("-o", "--out", "out_dir", default="preflight-report", show_default=True, metavar="DIR|S3_URI",
              type=click.Path(file_okay=False),
              help="Directory for report.json and the --format ones, or an S3 prefix "
                   "(s3://bucket/run-42/shard-3) for shards on machines without a shared disk.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a failure at or above this severity exists.")
@click.option("--max-workers", type=click.IntRange(1, 256), default=None,
              help="Concurrent API calls (default: config max_workers or 16).")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="Worker processes that collect (default: config processes; else one per "
                   "core once there are 10 accounts per process).")
@format_option("Report formats to write besides report.json, comma-separated "
               f"(repeatable): {', '.join(FORMAT_NAMES)}.", always_json=True)
@gate_options
@click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False),
              help="Waivers file: accepted risks with a reason, an owner and an expiry date.")
@click.option("--max-waiver-days", type=click.IntRange(1, 3650), default=None,
              help="Reject a waiver that expires more than this many days after the scan "
                   "(default 90; the waivers file's max_days may only lower it).")
@click.option("--shard", "shard_spec", default=None, metavar="K/N",
              help="Scan only shard K of N of the accounts (stable hashing on the account id); "
                   "auto/N takes K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or "
                   "AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job). Merge the shards' "
                   "reports with `preflight merge`.")
@click.option("--history", "history_db", type=click.Path(dir_okay=False), default=None,
              help="Record this scan in a history store (SQLite); default: the config's "
                   "history: key.")
@selection_options
@view_options
def scan(config_path: str | None, policy_paths: tuple[str, ...], regions: tuple[str, ...],
         out_dir: str, fail_on: str, max_workers: int | None, formats: tuple[Format, ...],
         baseline: str | None, fail_on_new: bool, fail_on_error: bool,
         waivers_path: str | None, max_waiver_days: int | None, shard_spec: str | None,
         history_db: str | None, processes: int | None, profile: str | None,
         allow_unknown_regions: bool, checks: tuple[str, ...], excluded: tuple[str, ...],
         min_severity: str | None, categories: tuple[str, ...], frameworks: tuple[str, ...],
         quiet: bool, verbosity: int, no_color: bool) -> int:
    """Scan the configured accounts and regions; write DIR/report.json (and --format ones)."""
    from ..job import Delivery, Gate
    from ..output import parse_destination
    from ..runner import CiOptions, scan_and_report
    from ..shard import parse_shard

    view = make_view(quiet, verbosity, no_color)
    scan_regions = use_aws_options(profile, regions, allow_unknown_regions)
    try:
        shard = parse_shard(shard_spec) if shard_spec is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--shard'") from None
    delivery = Delivery(parse_destination(out_dir), formats,
                        Gate(Severity(fail_on), fail_on_new, fail_on_error), baseline, view)
    return scan_and_report(config_path, policy_paths, scan_regions, delivery,
                           max_workers=max_workers,
                           ci=CiOptions(waivers_path, max_waiver_days, shard, history_db,
                                        processes, allow_unknown_regions),
                           selection=make_selection(checks, excluded, min_severity, categories,
                                                    frameworks))


@click.command()
@click.argument("report_path", metavar="REPORT_JSON|DRILL_JSON", type=click.Path(dir_okay=False))
@format_option(f"Formats to write, comma-separated (repeatable): {', '.join(FORMAT_NAMES)}. "
               "Default: every available format but json.")
@click.option("-o", "--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Directory for the outputs. Default: the directory of REPORT_JSON.")
def report(report_path: str, formats: tuple[Format, ...], out_dir: str | None) -> int:
    """Re-render a saved report.json (html, sarif, junit, md...), or a drill.json (html, md),
    without calling AWS."""
    from ..rerender import rerender

    return rerender(Path(report_path), formats, Path(out_dir) if out_dir else None)


@click.command()
@click.option("-o", "--out", "out_dir", default="preflight-demo", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the demo report.")
@click.option("--serve", is_flag=True, default=False,
              help="Keep the fake AWS running after the scan, and print the environment to "
                   "export and the commands to try against it; Ctrl-C stops it (exit 0).")
@view_options
def demo(out_dir: str, serve: bool, quiet: bool, verbosity: int, no_color: bool) -> int:
    """Scan a built-in fake estate (moto, in-process): the whole pipeline, no AWS account."""
    from ..demo import run_demo
    from ..output import prepare_output_dir

    view = make_view(quiet, verbosity, no_color)
    return run_demo(prepare_output_dir(Path(out_dir)), view, serve=serve)

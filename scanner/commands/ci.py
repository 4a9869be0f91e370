"""Commands for CI pipelines: merge (the shards of one scan into one report)."""

from __future__ import annotations

from pathlib import Path

import click

from ..formats import Format
from ..models import ScanResult, Severity
from .options import SEVERITIES, format_option, make_view, view_options
from .scanning import FORMAT_NAMES, gate_options


@click.command()
@click.argument("reports", nargs=-1, required=True, metavar="REPORT_JSON|S3_PREFIX...",
                type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              metavar="DIR|S3_URI",
              help="Directory (or s3://bucket/prefix) for the merged report.json and the "
                   "--format ones.")
@format_option("Formats to write besides report.json, comma-separated (repeatable): "
               f"{', '.join(FORMAT_NAMES)}.", always_json=True)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a failure at or above this severity exists.")
@gate_options
@view_options
def merge(reports: tuple[str, ...], out_dir: str, formats: tuple[Format, ...], fail_on: str,
          baseline: str | None, fail_on_new: bool, fail_on_error: bool, quiet: bool,
          verbosity: int, no_color: bool) -> int:
    """Merge shard results (scan --shard K/N) into one report; exit with the gate's code.

    An S3 prefix (s3://bucket/run-42/) stands for every report.json under it. Results of
    different Preflight versions, policy sets or waivers files, a shard given twice or a
    shard missing are rejected (exit 2)."""
    from ..job import Delivery, Gate, deliver
    from ..merge import merge_results
    from ..output import parse_destination
    from ..s3dest import is_s3, parse_s3
    from ..saved import load_results, load_s3_results

    view = make_view(quiet, verbosity, no_color)
    inputs: list[tuple[Path | str, ScanResult]] = []
    for source in reports:
        if is_s3(source):
            inputs.extend(load_s3_results(parse_s3(source)))
        else:
            inputs.extend(load_results([Path(source)]))
    delivery = Delivery(parse_destination(out_dir), formats,
                        Gate(Severity(fail_on), fail_on_new, fail_on_error), baseline, view)
    return deliver(lambda: merge_results(inputs), delivery)

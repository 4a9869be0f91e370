"""The `preflight scan` job: load inputs, scan, write the report, print the summary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .config import load_config
from .models import ScanResult, Severity
from .output import write_atomic


def _progress(done: int, submitted: int) -> None:
    click.echo(f"\rcollecting: {done}/{submitted} tasks", nl=False, err=True)


def configure_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("preflight: %(levelname)s %(message)s"))
    root = logging.getLogger("preflight")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.ERROR)
    root.propagate = False


def write_report(result: ScanResult, out_dir: Path) -> Path:
    from reports import json_report

    path = out_dir / "report.json"
    write_atomic(path, json_report.render(result))
    return path


def scan_and_report(config_path: str | None, policy_paths: Sequence[str], regions: Sequence[str],
                    out_dir: Path, fail_on: Severity, max_workers: int | None) -> int:
    import dataclasses

    from reports import terminal

    from .cli import exit_code
    from .policy import load_policies
    from .scan import run_scan

    configure_logging()
    config = load_config(config_path)
    if max_workers:
        config = dataclasses.replace(config, max_workers=max_workers)
    policies = load_policies(list(policy_paths) or None, runbooks=config.runbooks())
    interactive = sys.stderr.isatty()
    result = run_scan(config, policies, regions=regions,
                      progress=_progress if interactive else None)
    if interactive:
        click.echo("", err=True)
    path = write_report(result, out_dir)
    click.echo(terminal.render(result), nl=False)
    click.echo(f"report: {path}")
    return exit_code(result, fail_on)

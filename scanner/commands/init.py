"""`preflight init`: starter files for scanning your own accounts."""

from __future__ import annotations

from pathlib import Path

import click

from .options import aws_options, use_aws_options


@click.command()
@click.option("--dir", "directory", default=".", show_default=True,
              type=click.Path(file_okay=False),
              help="Where to write preflight.yml, preflight-role.yml and "
                   ".github/workflows/preflight.yml.")
@click.option("--force", is_flag=True, default=False,
              help="Overwrite files that exist and differ (default: keep them).")
@click.option("--role-name", default="PreflightReadOnly", show_default=True,
              help="Name of the read-only role created in each account.")
@aws_options
def init(directory: str, force: bool, role_name: str, profile: str | None,
         regions: tuple[str, ...], allow_unknown_regions: bool) -> int:
    """Write a starter preflight.yml (accounts from AWS Organizations when allowed,
    environments guessed and marked for review), the read-only role as CloudFormation (with
    StackSet instructions) and a GitHub workflow. Asks nothing; only reads from AWS."""
    from ..init import InitOptions, run_init

    chosen = use_aws_options(profile, regions, allow_unknown_regions)
    return run_init(InitOptions(Path(directory), force, role_name, tuple(chosen)))

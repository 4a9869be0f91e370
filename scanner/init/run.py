"""`preflight init`: discover, render the starter files, write those that are new.

Idempotent: a file that already says the same is left alone ("unchanged"); one that says
something else is kept ("kept") unless --force. Nothing is asked, nothing is written to AWS.
"""

from __future__ import annotations

import enum
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from .. import __version__
from .discover import Discovery, discover
from .files import (
    CONFIG,
    ROLE_NAME,
    ROLE_TEMPLATE,
    WORKFLOW,
    config_text,
    role_template,
    stack_set_instructions,
    workflow_text,
)


class Outcome(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    KEPT = "kept (it exists and differs; --force overwrites it)"
    OVERWRITTEN = "overwritten (--force)"


@dataclass(frozen=True)
class InitOptions:
    directory: Path
    force: bool = False
    role_name: str = ROLE_NAME
    regions: tuple[str, ...] = ()  # default: the credentials' default region


def action_reference() -> str:
    """This release of the GitHub action (the repository is the SARIF driver's address)."""
    from preflight_scanner.reports.sarif import INFORMATION_URI

    return f"{INFORMATION_URI.removeprefix('https://github.com/')}@v{__version__}"


def run_init(options: InitOptions) -> int:
    from ..awsconfig import checked_session
    from ..exitcodes import EXIT_OK
    from ..policy import load_policies

    found = discover(checked_session())
    regions = options.regions or (found.region,)
    files = {
        CONFIG: config_text(found, options.role_name, regions),
        ROLE_TEMPLATE: role_template(found, load_policies(None), options.role_name),
        WORKFLOW: workflow_text(found, action_reference()),
    }
    _check_config(files[CONFIG])
    _describe(found)
    for name, text in files.items():
        outcome = write(options.directory / name, text, options.force)
        click.echo(f"{options.directory / name}: {outcome.value}")
    click.echo("")
    for line in ["Next:", f"- review the lines marked `# review` in {CONFIG}",
                 f"- create the read-only role in every account ({ROLE_TEMPLATE}):",
                 *(f"    {line}" for line in stack_set_instructions(found)),
                 f"- scan: preflight scan --config {CONFIG}"]:
        click.echo(line)
    return EXIT_OK


def _describe(found: Discovery) -> None:
    if found.organization:
        click.echo(f"found {len(found.accounts)} account(s) through AWS Organizations; "
                   f"environments guessed from their names", err=True)
    else:
        click.echo(f"Organizations ListAccounts was not allowed ({found.why_not}): "
                   f"only account {found.caller}", err=True)


def write(path: Path, text: str, force: bool) -> Outcome:
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return Outcome.UNCHANGED
        if not force:
            return Outcome.KEPT
        path.write_text(text, encoding="utf-8")
        return Outcome.OVERWRITTEN
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Outcome.WRITTEN


def _check_config(text: str) -> None:
    """The starter config must load: a bug here must not leave a user a broken file."""
    from ..config import load_config

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / CONFIG
        path.write_text(text, encoding="utf-8")
        load_config(path)

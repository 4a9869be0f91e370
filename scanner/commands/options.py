"""Option values and option groups shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..models import Severity

if TYPE_CHECKING:
    from preflight_scanner.reports.terminal import View

SEVERITIES = [s.value for s in Severity]
F = TypeVar("F", bound=Callable[..., Any])


def split(values: Sequence[str]) -> list[str]:
    """--regions a,b --regions c -> [a, b, c]"""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _stack(command: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def view_options(command: F) -> F:
    """-q/--quiet, -v/--verbose (repeatable), --no-color."""
    return _stack(command, (
        click.option("-q", "--quiet", is_flag=True, default=False,
                     help="Show only the policies that failed or could not be checked."),
        click.option("-v", "--verbose", "verbosity", count=True,
                     help="List every failing resource and log progress to stderr; -vv also "
                          "logs each AWS request (credentials redacted)."),
        click.option("--no-color", "no_color", is_flag=True, default=False,
                     help="No colour (also: the NO_COLOR environment variable; there is none "
                          "when the output is not a terminal)."),
    ))


def make_view(quiet: bool, verbosity: int, no_color: bool) -> View:
    """The terminal view these options ask for; logging is configured here, once per run."""
    from preflight_scanner.reports.terminal import View

    from ..colour import wants_colour
    from ..runner import configure_logging

    configure_logging(verbosity)
    return View(quiet=quiet, verbose=verbosity > 0, colour=wants_colour(sys.stdout, no_color))


def aws_options(command: F) -> F:
    """--profile, --regions/--region, --allow-unknown-regions."""
    return _stack(command, (
        click.option("--profile", default=None, metavar="NAME",
                     help="AWS profile to use (as AWS_PROFILE; default: the standard chain)."),
        click.option("--regions", "--region", "regions", multiple=True, metavar="R[,R...]",
                     help="Regions to scan, comma-separated (repeatable); checked against "
                          "the regions botocore knows."),
        click.option("--allow-unknown-regions", is_flag=True, default=False,
                     help="Accept a region this installation's botocore does not list yet "
                          "(a region newer than it)."),
    ))


def use_aws_options(profile: str | None, regions: Sequence[str], allow_unknown: bool
                    ) -> list[str]:
    """Apply --profile; return the --regions, each checked (a typo is exit 2 with the
    closest known region, before any call)."""
    from ..awsconfig import use_profile
    from ..regions import UnknownRegionError, checked

    if profile is not None:
        use_profile(profile)
    names = split(regions)
    try:
        return list(checked(names, allow_unknown))
    except UnknownRegionError as exc:
        raise click.BadParameter(str(exc).removeprefix("--regions: "),
                                 param_hint="'--regions'") from None

"""Option values and option groups shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..models import Severity

if TYPE_CHECKING:
    from preflight_scanner.reports.terminal import View

    from ..formats import Format

SEVERITIES = [s.value for s in Severity]
F = TypeVar("F", bound=Callable[..., Any])


def split(values: Sequence[str]) -> list[str]:
    """--regions a,b --regions c -> [a, b, c]"""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def stack(command: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def _configure_logging(ctx: click.Context, param: click.Parameter, verbosity: int) -> int:
    """-v's callback: the one place a command configures logging (click calls it whether
    or not -v is given, so each command, run after another, starts from its own level)."""
    from .. import logs

    logs.configure_logging(verbosity)
    return verbosity


def verbosity_option(help: str) -> Callable[[F], F]:
    """-v/--verbose (repeatable): the command's log level, configured as it is parsed."""
    return click.option("-v", "--verbose", "verbosity", count=True, callback=_configure_logging,
                        help=help)


def view_options(command: F) -> F:
    """-q/--quiet, -v/--verbose (repeatable), --no-color."""
    return stack(command, (
        click.option("-q", "--quiet", is_flag=True, default=False,
                     help="Show only the policies that failed or could not be checked."),
        verbosity_option("List every failing resource and log progress to stderr; -vv also "
                         "logs each AWS request (credentials redacted)."),
        click.option("--no-color", "no_color", is_flag=True, default=False,
                     help="No colour (also: the NO_COLOR environment variable; there is none "
                          "when the output is not a terminal)."),
    ))


def make_view(quiet: bool, verbosity: int, no_color: bool) -> View:
    """The terminal view these options ask for."""
    from preflight_scanner.reports.terminal import View

    from ..colour import wants_colour

    return View(quiet=quiet, verbose=verbosity > 0, colour=wants_colour(sys.stdout, no_color))


def format_option(help: str, *, always_json: bool = False) -> Callable[[F], F]:
    """--format FORMAT[,FORMAT...] (repeatable), parsed once into a tuple of ``Format``:
    the command receives checked values (json first when ``always_json``)."""

    def parse(ctx: click.Context, param: click.Parameter, values: Sequence[str]
              ) -> tuple[Format, ...]:
        return parse_format_option(values, always_json=always_json)

    return click.option("--format", "formats", multiple=True, metavar="FORMAT[,FORMAT...]",
                        callback=parse, help=help)


def parse_format_option(values: Sequence[str], *, always_json: bool = False
                        ) -> tuple[Format, ...]:
    """--format's values as formats, each renderer loaded now: an unknown or uninstalled
    format is a usage error (with the closest name) before any work is done."""
    from preflight_scanner.reports import FormatError

    from ..formats import Format, parse

    try:
        return parse(values, always=(Format.JSON,) if always_json else ())
    except FormatError as exc:
        raise click.BadParameter(str(exc) + _format_suggestions(values),
                                 param_hint="'--format'") from None


def _format_suggestions(values: Sequence[str]) -> str:
    from preflight_scanner.reports import FORMATS

    from ..suggest import closest

    names = [part.strip().lower() for value in values for part in value.split(",")]
    hints = [f"{match} for {name!r}" for name in names
             if name and name not in FORMATS and (match := closest(name, FORMATS))]
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def aws_options(command: F) -> F:
    """--profile, --regions/--region, --allow-unknown-regions."""
    return stack(command, (
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

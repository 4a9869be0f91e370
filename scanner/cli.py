"""Command line: parse, call the library, print, map the result to an exit code.

The commands live in scanner/commands/; this module is the group and the one place that
turns errors into messages and exit codes (see scanner/exitcodes.py). Heavy imports
(boto3, jinja2) happen inside the commands that need them, so `preflight --help` and
`preflight validate` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from . import __version__
from .commands import COMMANDS
from .errors import InputError, PreflightError
from .exitcodes import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="preflight")
def cli() -> None:
    """Preflight: check that the preconditions your AWS runbooks rely on are in place."""


for _command in COMMANDS:
    cli.add_command(_command)


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

"""Command line: parse, call the library, print, map the result to an exit code.

The commands live in scanner/commands/; this module is the group and the one place that
turns errors into messages and exit codes (see scanner/exitcodes.py). Heavy imports
(boto3, jinja2) happen inside the commands that need them, so `preflight --help` and
`preflight validate` start fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import FrameType

import click

from . import __version__
from .commands import COMMANDS
from .commands.policytest import test as policy_test
from .errors import InputError, PreflightError, PreflightSignal
from .exitcodes import EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK
from .output import PUBLICATIONS
from .redact import redact


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="preflight")
def cli() -> None:
    """Preflight: check that the preconditions your AWS runbooks rely on are in place."""


for _command in COMMANDS:
    cli.add_command(_command)
cli.add_command(policy_test)


# After SIGINT or SIGTERM the scan unwinds and the process exits 130; a set of reports
# being published is completed first (output.publish). Calls already in flight are reads: a
# program run waits at most this long for them before exiting anyway; a second signal
# exits at once.
INTERRUPT_GRACE_SECONDS = 2.0


class _Interrupts:
    """SIGINT and SIGTERM both become KeyboardInterrupt in the main thread."""

    def __init__(self, exit_process: bool):
        self.exit_process = exit_process
        self.signal_name: str | None = None
        self._reported = False
        self._lock = threading.Lock()
        # Files this run publishes are PUBLICATIONS.published[this index:].
        self._first_publication = len(PUBLICATIONS.published)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if PUBLICATIONS.publishing:  # a set of reports is being moved into place: finish it
            PUBLICATIONS.defer(lambda: self.handle(signum, frame))
            return
        name = signal.Signals(signum).name
        if self.signal_name is not None:  # a second signal: stop now
            self.exit_now()
        self.signal_name = name
        if self.exit_process:
            timer = threading.Timer(INTERRUPT_GRACE_SECONDS, self.exit_now)
            timer.daemon = True
            timer.start()
        raise KeyboardInterrupt(name)

    def report(self) -> None:
        with self._lock:
            if self._reported:
                return
            self._reported = True
        by = f" by {self.signal_name}" if self.signal_name else ""
        written = PUBLICATIONS.published[self._first_publication:]
        if written:
            names = ", ".join(str(path) for path in written)
            click.echo(f"preflight: interrupted{by} after writing {names}; those files are "
                       "complete, nothing after them ran", err=True)
        else:
            click.echo(f"preflight: interrupted{by}; the run did not finish and no report "
                       "was written", err=True)

    def exit_now(self) -> None:
        self.report()
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):  # a closed pipe must not keep the process alive
                stream.flush()
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def _interrupt_handling(exit_process: bool) -> Iterator[_Interrupts]:
    interrupts = _Interrupts(exit_process)
    if threading.current_thread() is not threading.main_thread():
        yield interrupts  # signal handlers can only be installed from the main thread
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, interrupts.handle)
    try:
        yield interrupts
    finally:
        # A program run that was interrupted keeps the handler: a second signal during
        # interpreter shutdown (joining workers) still exits at once, without a traceback.
        if not (interrupts.exit_process and interrupts.signal_name):
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return its exit code.

    ``argv=None`` means a program run (console script, ``python -m preflight_scanner``): after an
    interrupt the process then exits within INTERRUPT_GRACE_SECONDS even if a worker is
    still waiting on a call. With explicit ``argv`` (tests, embedding) it only returns 130.
    """
    with _interrupt_handling(exit_process=argv is None) as interrupts:
        try:
            return _run(argv)
        except (click.exceptions.Abort, KeyboardInterrupt):
            interrupts.report()
            return EXIT_INTERRUPTED


def _run(argv: Sequence[str] | None) -> int:
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="preflight", standalone_mode=False)
    except click.exceptions.Abort:  # an interrupt, as click reports it: handled by main()
        raise
    except click.ClickException as exc:
        exc.show()
        return EXIT_INVALID
    except InputError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        return exc.exit_code
    except PreflightSignal:
        return _internal_error()
    except PreflightError as exc:
        click.echo(redact(f"preflight: {exc}"), err=True)
        return exc.exit_code
    except Exception:
        return _internal_error()
    if isinstance(result, int):  # click returns the command's value; --help returns None
        return result
    return EXIT_OK


def _internal_error() -> int:
    """A bug: say so, keep the traceback, never look like "failures found"."""
    click.echo("preflight: internal error (a bug in Preflight; please report it with "
                   "the traceback below)", err=True)
    click.echo(redact(traceback.format_exc()), err=True)
    return EXIT_INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())

"""The `preflight scan` job: load inputs, scan, write the report, print the summary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from preflight_scanner.reports.text import inert

from .config import load_config
from .models import ScanResult, Severity, Status
from .output import Content, prepare_destination, publish, publish_to
from .redact import redact
from .shard import Shard
from .waivers import unknown_policy_names

if TYPE_CHECKING:
    from preflight_scanner.reports.terminal import View

    from .collect import CollectProgress
    from .config import Config
    from .policy.model import Policy
    from .s3dest import S3Location
    from .selection import Selection
    from .waivers import WaiverFile


def _progress(state: CollectProgress) -> None:
    """One line on stderr, rewritten in place: accounts done (each in every region) and
    the calls made so far, the unit a scan's cost and duration grow with."""
    regions = f"{state.regions} region{'s' if state.regions != 1 else ''}"
    click.echo(f"\rcollecting: {state.accounts_done}/{state.accounts} accounts done "
               f"({regions} each), {state.calls} API calls \x1b[K", nl=False, err=True)


# -vv: also each request botocore sends (operation, endpoint, parameters), through the same
# redacting formatter. Not botocore.parsers: it logs response bodies, and an AssumeRole
# answer's credentials are registered for redaction only after it is parsed.
REQUEST_LOGGER = "botocore.endpoint"
LOG_LEVELS = {0: logging.ERROR, 1: logging.INFO}


def configure_logging(verbosity: int = 0) -> None:
    """Logging to stderr, once per run, by the command: -v INFO, -vv DEBUG and requests."""
    from preflight_scanner.reports.text import InertFormatter

    class SafeFormatter(InertFormatter):
        """Log messages quote AWS's answers: no escape sequence, no credential gets out."""

        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("preflight: %(levelname)s %(name)s: %(message)s"
                                       if verbosity > 1 else
                                       "preflight: %(levelname)s %(message)s"))
    root = logging.getLogger("preflight")
    root.handlers[:] = [handler]
    root.setLevel(LOG_LEVELS.get(int(verbosity), logging.DEBUG))
    root.propagate = False
    requests = logging.getLogger(REQUEST_LOGGER)
    verbose_requests = verbosity > 1
    # Reset as well as set: an embedding program (or a test) runs several commands.
    requests.handlers[:] = [handler] if verbose_requests else []
    requests.setLevel(logging.DEBUG if verbose_requests else logging.NOTSET)
    requests.propagate = not verbose_requests


def render_reports(result: ScanResult, formats: Sequence[str]) -> dict[str, Content]:
    """Every format, as file name -> content rendered (streamed) when it is published."""
    from preflight_scanner.reports import FORMATS, load_renderers

    return {FORMATS[name].filename: FORMATS[name].content(result)
            for name in load_renderers(formats)}


def write_reports(result: ScanResult, out_dir: Path, formats: Sequence[str] = ("json",)
                  ) -> list[Path]:
    """Render every format, then publish them to DIR/<file name> together (all or none)."""
    return publish(out_dir, render_reports(result, formats))


@dataclass(frozen=True)
class Gate:
    """What decides the exit code: --fail-on, --fail-on-new, --fail-on-error."""

    fail_on: Severity = Severity.LOW
    fail_on_new: bool = False
    fail_on_error: bool = True


@dataclass(frozen=True)
class CiOptions:
    """The CI-facing options of `scan`: waivers, baseline, shard."""

    waivers: str | None = None
    max_waiver_days: int | None = None
    baseline: str | None = None
    shard: Shard | None = None
    history: str | None = None  # record the scan in this SQLite store (default: config's)
    processes: int | None = None  # worker processes (default: config's, else automatic)
    allow_unknown_regions: bool = False  # the config's regions unchecked (--allow-unknown-regions)


def scan_and_report(config_path: str | None, policy_paths: Sequence[str], regions: Sequence[str],
                    out_dir: Path | S3Location, fail_on: Severity, max_workers: int | None,
                    formats: Sequence[str] = ("json",), *, gate: Gate | None = None,
                    ci: CiOptions | None = None, view: View | None = None,
                    selection: Selection | None = None) -> int:
    import dataclasses

    from preflight_scanner.reports import load_renderers, parse_formats

    from .scan import run_scan

    gate = dataclasses.replace(gate or Gate(), fail_on=fail_on)
    ci = ci or CiOptions()
    formats = parse_formats(formats, always=["json"])  # json first, always
    load_renderers(formats)  # a missing renderer fails here, before any AWS call
    config = load_config(config_path)
    if not ci.allow_unknown_regions and not regions:
        check_config_regions(config)
    if max_workers:
        config = dataclasses.replace(config, max_workers=max_workers)
    if ci.processes:
        config = dataclasses.replace(config, processes=ci.processes)
    waivers = _load_waivers(ci.waivers)
    config, policies = prepare_policies(config, policy_paths, selection)
    baseline = _load_baseline(ci.baseline)  # both checked before any AWS call
    prepare_destination(out_dir)  # and so is the directory (or bucket) the results go to
    history_db = ci.history or config.history
    if history_db:  # and the history store: a scan must not be lost to a bad --history
        from .history import HistoryStore

        HistoryStore(history_db).close()
    interactive = sys.stderr.isatty()
    result = run_scan(config, policies, regions=regions,
                      progress=_progress if interactive else None, waivers=waivers,
                      max_waiver_days=ci.max_waiver_days, shard=ci.shard)
    if interactive:
        click.echo("", err=True)
    if history_db:
        from .history import record

        record(result, history_db)
    return finish(result, out_dir, formats, gate, baseline, view)


def prepare_policies(config: Config, policy_paths: Sequence[str],
                     selection: Selection | None = None) -> tuple[Config, list[Policy]]:
    """Load the policies, apply the config's overrides to the loaded ones (a note for each
    policy left out; an id no policy has is an error) and apply the selection."""
    from .policy import load_policies
    from .scan import configure_policies
    from .selection import Selection, known_policy_ids, select

    loaded = load_policies(list(policy_paths) or None, runbooks=config.runbooks())
    ids = {p.id for p in loaded}
    named = {*config.policies, *(pid for per in config.parameters.values() for pid in per)}
    known = ids if named <= ids else known_policy_ids(loaded)
    config, notes = config.restricted_to(ids, known)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    selected = select(configure_policies(loaded, config), selection or Selection())
    # The scan applies the overrides again, to what it is given: only the selected ones'.
    config, _ = config.restricted_to({p.id for p in selected}, known)
    return config, selected


def check_config_regions(config: Config) -> None:
    """The config's regions, checked like --regions: a typo is exit 2 at its line."""
    from .errors import InputError
    from .regions import ESCAPE_OPTION, unknown_region_problems

    problems = [config.problem(("regions", index), message,
                               f"fix the name, or pass {ESCAPE_OPTION} for a region newer "
                               "than this installation's botocore")
                for index, region in enumerate(config.regions)
                for message in unknown_region_problems([region])]
    if problems:
        raise InputError(problems)


def _load_waivers(path: str | None) -> WaiverFile | None:
    if path is None:
        return None
    from .waivers import load_waivers

    return load_waivers(path)


def _load_baseline(path: str | None) -> tuple[str, ScanResult] | None:
    if path is None:
        return None
    return path, load_saved_report(Path(path))


def finish(result: ScanResult, out_dir: Path | S3Location, formats: Sequence[str], gate: Gate,
           baseline: tuple[str, ScanResult] | None, view: View | None = None) -> int:
    """Compare with the baseline, write every format, print the summary, apply the gate."""
    from preflight_scanner.reports import terminal

    from .baseline import compare
    from .exitcodes import exit_code

    if baseline is not None:
        result = compare(result, baseline[1], baseline[0])
    elif gate.fail_on_new:
        click.echo("preflight: --fail-on-new without --baseline: every failure counts as new",
                   err=True)
    paths = publish_to(out_dir, render_reports(result, formats))
    click.echo(terminal.render(result, view or terminal.View()), nl=False)
    for line in ci_summary(result):
        click.echo(inert(line))
    for path in paths:
        click.echo(f"report: {path}")
    return exit_code(result, gate.fail_on, fail_on_new=gate.fail_on_new,
                     fail_on_error=gate.fail_on_error)


def ci_summary(result: ScanResult) -> list[str]:
    """Lines about waivers and the baseline, printed after the terminal summary."""
    lines = []
    waived = result.count(Status.WAIVED)
    if waived or result.waivers is not None:
        lines.append(f"{waived} waived finding(s)")
    if result.waivers is not None:
        for w in result.waivers.in_state("expired"):
            lines.append(f"waiver {w.id} expired on {w.expires} ({w.owner}): {w.matched} "
                         f"finding(s) count again; renew or remove it ({w.source})")
        unused = result.waivers.in_state("unused")
        known = _known_ids(result) if unused else set()
        for w in unused:
            unknown = unknown_policy_names(w.policies, known)
            if unknown:
                lines.append(f"waiver {w.id} names {', '.join(unknown)}, which no policy has: "
                             f"correct or remove it ({w.source})")
            else:
                lines.append(f"waiver {w.id} matched nothing: remove it ({w.source})")
    if result.baseline is not None:
        b = result.baseline
        lines.append(f"against the baseline from {b.started_at}: {b.new} new, {b.unchanged} "
                     f"unchanged, {len(b.fixed)} fixed")
    return lines


def _known_ids(result: ScanResult) -> set[str]:
    """The ids a waiver may name: the scan's policies and the built-in pack's."""
    from .policy import load_policies

    return {p.id for p in result.policies} | {p.id for p in load_policies(None)}


MAX_PROBLEMS = 20


def load_saved_report(path: Path, document: object = None) -> ScanResult:
    """A report.json read back into a ScanResult: checked against the report schema first,
    and every problem raised as an InputError naming the file (never a traceback).
    ``document``: the file's JSON when the caller has parsed it already."""
    from jsonschema import Draft202012Validator
    from preflight_scanner.reports.json_report import READABLE_VERSIONS, from_document, schema

    from .errors import InputError, Problem

    hint = "pass a report.json written by `preflight scan` (`preflight schema report` prints its schema)"

    def fail(message: str, line: int | None = None, column: int | None = None,
             with_hint: bool = True) -> InputError:
        return InputError([Problem(str(path), line, column, message, hint if with_hint else "")])

    if document is None:
        document = read_saved_json(path, hint)
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version is not None and version not in READABLE_VERSIONS:
        raise fail(f"schema_version {version!r} is not one this Preflight reads "
                   f"({', '.join(map(repr, READABLE_VERSIONS))}); re-render it with the "
                   "Preflight that wrote it", with_hint=False)
    errors = sorted(Draft202012Validator(schema()).iter_errors(document),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = [Problem(str(path), None, None,
                            f"{_pointer(e.absolute_path)}: {_clip(e.message)}")
                    for e in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            problems.append(Problem(str(path), None, None,
                                    f"... and {len(errors) - MAX_PROBLEMS} more schema violations"))
        problems[-1] = Problem(problems[-1].path, None, None,
                               problems[-1].message + " (not a Preflight report.json?)", hint)
        raise InputError(problems)
    try:
        return from_document(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise fail(f"cannot rebuild the scan result: {exc!r}") from None


def read_saved_json(path: Path, hint: str) -> object:
    """A saved report's JSON (bounded: size, depth, numbers); InputError naming the file."""
    from .errors import InputError, Problem
    from .yamlfile import parse_json

    def fail(message: str, line: int | None = None, column: int | None = None,
             with_hint: bool = True) -> InputError:
        return InputError([Problem(str(path), line, column, message, hint if with_hint else "")])

    return parse_json(str(path), _read_report_text(path, fail))


# A report of a very large estate is tens of MB; past this, reading it is the problem.
MAX_REPORT_BYTES = 256 << 20


def _read_report_text(path: Path, fail: Callable[..., Exception]) -> str:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise fail(f"is larger than {MAX_REPORT_BYTES >> 20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("no such file", with_hint=False) from None
    except IsADirectoryError:
        raise fail("is a directory, not a report.json") from None
    except OSError as exc:  # a name too long (ENAMETOOLONG), a permission, a device
        raise fail(f"cannot read it: {exc.strerror or exc}", with_hint=False) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _pointer(path: Iterable[object]) -> str:
    parts = [str(p) for p in path]
    return "/" + "/".join(parts) if parts else "(the document)"


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."

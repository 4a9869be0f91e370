"""The one path a result takes in `scan`, `iac` and `merge`: produced, compared with the
baseline, published in every format, summarised on the terminal, turned into an exit code.

The baseline and the destination are checked before the result is produced, so a typo in
either is exit 2 before any AWS call or template read, not after a long scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from preflight_scanner.reports import terminal
from preflight_scanner.reports.text import inert

from .baseline import compare
from .exitcodes import exit_code
from .formats import Format, render_reports
from .models import ScanResult, Severity, Status
from .output import prepare_destination, publish_to
from .saved import load_saved_report
from .waivers import WaiverState, unknown_policy_names

if TYPE_CHECKING:
    from .s3dest import S3Location


@dataclass(frozen=True)
class Gate:
    """What decides the exit code: --fail-on, --fail-on-new, --fail-on-error."""

    fail_on: Severity = Severity.LOW
    fail_on_new: bool = False
    fail_on_error: bool = True


@dataclass(frozen=True)
class Delivery:
    """Where a result goes, in which formats, compared with what, and how it is gated."""

    destination: Path | S3Location
    formats: tuple[Format, ...] = (Format.JSON,)
    gate: Gate = Gate()
    baseline: str | None = None  # an earlier report.json (--baseline)
    view: terminal.View = field(default_factory=terminal.View)


def deliver(produce: Callable[[], ScanResult], delivery: Delivery) -> int:
    """Check the baseline and the destination, produce the result, then ``finish`` it."""
    baseline = None
    if delivery.baseline is not None:
        baseline = load_saved_report(Path(delivery.baseline))
    prepare_destination(delivery.destination)
    return finish(produce(), delivery, baseline)


def finish(result: ScanResult, delivery: Delivery, baseline: ScanResult | None = None) -> int:
    """Compare with the baseline, write every format, print the summary, apply the gate."""
    gate = delivery.gate
    if baseline is not None and delivery.baseline is not None:
        result = compare(result, baseline, delivery.baseline)
    elif gate.fail_on_new:
        click.echo("preflight: --fail-on-new without --baseline: every failure counts as new",
                   err=True)
    paths = publish_to(delivery.destination, render_reports(result, delivery.formats))
    click.echo(terminal.render(result, delivery.view), nl=False)
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
        for w in result.waivers.in_state(WaiverState.EXPIRED):
            lines.append(f"waiver {w.id} expired on {w.expires} ({w.owner}): {w.matched} "
                         f"finding(s) count again; renew or remove it ({w.source})")
        unused = result.waivers.in_state(WaiverState.UNUSED)
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

"""The `preflight scan` job: check every input, scan, record the history, deliver the result."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from .config import load_config
from .inputs import check_config_regions, load_optional_waivers, prepare_policies
from .job import Delivery, deliver
from .models import ScanResult
from .shard import Shard

if TYPE_CHECKING:
    from .collect import CollectProgress
    from .selection import Selection


@dataclass(frozen=True)
class CiOptions:
    """The CI-facing options of `scan`: waivers, shard, history, processes."""

    waivers: str | None = None
    max_waiver_days: int | None = None
    shard: Shard | None = None
    history: str | None = None  # record the scan in this SQLite store (default: config's)
    processes: int | None = None  # worker processes (default: config's, else automatic)
    allow_unknown_regions: bool = False  # the config's regions unchecked (--allow-unknown-regions)


def scan_and_report(config_path: str | None, policy_paths: Sequence[str], regions: Sequence[str],
                    delivery: Delivery, *, max_workers: int | None = None,
                    ci: CiOptions = CiOptions(), selection: Selection | None = None) -> int:
    """Every input is checked (config, regions, waivers, policies, then the baseline, the
    destination and the history store) before the first AWS call."""
    from .scan import run_scan

    config = load_config(config_path)
    if not ci.allow_unknown_regions and not regions:
        check_config_regions(config)
    if max_workers:
        config = dataclasses.replace(config, max_workers=max_workers)
    if ci.processes:
        config = dataclasses.replace(config, processes=ci.processes)
    waivers = load_optional_waivers(ci.waivers)
    config, policies = prepare_policies(config, policy_paths, selection)
    history_db = ci.history or config.history

    def scan() -> ScanResult:
        if history_db:  # a scan must not be lost to a bad --history
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
        return result

    return deliver(scan, delivery)


def _progress(state: CollectProgress) -> None:
    """One line on stderr, rewritten in place: accounts done (each in every region) and
    the calls made so far, the unit a scan's cost and duration grow with."""
    regions = f"{state.regions} region{'s' if state.regions != 1 else ''}"
    click.echo(f"\rcollecting: {state.accounts_done}/{state.accounts} accounts done "
               f"({regions} each), {state.calls} API calls \x1b[K", nl=False, err=True)

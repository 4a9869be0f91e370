"""Collection over several processes: every core busy on a large organisation.

At organisation scale the scanner's own CPU (building clients, signing, parsing answers) is
the wall, not AWS, and one Python process uses one core. Each worker process collects a
share of the accounts with its own threads and sessions, and sends back what evaluation
needs: resources, gaps, errors and its call counts. Evaluation stays in the parent, so the
result is the one a single process would produce.

Worker processes are started with "spawn" (no inherited threads or locks) and ignore
SIGINT/SIGTERM: the parent alone decides, and on an interrupt terminates them at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .collect import Collector, CollectProgress, Inventory, Progress, make_plan
from .models import Account

# Below this many accounts per process, starting a process (about 0.7 s of imports) costs
# more than it saves: `auto` uses fewer processes, down to one.
ACCOUNTS_PER_PROCESS = 10


@dataclass(frozen=True)
class Share:
    """One worker's part of a scan: everything it needs, all of it picklable."""

    accounts: tuple[Account, ...]
    regions: tuple[str, ...]
    needs: dict[str, frozenset[str]]
    max_workers: int
    now: datetime


@dataclass(frozen=True)
class Collected:
    inventory: Inventory
    calls: Counter[str]


def process_count(requested: int | None, accounts: int) -> int:
    """``requested`` processes (never more than accounts), or one per core when it pays."""
    if requested is not None:
        return max(1, min(requested, accounts))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, accounts // ACCOUNTS_PER_PROCESS))


def split(accounts: Sequence[Account], parts: int) -> list[tuple[Account, ...]]:
    """Round-robin, so each share gets large and small accounts alike."""
    return [tuple(accounts[k::parts]) for k in range(parts) if accounts[k::parts]]


def collect_in_processes(accounts: Sequence[Account], regions: Sequence[str],
                         needs: dict[str, set[str]], *, processes: int, max_workers: int,
                         now: datetime, progress: Progress | None = None) -> Collected:
    """Collect with ``processes`` workers; one merged Inventory in a stable order."""
    frozen_needs = {name: frozenset(attrs) for name, attrs in needs.items()}
    threads = max(1, max_workers // processes)
    shares = [Share(part, tuple(regions), frozen_needs, threads, now)
              for part in split(accounts, processes)]
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(len(shares), initializer=_ignore_interrupts)
    try:
        pending = [pool.apply_async(collect_share, (share,)) for share in shares]
        results: list[Collected] = []
        for job in pending:
            results.append(job.get())
            if progress:  # a share at a time: its accounts are done together
                progress(CollectProgress(sum(len(s.accounts) for s in shares[:len(results)]),
                                         len(accounts), len(regions),
                                         sum(r.calls.total() for r in results)))
        pool.close()
    except BaseException:
        pool.terminate()  # an interrupt (or a worker's crash): stop every process now
        raise
    finally:
        pool.join()
    return _merge(results)


def collect_share(share: Share) -> Collected:
    """In a worker process: collect the share's accounts with threads of its own."""
    from .aws import Sessions

    sessions = Sessions(max_workers=share.max_workers)
    plan = make_plan({name: set(attrs) for name, attrs in share.needs.items()})
    inventory = Collector(sessions, share.accounts, share.regions, plan,
                          max_workers=share.max_workers, now=share.now).run()
    return Collected(inventory, Counter(sessions.call_log.counts))


def _merge(parts: Sequence[Collected]) -> Collected:
    inventory = Inventory()
    calls: Counter[str] = Counter()
    for part in parts:
        inventory.resources.extend(part.inventory.resources)
        inventory.gaps.extend(part.inventory.gaps)
        inventory.errors.extend(part.inventory.errors)
        calls.update(part.calls)
    inventory.resources.sort(key=lambda r: (r.type, r.account.id, r.region, r.id))
    inventory.gaps.sort(key=lambda g: (g.account.id, g.region, g.resource_type))
    return Collected(inventory, calls)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's terminate() must work

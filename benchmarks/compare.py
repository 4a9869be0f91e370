"""Preflight against the yardstick over interleaved runs: medians, spread, and where the wall goes.

Each run's wall time is split at the proxy's first request and last answer:

- start-up: process start to the first request (imports, config, policies, credentials);
- collection: first request to last answer (the calls, and what the scanner does between them);
- tail: last answer to exit (evaluation, reports, interpreter shutdown).

The ratio the targets are about is Preflight's median wall over the yardstick's median wall,
both from the same interleaved runs; the pairwise ratios (run i against run i) show the spread
that the machine's load adds.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any, Protocol


class Timed(Protocol):
    wall: float
    head: float
    tail: float
    cpu: float


PHASES: dict[str, Callable[[Timed], float]] = {
    "wall": lambda r: r.wall,
    "start-up": lambda r: r.head,
    "collection": lambda r: r.wall - r.head - r.tail,
    "tail": lambda r: r.tail,
    "CPU": lambda r: r.cpu,
}


def summary(runs: Sequence[Timed]) -> dict[str, dict[str, float]]:
    """Median, min and max of every phase over the runs."""
    return {name: {"median": round(statistics.median(map(of, runs)), 2),
                   "min": round(min(map(of, runs)), 2), "max": round(max(map(of, runs)), 2)}
            for name, of in PHASES.items()}


def compare(preflight: Sequence[Timed], yardstick: Sequence[Timed],
            out: Callable[[str], Any] = print) -> dict[str, Any]:
    ours, theirs = summary(preflight), summary(yardstick)
    out(f"\nmedians over {len(preflight)} interleaved runs each (min-max):")
    out(f"  {'':10} " + " ".join(f"{name:>18}" for name in PHASES))
    for label, figures in (("preflight", ours), ("yardstick", theirs)):
        out(f"  {label:10} " + " ".join(
            f"{f['median']:6.2f} ({f['min']:.2f}-{f['max']:.2f})".rjust(18)
            for f in figures.values()))
    ratio = ours["wall"]["median"] / theirs["wall"]["median"]
    pairwise = [round(p.wall / y.wall, 2) for p, y in zip(preflight, yardstick, strict=True)]
    cpu = ours["CPU"]["median"] / theirs["CPU"]["median"]
    out(f"preflight / yardstick, medians: wall {ratio:.2f} (pairwise {pairwise}), CPU {cpu:.2f}")
    return {"preflight": ours, "yardstick": theirs, "wall_ratio": round(ratio, 3),
            "pairwise": pairwise, "cpu_ratio": round(cpu, 3)}

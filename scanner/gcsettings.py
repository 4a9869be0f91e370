"""The garbage collector's settings for a program run (console script, ``python -m``).

Why: a scan builds a large heap that lives until the end (botocore's service models and
clients, the policies, the inventory, then the findings) out of millions of short-lived
allocations (every answer is parsed into fresh dicts). CPython's default thresholds,
``(700, 10, 10)``, run a young collection every 700 net allocations of containers, so the
survivors are walked again and again and promoted into the oldest generation, which a full
collection walks whole. On the benchmark's medium estate that was about 700 collections and
0.8 to 1.3 s of the scan's 6 to 8 s of CPU, measured with ``gc.callbacks`` and per-thread
CPU time (benchmarks/RESULTS.md, "Start-up and tail").

A larger young generation (100,000) leaves 4 collections and 0.25 s there. Cyclic garbage
still goes: at worst about 100,000 container objects wait for the next collection (a few
MB), which the memory benchmarks measure with these settings. Reference counting frees
everything else at once, as before. Only the older thresholds' defaults are kept, so full
collections stay amortised over the heap's growth.

Not applied when Preflight is used as a library (tests, embedding): the host program owns
its collector.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000


def tune_for_run() -> None:
    """Collect the youngest generation every YOUNG_THRESHOLD allocations, not every 700."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)

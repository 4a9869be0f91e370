"""The garbage collector's settings for a program run (console script, ``python -m``).

Why: a scan builds a large heap that lives until the end (botocore's service models and
clients, the policies, the inventory, then the findings) out of millions of short-lived
allocations (every answer is parsed into fresh dicts). CPython's default thresholds,
``(700, 10, 10)``, run a young collection every 700 net allocations of containers, so the
survivors are walked again and again and promoted into the oldest generation, which a full
collection walks whole. On the benchmark's medium estate that was about 700 collections and
0.8 to 1.3 s of the scan's 6 to 8 s of CPU, measured with ``gc.callbacks`` and per-thread
CPU time (benchmarks/RESULTS.md, "Start-up and tail").

A young generation of 20,000 leaves 22 collections and 0.35 to 0.39 s there. Cyclic garbage
still goes: at worst about 20,000 container objects wait for the next collection. Its cost
in memory is measured by benchmarks/formats_memory.py, which runs with these settings: the
HTML report of 105,000 findings peaked at 299 MB against 297 MB with the defaults (100,000
saved another 0.1 s of CPU here but peaked at 305 MB, over the 300 MB target). Reference
counting frees everything else at once, as before. Only the older thresholds' defaults are kept, so full
collections stay amortised over the heap's growth.

At the end of a run, everything still alive is frozen (``gc.freeze``) before the
interpreter exits. Finalisation otherwise collects the whole heap, cycle by cycle, to
free memory the exiting process gives back anyway: 0.7 to 0.85 s of CPU after a medium
scan (its reports long written and closed), 0.05 s once frozen. The demo's ``--serve``
does the same for the same reason. ``atexit`` handlers (logging's flush among them) still
run, and objects outside cycles are still released as modules are torn down.

Not applied when Preflight is used as a library (tests, embedding): the host program owns
its collector.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_for_run() -> None:
    """Collect the youngest generation every YOUNG_THRESHOLD allocations, not every 700."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def skip_final_collection() -> None:
    """Leave the heap to the operating system: freeze it so finalisation does not walk it."""
    gc.freeze()

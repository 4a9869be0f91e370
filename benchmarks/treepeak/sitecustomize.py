"""Records every Python process's own peak RSS at exit, for benchmarks/run.py.

run.py puts this directory first on PYTHONPATH and names a directory in
PREFLIGHT_BENCH_PEAKS; every Python process of the measured command's tree (the scanner and
the worker processes it spawns, which inherit the environment) then writes its VmHWM (kB)
into a file named by its pid when it exits. The benchmark sums them: an upper bound of the
tree's peak (the processes' peaks need not coincide), never an underestimate. wait4's
ru_maxrss cannot serve: it is the largest single process of the tree, not their sum, and a
child starts from the high-water mark of the (large) benchmark process that forked it.
"""

from __future__ import annotations

import atexit
import os


def _record(directory: str) -> None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        with open(os.path.join(directory, str(os.getpid())), "w", encoding="ascii") as out:
            out.write(f"{peak} {os.getppid()}\n")
    except (OSError, StopIteration):
        pass  # a benchmark aid: never break the measured program


_DIRECTORY = os.environ.get("PREFLIGHT_BENCH_PEAKS")
if _DIRECTORY:
    atexit.register(_record, _DIRECTORY)

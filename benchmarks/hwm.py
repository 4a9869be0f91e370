"""Run a Python module or script and record its own peak RSS (VmHWM) at exit.

    python benchmarks/hwm.py OUT_FILE -m preflight_scanner scan ...
    python benchmarks/hwm.py OUT_FILE path/to/script.py ...

A child's ru_maxrss (wait4) is not its own peak on Linux: exec keeps the high-water mark
of the image it replaced, i.e. of the (large) parent that spawned it. VmHWM of the new
process is its own, so the benchmark reads that.
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _record(path: str) -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(path, "w", encoding="ascii") as out:
                    out.write(line.split()[1])  # kB
                return


def main() -> None:
    out, *rest = sys.argv[1:]
    atexit.register(_record, out)
    if rest[0] == "-m":
        sys.argv = [rest[1], *rest[2:]]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    main()

"""Memory of writing each report format, against the result held in memory (the yardstick),
on the same 100,000 synthetic resources as benchmarks/memory.py.

    python benchmarks/formats_memory.py --resources 100000 [--formats html,json] [--collector default]

Each format renders in a fresh process (so no format inherits another's freed arenas) that
builds the same result, then resets its peak RSS (/proc/self/clear_refs, 5) and publishes the
file as `scan` does (streamed where the format can). The figures: VmHWM after writing minus
VmRSS before (what writing added), and the peak against the result held in memory, in the same
process. Not a test: timings and RSS vary with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORMATS = ("json", "csv", "ocsf", "ocsf-jsonl", "asff", "sarif", "junit", "html")


def _status(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def measure(fmt: str, n: int, collector: str = "program") -> dict[str, float]:
    """In this process: build the result, reset the peak, render one format."""
    import gc

    if collector == "program":  # the collector as `preflight scan` runs (scanner/gcsettings.py)
        from preflight_scanner.gcsettings import tune_for_run

        tune_for_run()

    from preflight_scanner import __version__
    from preflight_scanner.config import load_config
    from preflight_scanner.evaluate import TAGS, EvaluationContext, evaluate
    from preflight_scanner.models import ScanResult
    from preflight_scanner.output import publish
    from preflight_scanner.policy import load_policies
    from preflight_scanner.reports import FORMATS as REGISTRY
    from preflight_scanner.scan import _excerpts, _summary, plan_attributes

    from benchmarks.memory import REGIONS, SIX, resources

    config = load_config(None)
    policies = [p for p in load_policies([str(ROOT / "policies")]) if p.id in SIX]
    accounts, found = resources(n)
    needs = plan_attributes(policies, config)
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            "2026-01-05T09:00:00+00:00")
    findings = evaluate(policies, found, [], ctx, {t: TAGS in a for t, a in needs.items()}).findings
    del found
    result = ScanResult(
        tool_version=__version__, started_at="2026-01-05T09:00:00+00:00",
        finished_at="2026-01-05T09:14:31+00:00", accounts=tuple(accounts), regions=REGIONS,
        policies=tuple(_summary(p) for p in policies), findings=tuple(findings), errors=(),
        api_calls=1, runbooks=_excerpts(policies, config.runbooks()))
    del findings
    content = REGISTRY[fmt].content(result)
    out = Path(tempfile.mkdtemp(prefix="preflight-formats-"))
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = _status("VmRSS")
    started = time.perf_counter()
    [path] = publish(out, {REGISTRY[fmt].filename: content})  # as `scan` writes it: streamed
    took = time.perf_counter() - started
    size = path.stat().st_size
    shutil.rmtree(out)
    return {"findings": len(result.findings), "before_mb": before,
            "render_peak_mb": _status("VmHWM") - before, "seconds": took,
            "output_mb": size / 1e6, "process_peak_mb": _status("VmHWM")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="comma-separated subset of: " + ", ".join(FORMATS))
    parser.add_argument("--collector", choices=("program", "default"), default="program",
                        help="the garbage collector's thresholds as a program run sets them "
                             "(scanner/gcsettings.py, default) or CPython's defaults")
    parser.add_argument("--one", choices=FORMATS, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.resources, args.collector)))
        return 0
    rows = {}
    for fmt in args.formats.split(","):
        child = subprocess.run([sys.executable, __file__, "--resources", str(args.resources),
                                "--collector", args.collector, "--one", fmt],
                               capture_output=True, text=True, check=True)
        rows[fmt] = json.loads(child.stdout.strip().splitlines()[-1])
    # The yardstick is the result itself in memory (what the scan holds before writing): a
    # streamed format adds next to nothing to it, a buffered one adds its whole text.
    print(f"{next(iter(rows.values()))['findings']:,} findings; peak RSS while the format is written, "
          "against the result held in memory before it")
    print("| format | output | write time | added by writing | process peak | peak / result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for fmt, row in rows.items():
        print(f"| {fmt} | {row['output_mb']:.1f} MB | {row['seconds']:.1f} s | "
              f"{row['render_peak_mb']:.0f} MB | {row['process_peak_mb']:.0f} MB | "
              f"{row['process_peak_mb'] / row['before_mb']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

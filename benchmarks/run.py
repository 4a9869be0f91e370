"""Scan benchmark: API calls made vs needed, wall time under injected latency, peak memory.

    python benchmarks/run.py --size medium --latency-ms 20
    python benchmarks/run.py --size large --latency-ms 20 --policies pack
    python benchmarks/run.py --size medium --latency-ms 20 --c7n /opt/c7n   # with Cloud Custodian
    python benchmarks/run.py --memory 100000                             # evaluation + reports
    python benchmarks/run.py --size accounts --latency-ms 20          # 200 accounts x 2 regions
    python benchmarks/run.py --size one-type --policies one           # 1,000 accounts, tables
    python benchmarks/run.py --size one-type --accounts 200 --policies one

What it does: starts moto in a child process (``python -m moto.server``), seeds an
organisation with the estate of ``--size`` (benchmarks/estate.py) through assumed roles,
puts its own counting proxy (benchmarks/proxy.py) between the scanner and moto, runs the
scanner once to warm the proxy's read cache, then runs it again with ``--latency-ms``
added to every call and reports:

- calls made, by operation, against the minimum the loaded policies need on this estate
  (benchmarks/minimum.py), and their ratio;
- wall time against the bound ``calls x latency / workers + start-up`` (start-up: from
  process start to its first request, plus from its last answer to its exit);
- client CPU seconds: user + system time of the scanner and every process it spawned
  (wait4's usage of the subprocess, which includes the descendants it reaped);
- peak RSS of the scanner's process tree: the sum of every process's own VmHWM
  (benchmarks/treepeak/sitecustomize.py), and the main process's alone;
- that the verdicts are the ones the estate was built to give;
- the same for the yardstick (benchmarks/yardstick.py: a plain single-process boto3 scanner
  making exactly the minimum calls), interleaved with Preflight's runs in the same run,
  and Preflight's figures as ratios of the yardstick's.

The scanner runs as a subprocess (``python -m preflight_scanner scan``), exactly as a user runs it.
Nothing here is a unit test; tests/test_performance_*.py asserts the call counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import estate as bench_estate  # noqa: E402
from benchmarks.compare import compare  # noqa: E402
from benchmarks.minimum import minimum_calls, place_counts  # noqa: E402
from benchmarks.proxy import CountingProxy  # noqa: E402

TREEPEAK = ROOT / "benchmarks" / "treepeak"

SIX = ("dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "s3-versioning-enabled",
       "cognito-mfa-on-in-prod", "apigateway-stage-throttling", "lambda-timeout-bounds")
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


# --- moto in a child process -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2).read()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- one scanner run ---------------------------------------------------------------------


@dataclass
class Run:
    name: str
    wall: float
    calls: Counter[str]
    rss_mb: float
    head: float  # process start -> first request
    tail: float  # last answer -> process exit
    exit_code: int
    cache_hits: int = 0
    cpu: float = 0.0  # user + system seconds, the process and its reaped descendants
    rss_main_mb: float = 0.0  # the main process's own peak
    processes: int = 1  # Python processes in the tree that recorded a peak
    extra: dict = field(default_factory=dict)


def run_process(name: str, argv: list[str], env: dict[str, str], proxy: CountingProxy,
                cwd: Path | None = None) -> Run:
    """Run ``argv`` (a Python command: ``[python, ...]``) and measure it.

    Peak memory is the sum of the tree's processes' own VmHWM, each recorded at its exit
    (benchmarks/treepeak); CPU is wait4's user + system time, which includes the workers
    the scanner reaped."""
    proxy.reset_counts()
    peaks = Path(tempfile.mkdtemp(prefix="peaks-"))
    env = dict(env, PREFLIGHT_BENCH_PEAKS=str(peaks), PYTHONPATH=os.pathsep.join(
        p for p in (str(TREEPEAK), env.get("PYTHONPATH", "")) if p))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    output = b""
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(65536), b""):
        output += chunk
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    head = (proxy.first_request - started) if proxy.first_request else 0.0
    tail = (ended - proxy.last_response) if proxy.last_response else 0.0
    recorded = {int(f.name): int(f.read_text().split()[0]) / 1024 for f in peaks.iterdir()}
    shutil.rmtree(peaks, ignore_errors=True)
    run = Run(name, ended - started, Counter(proxy.counts),
              sum(recorded.values()) if recorded else float("nan"), head, tail,
              proc.returncode, proxy.hits, cpu=usage.ru_utime + usage.ru_stime,
              rss_main_mb=recorded.get(proc.pid, float("nan")), processes=len(recorded))
    run.extra["output"] = output.decode("utf-8", "replace")
    return run


def scanner_env(endpoint: str, pycache: Path) -> dict[str, str]:
    """The measured programs' environment. Bytecode is cached (in ``pycache``, outside the
    source tree) even where the caller's shell sets PYTHONDONTWRITEBYTECODE: an installed
    wheel has its bytecode compiled at install time, so a measured run must not compile the
    editable checkout's modules each time (about 80 in a scan: 0.2 to 0.3 s of CPU that the
    yardstick, one small file over installed packages, does not pay). The warm-ups write
    it; the prefix holds every package's bytecode, so both programs read theirs from it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(FAKE_ENV)
    env["AWS_ENDPOINT_URL"] = endpoint
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def preflight_argv(config: Path, policy_files: list[Path], out: Path, workers: int,
                   processes: int | None = None) -> list[str]:
    argv = [sys.executable, "-m", "preflight_scanner", "scan", "--config", str(config), "--out", str(out),
            "--max-workers", str(workers)]
    if processes is not None:
        argv += ["--processes", str(processes)]
    for path in policy_files:
        argv += ["--policies", str(path)]
    return argv


def yardstick_argv(config: Path, plan: dict[str, list[str]], workers: int) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "yardstick.py"), "--config", str(config),
            "--plan", json.dumps(plan), "--workers", str(workers)]


# --- the minimum ---------------------------------------------------------------------------


def needed_calls(spec, config_path: Path, policy_files: list[Path]
                 ) -> tuple[Counter[str], dict[str, list[str]]]:
    """The minimum calls, and the plan they come from (type -> details)."""
    from preflight_scanner.collect import make_plan
    from preflight_scanner.config import load_config
    from preflight_scanner.policy import load_policies
    from preflight_scanner.scan import configure_policies, plan_attributes

    config = load_config(config_path)
    policies = configure_policies(load_policies([str(p) for p in policy_files]), config)
    plan = {t: [d.name for d in details]
            for t, details in make_plan(plan_attributes(policies, config)).items()}
    accounts, places = place_counts(spec)
    return minimum_calls(plan, accounts, list(spec.regions), places, organization=True), plan


def verdicts(report_path: Path) -> Counter[str]:
    report = json.loads(report_path.read_text())
    return Counter(f"{f['policy_id']}:{f['status']}" for f in report["findings"])


# --- output --------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except OSError:
        mem_kb = 0
    import boto3
    import moto

    return (f"{os.cpu_count()} CPU ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB, "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"boto3 {boto3.__version__}, moto {moto.__version__}; "
            f"{time.strftime('%Y-%m-%d')}")


def print_calls(made: Counter[str], needed: Counter[str], out) -> None:
    width = max((len(k) for k in made | needed), default=10)
    out(f"  {'operation':{width}}  {'made':>7}  {'needed':>7}")
    for key in sorted(made | needed):
        flag = "" if made[key] == needed[key] else "   <-- differs"
        out(f"  {key:{width}}  {made[key]:7d}  {needed[key]:7d}{flag}")


# --- main ----------------------------------------------------------------------------------


POLICY_SETS = {"six": SIX, "one": ("dynamodb-pitr-enabled",)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(bench_estate.SIZES), default="medium")
    parser.add_argument("--accounts", type=int, help="override the size's number of accounts")
    parser.add_argument("--regions", type=int, help="override the size's number of regions")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--processes", type=int,
                        help="Preflight's --processes (default: Preflight's own default)")
    parser.add_argument("--policies", choices=("six", "one", "pack"), default="six",
                        help="the six founding preconditions (default), one (PITR: one "
                             "resource type) or the whole pack")
    parser.add_argument("--runs", type=int, default=1, help="measured runs after the warm-up")
    parser.add_argument("--no-yardstick", action="store_true",
                        help="do not run the minimum-call boto3 scanner beside Preflight")
    parser.add_argument("--c7n", metavar="VENV", default=os.environ.get("PREFLIGHT_BENCH_C7N"),
                        help="virtual environment with c7n and c7n-org installed: also run "
                             "Cloud Custodian on the same estate through the same proxy")
    parser.add_argument("--no-cache", action="store_true",
                        help="forward every call to moto (measures moto too)")
    parser.add_argument("--memory", type=int, metavar="N",
                        help="instead: N synthetic resources through evaluation and every "
                             "report format, without moto (benchmarks/memory.py)")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)

    if args.memory:
        return subprocess.call([sys.executable, str(ROOT / "benchmarks" / "memory.py"),
                                "--resources", str(args.memory)])

    size = bench_estate.SIZES[args.size]
    size = dataclasses.replace(size, accounts=args.accounts or size.accounts,
                               regions=args.regions or size.regions)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    results_load_start = [round(x, 1) for x in os.getloadavg()]
    print(f"estate: {args.size}: {size.accounts} accounts x {size.regions} regions, "
          f"{size.per_region} resources per account-region, {size.resources:,} resources")
    for key, value in FAKE_ENV.items():
        os.environ[key] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    moto = Moto()
    work = Path(tempfile.mkdtemp(prefix="preflight-bench-"))
    results: dict = {"size": args.size, "accounts": size.accounts, "regions": size.regions,
                     "latency_ms": args.latency_ms, "workers": args.workers,
                     "policies": args.policies, "resources": size.resources}
    proxy = None
    try:
        started = time.perf_counter()
        spec = bench_estate.seed(size, moto.endpoint)
        seeded = time.perf_counter() - started
        print(f"seeded in {seeded:.1f} s")
        results["seed_seconds"] = round(seeded, 1)

        config = work / "preflight.yml"
        import yaml

        cfg = spec.config()
        cfg["max_workers"] = args.workers
        if args.policies == "pack":  # what moto cannot answer is left out, as the demo does
            from preflight_scanner.demo.run import NOT_IN_DEMO

            cfg["policies"] = {policy: {"enabled": False} for policy in NOT_IN_DEMO}
            print("left out (moto cannot answer them): " + ", ".join(sorted(NOT_IN_DEMO)))
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        pack = ROOT / "policies"
        policy_files = ([pack] if args.policies == "pack"
                        else [pack / f"{p}.yml" for p in POLICY_SETS[args.policies]])
        needed, plan = needed_calls(spec, config, policy_files)
        results["needed"] = need = sum(needed.values())

        proxy = CountingProxy(moto.endpoint, cache=not args.no_cache)
        env = scanner_env(proxy.start(), work / "pycache")

        def preflight(out: str) -> list[str]:
            return preflight_argv(config, policy_files, work / out, args.workers, args.processes)

        yardstick = None if args.no_yardstick or args.policies == "pack" else yardstick_argv(
            config, plan, args.workers)
        # Warm-up: fills the cache (and the OS page cache); its numbers are not reported.
        warm = run_process("warm-up", preflight("warm"), env, proxy)
        if warm.exit_code not in (0, 1):
            print(warm.extra["output"])
            raise SystemExit(f"warm-up scan failed with exit code {warm.exit_code}")
        if yardstick:
            warm_y = run_process("yardstick warm-up", yardstick, env, proxy)
            if warm_y.exit_code != 0:
                print(warm_y.extra["output"])
                raise SystemExit(f"yardstick warm-up failed with exit code {warm_y.exit_code}")
        proxy.latency_ms = args.latency_ms
        runs, yard = [], []
        for i in range(args.runs):  # interleaved, so both see the same load
            runs.append(run_process(f"preflight #{i + 1}", preflight(f"run{i}"), env, proxy))
            if yardstick:
                yard.append(run_process(f"yardstick #{i + 1}", yardstick, env, proxy))
        best = min(runs, key=lambda r: r.wall)
        results["preflight"] = report_preflight(best, runs, needed, size, args)
        if args.policies != "pack":
            check_verdicts(spec, work / f"run{runs.index(best)}" / "report.json",
                           POLICY_SETS[args.policies], results["preflight"])
        if yardstick:
            results["yardstick"] = report_yardstick(yard, needed, spec, best)
            results["medians"] = compare(runs, yard)
        if args.c7n:
            from benchmarks import custodian

            proxy.latency_ms = 0.0
            c7n = custodian.compare(Path(args.c7n), spec, proxy, work, args.workers,
                                    args.latency_ms, run_process)
            if c7n is not None:
                results["c7n"] = c7n
                print(f"\nc7n-org: {c7n['calls']} calls ({c7n['calls'] / need:.2f} x needed), "
                      f"{c7n['wall']:.2f} s wall, peak RSS {c7n['rss_mb']} MB; "
                      f"preflight is {c7n['wall'] / best.wall:.1f}x faster with "
                      f"{c7n['calls'] / sum(best.calls.values()):.1f}x fewer calls")
        results["load_average"] = [round(x, 1) for x in os.getloadavg()]
        results["load_average_start"] = results_load_start
        print(f"load average at the start: {results_load_start}, at the end: "
              f"{results['load_average']}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        if proxy is not None:
            proxy.stop()
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report_preflight(best: Run, runs: list[Run], needed: Counter[str], size, args) -> dict:
    made = best.calls
    total, need = sum(made.values()), sum(needed.values())
    print(f"\ncalls by operation (preflight, {args.policies} policies):")
    print_calls(made, needed, print)
    bound_calls = total * args.latency_ms / 1000 / args.workers
    startup = best.head + best.tail
    bound = bound_calls + startup
    print(f"\ncalls made / needed: {total} / {need} = {total / need:.2f}  "
          f"({total / size.resources:.2f} calls per resource)")
    print(f"wall time: {best.wall:.2f} s; bound = {total} x {args.latency_ms:g} ms / "
          f"{args.workers} + start-up {startup:.2f} s (head {best.head:.2f} + tail "
          f"{best.tail:.2f}) = {bound:.2f} s; wall / bound = {best.wall / bound:.2f}")
    print(f"client CPU {best.cpu:.1f} s; peak RSS {best.rss_mb:.0f} MB over {best.processes} "
          f"processes (main {best.rss_main_mb:.0f} MB); proxy cache hits {best.cache_hits}/{total}")
    return {
        "calls": total, "ratio": round(total / need, 3), "wall": round(best.wall, 2),
        "bound": round(bound, 2), "startup": round(startup, 2), "rss_mb": round(best.rss_mb),
        "rss_main_mb": round(best.rss_main_mb), "processes": best.processes,
        "cpu": round(best.cpu, 1), "calls_per_resource": round(total / size.resources, 3),
        "by_operation": dict(sorted(made.items())),
        "all_walls": [round(r.wall, 2) for r in runs], "all_cpu": [round(r.cpu, 1) for r in runs],
    }


def report_yardstick(runs: list[Run], needed: Counter[str], spec, preflight: Run) -> dict:
    best = min(runs, key=lambda r: r.wall)
    total = sum(best.calls.values())
    found = json.loads(best.extra["output"].strip().splitlines()[-1])["found"]
    print(f"\nyardstick (one process, boto3, minimum calls): {total} calls "
          f"({'= needed' if best.calls == needed else 'DIFFERS from needed'}), "
          f"{best.wall:.2f} s wall (runs {', '.join(f'{r.wall:.2f}' for r in runs)}), "
          f"CPU {best.cpu:.1f} s, peak RSS {best.rss_mb:.0f} MB; found {found}")
    if best.calls != needed:
        print_calls(best.calls, needed, print)
    print(f"preflight / yardstick: wall {preflight.wall / best.wall:.2f}, CPU "
          f"{preflight.cpu / best.cpu:.2f}, peak RSS {preflight.rss_mb / best.rss_mb:.2f}")
    return {"calls": total, "calls_equal_needed": best.calls == needed,
            "wall": round(best.wall, 2), "cpu": round(best.cpu, 1), "rss_mb": round(best.rss_mb),
            "all_walls": [round(r.wall, 2) for r in runs], "found": found,
            "ratios": {"wall": round(preflight.wall / best.wall, 2),
                       "cpu": round(preflight.cpu / best.cpu, 2),
                       "rss": round(preflight.rss_mb / best.rss_mb, 2)}}


def check_verdicts(spec, report: Path, policies: tuple[str, ...], out: dict) -> None:
    got = verdicts(report)
    expected = Counter({k: v for k, v in spec.expected().items() if k.split(":")[0] in policies})
    ok = got == expected
    print(f"verdicts as built: {'yes' if ok else 'NO'}")
    if not ok:
        for key in sorted(expected | got):
            if expected[key] != got[key]:
                print(f"  {key}: expected {expected[key]}, got {got[key]}")
    out["verdicts_ok"] = ok


if __name__ == "__main__":
    sys.exit(main())

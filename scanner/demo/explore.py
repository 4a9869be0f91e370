"""`preflight demo --serve`: keep the fake AWS running after the demo scan, and say how to
drive it: the environment to export and the commands worth trying next."""

from __future__ import annotations

import shlex
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import yaml

from .server import FAKE_CREDENTIALS

# A real failing finding of the demo estate, accepted for a while: what --waivers changes.
SAMPLE_WAIVER_DAYS = 30


def write_sample_waivers(out_dir: Path) -> Path:
    """A waivers file accepting one of the estate's failures (staging's orders table)."""
    expires = (datetime.now(UTC) + timedelta(days=SAMPLE_WAIVER_DAYS)).date().isoformat()
    path = out_dir / "waivers.yml"
    path.write_text(yaml.safe_dump({"waivers": [{
        "id": "staging-orders-pitr",
        "policies": ["dynamodb-pitr-enabled"],
        "accounts": ["shop-staging"],
        "resources": ["orders"],
        "reason": "Staging tables are rebuilt from fixtures every night",
        "owner": "platform-team",
        "expires": expires,
    }]}, sort_keys=False), encoding="utf-8")
    return path


def guide(endpoint: str, out_dir: Path, config: Path, waivers: Path) -> list[str]:
    """What --serve prints: the exports, then one command per feature to try."""
    q = shlex.quote
    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}
    base = f"--config {q(str(config))}"
    work = out_dir / "try"
    db = q(str(work / "history.db"))
    scan = f"preflight scan {base}"
    steps = [
        ("scan again, recorded in a history store",
         f"{scan} -o {q(str(work / 'scan'))} --history {db}"),
        ("the disaster-recovery drill readiness report",
         f"preflight drill {base} -o {q(str(work / 'drill'))} --history {db}"),
        ("the recorded scans and drills", f"preflight history --db {db} list"),
        ("only the failures, most severe first", f"{scan} -o {q(str(work / 'quiet'))} -q"),
        ("accept a risk for a while (a sample waivers file)",
         f"{scan} -o {q(str(work / 'waived'))} --waivers {q(str(waivers))}"),
        ("only what changed since the demo's report",
         f"{scan} -o {q(str(work / 'new'))} --baseline {q(str(out_dir / 'report.json'))} "
         "--fail-on-new"),
        ("two shards of the accounts, then one merged report",
         f"{scan} --shard 1/2 -o {q(str(work / 'shard-1'))} ; "
         f"{scan} --shard 2/2 -o {q(str(work / 'shard-2'))} ; "
         f"preflight merge {q(str(work / 'shard-1' / 'report.json'))} "
         f"{q(str(work / 'shard-2' / 'report.json'))} -o {q(str(work / 'merged'))}"),
        ("the commands in the runbooks, checked against the AWS API models",
         "preflight runbooks lint " + q(str(_builtin_runbooks()))),
    ]
    if _has_runbooks_check():
        steps.append(("what the runbooks rely on, checked live", "preflight runbooks check --help"))
    lines = ["", "The fake AWS keeps running. In another terminal:", "",
             "export " + " ".join(f"{k}={q(v)}" for k, v in env.items()), ""]
    for title, command in steps:
        lines += [f"# {title}", command, ""]
    lines.append("Press Ctrl-C here to stop the fake AWS (exit code 0).")
    return lines


def _has_runbooks_check() -> bool:
    """`runbooks check` (the live one) exists in this version: suggest it too."""
    from ..commands.runbooks import runbooks

    return "check" in runbooks.commands


def _builtin_runbooks() -> Path:
    from ..policy.pack import builtin_policy_dir

    return builtin_policy_dir() / "runbooks"


@contextmanager
def _stop_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) is how a served demo ends, not an interruption: it sets ``stop``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve_until_stopped(stop: threading.Event | None = None) -> None:
    """Block until Ctrl-C or SIGTERM (or ``stop`` is set by an embedding program)."""
    stop = stop or threading.Event()
    with _stop_signals(stop):
        while not stop.wait(0.2):  # a short wait: signals are handled between waits
            pass
    click.echo("stopping the fake AWS", err=True)

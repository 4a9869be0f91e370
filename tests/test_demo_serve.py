"""`preflight demo --serve`: the fake AWS stays up for other commands until Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

CLI = [sys.executable, "-m", "preflight_scanner"]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    """The demo's stdout lines up to and including the one containing ``marker``."""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in the demo's output: {lines}")


def test_serve_keeps_the_fake_aws_for_other_commands_and_ctrl_c_stops_it(tmp_path: Path):
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    demo = subprocess.Popen([*CLI, "demo", "--serve", "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = _read_until(demo, "Ctrl-C", timeout=240)
        export = next(line for line in lines if line.startswith("export "))
        exported = dict(part.split("=", 1) for part in shlex.split(export)[1:])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", exported["AWS_ENDPOINT_URL"])
        commands = [line for line in lines if line.startswith("preflight ")]
        assert any("preflight drill" in c for c in commands)
        assert any("--waivers" in c and "waivers.yml" in c for c in commands)
        assert any("preflight merge" in c and "--shard 2/2" in c for c in commands)
        assert any("--baseline" in c for c in commands)
        assert any("preflight history" in c for c in commands)
        # The sample waivers file is valid and names a real failure of the estate.
        assert yaml.safe_load((out / "waivers.yml").read_text())["waivers"][0]["resources"] == \
            ["orders"]

        # Another process scans the served estate, as the printed commands do.
        scan = subprocess.run([*CLI, "scan", "--config", str(out / "demo-config.yml"),
                               "-o", str(tmp_path / "again"), "--waivers", str(out / "waivers.yml")],
                              capture_output=True, text=True, env={**env, **exported}, timeout=240)
        assert scan.returncode == 1, scan.stderr
        report = json.loads((tmp_path / "again" / "report.json").read_text())
        assert len(report["scan"]["accounts"]) == 3
        assert report["summary"]["by_status"]["waived"] == 1
        assert report["summary"]["by_status"]["error"] == 0

        sent = time.monotonic()
        demo.send_signal(signal.SIGINT)
        _, err = demo.communicate(timeout=30)
        assert time.monotonic() - sent < 8
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, err
    assert "Traceback" not in err
    printed = re.search(r"exit code (\d+)", err)
    assert printed is not None and int(printed.group(1)) == demo.returncode

"""Interrupted scans, atomic outputs, and an account whose role cannot be assumed, through
the real CLI (a subprocess for signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from preflight_scanner import output
from preflight_scanner.cli import INTERRUPT_GRACE_SECONDS, main
from preflight_scanner.demo import estate

from tests.faultproxy import Fault

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / "policies"


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_scan_writes_no_report_and_exits_130(aws, write_config, tmp_path, signum):
    session = estate.account_session(estate.MANAGEMENT_ACCOUNT)
    for name in ("orders", "carts"):
        estate.create_table(session, REGION, name)
    # Every DescribeContinuousBackups answers 60 s late: the scan is mid-flight until then.
    stall = Fault(service="dynamodb", operation="DescribeContinuousBackups", delay=60.0,
                  status=None)
    aws.faults.append(stall)
    out = tmp_path / "out"
    out.mkdir()
    config = write_config({"regions": [REGION]})
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight_scanner", "scan", "--config", str(config), "--out", str(out),
         "--format", "json,html,sarif,junit,md",
         "--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml")],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        wait_for(lambda: stall.hits >= 1 or process.poll() is not None)
        assert process.poll() is None, process.communicate()
        process.send_signal(signum)
        # Exits although calls are still in flight (they would answer in a minute): the
        # timeout only detects a hang.
        stdout, stderr = process.communicate(timeout=INTERRUPT_GRACE_SECONDS + 20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in stderr
    assert "no report was written" in stderr
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []  # no report, no temporary file
    assert "report:" not in stdout


def test_a_second_signal_exits_at_once(aws, write_config, tmp_path):
    """SIGTERM, then SIGINT while the first is still unwinding: no wait for the grace."""
    estate.create_table(estate.account_session(estate.MANAGEMENT_ACCOUNT), REGION, "orders")
    stall = Fault(service="dynamodb", operation="DescribeContinuousBackups", delay=60.0,
                  status=None)
    aws.faults.append(stall)
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight_scanner", "scan", "--config",
         str(write_config({"regions": [REGION]})), "--out", str(tmp_path / "out"),
         "--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml")],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        wait_for(lambda: stall.hits >= 1 or process.poll() is not None)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # let the first handler run (not a speed assertion)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert stderr.count("interrupted by SIGTERM") == 1
    assert not (tmp_path / "out" / "report.json").exists()


# --- atomic outputs ------------------------------------------------------------------------


@pytest.mark.parametrize("fail_in", ["write", "fsync", "replace"])
def test_an_interrupted_write_leaves_the_old_file_or_none_and_no_temporary(tmp_path, monkeypatch,
                                                                            fail_in):
    target = tmp_path / "report.json"
    output.publish(target.parent, {target.name: '{"old": true}'})

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if fail_in == "write":
        real_open = open

        class Handle:
            def __init__(self, *args, **kwargs):
                self.inner = real_open(*args, **kwargs)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.inner.close()

            def write(self, text):
                self.inner.write(text[: len(text) // 2])  # half of it, then the interrupt
                self.inner.flush()
                raise KeyboardInterrupt

        monkeypatch.setattr(output, "open", Handle, raising=False)
    else:
        monkeypatch.setattr(output.os, fail_in, interrupt)
    with pytest.raises(KeyboardInterrupt):
        output.publish(target.parent, {target.name: '{"new": "' + "x" * 100_000 + '"}'})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_report_is_an_ordinary_readable_file(tmp_path):
    target = tmp_path / "deep" / "report.md"
    output.publish(target.parent, {target.name: "# ok\n"})
    assert target.read_text() == "# ok\n"
    assert target.stat().st_mode & 0o444 == 0o444 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# --- an account whose role cannot be assumed, through the CLI ---------------------------------


def test_an_unassumable_account_is_reported_and_the_others_scanned(aws, write_config, tmp_path):
    ids = estate.create_organization(["prod", "staging"])
    for name in ids:
        estate.create_bucket(estate.account_session(ids[name]), REGION, f"{name}-bucket",
                             versioning="Enabled")
    aws.faults.append(Fault(service="sts", operation="AssumeRole", body=ids["staging"],
                            status=403, code="AccessDenied",
                            message="not authorized to perform: sts:AssumeRole"))
    aws.faults.append(Fault(service="sts", operation="AssumeRole", body=ids["prod"],
                            status=400, code="Throttling", message="Rate exceeded", times=2))
    config = write_config({"regions": [REGION], "role_name": estate.MEMBER_ROLE,
                           "accounts": [{"id": ids["prod"]}, {"id": ids["staging"]}]})
    code = main(["scan", "--config", str(config), "--out", str(tmp_path / "out"),
                 "--policies", str(POLICY_DIR / "s3-versioning-enabled.yml")])
    assert code == 3
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    by_account = {(f["resource"]["account_id"], f["status"]) for f in report["findings"]}
    assert by_account == {(ids["prod"], "pass"), (ids["staging"], "error")}
    [error] = report["errors"]
    assert (error["account_id"], error["operation"], error["code"]) == (
        ids["staging"], "AssumeRole", "AccessDenied")
    assert aws.faults[1].hits == 2  # prod's role was throttled twice, then assumed

"""Worker processes: the same result as one process, the same calls, and Ctrl-C still works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.models import Account
from preflight_scanner.parallel import process_count, split

from tests.faultproxy import Fault
from tests.support import BUILTIN_POLICIES

TIMINGS = ("started_at", "finished_at", "duration_seconds")


def test_process_count_uses_cores_only_when_it_pays():
    assert process_count(3, 100) == 3 and process_count(8, 2) == 2  # never more than accounts
    assert process_count(None, 5) == 1  # a small estate: no process start-up to pay
    assert process_count(None, 10_000) == (len(os.sched_getaffinity(0)))


def test_split_is_round_robin_and_complete():
    accounts = [Account(f"{n:012d}", f"a{n}", "prod") for n in range(7)]
    parts = split(accounts, 3)
    assert [len(p) for p in parts] == [3, 2, 2]
    assert sorted(a.id for p in parts for a in p) == sorted(a.id for a in accounts)


@pytest.fixture
def organisation(aws, write_config):
    ids = estate.create_organization([f"member{n}" for n in range(5)])
    for n, account_id in enumerate(ids.values()):
        session = estate.account_session(account_id)
        estate.create_table(session, "us-east-1", f"orders-{n}", pitr=n % 2 == 0)
        estate.create_bucket(session, "us-east-1", f"assets-{n}-bucket",
                             versioning="Enabled" if n % 3 else None)
        estate.create_user_pool(session, "us-east-1", f"customers-{n}", mfa="ON" if n else "OFF",
                                tags={"Environment": "prod"})
    config = write_config({"regions": ["us-east-1", "eu-west-1"], "organization": True,
                           "role_name": estate.MEMBER_ROLE,
                           "accounts": [{"id": i, "environment": "prod"} for i in ids.values()]})
    return ids, config


# Policies whose verdicts do not move with the clock (moto's restore times are "now").
STEADY = [str(BUILTIN_POLICIES / f"{name}.yml") for name in (
    "dynamodb-pitr-enabled", "s3-versioning-enabled", "cognito-mfa-on-in-prod",
    "dynamodb-deletion-protection", "dynamodb-autoscaling-registered")]


def _report(tmp_path, config, *extra):
    out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
    policies = [arg for path in STEADY for arg in ("--policies", path)]
    code = main(["scan", "--config", str(config), "--out", str(out), *policies, *extra])
    document = json.loads((out / "report.json").read_text())
    for key in TIMINGS:
        document["scan"].pop(key, None)
    return code, document


def test_three_processes_give_the_result_of_one_byte_for_byte(organisation, aws, tmp_path):
    _, config = organisation
    # Errors must travel back from a worker too.
    aws.faults.append(Fault(service="s3", operation="GetBucketVersioning", path="assets-1"))
    one = _report(tmp_path, config, "--processes", "1")
    three = _report(tmp_path, config, "--processes", "3")
    assert one[0] == three[0] == 1
    assert json.dumps(one[1], sort_keys=True) == json.dumps(three[1], sort_keys=True)
    assert one[1]["scan"]["api_calls"] > 20
    assert any(f["status"] == "error" for f in three[1]["findings"])


def test_an_interrupt_stops_every_worker_process_and_writes_nothing(organisation, aws, tmp_path):
    _, config = organisation
    # Slow answers keep the workers busy when the signal comes.
    aws.faults.append(Fault(service="dynamodb", delay=0.5, status=None))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "preflight_scanner", "scan", "--config", str(config),
         "--out", str(out), "--processes", "2"],
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children = _wait_for_children(proc, timeout=60.0)
    assert children, "no worker process was running"
    time.sleep(0.5)  # the workers are collecting (every DynamoDB answer takes 0.5 s)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 3.0
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err
    assert not (out / "report.json").exists()
    time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == []


def _wait_for_children(proc: subprocess.Popen, timeout: float) -> list[int]:
    """The scan's worker processes, once started: start-up takes seconds on a loaded machine,
    so a fixed sleep made this test flaky."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if children := _children(proc.pid):
            return children
        time.sleep(0.1)
    return []


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

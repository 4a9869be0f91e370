"""Shared fixtures: one moto server per session, behind a fault-injecting proxy.

Each test starts from an empty fake AWS (moto's reset API) with the environment pointing
boto3 at the proxy, exactly as a user points Preflight at LocalStack with
AWS_ENDPOINT_URL. Nothing here can reach the internet: both servers bind 127.0.0.1.

The demo estate (`demo_aws`, `demo_result`) is seeded once per worker instead, on a second
moto server of its own (a subprocess: moto's state is global to a process, so the `aws`
reset would wipe an in-process one), because seeding it costs seconds and a dozen tests
only read it.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from preflight_scanner.aws import Sessions, is_read_operation
from preflight_scanner.config import load_config
from preflight_scanner.demo.run import seed_demo_estate
from preflight_scanner.demo.server import FAKE_CREDENTIALS, moto_server
from preflight_scanner.models import ScanResult
from preflight_scanner.policy import load_policies
from preflight_scanner.scan import run_scan

from tests.faultproxy import Fault, FaultProxy, Request
from tests.support import BUILTIN_POLICIES

POLICY_DIR = BUILTIN_POLICIES  # the installed pack, not the checkout's copy


def _parse_each_service_model_once_per_process() -> None:
    """botocore parses a service's JSON model once per session (its loader's cache), which is
    right for a user's one scan; a test process makes hundreds of sessions (every scan and
    every seeded account) and that parsing was the largest CPU cost of the suite. The model
    files do not change while the tests run, so one parse per process serves every session.
    botocore only reads a parsed model, apart from merging its sdk-extras file into it, which
    gives the same dict when repeated."""
    import botocore.loaders

    parse = botocore.loaders.JSONFileLoader.load_file
    parsed: dict[str, Any] = {}

    def load_file(self: botocore.loaders.JSONFileLoader, file_path: str) -> Any:
        if file_path not in parsed:  # a race parses twice, harmlessly
            parsed[file_path] = parse(self, file_path)
        return parsed[file_path]

    botocore.loaders.JSONFileLoader.load_file = load_file  # type: ignore[method-assign]


_parse_each_service_model_once_per_process()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def fault_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint)
    proxy.endpoint = proxy.start()  # type: ignore[attr-defined]
    yield proxy
    proxy.stop()


def _point_boto3_at(proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)  # type: ignore[attr-defined]
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def aws(moto_endpoint: str, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
        ) -> FaultProxy:
    """An empty fake AWS; boto3 in this process talks to it through the proxy."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    fault_proxy.reset()
    _point_boto3_at(fault_proxy, monkeypatch)
    return fault_proxy


# -- the demo estate, seeded once per worker ---------------------------------------------------

_MOTO_SUBPROCESS = """
import time
from preflight_scanner.demo.server import moto_server
with moto_server() as endpoint:
    print(endpoint, flush=True)
    while True:  # until the test session kills it
        time.sleep(3600)
"""


@dataclass(frozen=True)
class DemoEstate:
    """The seeded demo estate: its scan config and the proxy in front of its moto server."""

    config: dict[str, Any]
    proxy: FaultProxy


@pytest.fixture(scope="session")
def _demo_estate() -> Iterator[DemoEstate]:
    server = subprocess.Popen([sys.executable, "-c", _MOTO_SUBPROCESS], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        proxy = FaultProxy(endpoint)
        proxy.endpoint = proxy.start()  # type: ignore[attr-defined]
        with pytest.MonkeyPatch.context() as monkeypatch:
            _point_boto3_at(proxy, monkeypatch)
            config = seed_demo_estate()
        yield DemoEstate(config, proxy)
        proxy.stop()
    finally:
        # Killed, not stopped: nothing in it is worth the seconds moto takes to shut down.
        server.kill()
        server.communicate(timeout=30)


def _is_a_write(request: Request) -> bool:
    operation = request.operation or ""
    return bool(operation) and not is_read_operation(request.api or request.service, operation)


@pytest.fixture
def demo_aws(_demo_estate: DemoEstate, monkeypatch: pytest.MonkeyPatch) -> DemoEstate:
    """The demo estate (seeded once per worker: read it, never change it); boto3 in this
    process talks to it through its proxy, whose faults and counters start empty."""
    _demo_estate.proxy.reset()
    # Shared between tests, so a test that wrote to it would change what the next one reads:
    # every write is refused (AccessDenied) instead.
    _demo_estate.proxy.faults.append(Fault(where=_is_a_write))
    _point_boto3_at(_demo_estate.proxy, monkeypatch)
    return _demo_estate


@dataclass(frozen=True)
class DemoScan:
    """One full scan of the demo estate: what `scan(config)` returns, the scanner's own call
    log, and every request the proxy saw."""

    result: ScanResult
    sessions: Sessions
    wire: Counter[str]


@pytest.fixture(scope="session")
def demo_scan(_demo_estate: DemoEstate, tmp_path_factory: pytest.TempPathFactory) -> DemoScan:
    """The demo estate scanned once per worker by the whole built-in pack, for the tests that
    only read that scan (a scan of it costs seconds)."""
    path = tmp_path_factory.mktemp("demo-config") / "preflight.yml"
    path.write_text(yaml.safe_dump(_demo_estate.config, sort_keys=False), encoding="utf-8")
    proxy = _demo_estate.proxy
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_boto3_at(proxy, monkeypatch)
        proxy.reset()
        proxy.faults.append(Fault(where=_is_a_write))
        sessions = Sessions()
        result = run_scan(load_config(path), load_policies([POLICY_DIR]), sessions=sessions)
    return DemoScan(result, sessions, Counter(proxy.seen))


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(config: dict[str, Any]) -> Path:
        path = tmp_path / "preflight.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def scan(aws: FaultProxy, write_config: Callable[[dict[str, Any]], Path]
         ) -> Callable[..., ScanResult]:
    """Run the real scan path in-process: scan(config_dict, policies=[ids] or None)."""

    def run(config: dict[str, Any] | None = None, policies: list[str] | None = None,
            policy_paths: list[Path] | None = None, **kwargs: Any) -> ScanResult:
        loaded = load_policies(policy_paths or [POLICY_DIR])
        if policies is not None:
            loaded = [p for p in loaded if p.id in policies]
            assert {p.id for p in loaded} == set(policies), "unknown policy id in test"
        cfg = load_config(write_config(config)) if config is not None else load_config(None)
        return run_scan(cfg, loaded, **kwargs)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite tests/data/golden/* from the current renderers "
                          "(same as PREFLIGHT_REGEN_GOLDEN=1); review the diff afterwards")

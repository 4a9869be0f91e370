"""Shared fixtures: one moto server per session, behind a fault-injecting proxy.

Each test starts from an empty fake AWS (moto's reset API) with the environment pointing
boto3 at the proxy, exactly as a user points Preflight at LocalStack with
AWS_ENDPOINT_URL. Nothing here can reach the internet: both servers bind 127.0.0.1.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from preflight_scanner.config import load_config
from preflight_scanner.demo.server import FAKE_CREDENTIALS, moto_server
from preflight_scanner.models import ScanResult
from preflight_scanner.policy import load_policies
from preflight_scanner.scan import run_scan

from tests.faultproxy import FaultProxy
from tests.support import BUILTIN_POLICIES

POLICY_DIR = BUILTIN_POLICIES  # the installed pack, not the checkout's copy


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


@pytest.fixture
def aws(moto_endpoint: str, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
        ) -> FaultProxy:
    """An empty fake AWS; boto3 in this process talks to it through the proxy."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    fault_proxy.reset()
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.endpoint)  # type: ignore[attr-defined]
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return fault_proxy


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

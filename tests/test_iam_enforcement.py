"""The generated IAM policy is enough, and every action in it is needed: shown against moto
with IAM enforcement on (DynamoDB, S3, Cognito, Application Auto Scaling), and for the
services moto does not authorise (Lambda, API Gateway) against the fault-injecting proxy
acting as IAM.

moto authorises a request only once INITIAL_NO_AUTH_ACTION_COUNT requests have been served
(read from the environment when moto.settings is imported), so this module starts its own
moto server in a subprocess, with a count that lets exactly the three calls that create an
administrator through; everything after them is signed, checked and authorised.
"""

from __future__ import annotations

import fnmatch
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.iam import actions_of, iam_action
from preflight_scanner.models import ScanResult, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.scan import run_scan

from tests.faultproxy import Fault, Request
from tests.test_reliability_faults import (
    ACCOUNT,
    CONFIG,
    REGION,
    expected_errors,
    point_at,
)

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_iam_enforcement")

ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / "policies"
# Policies whose calls moto authorises.
ENFORCED = ["dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "s3-versioning-enabled",
            "cognito-mfa-on-in-prod"]
# Policies on Lambda and API Gateway, which moto does not authorise: the proxy does.
EMULATED = ["lambda-timeout-bounds", "apigateway-stage-throttling"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def generated_policy(policies: list[str], config: Path, capsys: pytest.CaptureFixture[str]
                     ) -> dict[str, Any]:
    args = ["iam-policy", "--config", str(config)]
    for policy in policies:
        args += ["--policies", str(POLICY_DIR / f"{policy}.yml")]
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def without(document: dict[str, Any], action: str, resource: str | None = None
            ) -> dict[str, Any]:
    """The document less one action (or one resource of it)."""
    statements = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) \
            else [statement["Resource"]]
        if action in actions and resource is not None:
            resources = [r for r in resources if r != resource]
        elif action in actions:
            actions = [a for a in actions if a != action]
        if actions and resources:
            statements.append({**statement, "Action": actions, "Resource": resources})
    return {**document, "Statement": statements}


def scan(config: Path, policies: list[str]) -> ScanResult:
    loaded = [p for p in load_policies([POLICY_DIR]) if p.id in policies]
    return run_scan(load_config(config), loaded)


def calls_of(action: str, document_calls: dict[str, str]) -> list[str]:
    return [call for call, act in document_calls.items() if act == action]


# --- moto with IAM enforcement ---------------------------------------------------------------


@pytest.fixture(scope="module")
def enforcing_moto(tmp_path_factory) -> Iterator[dict[str, Any]]:
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        with pytest.MonkeyPatch.context() as mp:
            point_at(mp, endpoint)
            iam = boto3.Session().client("iam", region_name=REGION)
            # The three unauthenticated calls: an administrator and its key.
            iam.create_user(UserName="admin")
            iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(
                {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            admin = iam.create_access_key(UserName="admin")["AccessKey"]
            mp.setenv("AWS_ACCESS_KEY_ID", admin["AccessKeyId"])
            mp.setenv("AWS_SECRET_ACCESS_KEY", admin["SecretAccessKey"])
            mp.delenv("AWS_SESSION_TOKEN")
            iam = boto3.Session().client("iam", region_name=REGION)  # as the administrator
            # Enforcement is on: an unknown key is refused.
            with pytest.raises(Exception, match=r"InvalidClientTokenId|security token"):
                boto3.Session().client("dynamodb", region_name=REGION,
                                       aws_access_key_id="AKIANOTAKEY",
                                       aws_secret_access_key="x").list_tables()
            session = estate.account_session(ACCOUNT)
            estate.create_table(session, REGION, "orders", pitr=True, autoscaling=("read",))
            estate.create_table(session, REGION, "carts")
            estate.create_bucket(session, REGION, "assets-bucket", versioning="Enabled")
            estate.create_bucket(session, REGION, "logs-bucket")
            estate.create_user_pool(session, REGION, "customers", mfa="ON")
            estate.create_user_pool(session, REGION, "staff")
            iam.create_user(UserName="preflight")
            key = iam.create_access_key(UserName="preflight")["AccessKey"]
            config = tmp_path_factory.mktemp("iam") / "preflight.yml"
            config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
            # Scan as the scanner user, which holds only what a test puts on it.
            mp.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
            mp.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
            yield {"iam": iam, "config": config}
    finally:
        server.terminate()
        server.wait(timeout=10)


def put_policy(iam: Any, document: dict[str, Any]) -> None:
    iam.put_user_policy(UserName="preflight", PolicyName="preflight",
                        PolicyDocument=json.dumps(document))


def test_the_generated_policy_is_enough_and_each_action_is_needed(enforcing_moto, capsys):
    iam, config = enforcing_moto["iam"], enforcing_moto["config"]
    document = generated_policy(ENFORCED, config, capsys)
    put_policy(iam, document)
    full = scan(config, ENFORCED)
    assert not full.errors, [e.describe() for e in full.errors]
    assert full.count(Status.ERROR) == 0
    assert {f.status for f in full.findings} == {Status.PASS, Status.FAIL}
    assert {f.policy_id for f in full.findings} == set(ENFORCED)

    iam.delete_user_policy(UserName="preflight", PolicyName="preflight")
    nothing = scan(config, ENFORCED)  # moto really authorises: without it, nothing is read
    assert {f.status for f in nothing.findings} == {Status.ERROR}

    actions = sorted(actions_of(document))
    assert len(actions) >= 6
    declared = {call: iam_action(call)[0] for call in _declared_calls(config)}
    for action in actions:
        put_policy(iam, without(document, action))
        result = scan(config, ENFORCED)
        expected: set[tuple[str, str]] = set()
        for call in calls_of(action, declared):
            expected |= expected_errors(config, full, call, ENFORCED)
        errors = {(f.policy_id, f.resource.id) for f in result.findings
                  if f.status is Status.ERROR}
        assert errors == expected, action
        assert expected, f"{action} is in the policy but no finding needed it"
        # moto answers JSON services with an XML AccessDenied body: botocore's code is "403"
        assert all("AccessDenied" in e.code or "AccessDenied" in e.message
                   for e in result.errors), action
    iam.delete_user_policy(UserName="preflight", PolicyName="preflight")


def _declared_calls(config: Path) -> list[str]:
    from preflight_scanner.iam import required_calls

    loaded = [p for p in load_policies([POLICY_DIR]) if p.id in ENFORCED]
    return sorted(required_calls(loaded, load_config(config)))


# --- Lambda and API Gateway: the proxy plays IAM ----------------------------------------------


def _allowed(document: dict[str, Any]):
    """A predicate: does ``document`` allow this request? (Allow statements, wildcards.)"""

    def resource_of(req: Request) -> str:
        if req.service == "apigateway":  # v2 paths carry a /v2 prefix the ARN does not
            path = req.path[3:] if req.path.startswith("/v2/") else req.path
            return f"arn:aws:apigateway:{req.region}::{path}"
        return "*"

    def allows(req: Request) -> bool:
        if req.operation is None or req.service == "sts":
            return True
        action = iam_action(f"{req.api}:{req.operation}")[0]
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) \
                else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) \
                else [statement["Resource"]]
            if action in actions and any(fnmatch.fnmatchcase(resource_of(req), r)
                                         for r in resources):
                return True
        return False

    return allows


@pytest.fixture(scope="module")
def lambda_estate(moto_endpoint, fault_proxy, tmp_path_factory) -> Iterator[Path]:
    from tests.test_reliability_faults import reset_moto

    with pytest.MonkeyPatch.context() as mp:
        reset_moto(moto_endpoint)
        fault_proxy.reset()
        point_at(mp, fault_proxy.endpoint)  # type: ignore[attr-defined]
        session = estate.account_session(ACCOUNT)
        function = estate.create_function(session, REGION, "checkout", timeout=60)
        estate.create_function(session, REGION, "report", timeout=10)
        estate.create_rest_api(session, REGION, "shop-api",
                               [Stage("prod", rate=100.0, burst=200), Stage("test")],
                               lambda_arn=function)
        estate.create_http_api(session, REGION, "shop-http", [Stage("prod", rate=10.0, burst=20)],
                               lambda_arn=function)
        config = tmp_path_factory.mktemp("iam-emulated") / "preflight.yml"
        config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
        yield config


def test_lambda_and_api_gateway_need_exactly_the_generated_grants(lambda_estate, fault_proxy,
                                                                   capsys):
    config = lambda_estate
    document = generated_policy(EMULATED, config, capsys)
    fault_proxy.reset()
    fault_proxy.faults.append(Fault(where=lambda req: not _allowed(document)(req),
                                    status=403, code="AccessDeniedException"))
    try:
        full = scan(config, EMULATED)
        assert not full.errors and full.count(Status.ERROR) == 0
        assert fault_proxy.faults[0].hits == 0
        assert {f.status for f in full.findings} == {Status.PASS, Status.FAIL}
        # Each grant removed, one at a time: errors for exactly what needed it.
        grants = [(a, None) for a in sorted(actions_of(document)) if a != "apigateway:GET"]
        grants += [("apigateway:GET", r) for s in document["Statement"]
                   if s["Action"] == "apigateway:GET" for r in s["Resource"]]
        assert len(grants) >= 5
        for action, resource in grants:
            reduced = without(document, action, resource)
            fault_proxy.faults[0] = Fault(where=lambda req, d=reduced: not _allowed(d)(req),
                                          status=403, code="AccessDeniedException")
            result = scan(config, EMULATED)
            errors = {(f.policy_id, f.resource.id) for f in result.findings
                      if f.status is Status.ERROR}
            assert errors, f"{action} {resource or ''} is in the policy but nothing needed it"
            assert {e.code for e in result.errors} == {"AccessDeniedException"}
            clean = {(f.policy_id, f.resource.id) for f in full.findings}
            assert errors <= clean | {(p, "*") for p in EMULATED}
    finally:
        fault_proxy.reset()


def test_the_proxy_as_iam_classifies_every_call_it_denies(lambda_estate, fault_proxy):
    """The emulation is only as good as the proxy's operation names: every request of a
    scan of the full pack is named as the scanner's own call log names it."""
    from preflight_scanner.aws import Sessions

    fault_proxy.reset()
    sessions = Sessions()
    run_scan(load_config(lambda_estate), load_policies([POLICY_DIR]), sessions=sessions)
    proxied = {op for op in fault_proxy.operations if not op.startswith("sts:")}
    logged = {op for op in sessions.call_log.counts if not op.startswith("sts:")}
    assert proxied == logged

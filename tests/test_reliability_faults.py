"""Reliability under faults: throttling, server errors, resets, read timeouts, denied
operations, failed pages, bugs in a resource module.

One small estate (one account, every service the pack reads) is seeded once for the module;
each test injects faults through the proxy and compares with a clean scan of the same
estate. Faults that tests/test_scan_faults.py already covers (an unassumable account, a
region that is not enabled, a failed ListTables page, bounded throttling) are not repeated.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from preflight_scanner.aws import RegionContext, Sessions
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.demo.estate import Stage
from preflight_scanner.demo.server import FAKE_CREDENTIALS
from preflight_scanner.models import Account, ScanResult, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.resources import REGISTRY
from preflight_scanner.scan import plan_attributes, run_scan

from tests.faultproxy import Fault, FaultProxy
from tests.support import BUILTIN_POLICIES

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_reliability_faults")

REGION = "us-east-1"
ACCOUNT = estate.MANAGEMENT_ACCOUNT
POLICY_DIR = BUILTIN_POLICIES  # the installed pack, not the checkout's copy
# Every service the pack reads, at least one resource each, some passing and some failing.
POLICIES = [
    "dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "dynamodb-throttle-alarm",
    "s3-versioning-enabled", "cognito-mfa-on-in-prod", "lambda-timeout-bounds",
    "apigateway-stage-throttling", "apigateway-lambda-timeout-fits",
]
CONFIG = {"regions": [REGION], "accounts": [{"id": ACCOUNT, "name": "shop-prod",
                                             "environment": "prod"}]}


def seed_small_estate(names: dict[str, str] | None = None,
                      tags: dict[str, str] | None = None) -> None:
    """Tables, buckets, user pools, a function behind a REST API, an alarm.

    ``names`` may replace the free-text names (pool, api) with hostile ones; ``tags`` go
    on every taggable resource whose API speaks JSON (S3's XML cannot carry every string).
    """
    names = {"pool": "customers", "api": "shop-api", **(names or {})}
    session = estate.account_session(ACCOUNT)
    estate.create_table(session, REGION, "orders", pitr=True, autoscaling=("read", "write"),
                        tags=tags)
    estate.create_table(session, REGION, "carts", tags=tags)
    estate.create_bucket(session, REGION, "assets-bucket", versioning="Enabled")
    estate.create_bucket(session, REGION, "logs-bucket")
    estate.create_user_pool(session, REGION, names["pool"], mfa="ON", tags=tags)
    estate.create_user_pool(session, REGION, "staff", tags=tags)
    fn = estate.create_function(session, REGION, "checkout", timeout=60, tags=tags)
    estate.create_rest_api(session, REGION, names["api"],
                           [Stage("prod", rate=100.0, burst=200, tags=tags or {}),
                            Stage("test", tags=tags or {})], lambda_arn=fn)
    estate.create_alarm(session, REGION, "orders-throttles", namespace="AWS/DynamoDB",
                        metric="ThrottledRequests", dimensions={"TableName": "orders"})


def point_at(mp: pytest.MonkeyPatch, endpoint: str) -> None:
    for key, value in FAKE_CREDENTIALS.items():
        mp.setenv(key, value)
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    mp.delenv("AWS_PROFILE", raising=False)
    mp.setenv("AWS_CONFIG_FILE", "/dev/null")
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def reset_moto(moto_endpoint: str) -> None:
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).read()


@pytest.fixture(scope="module")
def small_estate(moto_endpoint: str, fault_proxy: FaultProxy, tmp_path_factory
                 ) -> Iterator[dict[str, Any]]:
    """The estate, seeded once; yields the config path and a clean scan of it."""
    with pytest.MonkeyPatch.context() as mp:
        reset_moto(moto_endpoint)
        fault_proxy.reset()
        point_at(mp, fault_proxy.endpoint)  # type: ignore[attr-defined]
        seed_small_estate()
        path = tmp_path_factory.mktemp("config") / "preflight.yml"
        path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
        clean = scan(path)
        assert not clean.errors and clean.count(Status.ERROR) == 0
        assert {f.policy_id for f in clean.findings} == set(POLICIES)
        assert {Status.PASS, Status.FAIL} <= {f.status for f in clean.findings}
        yield {"config": path, "clean": clean}


@pytest.fixture
def proxy(small_estate: dict[str, Any], fault_proxy: FaultProxy) -> Iterator[FaultProxy]:
    fault_proxy.reset()
    yield fault_proxy
    fault_proxy.reset()


def scan(config_path: Path, policies: list[str] = POLICIES, sessions: Sessions | None = None
         ) -> ScanResult:
    loaded = [p for p in load_policies([POLICY_DIR]) if p.id in policies]
    return run_scan(load_config(config_path), loaded, sessions=sessions)


def dicts(result: ScanResult) -> list[dict[str, Any]]:
    return [f.to_dict() for f in result.findings]


# --- throttling, server errors, resets, timeouts --------------------------------------------

# How each service says "slow down" (status, code), as AWS does.
THROTTLES = {
    "dynamodb": (400, "ThrottlingException"),
    "application-autoscaling": (400, "ThrottlingException"),
    "cognito-idp": (400, "TooManyRequestsException"),
    "monitoring": (400, "Throttling"),  # CloudWatch, smithy-rpc-v2-cbor
    "s3": (503, "SlowDown"),
    "lambda": (429, "TooManyRequestsException"),
    "apigateway": (429, "TooManyRequestsException"),
    "tagging": (400, "ThrottlingException"),
    "sts": (400, "Throttling"),
}


def test_with_30_percent_of_calls_throttled_the_findings_equal_a_clean_run(small_estate, proxy):
    for service, (status, code) in THROTTLES.items():
        proxy.faults.append(Fault(service=service, status=status, code=code,
                                  message="Rate exceeded", probability=0.3))
    throttled = scan(small_estate["config"])
    assert dicts(throttled) == dicts(small_estate["clean"])
    assert not throttled.errors
    fired = sum(f.hits for f in proxy.faults)
    requests = sum(proxy.seen.values())
    # The faults really fired, at about the rate asked for (seeded, but thread timing decides
    # which request draws which number).
    assert 0.1 * requests <= fired <= 0.5 * requests, (fired, requests)
    assert len({f.service for f in proxy.faults if f.hits}) >= 4


def test_server_errors_and_dropped_connections_are_retried_to_the_same_answer(small_estate, proxy):
    proxy.faults += [
        # The first few matching requests fail, whatever order the workers send them in:
        # counts, not probabilities, so every kind of fault is sure to fire.
        Fault(status=0, times=3),  # connection reset before any answer
        Fault(service="dynamodb", status=500, code="InternalServerError", message="boom",
              times=2),
        Fault(service="s3", status=500, code="InternalError", message="boom", times=2),
        Fault(service="lambda", status=503, code="ServiceException", message="boom", times=2),
        Fault(service="apigateway", status=502, code="BadGateway", message="boom", times=2),
        Fault(service="monitoring", status=500, code="InternalServiceError", message="boom",
              times=2),
    ]
    result = scan(small_estate["config"])
    assert dicts(result) == dicts(small_estate["clean"])
    assert not result.errors
    assert [f.hits for f in proxy.faults] == [f.times for f in proxy.faults]


def test_an_answer_slower_than_the_read_timeout_is_retried(small_estate, proxy):
    slow = Fault(service="dynamodb", operation="DescribeContinuousBackups", body="orders",
                 delay=2.0, status=None, times=1)
    proxy.faults.append(slow)
    result = scan(small_estate["config"], sessions=Sessions(connect_timeout=1.0, read_timeout=1.0))
    assert slow.hits == 1
    assert proxy.seen["dynamodb:DescribeContinuousBackups"] >= 3  # two tables, one retried
    assert dicts(result) == dicts(small_estate["clean"])
    assert not result.errors


def test_a_call_that_always_times_out_is_an_error_for_what_needed_it(small_estate, proxy):
    proxy.faults.append(Fault(service="dynamodb", operation="DescribeContinuousBackups",
                              body="orders", delay=1.0, status=None))
    result = scan(small_estate["config"],
                  # A generous connect timeout: the read timeout is the subject, and a
                  # loaded machine must not turn a slow local connect into another error.
                  sessions=Sessions(max_retries=1, connect_timeout=5.0, read_timeout=0.3))
    errors = [f for f in result.findings if f.status is Status.ERROR]
    assert [(f.policy_id, f.resource.name) for f in errors] == [("dynamodb-pitr-enabled", "orders")]
    assert "ReadTimeout" in errors[0].message
    [error] = result.errors
    assert (error.code, error.resource_id) == ("ReadTimeoutError", "orders")
    clean = {(f.policy_id, f.resource.id): f.to_dict() for f in small_estate["clean"].findings}
    for finding in result.findings:  # everything else judged as in the clean run
        if finding.status is not Status.ERROR:
            assert finding.to_dict() == clean[(finding.policy_id, finding.resource.id)]


def test_a_timeout_names_the_operation_that_timed_out(small_estate, proxy):
    proxy.faults.append(Fault(service="dynamodb", operation="DescribeContinuousBackups",
                              body="orders", delay=1.0, status=None))
    result = scan(small_estate["config"], ["dynamodb-pitr-enabled"],
                  sessions=Sessions(max_retries=0, connect_timeout=0.3, read_timeout=0.3))
    [error] = result.errors
    assert error.operation == "DescribeContinuousBackups"
    assert "unknown" not in result.findings[0].message


def test_sessions_take_their_timeouts_as_parameters():
    sessions = Sessions(connect_timeout=2, read_timeout=5)
    assert (sessions._config.connect_timeout, sessions._config.read_timeout) == (2, 5)


# --- a denied operation: errors for exactly what needed it ----------------------------------

DENIALS = [
    # (service as signed, operation, error code): per-resource, batch, shared, listing ...
    ("dynamodb", "DescribeContinuousBackups", "AccessDeniedException"),
    ("application-autoscaling", "DescribeScalableTargets", "AccessDeniedException"),
    ("monitoring", "DescribeAlarms", "AccessDenied"),
    ("s3", "GetBucketVersioning", "AccessDenied"),
    ("cognito-idp", "DescribeUserPool", "AccessDeniedException"),
    ("lambda", "ListFunctions", "AccessDeniedException"),
    ("apigateway", "GetStages", "AccessDeniedException"),
    ("apigateway", "GetResources", "AccessDeniedException"),
]


def _botocore_call(service: str, operation: str) -> str:
    """The call as resource types declare it (botocore service name:Operation)."""
    return {"monitoring": "cloudwatch"}.get(service, service) + ":" + operation


def expected_errors(config_path: Path, clean: ScanResult, call: str,
                    policy_ids: list[str] = POLICIES) -> set[tuple[str, str]]:
    """(policy, resource id) pairs that need ``call``, from the declared calls alone.

    A listing call: one error per policy for the whole type (resource id ``*``). A detail:
    every resource of the type, for each policy reading one of the detail's attributes, or
    for every policy of the type when the detail carries the tags a scope depends on.
    """
    policies = [p for p in load_policies([POLICY_DIR]) if p.id in policy_ids]
    needs = plan_attributes(policies, load_config(config_path))
    expected: set[tuple[str, str]] = set()
    for finding in clean.findings:
        policy = next(p for p in policies if p.id == finding.policy_id)
        rtype = REGISTRY[finding.resource.type]
        if call in rtype.list_calls:
            expected.add((policy.id, "*"))
            continue
        for detail in rtype.details_for(needs[rtype.name]):
            provided = {a.name for a in detail.attributes}
            if call in detail.calls and (provided & policy.attributes() or "tags" in provided):
                expected.add((policy.id, finding.resource.id))
    return expected


@pytest.mark.parametrize(("service", "operation", "code"), DENIALS,
                         ids=[f"{s}:{o}" for s, o, _ in DENIALS])
def test_a_denied_operation_errors_exactly_what_needed_it(small_estate, proxy, service,
                                                          operation, code):
    call = _botocore_call(service, operation)
    expected = expected_errors(small_estate["config"], small_estate["clean"], call)
    assert expected, f"no loaded policy needs {call}: the case tests nothing"
    proxy.faults.append(Fault(service=service, operation=operation, status=403, code=code))
    result = scan(small_estate["config"])
    errors = {(f.policy_id, f.resource.id): f for f in result.findings
              if f.status is Status.ERROR}
    assert set(errors) == expected
    assert all(code in f.message and operation in f.message for f in errors.values())
    assert {(e.operation, e.code) for e in result.errors} == {(operation, code)}
    # Everything that did not need the call is judged exactly as in the clean run.
    clean = {(f.policy_id, f.resource.id): f.to_dict() for f in small_estate["clean"].findings}
    judged = {(f.policy_id, f.resource.id): f.to_dict() for f in result.findings
              if f.status is not Status.ERROR}
    assert judged == {key: value for key, value in clean.items()
                      if key not in expected and (key[0], "*") not in expected}
    assert result.incomplete


def test_a_denied_operation_exits_3_and_1_when_failures_remain(small_estate, proxy, tmp_path,
                                                               capsys):
    proxy.faults.append(Fault(service="s3", operation="GetBucketVersioning"))
    args = ["scan", "--config", str(small_estate["config"]), "--out", str(tmp_path)]
    # Both buckets unreadable, nothing failed: incomplete.
    assert main([*args, "--policies", str(POLICY_DIR / "s3-versioning-enabled.yml")]) == 3
    report = json.loads((tmp_path / "report.json").read_text())
    assert {e["operation"] for e in report["errors"]} == {"GetBucketVersioning"}
    failing = ["--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml")]  # carts fails
    assert main([*args, *failing, "--policies",
                 str(POLICY_DIR / "s3-versioning-enabled.yml")]) == 1
    assert "read error" in capsys.readouterr().out


# --- a bug in a resource module --------------------------------------------------------------


def break_pitr_reading(monkeypatch: pytest.MonkeyPatch, broken: Callable[[Any], Any]) -> None:
    """Register DynamoDB with ``broken`` as the converter its spec reads the PITR answer's
    EarliestRestorableDateTime with: a bug while reading DescribeContinuousBackups."""
    from dataclasses import replace

    from preflight_scanner.resources import dynamodb
    from preflight_scanner.resources.spec import Field, Get

    pitr = Field(dynamodb.PITR.attribute, {
        **dynamodb.PITR.shape,  # type: ignore[dict-item]
        "earliest_restorable_time": Get("PointInTimeRecoveryDescription."
                                        "EarliestRestorableDateTime", convert=broken)})
    details = tuple(replace(d, fields=(pitr,)) if d.name == "continuous_backups" else d
                    for d in dynamodb.RESOURCE.details)
    monkeypatch.setitem(REGISTRY, dynamodb.TYPE, replace(dynamodb.RESOURCE, details=details))


def test_a_bug_in_a_detail_becomes_an_error_with_its_cause_in_report_and_log(
        small_estate, proxy, monkeypatch, tmp_path, capsys):
    def broken(value: Any) -> Any:
        raise KeyError("EarliestRestorableDateTime (injected bug)")

    break_pitr_reading(monkeypatch, broken)
    code = main(["scan", "--config", str(small_estate["config"]), "--out", str(tmp_path),
                 "--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml"),
                 "--policies", str(POLICY_DIR / "s3-versioning-enabled.yml")])
    err = capsys.readouterr().err
    assert code == 1  # logs-bucket still fails: the rest was evaluated
    report = json.loads((tmp_path / "report.json").read_text())
    pitr = [f for f in report["findings"] if f["policy_id"] == "dynamodb-pitr-enabled"]
    assert {f["status"] for f in pitr} == {"error"} and len(pitr) == 2
    assert all("KeyError" in f["message"] and "injected bug" in f["message"] for f in pitr)
    assert {(e["code"], e["resource_id"]) for e in report["errors"]} == {
        ("KeyError", "orders"), ("KeyError", "carts")}
    s3 = {f["resource"]["name"]: f["status"] for f in report["findings"]
          if f["policy_id"] == "s3-versioning-enabled"}
    assert s3 == {"assets-bucket": "pass", "logs-bucket": "fail"}
    # The log keeps the traceback, pointing at the engine that read the answer.
    assert "injected bug" in err and "Traceback" in err and "engine.py" in err


def test_a_bug_in_a_listing_becomes_an_error_per_policy(small_estate, proxy, monkeypatch):
    from preflight_scanner.resources import apigateway

    def broken(ctx: Any) -> Any:
        raise TypeError("'NoneType' object is not iterable (injected bug)")

    monkeypatch.setattr(apigateway, "rest_apis", broken)
    result = scan(small_estate["config"], ["apigateway-stage-throttling", "s3-versioning-enabled"])
    stages = [f for f in result.findings if f.policy_id == "apigateway-stage-throttling"]
    rest = [f for f in stages if f.resource.type == "aws.apigateway.stage"]
    assert [(f.status, f.resource.id) for f in rest] == [(Status.ERROR, "*")]
    assert "TypeError" in rest[0].message and "injected bug" in rest[0].message
    assert {f.status for f in result.findings if f.policy_id == "s3-versioning-enabled"} == {
        Status.PASS, Status.FAIL}


def test_a_batch_detail_returning_garbage_is_an_error_not_a_crash(small_estate, proxy,
                                                                   monkeypatch):
    detail = next(d for d in REGISTRY["aws.dynamodb.table"].details if d.name == "alarms")
    original = detail.fetch_batch
    object.__setattr__(detail, "fetch_batch", lambda ctx, resources: None)
    try:
        result = scan(small_estate["config"], ["dynamodb-throttle-alarm", "s3-versioning-enabled"])
    finally:
        object.__setattr__(detail, "fetch_batch", original)
    assert {f.status for f in result.findings if f.policy_id == "dynamodb-throttle-alarm"} == {
        Status.ERROR}


# --- failed pages (last: the many tables stay until the module ends) -------------------------


PAGED = [f"paged-{i:03d}" for i in range(100)]  # with orders and carts: 102 tables
SCALED = PAGED[:26]  # 52 scalable targets with orders': DescribeScalableTargets pages at 50


@pytest.fixture(scope="module")
def many_tables(small_estate: dict[str, Any]) -> Iterator[list[str]]:
    """Enough tables for second pages: ListTables (100), the tagging listing (100 a page;
    all tagged staging) and DescribeScalableTargets (50). Removed afterwards."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    dimensions = [f"dynamodb:table:{d}CapacityUnits" for d in ("Read", "Write")]
    for name in PAGED:
        ddb.create_table(TableName=name, BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         Tags=[{"Key": "Environment", "Value": "staging"}])
    for name in SCALED:
        for dimension in dimensions:
            scaling.register_scalable_target(ServiceNamespace="dynamodb",
                                             ResourceId=f"table/{name}",
                                             ScalableDimension=dimension,
                                             MinCapacity=1, MaxCapacity=10)
    yield PAGED
    for name in SCALED:
        for dimension in dimensions:
            scaling.deregister_scalable_target(ServiceNamespace="dynamodb",
                                               ResourceId=f"table/{name}",
                                               ScalableDimension=dimension)
    for name in PAGED:
        ddb.delete_table(TableName=name)


def test_a_failed_page_of_a_batch_listing_is_never_a_short_list(small_estate, many_tables, proxy):
    """Without the second page of scalable targets, the tables on it would look unscaled
    and fail: worse than an error."""
    proxy.faults.append(Fault(service="application-autoscaling",
                              operation="DescribeScalableTargets", body="NextToken",
                              status=0))  # the second page's connection drops
    result = scan(small_estate["config"], ["dynamodb-autoscaling-registered"],
                  sessions=Sessions(max_retries=1))
    assert proxy.faults[0].hits == 2  # asked for, retried once, never answered
    statuses = {f.resource.name: f.status for f in result.findings}
    assert set(statuses) == {"orders", "carts", *many_tables}
    assert set(statuses.values()) == {Status.ERROR}
    assert {(e.code, e.resource_type) for e in result.errors} == {
        ("ConnectionClosedError", "aws.dynamodb.table")}


def test_a_failed_page_of_the_tag_listing_never_leaves_resources_untagged(small_estate,
                                                                          many_tables, proxy):
    """Tags decide a resource's environment: a table whose tags were on a lost page must
    not be judged as an untagged table of its account's environment (prod)."""
    clean = scan(small_estate["config"], ["dynamodb-throttle-alarm"])  # scoped to prod
    assert {f.resource.name for f in clean.findings} == {"orders", "carts"}
    proxy.faults.append(Fault(service="tagging", operation="GetResources",
                              body="PaginationToken", status=500,
                              code="InternalServiceException", message="boom"))
    result = scan(small_estate["config"], ["dynamodb-throttle-alarm"],
                  sessions=Sessions(max_retries=1))
    assert proxy.faults[0].hits == 2
    assert {f.status for f in result.findings} == {Status.ERROR}
    assert {f.resource.name for f in result.findings} == {"orders", "carts", *many_tables}
    assert all("cannot tell whether the policy applies" in f.message for f in result.findings)


def test_paginate_raises_rather_than_return_the_pages_it_got(small_estate, many_tables, proxy):
    ctx = RegionContext(Sessions(max_retries=0), Account(ACCOUNT, "x", "prod"), REGION)
    assert len(ctx.paginate("dynamodb", "list_tables", "TableNames")) == 102
    proxy.faults.append(Fault(service="dynamodb", operation="ListTables",
                              body="ExclusiveStartTableName", status=0))
    with pytest.raises(Exception, match="Connection was closed"):
        ctx.paginate("dynamodb", "list_tables", "TableNames")
    assert proxy.faults[0].hits == 1

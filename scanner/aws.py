"""AWS access: credentials per account, clients per region, and the read-only guard.

Nothing here is created at import time, and boto3 itself is imported only when the first
session is built, so commands that never call AWS (`--help`, `validate`) start fast.
Every client is built with adaptive retries (botocore backs off and rate-limits itself
under throttling) and with a hook that refuses to send any operation that is not a read,
so the scanner cannot write to AWS even if a future resource module tried to.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from . import __version__
from .errors import PreflightSignal
from .models import Account, Resource
from .redact import KNOWN_SECRETS

if TYPE_CHECKING:
    import boto3

T = TypeVar("T")
R = TypeVar("R")

READ_PREFIXES = ("Describe", "Get", "List")
# Reads that do not follow the naming convention; both only return data.
READ_EXCEPTIONS = frozenset({"sts:AssumeRole", "sts:GetCallerIdentity"})


class MutatingCallBlocked(PreflightSignal, RuntimeError):
    """Raised before a non-read operation leaves the process."""


def is_read_operation(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or f"{service}:{operation}" in READ_EXCEPTIONS


@dataclass
class CallLog:
    """Counts every API call the scan makes, by service and operation."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _guard(call_log: CallLog) -> Callable[..., None]:
    def before_call(model: Any, **_: Any) -> None:
        service = model.service_model.signing_name or model.service_model.service_name
        if not is_read_operation(service, model.name):
            raise MutatingCallBlocked(f"refusing to call {service}:{model.name}: Preflight only reads")
        call_log.record(f"{model.service_model.service_name}:{model.name}")

    return before_call


class Sessions:
    """Builds one boto3 session per account and caches clients per account, region, service.

    Creating a client from a boto3 session is not thread-safe, so creation is serialised;
    a cached client is returned without taking any lock (the clients themselves are
    thread-safe and shared by the worker pool), so a worker never waits behind another
    worker's client creation or role assumption for a client that already exists.
    """

    def __init__(self, base: boto3.Session | None = None, max_workers: int = 16,
                 max_retries: int = 8, connect_timeout: float = 10, read_timeout: float = 30):
        import botocore.config

        from .awsconfig import checked_session

        self.base = base or checked_session()
        KNOWN_SECRETS.add_environment()
        credentials = self.base.get_credentials() if base is not None else None
        if credentials is not None:  # a session handed in (tests, embedding): its keys too
            KNOWN_SECRETS.add((credentials.access_key, credentials.secret_key, credentials.token))
        self.call_log = CallLog()
        self._lock = threading.Lock()  # creation of clients (boto3 sessions are not thread-safe)
        self._credentials: dict[str, dict[str, str]] = {}
        self._assuming: dict[str, _Once] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        # botocore builds a new paginator class on every get_paginator (about 0.1 ms, a
        # tenth of a listing call's CPU); a paginator holds no state between paginate()
        # calls, so one per client and operation serves every worker. None: no paginator.
        self._paginators: dict[tuple[str, str, str, str], Any] = {}
        self.peak_clients = 0  # the most clients alive at once: what memory grows with
        self._config = botocore.config.Config(
            # adaptive: exponential backoff plus client-side rate limiting once throttled.
            # botocore's max_attempts here counts retries after the first attempt.
            retries={"mode": "adaptive", "max_attempts": max_retries},
            max_pool_connections=max_workers,
            user_agent_extra=f"preflight/{__version__}",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    @property
    def default_region(self) -> str:
        return self.base.region_name or "us-east-1"

    def client(self, account: Account | None, service: str, region: str) -> Any:
        key = (account.id if account else "", region, service)
        cached = self._clients.get(key)  # a dict read is atomic: no lock on the hot path
        if cached is not None:
            return cached
        credentials = self._credentials_for(account)  # may call STS: outside the lock
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                # Every client comes from the base session, so service models are parsed
                # once per process rather than once per account.
                base: Any = self.base  # the service is a variable: no typed overload
                cached = base.client(service, region_name=region, config=self._config,
                                     **credentials)
                cached.meta.events.register("before-call.*.*", _guard(self.call_log))
                self._clients[key] = cached
                self.peak_clients = max(self.peak_clients, len(self._clients))
            return cached

    def paginator(self, account: Account | None, service: str, region: str,
                  operation: str) -> Any:
        """The client's paginator for ``operation`` (None when it has none), built once."""
        key = (account.id if account else "", region, service, operation)
        if key in self._paginators:  # a dict read is atomic: no lock on the hot path
            return self._paginators[key]
        client = self.client(account, service, region)
        paginator = client.get_paginator(operation) if client.can_paginate(operation) else None
        with self._lock:  # release() iterates the dict under this lock
            self._paginators[key] = paginator  # a race builds it twice, harmlessly
        return paginator

    def release(self, account: Account) -> None:
        """Forget an account's clients and credentials once its collection is over.

        A client costs about 0.3 MB; kept for the whole scan they grow with the number of
        accounts. Callers guarantee no task of the account is still running.
        """
        with self._lock:
            for key in [k for k in self._clients if k[0] == account.id]:
                del self._clients[key]
            for pkey in [k for k in self._paginators if k[0] == account.id]:
                del self._paginators[pkey]
            self._credentials.pop(account.id, None)
            self._assuming.pop(account.id, None)

    def open(self, account: Account) -> None:
        """Assume the account's role now, so a failure is reported once, for the account."""
        self._credentials_for(account)

    def _credentials_for(self, account: Account | None) -> dict[str, str]:
        if account is None or not account.role_arn:
            return {}
        credentials = self._credentials.get(account.id)
        if credentials is None:
            with self._lock:
                once = self._assuming.setdefault(account.id, _Once())
            # One AssumeRole per account, however many workers ask at once; the network
            # call holds only that account's slot, never the clients' lock.
            credentials = self._credentials[account.id] = once.get(lambda: self._assume(account))
        return credentials

    def _assume(self, account: Account) -> dict[str, str]:
        sts = self.client(None, "sts", self.default_region)
        params: dict[str, Any] = {"RoleArn": account.role_arn, "RoleSessionName": "preflight-scan"}
        if account.external_id:
            KNOWN_SECRETS.add((account.external_id,))
            params["ExternalId"] = account.external_id
        creds = sts.assume_role(**params)["Credentials"]
        # Held in memory only, never logged or reported; redacted wherever AWS echoes them.
        KNOWN_SECRETS.add((creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def partition(self, region: str) -> str:
        return self.base.get_partition_for_region(region)


@dataclass
class RegionContext:
    """What a resource module sees: one account, one region, and clients for them."""

    sessions: Sessions
    account: Account
    region: str
    # The scan's clock: time windows (metrics look-back) are measured from it.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The scan's worker pool, for fan-out inside a task (map); None: run inline.
    executor: Executor | None = None
    # Resource types (Resource Groups Tagging API filters) whose tags the scan reads: the
    # one tagging listing per account-region covers them all.
    tag_filters: frozenset[str] = frozenset()
    _shared: dict[str, Any] = field(default_factory=dict)
    _shared_lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str) -> Any:
        return self.sessions.client(self.account, service, self.region)

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item of a listing, or an exception: never a partial list."""
        paginator = self.sessions.paginator(self.account, service, self.region, operation)
        if paginator is None:
            return list(getattr(self.client(service), operation)(**params).get(key, []))
        items: list[Any] = []
        for page in paginator.paginate(**params):
            items.extend(page.get(key, []))
        return items

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, spread over idle workers of the scan's pool.

        For a listing that fans out (GetStages per API, GetResources per REST API): the
        calling worker takes items itself, and helpers queued on the pool take the rest
        when a worker is free, so the fan-out never waits on the pool (a helper that
        starts after the items are gone returns at once) and never deadlocks. Results keep
        the order of ``items``; the first exception is raised after every item has ended.
        """
        work = list(enumerate(items))
        if len(work) < 2 or self.executor is None:
            return [fn(item) for _, item in work]
        todo: queue.SimpleQueue[tuple[int, T]] = queue.SimpleQueue()
        for entry in work:
            todo.put(entry)
        results: list[Any] = [None] * len(work)
        errors: list[BaseException] = []
        finished = threading.Semaphore(0)

        def drain() -> None:
            while True:
                try:
                    index, item = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = fn(item)
                except BaseException as exc:  # re-raised to the caller below
                    errors.append(exc)
                finally:
                    finished.release()

        for _ in range(len(work) - 1):
            try:
                self.executor.submit(drain)
            except RuntimeError:  # pool shutting down: the caller drains alone
                break
        drain()
        for _ in work:
            finished.acquire()
        if errors:
            raise errors[0]
        return results

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute a per-account-region dataset once, however many modules need it.

        The first caller computes inline (so a waiting worker never waits on a queued
        task); concurrent callers wait for it.
        """
        with self._shared_lock:
            slot = self._shared.get(key)
            if slot is None:
                slot = self._shared[key] = _Once()
        return slot.get(compute)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        partition = self.sessions.partition(self.region)
        region_part = self.region if region is None else region
        return f"arn:{partition}:{service}:{region_part}:{self.account.id}:{resource}"

    def resource(self, type_name: str, id: str, name: str, arn: str | None,
                 data: dict[str, Any]) -> Resource:
        return Resource(type_name, id, name, arn, self.account, self.region, data)


class _Once:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if not self._done:
                try:
                    self._value = compute()
                except BaseException as exc:  # re-raised to every caller below
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


def error_code(exc: BaseException) -> str:
    """A short machine-readable code for a failed call."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__
    return type(exc).__name__


def error_operation(exc: BaseException) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return exc.operation_name or "unknown"
    return "unknown"


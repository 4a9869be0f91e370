"""Fetch what the policies need, each thing once, concurrently, read-only.

The main thread schedules; a bounded pool of workers makes the calls. Each task's
continuation runs back on the main thread, so the inventory is only ever touched by
one thread and a worker never waits for another (no deadlock, no thread per resource).

Scheduling: at most ``max_workers`` tasks are in flight. Ready tasks wait in queues by
priority (opening accounts, then listings, which discover work, then batch details, then
per-resource details) and, within a priority, by AWS service, served round-robin: one
slow or throttled service (its adaptive retries back off inside the task) holds at most
its share of the workers while other services have work, and all of them when it is the
only one left, so the pool stays busy without a fixed per-service cap.

Accounts are worked through in a bounded window (``account_window`` open at once): when the
last task of an account ends, its clients and credentials are released and the next account
is opened, so memory grows with the window, not with the number of accounts.

Whatever cannot be read is recorded, never dropped: a failed listing becomes a *gap*
(the whole type in that account-region is unknown), a failed detail marks the
attributes it would have provided as unreadable on that resource.
"""

from __future__ import annotations

import logging
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .aws import RegionContext, Sessions, error_code, error_operation
from .models import Account, CollectionError, Gap, Resource
from .redact import redact
from .resources import REGISTRY, engine
from .resources.spec import AnyDetail, Call, ResourceType

log = logging.getLogger("preflight.collect")


@dataclass
class Inventory:
    resources: list[Resource] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)


@dataclass(frozen=True)
class _Task:
    """What to do with a task's answer or failure, and whose account it serves."""

    on_success: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    account: Account


# Which details each resource type must fetch for the loaded policies.
Plan = dict[str, tuple[AnyDetail, ...]]


def make_plan(needs: dict[str, set[str]]) -> Plan:
    """``needs`` maps a resource type to the top-level attributes policies read."""
    return {name: tuple(REGISTRY[name].details_for(attrs)) for name, attrs in sorted(needs.items())}


@dataclass(frozen=True)
class CollectProgress:
    """Where a collection stands, in units a person can picture (the progress line)."""

    accounts_done: int
    accounts: int
    regions: int
    calls: int


Progress = Callable[[CollectProgress], None]

# Task priorities: lower runs first.
OPEN, LIST, BATCH, PER_RESOURCE = range(4)


def _service(calls: Sequence[Call]) -> str:
    return calls[0].service if calls else "-"


class _Queue:
    """Ready tasks by priority, then round-robin over services within a priority."""

    def __init__(self) -> None:
        self._lanes: list[dict[str, deque[Any]]] = [{} for _ in range(PER_RESOURCE + 1)]
        self._turn: list[deque[str]] = [deque() for _ in range(PER_RESOURCE + 1)]
        self.size = 0

    def put(self, priority: int, service: str, task: Any) -> None:
        lane = self._lanes[priority].get(service)
        if lane is None:
            lane = self._lanes[priority][service] = deque()
            self._turn[priority].append(service)
        lane.append(task)
        self.size += 1

    def pop(self) -> Any:
        for lanes, turn in zip(self._lanes, self._turn, strict=True):
            if turn:
                service = turn.popleft()
                lane = lanes[service]
                task = lane.popleft()
                if lane:
                    turn.append(service)
                else:
                    del lanes[service]
                self.size -= 1
                return task
        raise IndexError("no ready task")


class Collector:
    def __init__(self, sessions: Sessions, accounts: Sequence[Account], regions: Sequence[str],
                 plan: Plan, max_workers: int = 16, progress: Progress | None = None,
                 now: datetime | None = None, account_window: int | None = None):
        self.sessions = sessions
        self.accounts = accounts
        self.regions = regions
        self.plan = plan
        self.max_workers = max_workers
        self.progress = progress
        self.now = now or datetime.now(UTC)
        self.inventory = Inventory()
        self._pending: dict[Future[Any], _Task] = {}
        self._ready = _Queue()
        # Each open account's tasks, queued or running; at zero the account is done.
        self._live: dict[str, int] = {}
        self._waiting: deque[Account] = deque(accounts)
        # Every listing of an open account makes work for the pool: half the workers' worth
        # of accounts keeps it busy while bounding the clients alive at once.
        self.account_window = account_window or max(2, max_workers // 2)
        self._submitted = 0
        self._finished = 0
        self._accounts_done = 0
        # Every type whose tags come from the shared tagging listing: one listing per
        # account-region serves them all.
        self._tag_filters = frozenset(d.tagging_filter for details in plan.values()
                                      for d in details if d.tagging_filter)

    def run(self) -> Inventory:
        # Not a `with` block: leaving one waits for calls in flight, and an interrupted
        # scan must stop now, not when the slowest call returns.
        self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="preflight")
        try:
            self._open_next_accounts()
            self._drain()
        except BaseException:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        self._pool.shutdown(wait=True)
        self.inventory.resources.sort(key=lambda r: (r.type, r.account.id, r.region, r.id))
        return self.inventory

    def _drain(self) -> None:
        """Run continuations on this thread as tasks finish, until nothing is left."""
        self._dispatch()
        while self._pending:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = self._pending.pop(future)
                self._finished += 1
                error = future.exception()
                if error is None:
                    try:  # a malformed answer from a resource module is its error
                        task.on_success(future.result())
                    except Exception as exc:
                        task.on_error(exc)
                else:
                    task.on_error(error)
                # After the continuation, which may have queued more of the account's work.
                self._task_ended(task.account)
            self._dispatch()
            if self.progress:
                self.progress(CollectProgress(self._accounts_done, len(self.accounts),
                                              len(self.regions), self.sessions.call_log.total))

    def _submit(self, priority: int, service: str, fn: Callable[..., Any], args: tuple[Any, ...],
                on_success: Callable[[Any], None], on_error: Callable[[BaseException], None],
                account: Account) -> None:
        """Queue a task of ``account``; it starts when a worker is free and its turn comes."""
        self._submitted += 1
        self._live[account.id] += 1
        self._ready.put(priority, service, (fn, args, _Task(on_success, on_error, account)))

    def _dispatch(self) -> None:
        while self._ready.size and len(self._pending) < self.max_workers:
            fn, args, task = self._ready.pop()
            self._pending[self._pool.submit(fn, *args)] = task

    def _open_next_accounts(self) -> None:
        while self._waiting and len(self._live) < self.account_window:
            account = self._waiting.popleft()
            self._live[account.id] = 0
            self._submit(OPEN, "sts", self.sessions.open, (account,),
                         lambda _, a=account: self._account_opened(a),
                         lambda exc, a=account: self._account_failed(a, exc), account)

    def _task_ended(self, account: Account) -> None:
        self._live[account.id] -= 1
        if self._live[account.id] == 0:  # nothing of it queued or running: release it
            del self._live[account.id]
            self._accounts_done += 1
            self.sessions.release(account)
            self._open_next_accounts()

    # --- accounts -------------------------------------------------------------------------

    def _account_opened(self, account: Account) -> None:
        # One context per region, shared by every type, so datasets such as the region's
        # REST APIs are listed once for all the types that need them.
        contexts = {region: RegionContext(self.sessions, account, region, self.now,
                                          executor=self._pool, tag_filters=self._tag_filters)
                    for region in self.regions}
        for type_name in self.plan:
            rtype = REGISTRY[type_name]
            for ctx in (contexts[region] for region in self._regions_of(rtype)):
                self._submit(LIST, _service(rtype.listing.calls), engine.list_resources,
                             (rtype, ctx),
                             lambda found, t=rtype, c=ctx: self._listed(t, c, found),
                             lambda exc, t=rtype, c=ctx: self._listing_failed(t, c, exc),
                             account)

    def _account_failed(self, account: Account, exc: BaseException) -> None:
        error = self._error(exc, account, None, None, fallback_operation="AssumeRole")
        for type_name in self.plan:  # every place the account's types would have been listed
            for region in self._regions_of(REGISTRY[type_name]):
                self.inventory.gaps.append(Gap(account, region, type_name, error))

    def _regions_of(self, rtype: ResourceType) -> Sequence[str]:
        return self.regions[:1] if rtype.per_account else self.regions

    # --- listings -------------------------------------------------------------------------

    def _listed(self, rtype: ResourceType, ctx: RegionContext, found: list[Resource]) -> None:
        self.inventory.resources.extend(found)
        if not found:
            return
        for detail in self.plan[rtype.name]:
            if detail.per_resource:
                for resource in found:
                    self._submit(PER_RESOURCE, _service(detail.spec_calls), engine.fetch_one,
                                 (detail, ctx, resource),
                                 lambda doc, r=resource: r.data.update(doc),
                                 lambda exc, r=resource, d=detail: self._detail_failed([r], d, exc),
                                 ctx.account)
            else:
                self._submit(BATCH, _service(detail.spec_calls), engine.fetch_batch,
                             (detail, ctx, found),
                             lambda docs, rs=found: _merge_batch(rs, docs),
                             lambda exc, rs=found, d=detail: self._detail_failed(rs, d, exc),
                             ctx.account)

    def _listing_failed(self, rtype: ResourceType, ctx: RegionContext, exc: BaseException) -> None:
        error = self._error(exc, ctx.account, ctx.region, rtype.name,
                            fallback_operation=_operations(rtype.listing.calls))
        self.inventory.gaps.append(Gap(ctx.account, ctx.region, rtype.name, error))

    # --- details --------------------------------------------------------------------------

    def _detail_failed(self, resources: Iterable[Resource], detail: AnyDetail,
                       exc: BaseException) -> None:
        for resource in resources:
            error = self._error(exc, resource.account, resource.region, resource.type,
                                resource_id=resource.id,
                                fallback_operation=_operations(detail.spec_calls))
            for attribute in detail.attributes:
                resource.unreadable[attribute.name] = error.describe()

    def _error(self, exc: BaseException, account: Account, region: str | None,
               type_name: str | None, resource_id: str | None = None,
               fallback_operation: str = "unknown") -> CollectionError:
        operation = error_operation(exc)
        if operation == "unknown":
            operation = fallback_operation
        error = CollectionError(account.id, region, type_name, operation, error_code(exc),
                                _message(exc), resource_id)
        self.inventory.errors.append(error)
        if _is_bug(exc):  # not an AWS answer: keep the traceback for whoever debugs it,
            # as redacted text: a record's exc_info would carry what the endpoint echoed.
            log.error("worker failed: %s\n%s", error.describe(),
                      redact("".join(traceback.format_exception(exc))).rstrip())
        else:
            log.warning("%s", error.describe())
        return error


def _operations(calls: Iterable[Call]) -> str:
    """What was being called when the failure was not an AWS answer (a timeout, a reset)."""
    return "/".join(call.operation for call in calls) or "unknown"


def _merge_batch(resources: list[Resource], docs: dict[str, dict[str, Any]]) -> None:
    for resource in resources:
        resource.data.update(docs.get(resource.id, {}))


def _message(exc: BaseException) -> str:
    text = redact(str(exc) or type(exc).__name__)
    return text if len(text) <= 500 else text[:497] + "..."


def _is_bug(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    from .aws import MutatingCallBlocked
    from .resources.engine import MalformedAnswer

    return not isinstance(exc, (ClientError, BotoCoreError, MutatingCallBlocked, MalformedAnswer))

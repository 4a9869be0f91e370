"""The scheduler's building blocks: fan-out inside a task, and the fair ready queue."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from preflight_scanner.aws import RegionContext
from preflight_scanner.collect import BATCH, LIST, PER_RESOURCE, _Queue
from preflight_scanner.models import Account

ACCOUNT = Account("111111111111", "a", "prod")


def _ctx(executor=None) -> RegionContext:
    return RegionContext(sessions=None, account=ACCOUNT, region="us-east-1",  # type: ignore[arg-type]
                         executor=executor)


def test_map_keeps_order_and_spreads_over_idle_workers():
    with ThreadPoolExecutor(4) as pool:
        threads = set()

        def work(i: int) -> int:
            threads.add(threading.current_thread().name)
            time.sleep(0.02)
            return i * i

        assert _ctx(pool).map(work, range(8)) == [i * i for i in range(8)]
    assert len(threads) > 1  # not all on the caller


def test_map_never_waits_on_a_saturated_pool():
    """The only worker calls map (nested, too): the caller drains the items itself."""
    with ThreadPoolExecutor(1) as pool:
        ctx = _ctx(pool)
        future = pool.submit(lambda: ctx.map(lambda i: sum(ctx.map(lambda j: j, range(i))),
                                             range(5)))
        assert future.result(timeout=5) == [0, 0, 1, 3, 6]


def test_map_raises_the_first_error_after_every_item_ended():
    ended = []

    def work(i: int) -> int:
        if i == 1:
            raise ValueError("boom")
        time.sleep(0.01)
        ended.append(i)
        return i

    with ThreadPoolExecutor(3) as pool, pytest.raises(ValueError, match="boom"):
        _ctx(pool).map(work, range(6))
    assert sorted(ended) == [0, 2, 3, 4, 5]


def test_map_without_a_pool_runs_inline():
    assert _ctx().map(str, [1, 2]) == ["1", "2"]


def test_ready_queue_runs_listings_first_then_round_robin_over_services():
    queue = _Queue()
    for i in range(3):
        queue.put(PER_RESOURCE, "dynamodb", f"ddb{i}")
    queue.put(PER_RESOURCE, "s3", "s3-0")
    queue.put(BATCH, "application-autoscaling", "scaling")
    queue.put(LIST, "lambda", "list")
    order = [queue.pop() for _ in range(queue.size)]
    # A slow service with many queued tasks does not hold the others back.
    assert order == ["list", "scaling", "ddb0", "s3-0", "ddb1", "ddb2"]
    assert queue.size == 0

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


# --- accounts in a bounded window ----------------------------------------------------------


def _collect(accounts, window, plan):
    from preflight_scanner.aws import Sessions
    from preflight_scanner.collect import Collector

    sessions = Sessions(max_workers=4)
    inventory = Collector(sessions, accounts, ["us-east-1", "eu-west-1"], plan, max_workers=4,
                          account_window=window).run()
    return inventory, sessions


def test_accounts_are_collected_in_a_window_and_their_clients_released(aws):
    """Six member accounts, two open at a time: the same inventory as all at once, with the
    clients alive at any moment bounded by the window, not by the number of accounts."""
    from preflight_scanner.collect import make_plan
    from preflight_scanner.demo import estate

    ids = estate.create_organization([f"member{n}" for n in range(6)])
    accounts = []
    for name, account_id in ids.items():
        session = estate.account_session(account_id)
        estate.create_table(session, "us-east-1", f"{name}-orders", pitr=True)
        estate.create_bucket(session, "us-east-1", f"{name}-assets-bucket", versioning="Enabled")
        accounts.append(Account(account_id, name, "prod",
                                role_arn=f"arn:aws:iam::{account_id}:role/{estate.MEMBER_ROLE}"))
    plan = make_plan({"aws.dynamodb.table": {"pitr"}, "aws.s3.bucket": {"versioning"}})

    def facts(inventory):
        return sorted((r.account.id, r.region, r.type, r.id, repr(sorted(r.data.items())))
                      for r in inventory.resources)

    windowed, small = _collect(accounts, 2, plan)
    at_once, large = _collect(accounts, 100, plan)
    assert facts(windowed) == facts(at_once) and len(windowed.resources) == 12
    assert not windowed.gaps and not windowed.errors
    per_account = large.peak_clients / len(accounts)  # about: sts + each service x region
    assert small.peak_clients <= 2 * per_account + 2, (small.peak_clients, large.peak_clients)
    assert large.peak_clients > 3 * small.peak_clients / 2
    assert small.call_log.total == large.call_log.total  # the window costs no extra call

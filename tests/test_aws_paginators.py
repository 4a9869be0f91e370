"""Paginators are built once per client and operation, belong to their account's client
(its credentials, its read-only guard), and go when the account is released."""

from __future__ import annotations

from preflight_scanner.aws import RegionContext, Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Account


def test_one_paginator_per_client_and_operation_released_with_the_account(aws):
    ids = estate.create_organization(["alpha", "beta"])
    accounts = {}
    for name, account_id in ids.items():
        estate.create_table(estate.account_session(account_id), "us-east-1", f"{name}-orders")
        accounts[name] = Account(account_id, name, "prod",
                                 role_arn=f"arn:aws:iam::{account_id}:role/{estate.MEMBER_ROLE}")
    sessions = Sessions()
    alpha, beta = accounts["alpha"], accounts["beta"]

    first = sessions.paginator(alpha, "dynamodb", "us-east-1", "list_tables")
    assert sessions.paginator(alpha, "dynamodb", "us-east-1", "list_tables") is first
    assert sessions.paginator(alpha, "dynamodb", "us-east-1", "describe_table") is None
    # Each account's paginator calls through that account's own client: its own keys.
    other = sessions.paginator(beta, "dynamodb", "us-east-1", "list_tables")
    assert other is not first
    assert first._method.__self__ is sessions.client(alpha, "dynamodb", "us-east-1")
    assert other._method.__self__ is sessions.client(beta, "dynamodb", "us-east-1")
    keys = {a: sessions.client(a, "dynamodb", "us-east-1")._request_signer._credentials.access_key
            for a in (alpha, beta)}
    assert keys[alpha] != keys[beta]

    listed = {name: RegionContext(sessions, a, "us-east-1").paginate(
        "dynamodb", "list_tables", "TableNames") for name, a in accounts.items()}
    assert listed == {"alpha": ["alpha-orders"], "beta": ["beta-orders"]}
    # The cached paginators' calls went through the guard, which counts every call.
    assert sessions.call_log.counts["dynamodb:ListTables"] == 2

    sessions.release(alpha)
    rebuilt = sessions.paginator(alpha, "dynamodb", "us-east-1", "list_tables")
    assert rebuilt is not first
    assert sessions.paginator(beta, "dynamodb", "us-east-1", "list_tables") is other

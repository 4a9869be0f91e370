"""Which accounts to scan: listed ones, discovered ones, or the caller's own."""

from __future__ import annotations

from .aws import Sessions
from .config import AccountEntry, Config
from .models import Account


def resolve_accounts(config: Config, sessions: Sessions) -> list[Account]:
    """Listed entries refine discovered ones; without either, scan the caller's account.

    The caller's own account is read with the caller's credentials unless an entry
    names a role for it: the management account rarely has the member-account role.
    """
    caller = sessions.client(None, "sts", sessions.default_region).get_caller_identity()["Account"]
    listed = {entry.id: entry for entry in config.accounts}
    ids: list[str] = []
    names: dict[str, str] = {}
    if config.organization:
        organizations = sessions.client(None, "organizations", sessions.default_region)
        for page in organizations.get_paginator("list_accounts").paginate():
            for acct in page.get("Accounts", []):
                if acct.get("Status", "ACTIVE") == "ACTIVE":
                    ids.append(acct["Id"])
                    names[acct["Id"]] = acct.get("Name", acct["Id"])
    ids.extend(i for i in listed if i not in ids)
    if not ids:
        ids = [caller]
    partition = sessions.partition(sessions.default_region)
    return sorted(
        (_account(i, listed.get(i), names.get(i), caller, config, partition) for i in ids),
        key=lambda a: a.id,
    )


def _account(account_id: str, entry: AccountEntry | None, discovered_name: str | None,
             caller: str, config: Config, partition: str) -> Account:
    entry = entry or AccountEntry(id=account_id)
    role_arn = entry.role_arn
    if role_arn is None and config.role_name and account_id != caller:
        role_arn = f"arn:{partition}:iam::{account_id}:role/{config.role_name}"
    return Account(
        id=account_id,
        name=entry.name or discovered_name or account_id,
        environment=entry.environment or config.default_environment,
        role_arn=role_arn,
        external_id=entry.external_id or config.external_id,
    )

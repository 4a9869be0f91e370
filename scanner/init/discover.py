"""What `preflight init` can find out instead of asking: the caller's account, the
organization's accounts (read-only: ListAccounts) and a first guess at their environments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Words in account names and the environment they suggest. A guess: every one the starter
# config writes is marked "# review".
ENVIRONMENT_WORDS = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
    "dev": "dev", "development": "dev", "test": "test", "testing": "test", "qa": "test",
    "uat": "test", "sandbox": "sandbox", "sbx": "sandbox", "management": "management",
    "master": "management", "root": "management", "security": "security", "audit": "security",
    "log": "security", "logs": "security", "logging": "security",
}


@dataclass(frozen=True)
class FoundAccount:
    id: str
    name: str
    environment: str | None  # None: nothing in the name suggests one


@dataclass(frozen=True)
class Discovery:
    caller: str  # the account the credentials belong to
    region: str
    partition: str
    accounts: tuple[FoundAccount, ...]
    organization: bool  # the accounts came from Organizations ListAccounts
    why_not: str = ""  # when they did not: what Organizations answered


def guess_environment(name: str) -> str | None:
    for word in re.split(r"[^a-z0-9]+", name.lower()):
        if word in ENVIRONMENT_WORDS:
            return ENVIRONMENT_WORDS[word]
    return None


def discover(session: Any) -> Discovery:
    """Ask STS who we are and Organizations which accounts exist (only reads)."""
    from botocore.exceptions import BotoCoreError, ClientError

    region = session.region_name or "us-east-1"
    caller = session.client("sts", region_name=region).get_caller_identity()["Account"]
    partition = session.get_partition_for_region(region)
    try:
        pages = session.client("organizations", region_name=region) \
            .get_paginator("list_accounts").paginate()
        listed = [a for page in pages for a in page.get("Accounts", [])
                  if a.get("Status", "ACTIVE") == "ACTIVE"]
    except (ClientError, BotoCoreError) as exc:
        code = exc.response["Error"].get("Code", "") if isinstance(exc, ClientError) else ""
        why = code or type(exc).__name__
        return Discovery(caller, region, partition,
                         (FoundAccount(caller, caller, None),), False, why)
    accounts = tuple(sorted(
        (FoundAccount(a["Id"], a.get("Name") or a["Id"],
                      "management" if a["Id"] == caller else guess_environment(a.get("Name", "")))
         for a in listed), key=lambda a: a.id))
    return Discovery(caller, region, partition, accounts or (FoundAccount(caller, caller, None),),
                     bool(accounts))

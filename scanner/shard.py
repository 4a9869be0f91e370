"""`scan --shard K/N`: a deterministic 1/N of the accounts, for parallel CI jobs.

Accounts are assigned by rendezvous (highest-random-weight) hashing: account A belongs to
the shard k in 1..N with the highest sha256("A/k"). Every shard computes the same answer
independently, from the account id alone, so N jobs that each resolve the account list
(say from AWS Organizations) split it without talking to each other. Adding or removing an
account moves no other account; changing N moves only about 1/N of them. The split is as
even as a hash makes it (not exactly even: with 10 accounts and 4 shards one shard may get
1 and another 4).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .models import Account

_SPEC = re.compile(r"^\s*([0-9]+|auto)\s*/\s*([0-9]+)\s*$")
MAX_SHARDS = 256
# `--shard auto/N`: the 0-based index the engine running the shards gives each one.
INDEX_VARIABLES = {
    "JOB_COMPLETION_INDEX": "a Kubernetes Indexed Job",
    "AWS_BATCH_JOB_ARRAY_INDEX": "an AWS Batch array job",
}


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, account_id: str) -> bool:
        return shard_of(account_id, self.count) == self.index

    def select(self, accounts: Iterable[Account]) -> list[Account]:
        return [account for account in accounts if self.owns(account.id)]


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> Shard:
    """'2/4' -> Shard(2, 4); 'auto/4' takes K from the job engine's index variable.

    Raises ValueError with a message fit for the user.
    """
    match = _SPEC.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not K/N (for example 2/4: the second of four shards, "
                         "or auto/4 inside a Kubernetes Indexed Job or AWS Batch array job)")
    count = int(match.group(2))
    index = (_engine_index(os.environ if environ is None else environ)
             if match.group(1) == "auto" else int(match.group(1)))
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"the number of shards must be between 1 and {MAX_SHARDS}, not {count}")
    if not 1 <= index <= count:
        raise ValueError(f"the shard must be between 1 and {count}, not {index}")
    return Shard(index, count)


def _engine_index(environ: Mapping[str, str]) -> int:
    """The 1-based shard from the engine's 0-based index variable."""
    found = {name: environ[name].strip() for name in INDEX_VARIABLES if environ.get(name)}
    if not found:
        names = " or ".join(f"{name} ({engine})" for name, engine in INDEX_VARIABLES.items())
        raise ValueError(f"--shard auto/N needs {names} to be set; outside such a job give "
                         "the shard as K/N")
    if len(set(found.values())) > 1:
        raise ValueError(f"--shard auto/N: the index variables disagree ({found}); give K/N")
    name, value = next(iter(found.items()))
    if not value.isdigit():
        raise ValueError(f"--shard auto/N: {name}={value!r} is not a 0-based index")
    return int(value) + 1


def _weight(account_id: str, shard: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{account_id}/{shard}".encode()).digest()[:8], "big")


def shard_of(account_id: str, count: int) -> int:
    """The shard (1..count) an account belongs to."""
    return max(range(1, count + 1), key=lambda k: (_weight(account_id, k), -k))


def assignment(account_ids: Sequence[str], count: int) -> dict[int, list[str]]:
    """Every shard's accounts (for docs, tests and `--shard` dry runs)."""
    out: dict[int, list[str]] = {k: [] for k in range(1, count + 1)}
    for account_id in account_ids:
        out[shard_of(account_id, count)].append(account_id)
    return out

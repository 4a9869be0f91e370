"""Region names checked against botocore's endpoint data before any call is made.

A mistyped region is otherwise discovered the slow way: every resource type of every
account fails to connect after retries, and the scan ends with dozens of error findings.
The endpoint data lists every public region of every partition, opt-in ones included; a
region newer than the installed botocore can still be scanned with --allow-unknown-regions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from .errors import PreflightError
from .suggest import did_you_mean

ESCAPE_OPTION = "--allow-unknown-regions"


class UnknownRegionError(PreflightError):
    """A region no partition has: input to fix (exit 2)."""


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows (aws, aws-cn, aws-us-gov, ...)."""
    import botocore.loaders

    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"]
                     for region in partition.get("regions", {}))


def unknown_region_problems(regions: Iterable[str]) -> list[str]:
    """"unknown region 'x' (did you mean y?)" for each region botocore does not know."""
    known = known_regions()
    return [f"unknown region {r!r}{did_you_mean(r, known)}" for r in regions if r not in known]


def check_regions(regions: Iterable[str], source: str = "--regions") -> None:
    """Raise UnknownRegionError naming each unknown region, with the closest known one."""
    unknown = unknown_region_problems(regions)
    if not unknown:
        return
    listed = "; ".join(unknown)
    raise UnknownRegionError(
        f"{source}: {listed}. Fix the name, or pass {ESCAPE_OPTION} for a "
        "region newer than this installation's botocore")


def checked(regions: Sequence[str], allow_unknown: bool, source: str = "--regions"
            ) -> tuple[str, ...]:
    if not allow_unknown:
        check_regions(regions, source)
    return tuple(regions)

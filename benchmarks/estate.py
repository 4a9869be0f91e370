"""A parameterised fake organisation for the benchmark: its spec and its seeding.

The public names the benchmarks and tests use, from the modules that hold them:
benchmarks/estate_spec.py (the pure spec: sizes, resources, expected verdicts),
benchmarks/estate_seed.py (the founding six types through moto) and
benchmarks/estate_newer.py (log groups, secrets, web ACLs, CloudFront distributions).
"""

from __future__ import annotations

from benchmarks.estate_seed import seed
from benchmarks.estate_spec import (
    ALL_REGIONS,
    MANAGEMENT_ACCOUNT,
    MEMBER_ROLE,
    SIZES,
    Api,
    Bucket,
    Distribution,
    EstateSpec,
    Function,
    LogGroup,
    Pool,
    RegionEstate,
    Secret,
    Size,
    Table,
    WebAcl,
)

__all__ = ["ALL_REGIONS", "MANAGEMENT_ACCOUNT", "MEMBER_ROLE", "SIZES", "Api", "Bucket",
           "Distribution", "EstateSpec", "Function", "LogGroup", "Pool", "RegionEstate",
           "Secret", "Size", "Table", "WebAcl", "seed"]

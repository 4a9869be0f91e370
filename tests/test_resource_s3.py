"""aws.s3.bucket on moto: versioning and tags, and each bucket read once, in its own region.

S3 speaks REST, so the proxy sees paths rather than operation names; per-operation
counts come from the scanner's own call log (a Sessions passed to the scan), and the
proxy's total for the s3 service cross-checks them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Status

from tests.support import by_name, write_probe

TYPE = "aws.s3.bucket"


def write_policy(tmp_path: Path, policy_id: str, check: dict[str, Any],
                 scope: dict[str, Any] | None = None) -> Path:
    return write_probe(tmp_path, policy_id, TYPE, check, scope)


def s3_requests(aws) -> int:
    return sum(n for key, n in aws.seen.items() if key.startswith("s3:"))


PROBE = {"all": [
    {"attribute": "versioning", "exists": True},
    {"attribute": "mfa_delete", "exists": True},
]}


def test_versioning_states_and_identity(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_bucket(session, "us-east-1", "kept", versioning="Enabled")
    estate.create_bucket(session, "us-east-1", "paused", versioning="Suspended")
    estate.create_bucket(session, "us-east-1", "never")

    result = scan({"regions": ["us-east-1"]}, policy_paths=[write_policy(tmp_path, "probe", PROBE)])

    assert not result.errors
    buckets = by_name(result, "probe")
    assert {name: f.evidence["versioning"] for name, f in buckets.items()} == \
        {"kept": "Enabled", "paused": "Suspended", "never": "Disabled"}
    # moto does not model MFA delete, so every bucket reads as never configured.
    assert {f.evidence["mfa_delete"] for f in buckets.values()} == {"Disabled"}
    kept = buckets["kept"].resource
    assert (kept.type, kept.id, kept.name, kept.arn, kept.account_id, kept.region) == \
        (TYPE, "kept", "kept", "arn:aws:s3:::kept", estate.MANAGEMENT_ACCOUNT, "us-east-1")


def test_bucket_tags_are_read_as_a_mapping(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_bucket(session, "us-east-1", "tagged", tags={"Team": "data", "Tier": "1"})
    estate.create_bucket(session, "us-east-1", "bare")  # GetBucketTagging: NoSuchTagSet

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[write_policy(tmp_path, "tagged", {"attribute": "tags.Team",
                                                                  "equals": "data"})])

    assert not result.errors
    buckets = by_name(result, "tagged")
    assert buckets["tagged"].status is Status.PASS
    assert buckets["tagged"].evidence == {"tags.Team": "data"}
    assert buckets["bare"].status is Status.FAIL
    assert buckets["bare"].evidence == {"tags.Team": None}


def test_bucket_in_another_region_only_appears_when_that_region_is_scanned(aws, scan):
    session = boto3.Session()
    estate.create_bucket(session, "us-east-1", "east-bucket", versioning="Enabled")
    estate.create_bucket(session, "eu-west-1", "west-bucket")

    east_only = scan({"regions": ["us-east-1"]}, policies=["s3-versioning-enabled"])
    assert set(by_name(east_only, "s3-versioning-enabled")) == {"east-bucket"}

    west_only = scan({"regions": ["eu-west-1"]}, policies=["s3-versioning-enabled"])
    assert set(by_name(west_only, "s3-versioning-enabled")) == {"west-bucket"}

    both = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["s3-versioning-enabled"])
    buckets = by_name(both, "s3-versioning-enabled")  # asserts no bucket is reported twice
    assert len(both.findings) == 2
    assert buckets["east-bucket"].resource.region == "us-east-1"
    west = buckets["west-bucket"]
    assert west.resource.region == "eu-west-1"
    assert west.resource.arn == "arn:aws:s3:::west-bucket"
    assert west.status is Status.FAIL
    assert any("--region eu-west-1" in cmd and "--bucket west-bucket" in cmd
               for cmd in west.remediation)


# --- call economy ---------------------------------------------------------------------------


def test_buckets_listed_once_per_region_and_versioning_read_once_per_bucket(aws, scan):
    session = boto3.Session()
    for i in range(3):
        estate.create_bucket(session, "us-east-1", f"east-{i}", tags={"Team": "x"})
    estate.create_bucket(session, "eu-west-1", "west-0")
    aws.seen.clear()
    sessions = Sessions()

    result = scan({"regions": ["us-east-1", "eu-west-1"]}, policies=["s3-versioning-enabled"],
                  sessions=sessions)

    assert len(result.findings) == 4
    calls = sessions.call_log.counts
    assert calls["s3:ListBuckets"] == 2
    assert calls["s3:GetBucketVersioning"] == 4
    assert calls["s3:GetBucketTagging"] == 0  # nothing depends on tags
    assert s3_requests(aws) == 6
    assert result.api_calls == sum(aws.seen.values()) == sum(calls.values()) == 7


def test_bucket_tags_fetched_when_scope_depends_on_environment(aws, scan):
    session = boto3.Session()
    estate.create_bucket(session, "us-east-1", "prod-data", tags={"Environment": "prod"})
    estate.create_bucket(session, "us-east-1", "dev-data", tags={"Environment": "dev"})
    estate.create_bucket(session, "us-east-1", "untagged")
    sessions = Sessions()

    result = scan({"regions": ["us-east-1"],
                   "policies": {"s3-versioning-enabled": {"scope": {"environments": ["prod"]}}}},
                  policies=["s3-versioning-enabled"], sessions=sessions)

    # One Resource Groups Tagging API listing for the region, not one call per bucket.
    assert sessions.call_log.counts["resourcegroupstaggingapi:GetResources"] == 1
    assert sessions.call_log.counts["s3:GetBucketTagging"] == 0
    assert [(f.resource.name, f.resource.environment, f.status) for f in result.findings] == \
        [("prod-data", "prod", Status.FAIL)]

"""S3 buckets."""

from __future__ import annotations

import boto3

from .tagging import tag_list


def create_bucket(session: boto3.Session, region: str, name: str, *,
                  versioning: str | None = None, tags: dict[str, str] | None = None) -> None:
    """``versioning``: None (never enabled), 'Enabled' or 'Suspended'."""
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioning == "Suspended":
        # As buckets get there in practice: versioning was enabled, then suspended.
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})

"""S3 buckets: versioning, MFA delete, tags.

Buckets are listed per region with ListBuckets' BucketRegion filter, so a bucket is
read once, in the region it lives in, and never re-listed for every scanned region.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ..aws import RegionContext
from ..models import Resource
from .base import Attribute, Detail, Document, ResourceType, tags_from_list

TYPE = "aws.s3.bucket"


def _list(ctx: RegionContext):
    partition = ctx.sessions.partition(ctx.region)
    for bucket in ctx.paginate("s3", "list_buckets", "Buckets", BucketRegion=ctx.region):
        name = bucket["Name"]
        yield ctx.resource(TYPE, name, name, f"arn:{partition}:s3:::{name}", {})


def _versioning(ctx: RegionContext, bucket: Resource) -> Document:
    response = ctx.client("s3").get_bucket_versioning(Bucket=bucket.name)
    return {
        # A bucket that never had versioning returns no Status at all.
        "versioning": response.get("Status", "Disabled"),
        "mfa_delete": response.get("MFADelete", "Disabled"),
    }


def _tags(ctx: RegionContext, bucket: Resource) -> Document:
    try:
        response = ctx.client("s3").get_bucket_tagging(Bucket=bucket.name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {"tags": {}}
        raise
    return {"tags": tags_from_list(response.get("TagSet"))}


RESOURCE = ResourceType(
    name=TYPE,
    description="An S3 bucket, scanned in the region it lives in",
    list_calls=("s3:ListBuckets",),
    list=_list,
    listed=(),
    details=(
        Detail(
            "versioning",
            ("s3:GetBucketVersioning",),
            (
                Attribute("versioning", "Enabled, Suspended or Disabled (never enabled)", "Enabled"),
                Attribute("mfa_delete", "Enabled or Disabled", "Disabled"),
            ),
            fetch_one=_versioning,
        ),
        Detail(
            "tags",
            ("s3:GetBucketTagging",),
            (Attribute("tags", "Resource tags as a mapping", {"Environment": "prod"}),),
            fetch_one=_tags,
        ),
    ),
)

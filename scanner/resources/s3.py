"""S3 buckets: versioning, MFA delete, tags (from the Resource Groups Tagging API).

Buckets are listed per region with ListBuckets' BucketRegion filter, so a bucket is
read once, in the region it lives in, and never re-listed for every scanned region.
"""

from __future__ import annotations

from ..aws import RegionContext
from ..models import Resource
from . import tagging
from .base import Attribute, Detail, Document, ResourceType

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
                Attribute("versioning", "Enabled, Suspended or Disabled (never enabled)", "Enabled",
                          "versioning"),
                Attribute("mfa_delete", "Enabled or Disabled", "Disabled"),
            ),
            fetch_one=_versioning,
        ),
        tagging.tags_detail("s3"),
    ),
)

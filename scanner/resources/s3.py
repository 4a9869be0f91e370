"""S3 buckets: versioning, MFA delete, tags (from the Resource Groups Tagging API).

Buckets are listed per region with ListBuckets' BucketRegion filter, so a bucket is
read once, in the region it lives in, and never re-listed for every scanned region.
"""

from __future__ import annotations

from . import tagging
from .spec import Attribute, Call, Detail, Field, Get, Listing, ResourceType

TYPE = "aws.s3.bucket"

VERSIONING = Field(
    Attribute("versioning", "Enabled, Suspended or Disabled (never enabled)", "Enabled",
              "versioning"),
    Get("Status", "Disabled"),  # a bucket that never had versioning answers no Status
)
MFA_DELETE = Field(Attribute("mfa_delete", "Enabled or Disabled", "Disabled"),
                   Get("MFADelete", "Disabled"))

RESOURCE = ResourceType(
    name=TYPE,
    description="An S3 bucket, scanned in the region it lives in",
    listing=Listing(
        Call("s3", "ListBuckets", "Buckets", page_size=10000, iam_action="s3:ListAllMyBuckets"),
        id=Get("Name"),
        arn="arn:{partition}:s3:::{name}",
        region_param="BucketRegion",
    ),
    details=(
        Detail("versioning", Call("s3", "GetBucketVersioning"), {"Bucket": "name"},
               (VERSIONING, MFA_DELETE)),
        tagging.tags_detail("s3"),
    ),
    cloudformation=("AWS::S3::Bucket",),
    terraform=("aws_s3_bucket",),
)

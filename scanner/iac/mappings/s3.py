"""aws.s3.bucket from AWS::S3::Bucket and aws_s3_bucket (with the provider's separate
aws_s3_bucket_versioning resource joined in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...resources import s3 as spec
from ..model import Planned
from ..planvalues import tags as plan_tags
from ..remediation import Fix
from ..values import Unknown

if TYPE_CHECKING:
    from ..planchange import Change
    from ..template import Template
    from ..terraform import Plan

TYPE = spec.TYPE
PLANNABLE = {TYPE: frozenset({"versioning", "mfa_delete", "tags"})}
# Neither CloudFormation nor Terraform can turn MFA delete on (only the root user's API
# call can): a new bucket has it off, as a bucket that never had it answers live.
MFA_DELETE = spec.MFA_DELETE.default
# A bucket whose template sets no versioning has never had it: as GetBucketVersioning says.
UNVERSIONED = spec.VERSIONING.default


def bucket_from_template(t: Template, logical_id: str, r: dict[str, Any]) -> Planned:
    data = {
        "versioning": t.value(r, "VersioningConfiguration", "Status", default=UNVERSIONED),
        "mfa_delete": MFA_DELETE,
        "tags": t.tags(r),
    }
    return t.planned(logical_id, r, TYPE, t.value(r, "BucketName"), data,
                     {"versioning": "VersioningConfiguration", "tags": "Tags"})


def bucket_from_plan(p: Plan, c: Change) -> Planned:
    name = c.get("bucket")
    versioning: Any = UNVERSIONED
    legacy = c.block("versioning").get("enabled")  # the provider's v3 inline block
    if legacy is not None:
        versioning = legacy if isinstance(legacy, Unknown) else \
            ("Enabled" if legacy else "Disabled")
    elsewhere = {}
    for v in p.of_type("aws_s3_bucket_versioning"):
        bucket = v.get("bucket")
        if (bucket == name and not isinstance(name, Unknown)) or (
                isinstance(bucket, Unknown) and v.refers_to_change("bucket", c)):
            versioning = v.block("versioning_configuration").get("status", default=UNVERSIONED)
            elsewhere["versioning"] = p.location(v)[0]
    data = {"versioning": versioning, "mfa_delete": MFA_DELETE, "tags": plan_tags(c)}
    return p.planned(c, TYPE, name, data, {"versioning": "versioning", "tags": "tags"},
                     elsewhere)


FIXES = {TYPE: {"versioning": Fix(
    "set VersioningConfiguration.Status: Enabled",
    "add resource \"aws_s3_bucket_versioning\" { bucket = <this bucket>.id "
    "versioning_configuration { status = \"Enabled\" } }")}}
CLOUDFORMATION = {"AWS::S3::Bucket": bucket_from_template}
TERRAFORM = {"aws_s3_bucket": bucket_from_plan}

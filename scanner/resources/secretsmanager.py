"""Secrets Manager secrets: rotation switched on, its interval, and when it last happened.

ListSecrets answers every field the rotation policies read (RotationEnabled, RotationRules,
LastRotatedDate, Tags) for up to 100 secrets a page, so the type is a listing alone: one
paginated call per account-region, no call per secret. A secret that was never rotated has
no LastRotatedDate: ``last_rotated`` is null, a fact a policy can fail on, not a gap.
"""

from __future__ import annotations

from .spec import (
    TAGS_ATTRIBUTE,
    Attribute,
    Call,
    Field,
    Get,
    Listing,
    ResourceType,
    boolean,
    iso_time,
    tag_list,
)

TYPE = "aws.secretsmanager.secret"

ROTATION_ENABLED = Field(
    Attribute("rotation_enabled", "Automatic rotation is switched on", True, "automatic rotation"),
    Get("RotationEnabled", False, boolean),  # never configured: ListSecrets leaves it out
)
ROTATION_INTERVAL = Field(
    Attribute("rotation_interval_days", "Days between scheduled rotations, or null (no "
              "schedule, or one written as a cron expression)", 30, "rotation interval"),
    Get("RotationRules.AutomaticallyAfterDays"),
)
LAST_ROTATED = Field(
    Attribute("last_rotated", "When the secret was last rotated (ISO 8601), or null: never",
              "2026-01-01T00:00:00+00:00", "last rotation"),
    Get("LastRotatedDate", convert=iso_time),
)
TAGS = Field(TAGS_ATTRIBUTE, Get("Tags", convert=tag_list))

RESOURCE = ResourceType(
    name=TYPE,
    description="A Secrets Manager secret",
    listing=Listing(
        Call("secretsmanager", "ListSecrets", "SecretList", page_size=100,
             page_param="MaxResults"),
        id=Get("Name"),
        arn=Get("ARN"),
        fields=(ROTATION_ENABLED, ROTATION_INTERVAL, LAST_ROTATED, TAGS),
    ),
    cloudformation=("AWS::SecretsManager::Secret",),
    terraform=("aws_secretsmanager_secret",),
)

"""Secrets Manager secrets, optionally rotated."""

from __future__ import annotations

from typing import Any

import boto3

from .tagging import tag_list


def create_secret(session: boto3.Session, region: str, name: str, *,
                  rotate_every_days: int | None = None,
                  tags: dict[str, str] | None = None) -> str:
    """A secret; ``rotate_every_days`` schedules rotation and rotates once (now)."""
    secrets = session.client("secretsmanager", region_name=region)
    params: dict[str, Any] = {"Name": name, "SecretString": "demo-value"}
    if tags:
        params["Tags"] = tag_list(tags)
    arn = str(secrets.create_secret(**params)["ARN"])
    if rotate_every_days:
        # moto rotates without a rotation function; AWS would need RotationLambdaARN.
        secrets.rotate_secret(SecretId=arn,
                              RotationRules={"AutomaticallyAfterDays": rotate_every_days})
    return arn

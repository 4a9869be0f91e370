"""Cognito user pools."""

from __future__ import annotations

import boto3


def create_user_pool(session: boto3.Session, region: str, name: str, *, mfa: str = "OFF",
                     tags: dict[str, str] | None = None, deletion_protection: bool = False) -> str:
    """A user pool; ``mfa`` ('OFF', 'ON', 'OPTIONAL') with software-token MFA. Its id."""
    idp = session.client("cognito-idp", region_name=region)
    pool_id = idp.create_user_pool(
        PoolName=name, UserPoolTags=tags or {},
        DeletionProtection="ACTIVE" if deletion_protection else "INACTIVE")["UserPool"]["Id"]
    if mfa != "OFF":
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
    return str(pool_id)

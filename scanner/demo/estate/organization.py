"""The organisation of the demo estate: its accounts, and a session in each."""

from __future__ import annotations

import boto3

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
MEMBER_ROLE = "OrganizationAccountAccessRole"


def account_session(account_id: str, region: str = "us-east-1") -> boto3.Session:
    """Credentials for ``account_id``: moto switches account on AssumeRole."""
    if account_id == MANAGEMENT_ACCOUNT:
        return boto3.Session(region_name=region)
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def create_organization(accounts: list[str]) -> dict[str, str]:
    """An organization in the management account with one member per name: name -> id."""
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids = {}
    for name in accounts:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        ids[name] = status["CreateAccountStatus"]["AccountId"]
    return ids

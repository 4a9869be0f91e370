"""The registry of resource types. Adding a type: write its module, list it here."""

from __future__ import annotations

from . import account, apigateway, awslambda, cognito, dynamodb, route53, s3
from .base import Attribute, Detail, ResourceType

REGISTRY: dict[str, ResourceType] = {
    t.name: t
    for t in (
        dynamodb.RESOURCE,
        s3.RESOURCE,
        cognito.RESOURCE,
        apigateway.REST_RESOURCE,
        apigateway.HTTP_RESOURCE,
        awslambda.RESOURCE,
        account.REGION_RESOURCE,
        account.ACCOUNT_RESOURCE,
        route53.RESOURCE,
    )
}

__all__ = ["REGISTRY", "Attribute", "Detail", "ResourceType"]

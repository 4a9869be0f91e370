"""The registry of resource types. Adding a type: write its spec module, list it here."""

from __future__ import annotations

from . import (
    account,
    amplify,
    apigateway,
    apigateway_account,
    awslambda,
    cloudfront,
    cognito,
    dynamodb,
    logs,
    route53,
    s3,
    secretsmanager,
    wafv2,
)
from .spec import Attribute, Call, CustomDetail, CustomListing, Detail, Field, Get, Listing, ResourceType

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
        logs.RESOURCE,
        apigateway_account.RESOURCE,
        secretsmanager.RESOURCE,
        wafv2.RESOURCE,
        cloudfront.RESOURCE,
        amplify.RESOURCE,
    )
}

__all__ = ["REGISTRY", "Attribute", "Call", "CustomDetail", "CustomListing", "Detail", "Field",
           "Get", "Listing", "ResourceType"]

"""Cognito user pools: MFA configuration and tags (one DescribeUserPool gives both)."""

from __future__ import annotations

from .spec import TAGS_ATTRIBUTE, Attribute, Call, Detail, Field, Get, Listing, ResourceType, mapping

TYPE = "aws.cognito.user_pool"

MFA_CONFIGURATION = Field(Attribute("mfa_configuration", "OFF, ON or OPTIONAL", "ON"),
                          Get("MfaConfiguration", "OFF"))
DELETION_PROTECTION = Field(Attribute("deletion_protection", "ACTIVE or INACTIVE", "ACTIVE"),
                            Get("DeletionProtection", "INACTIVE"))
TAGS = Field(TAGS_ATTRIBUTE, Get("UserPoolTags", convert=mapping))

RESOURCE = ResourceType(
    name=TYPE,
    description="A Cognito user pool",
    listing=Listing(
        Call("cognito-idp", "ListUserPools", "UserPools", page_size=60, page_param="MaxResults"),
        id=Get("Id"),
        name=Get("Name"),
        arn="arn:{partition}:cognito-idp:{region}:{account}:userpool/{id}",
    ),
    details=(
        Detail("user_pool", Call("cognito-idp", "DescribeUserPool", "UserPool"),
               {"UserPoolId": "id"}, (MFA_CONFIGURATION, DELETION_PROTECTION, TAGS)),
    ),
    cloudformation=("AWS::Cognito::UserPool",),
    terraform=("aws_cognito_user_pool",),
)

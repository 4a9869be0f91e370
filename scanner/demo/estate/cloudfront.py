"""CloudFront distributions."""

from __future__ import annotations

import boto3

from .tagging import tag_list


def create_distribution(session: boto3.Session, name: str, *, logging_bucket: str | None = None,
                        web_acl: bool = False, tags: dict[str, str] | None = None) -> str:
    """A CloudFront distribution in front of an S3 origin (``name`` is its comment and
    caller reference); with ``logging_bucket`` it writes standard logs there, with
    ``web_acl`` a CLOUDFRONT-scope web ACL is attached. Returns its id."""
    acl = ""
    if web_acl:
        acl = session.client("wafv2", region_name="us-east-1").create_web_acl(
            Name=f"{name}-edge", Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                              "MetricName": f"{name}-edge"})["Summary"]["ARN"]
    config = {
        "CallerReference": name, "Comment": name, "Enabled": True, "WebACLId": acl,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "origin", "DomainName": f"{name}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin",
                                 "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "Logging": {"Enabled": logging_bucket is not None, "IncludeCookies": False,
                    "Bucket": f"{logging_bucket}.s3.amazonaws.com" if logging_bucket else "",
                    "Prefix": "cloudfront/" if logging_bucket else ""},
    }
    answer = session.client("cloudfront", region_name="us-east-1").create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config,
                                    "Tags": {"Items": tag_list(tags)}})
    return str(answer["Distribution"]["Id"])

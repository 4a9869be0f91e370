"""CloudFront distributions: standard logging, the web ACL, additional metrics, tags.

Distributions are global: listed once per account (ListDistributions answers every one,
with its web ACL, from CloudFront's one endpoint, which signs in us-east-1 whatever region
the client names). Logging needs GetDistributionConfig and the additional metrics
(``CacheHitRate``, ``OriginLatency``...) GetMonitoringSubscription, each once per
distribution and only when a policy reads them. Tags come from CloudFront's own
ListTagsForResource: the Resource Groups Tagging API answers CloudFront only in us-east-1,
and the shared tagging listing is made in the region being scanned.
"""

from __future__ import annotations

from typing import Any

from .spec import (
    TAGS_ATTRIBUTE,
    Attribute,
    Call,
    Detail,
    Field,
    Get,
    Listing,
    ResourceType,
    boolean,
    tag_list,
)

TYPE = "aws.cloudfront.distribution"


def blank_is_none(value: Any) -> Any:
    """CloudFront answers "" for an unset string (no web ACL, no log bucket): null."""
    return value or None


LIST_DISTRIBUTIONS = Call("cloudfront", "ListDistributions", "DistributionList.Items",
                          page_size=100, empty_when_absent=True)  # no Items when none exist

WEB_ACL = Field(
    Attribute("web_acl_id", "The AWS WAF web ACL attached (a WAFv2 ARN), null when none",
              "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0f1e2d3c", "web ACL"),
    Get("WebACLId", convert=blank_is_none))
ALIASES = Field(Attribute("aliases", "Alternate domain names (CNAMEs)", ["www.example.com"]),
                Get("Aliases.Items", [], list))
ENABLED = Field(Attribute("enabled", "Whether the distribution serves requests", True),
                Get("Enabled", False, boolean))
DOMAIN = Field(Attribute("domain_name", "The distribution's own domain name",
                         "d111111abcdef8.cloudfront.net"), Get("DomainName"))

LOGGING = Field(
    Attribute("logging", "Standard logging: {enabled, bucket (null when off), prefix}",
              {"enabled": True, "bucket": "shop-logs.s3.amazonaws.com", "prefix": "cdn/"},
              "standard logging"),
    {"enabled": Get("Logging.Enabled", False, boolean),
     "bucket": Get("Logging.Bucket", convert=blank_is_none),
     "prefix": Get("Logging.Prefix", convert=blank_is_none)})
# Without a subscription AWS answers NoSuchMonitoringSubscription: the metrics are off.
ADDITIONAL_METRICS = Field(
    Attribute("additional_metrics", "Enabled or Disabled: CloudFront's additional metrics "
              "(CacheHitRate, OriginLatency, error rates by status code)", "Enabled",
              "additional metrics"),
    Get("RealtimeMetricsSubscriptionConfig.RealtimeMetricsSubscriptionStatus", "Disabled"))
TAGS = Field(TAGS_ATTRIBUTE, Get("Items", convert=tag_list))

RESOURCE = ResourceType(
    name=TYPE,
    description="A CloudFront distribution (global: listed once per account)",
    # Named by its comment, which is what people call it (IaC mappings do the same); a
    # distribution without one by its id.
    listing=Listing(LIST_DISTRIBUTIONS, id=Get("Id"), name=Get("Comment", convert=blank_is_none),
                    arn=Get("ARN"),
                    fields=(DOMAIN, ALIASES, ENABLED, WEB_ACL)),
    per_account=True,
    details=(
        Detail("config", Call("cloudfront", "GetDistributionConfig", "DistributionConfig"),
               {"Id": "id"}, (LOGGING,)),
        Detail("monitoring", Call("cloudfront", "GetMonitoringSubscription",
                                  "MonitoringSubscription"),
               {"DistributionId": "id"}, (ADDITIONAL_METRICS,),
               missing=frozenset({"NoSuchMonitoringSubscription"})),
        Detail("tags", Call("cloudfront", "ListTagsForResource", "Tags"), {"Resource": "arn"},
               (TAGS,)),
    ),
    # The types a distribution is declared as; its monitoring subscription, a resource of its
    # own in both, is joined in by the IaC mapping.
    cloudformation=("AWS::CloudFront::Distribution",),
    terraform=("aws_cloudfront_distribution",),
)

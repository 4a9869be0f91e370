"""Tags from the Resource Groups Tagging API, for the types whose own APIs tag per resource.

DynamoDB (ListTagsOfResource), S3 (GetBucketTagging) and Lambda (ListTags) answer tags one
resource at a time. The Resource Groups Tagging API answers them for every resource of
those types in an account-region at once: one paginated GetResources (100 resources a
page), shared by every type whose tags the scan reads. It lists only resources that have
(or had) tags, so a listed resource it does not name has no tags: ``{}``, exactly as the
per-resource calls answer. IAM: ``tag:GetResources``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import engine
from .spec import Attribute, Call, CustomDetail, Document, tag_list

if TYPE_CHECKING:
    from ..aws import RegionContext
    from ..models import Resource

# Shared under a key naming the filters it was asked for (see tags_by_arn), not `shared`:
# the filters are the scan's, so the answer is one per account-region all the same.
GET_RESOURCES = Call("resourcegroupstaggingapi", "GetResources", "ResourceTagMappingList",
                     page_size=100, page_param="ResourcesPerPage", shared="tagging")


def tags_by_arn(ctx: RegionContext, type_filter: str) -> dict[str, dict[str, str]]:
    """Tags of every tagged resource of the scan's tag-read types here, by ARN; listed once."""
    filters = sorted(ctx.tag_filters | {type_filter})
    return ctx.shared("tagging:" + ",".join(filters), lambda: {  # type: ignore[no-any-return]
        mapping["ResourceARN"]: tag_list(mapping.get("Tags"))
        for mapping in engine.items(ctx, GET_RESOURCES, ResourceTypeFilters=filters)
    })


def tags_detail(type_filter: str) -> CustomDetail:
    """The ``tags`` attribute of a type, from the shared tagging listing.

    ``type_filter`` is the type's Resource Groups Tagging API filter (``dynamodb:table``).
    """

    def fetch(ctx: RegionContext, resources: list[Resource]) -> dict[str, Document]:
        by_arn = tags_by_arn(ctx, type_filter)
        return {r.id: {"tags": dict(by_arn.get(r.arn or "", {}))} for r in resources}

    return CustomDetail(
        "tags", (GET_RESOURCES,),
        (Attribute("tags", "Resource tags as a mapping (one Resource Groups Tagging API "
                   "listing per account-region)", {"Environment": "prod"}, "tags"),),
        fetch_batch=fetch, tagging_filter=type_filter,
    )

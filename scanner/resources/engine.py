"""The one engine that executes resource specs: list a type, fetch a detail.

It calls AWS only through the :class:`RegionContext` the collector hands it, so the
read-only guard, call counting, credentials and the scan's worker pool apply unchanged;
it returns data or raises, and the collector turns whatever it raises into a gap (a
listing) or unreadable attributes (a detail). An answer that lacks the key a spec reads
its items or result from raises :class:`MalformedAnswer`, unless the service model says the
key is an optional list AWS leaves out of an empty answer (as botocore's paginators read it):
never silently an empty list where items could have been.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import PreflightSignal
from .spec import AnyDetail, Call, CustomListing, Detail, Document, Get, Listing, ResourceType

if TYPE_CHECKING:
    from botocore.model import ServiceModel

    from ..aws import RegionContext
    from ..models import Resource


class MalformedAnswer(PreflightSignal):
    """An answer without the key its spec reads: the call's result cannot be trusted."""

    def __init__(self, call: Call, key: str, problem: str = "") -> None:
        super().__init__(f"{call.operation} answered {key!r} that {problem}: its result could "
                         "not be read" if problem else
                         f"{call.operation} answered without {key!r}: its result could not be "
                         "read")
        self.operation = call.operation


def items(ctx: RegionContext, call: Call, **params: Any) -> list[Any]:
    """Every item a listing call answers, all pages, or an exception: never a partial list."""
    key = _result_key(call)
    request = call.request(**params)
    paginator = ctx.sessions.paginator(ctx.account, call.service, ctx.region, call.method)
    model = ctx.client(call.service).meta.service_model
    found: list[Any] = []
    if paginator is not None:
        for page in paginator.paginate(**request):
            found.extend(listed(model, call, page, key))
        return found
    method = getattr(ctx.client(call.service), call.method)
    seen: set[str] = set()
    while True:  # no botocore paginator: follow the declared token, if any
        page = method(**request)
        listing = listed(model, call, page, key)
        found.extend(listing)
        if call.token is None or not page.get(call.token) or _last_page(call, listing):
            return found
        token = page[call.token]
        if token in seen:  # as botocore's paginators refuse it: the listing would never end
            raise MalformedAnswer(call, call.token, "repeats an earlier page's token")
        seen.add(token)
        request = {**request, call.token: token}


def _last_page(call: Call, listing: list[Any]) -> bool:
    """Whether a page ends the listing although it carries a token (see
    ``Call.token_on_last_page``)."""
    return call.token_on_last_page and call.page_size is not None and \
        len(listing) < call.page_size


def result(call: Call, page: Mapping[str, Any]) -> Any:
    """The items (or the result) one answer of ``call`` holds: for listings read page by
    page in code, that stop early (Amplify's jobs, newest first)."""
    return _result(call, page, _result_key(call))


def answer(ctx: RegionContext, call: Call, **params: Any) -> Any:
    """The result of a call that describes one thing (``call.result`` of its answer)."""
    response = getattr(ctx.client(call.service), call.method)(**call.request(**params))
    return _result(call, response, call.result) if call.result else response


def shared_items(ctx: RegionContext, call: Call) -> list[Any]:
    """A listing several types read (``call.shared``), made once per account-region."""
    if call.shared is None:
        raise ValueError(f"{call.name} is not declared shared")
    return ctx.shared(call.shared, lambda: items(ctx, call))  # type: ignore[no-any-return]


def list_resources(rtype: ResourceType, ctx: RegionContext) -> list[Resource]:
    listing = rtype.listing
    if isinstance(listing, CustomListing):
        return list(listing.list(ctx))
    params = {listing.region_param: ctx.region} if listing.region_param else {}
    # A shared listing (log groups) is made once however many types read it.
    listed = shared_items(ctx, listing.call) if listing.call.shared and not params \
        else items(ctx, listing.call, **params)
    return [_resource(rtype.name, listing, ctx, item) for item in listed]


def _resource(type_name: str, listing: Listing, ctx: RegionContext, item: Any) -> Resource:
    resource_id = str(listing.id.read(item))
    name = listing.name.read(item) if listing.name else None
    name = resource_id if name is None else str(name)
    arn = listing.arn
    if isinstance(arn, Get):
        arn = arn.read(item)
    elif arn is not None:
        arn = arn.format(partition=ctx.sessions.partition(ctx.region), region=ctx.region,
                         account=ctx.account.id, id=resource_id, name=name)
    return ctx.resource(type_name, resource_id, name, arn,
                        {f.attribute.name: f.read(item) for f in listing.fields})


def fetch_one(detail: AnyDetail, ctx: RegionContext, resource: Resource) -> Document:
    """A per-resource detail's document for ``resource``."""
    if not isinstance(detail, Detail):
        if detail.fetch_one is None:
            raise ValueError(f"detail {detail.name} is not per resource")
        return detail.fetch_one(ctx, resource)
    params = {param: _property(resource, source) for param, source in detail.params.items()}
    result: Any  # a listing's items, or one answer's document
    try:
        if detail.call.lists:
            result = items(ctx, detail.call, **params)
        else:
            result = answer(ctx, detail.call, **params)
    except Exception as exc:
        if not detail.missing or _code(exc) not in detail.missing:
            raise
        result = {}  # "nothing configured": every field takes its default
    return {f.attribute.name: f.read(result) for f in detail.fields}


def _property(resource: Resource, source: str) -> Any:
    if source in ("id", "name", "arn"):
        return getattr(resource, source)
    return resource.data[source]


def _result_key(call: Call) -> str:
    if not call.result:
        raise ValueError(f"{call.name} declares no result key to read items from")
    return call.result


def listed(model: ServiceModel, call: Call, page: Mapping[str, Any], key: str) -> list[Any]:
    """A page's items. AWS omits an empty list its model marks optional (API Gateway's
    GetStages ``item``): that absence is an empty page. A key the model requires, or does
    not know (a spec's typo), is malformed."""
    if key not in page and optional_list(model, call, key):
        return []
    items = _result(call, page, key)
    if not isinstance(items, list):
        raise MalformedAnswer(call, key, "is not a list")
    return items


def optional_list(model: ServiceModel, call: Call, key: str) -> bool:
    """Is ``key`` a list the operation's output shape does not require?"""
    output = model.operation_model(call.operation).output_shape
    if output is None or key in output.required_members:
        return False
    member = output.members.get(key)
    return member is not None and member.type_name == "list"


def _result(call: Call, answer: Mapping[str, Any], key: str) -> Any:
    *parents, key = key.split(".")
    for parent in parents:  # a nested result: CloudFront's "DistributionList.Items"
        if not isinstance(answer.get(parent), Mapping):
            raise MalformedAnswer(call, parent)
        answer = answer[parent]
    if key not in answer:
        if call.empty_when_absent:
            return []
        raise MalformedAnswer(call, key)
    return answer[key]


def _code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code"))
    return None


def fetch_batch(detail: AnyDetail, ctx: RegionContext,
                resources: list[Resource]) -> dict[str, Document]:
    """A batch detail's documents, by resource id, for every resource of a place."""
    if isinstance(detail, Detail) or detail.fetch_batch is None:
        raise ValueError(f"detail {detail.name} is not a batch")
    return detail.fetch_batch(ctx, resources)

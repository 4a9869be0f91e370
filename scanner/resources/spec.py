"""A resource type as data: the calls that list and describe it, and what each answer gives.

Cloud Custodian's ``TypeInfo`` taught the shape: a type is mostly a description of its API
(which call lists it, which key holds the items, which call describes one, which field is
its id). One engine (``engine.py``) executes every description, and everything else that
needs to know about calls derives from the same objects: the collector's plan, `preflight
resources`, the IAM policy, the minimum-call model in ``benchmarks/`` and the README's
resource table. Code remains only where a type genuinely joins several answers (alarms by
dimensions, Lambda <-> API Gateway integrations, Route 53 failover pairs): a
:class:`CustomListing` or :class:`CustomDetail`, whose calls are still declared as
:class:`Call` objects so nothing is a bare string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

if TYPE_CHECKING:
    from ..aws import RegionContext
    from ..models import Resource

Document = dict[str, Any]
ListFn = Callable[["RegionContext"], Iterable["Resource"]]
FetchOne = Callable[["RegionContext", "Resource"], Document]
FetchBatch = Callable[["RegionContext", list["Resource"]], dict[str, Document]]
Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Call:
    """One AWS API operation as the scanner makes it.

    ``page_size`` is what one answer holds at most, as AWS documents it (None: the whole
    listing comes in one answer, or the call is not a listing); ``page_param`` is the
    parameter that asks for that size, when the server's default is smaller. ``result`` is
    the key of the answer that holds the items (a listing) or the described thing (a
    detail): an answer without it is an error, never an empty list. A dotted ``result``
    ("DistributionList.Items") reads a nested key: a missing parent is an error, a missing
    last key is ``empty_when_absent``'s to decide.
    """

    service: str  # botocore client name: "cognito-idp", "apigatewayv2"
    operation: str  # as in the service model: "ListUserPools"
    result: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    page_size: int | None = None
    page_param: str | None = None
    # For listings without a botocore paginator: the token the answer and the request share.
    token: str | None = None
    # The service answers a token even on its last page (WAFv2's NextMarker: boto3#3715), so
    # a page shorter than ``page_size`` ends the listing; following the token would not end.
    token_on_last_page: bool = False
    # The API leaves ``result`` out of an empty answer (SQS ListQueues): only for such a
    # call is its absence an empty list rather than an error.
    empty_when_absent: bool = False
    # Answered once per account-region for every type that reads it (the region's REST
    # APIs, CloudWatch alarms, the tagging listing): the key the answer is shared under.
    shared: str | None = None
    # Called once per item another call listed (GetStages per REST API): that call.
    per_item_of: Call | None = None
    # IAM: the action when it is not service:Operation (s3:ListBuckets is authorised as
    # s3:ListAllMyBuckets), and API Gateway's resource path (it authorises apigateway:GET
    # on the path a call reads).
    iam_action: str | None = None
    iam_path: str | None = None
    # Answered only in one region (WAF's CLOUDFRONT scope: us-east-1): made only in the
    # scanned account-regions of that region, never once per scanned region.
    only_region: str | None = None
    # A join's call, made once per distinct value of this attribute among a place's
    # resources (GetWebACL per web ACL the stages name), never once per resource: a
    # resource without the value costs nothing.
    per_value_of: str | None = None

    @property
    def name(self) -> str:
        """``service:Operation``: how call counts, errors and the IAM mapping name it."""
        return f"{self.service}:{self.operation}"

    @property
    def method(self) -> str:
        """The boto3 client method: ``ListUserPools`` -> ``list_user_pools``."""
        from botocore import xform_name

        return str(xform_name(self.operation))

    @property
    def lists(self) -> bool:
        """Whether the call answers a listing (in pages) rather than one document."""
        return self.page_size is not None or self.token is not None

    def request(self, **params: Any) -> dict[str, Any]:
        """The parameters of one request: constants, the page size, then ``params``."""
        sized = {self.page_param: self.page_size} if self.page_param and self.page_size else {}
        return {**self.params, **sized, **params}


@dataclass(frozen=True, eq=False)
class Attribute:
    name: str
    description: str
    example: Any = None
    # What the attribute is, as a sentence names it ("versioning"), where the description's
    # head does not say it ("Enabled, Suspended or ..."): findings' messages use it.
    label: str | None = None


# Tags, as every type that reads them offers them to checks and scopes: one attribute.
TAGS_ATTRIBUTE = Attribute("tags", "Resource tags as a mapping", {"Environment": "prod"}, "tags")


@dataclass(frozen=True)
class Get:
    """A value read from an answer by a dotted path ("BillingModeSummary.BillingMode").

    An absent key anywhere along the path gives ``default`` (AWS omits what was never set);
    ``convert`` then shapes the value (``boolean``, ``iso_time``, ``mapping``...).
    """

    path: str
    default: Any = None
    convert: Convert | None = None

    def read(self, answer: Any) -> Any:
        value = answer
        for key in self.path.split(".") if self.path else ():
            if not isinstance(value, Mapping) or key not in value:
                value = self.default
                break
            value = value[key]
        return self.convert(value) if self.convert else value


# A field's value: one Get, or a mapping of names to Gets (a nested document).
Shape: TypeAlias = "Get | Mapping[str, Shape]"


@dataclass(frozen=True, eq=False)
class Field:
    """An attribute and how to read it from an answer."""

    attribute: Attribute
    shape: Shape

    @property
    def default(self) -> Any:
        """The value when AWS's answer leaves it out: IaC mappings assume the same."""
        return _default(self.shape)

    def read(self, answer: Any) -> Any:
        return _read(self.shape, answer)


def _read(shape: Shape, answer: Any) -> Any:
    if isinstance(shape, Get):
        return shape.read(answer)
    return {name: _read(inner, answer) for name, inner in shape.items()}


def _default(shape: Shape) -> Any:
    if isinstance(shape, Get):
        return shape.convert(shape.default) if shape.convert else shape.default
    return {name: _default(inner) for name, inner in shape.items()}


# --- converters: named, so a spec says what it does to a value -------------------------

def boolean(value: Any) -> bool:
    return bool(value)


def mapping(value: Any) -> dict[str, Any]:
    """Tags and similar maps; absent or null is empty."""
    return dict(value or {})


def tag_list(value: Any) -> dict[str, str]:
    """AWS returns tags as [{Key, Value}]; policies read them as a mapping."""
    return {item["Key"]: item.get("Value", "") for item in value or []}


def epoch_millis(value: Any) -> str | None:
    """Milliseconds since the epoch (CloudWatch Logs' timestamps) as ISO 8601 in UTC."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return datetime.fromtimestamp(value / 1000, UTC).isoformat()


def iso_time(value: Any) -> str | None:
    """Timestamps as ISO 8601 in UTC, whatever zone botocore parsed them into."""
    if not isinstance(value, datetime):
        return None
    return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


# --- listings --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Listing:
    """How one call lists a type's resources in an account-region.

    ``id`` and ``name`` read the item (an empty path: the item itself, as ListTables answers
    bare names; ``name`` None: the id). ``arn`` is a template over ``partition``, ``region``,
    ``account``, ``id`` and ``name`` (``arn:{partition}:s3:::{name}``), or a Get when the
    item carries it; ``region`` and ``account`` fill the ARN from the call's context.
    """

    call: Call
    id: Get
    arn: str | Get | None
    name: Get | None = None
    fields: tuple[Field, ...] = ()
    # A parameter naming the region being scanned (ListBuckets' BucketRegion): the listing
    # answers only what lives there.
    region_param: str | None = None

    @property
    def calls(self) -> tuple[Call, ...]:
        return (self.call,)

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(f.attribute for f in self.fields)


@dataclass(frozen=True, eq=False)
class CustomListing:
    """A listing that is code: a fan-out (stages of each API) or no call at all."""

    calls: tuple[Call, ...]
    list: ListFn
    attributes: tuple[Attribute, ...] = ()


# --- details ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Detail:
    """Attributes one call gives, called once per resource that a policy needs them of.

    ``params`` name the request's parameters and the resource property each comes from
    (``{"TableName": "name"}``: ``id``, ``name`` or ``arn``, or an attribute already read).
    ``call.result`` locates the answer's document that ``fields`` read (a call that lists,
    such as ListAliases: the list of every page's items); ``missing`` lists error codes
    that mean "nothing configured", so the fields take their defaults.
    """

    name: str
    call: Call
    params: Mapping[str, str]
    fields: tuple[Field, ...]
    missing: frozenset[str] = frozenset()

    # As CustomDetail answers them: the collector treats both kinds alike.
    per_resource: ClassVar[bool] = True
    tagging_filter: ClassVar[str | None] = None

    @property
    def calls(self) -> tuple[str, ...]:
        return (self.call.name,)

    @property
    def spec_calls(self) -> tuple[Call, ...]:
        return (self.call,)

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(f.attribute for f in self.fields)


@dataclass(frozen=True, eq=False)
class CustomDetail:
    """Attributes that are code: a join of answers (alarms by dimensions, backups by table).

    ``fetch_one`` calls once per resource; ``fetch_batch`` once per account-region for every
    resource of the type and returns a document per resource id.
    """

    name: str
    spec_calls: tuple[Call, ...]
    attributes: tuple[Attribute, ...]
    fetch_one: FetchOne | None = None
    fetch_batch: FetchBatch | None = None
    # Set when the detail reads the shared Resource Groups Tagging API listing: the
    # type's filter there (e.g. dynamodb:table), so one listing serves every such type.
    tagging_filter: str | None = None

    @property
    def calls(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.spec_calls)

    @property
    def per_resource(self) -> bool:
        return self.fetch_one is not None


AnyDetail: TypeAlias = "Detail | CustomDetail"

COMMON = (
    Attribute("id", "Identifier of the resource within its account and region"),
    Attribute("name", "Human-readable name"),
    Attribute("arn", "Amazon Resource Name"),
    Attribute("account_id", "Account the resource lives in"),
    Attribute("region", "Region the resource lives in"),
    Attribute("environment", "Environment: the account's, or the environment tag's"),
    Attribute("scan_time", "When the scan started (ISO 8601): compare ages with "
              "days_between(timestamp, scan_time)"),
)


@dataclass(frozen=True, eq=False)
class ResourceType:
    name: str
    description: str
    listing: Listing | CustomListing
    details: tuple[AnyDetail, ...] = ()
    # True for account-wide things (budgets, dashboards): listed once per account, in the
    # first scanned region, instead of once per account-region.
    per_account: bool = False
    # The infrastructure-as-code types that declare it (the first: the type's own).
    cloudformation: tuple[str, ...] = ()
    terraform: tuple[str, ...] = ()
    # Built-in keys every resource document carries, whatever the type.
    common: tuple[Attribute, ...] = field(default=COMMON, repr=False)

    @property
    def listed(self) -> tuple[Attribute, ...]:
        return self.listing.attributes

    @property
    def list_calls(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.listing.calls)

    def calls(self) -> tuple[Call, ...]:
        """Every call the type can make, listing first, each once."""
        found: dict[str, Call] = {}
        for call in (*self.listing.calls, *(c for d in self.details for c in d.spec_calls)):
            found.setdefault(call.name, call)
        return tuple(found.values())

    def attribute_names(self) -> list[str]:
        names = [a.name for a in self.common] + [a.name for a in self.listed]
        for detail in self.details:
            names.extend(a.name for a in detail.attributes)
        return names

    def field(self, attribute: str) -> Field | None:
        """The declarative field that reads ``attribute`` (None: code provides it)."""
        fields = [*(self.listing.fields if isinstance(self.listing, Listing) else ()),
                  *(f for d in self.details if isinstance(d, Detail) for f in d.fields)]
        return next((f for f in fields if f.attribute.name == attribute), None)

    def detail_for(self, attribute: str) -> AnyDetail | None:
        """The detail that provides ``attribute``; None when listing provides it."""
        for detail in self.details:
            if any(a.name == attribute for a in detail.attributes):
                return detail
        return None

    def details_for(self, attributes: Iterable[str]) -> list[AnyDetail]:
        wanted = {detail.name for a in attributes if (detail := self.detail_for(a))}
        return [d for d in self.details if d.name in wanted]

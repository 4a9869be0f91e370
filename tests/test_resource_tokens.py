"""Listings that follow a token by hand (no botocore paginator) always end, and never short.

WAFv2 answers a NextMarker even on its last page (boto3#3715): following it would not end,
so a page shorter than the page size asked for ends WAF's listings. A token that comes back
a second time is an error, as botocore's own paginators make it: never an endless listing.
moto paginates WAF by the book, so these answers come from botocore's Stubber (validated
against the service model) on the scan's own clients.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from preflight_scanner.aws import RegionContext, Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Account
from preflight_scanner.resources import apigateway, engine, wafv2

ACCOUNT = estate.MANAGEMENT_ACCOUNT
REGION = "eu-west-1"


def _context(service: str) -> tuple[RegionContext, Stubber]:
    ctx = RegionContext(Sessions(), Account(ACCOUNT, "management", "prod"), REGION)
    stubber = Stubber(ctx.client(service))
    stubber.activate()
    return ctx, stubber


def _acl(n: int) -> dict[str, Any]:
    return {"Name": f"acl-{n}", "Id": f"{n:08d}-0000-0000-0000-000000000000",
            "Description": "", "LockToken": "token",
            "ARN": f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/acl-{n}/{n:08d}"}


def _api(n: int) -> dict[str, Any]:
    return {"ApiId": f"api{n}", "Name": f"api-{n}", "ProtocolType": "HTTP",
            "RouteSelectionExpression": "$request.method $request.path"}


REQUEST = {"Scope": "REGIONAL", "Limit": 100}


def test_a_short_waf_page_ends_the_listing_despite_its_marker(aws):
    ctx, stubber = _context("wafv2")
    stubber.add_response("list_web_acls", {"WebACLs": [_acl(1)], "NextMarker": "m1"}, REQUEST)

    # A second request would find no stubbed answer and raise: one call is the proof.
    assert engine.items(ctx, wafv2.LIST_REGIONAL) == [_acl(1)]
    stubber.assert_no_pending_responses()


def test_a_full_waf_page_is_followed_to_the_next(aws):
    ctx, stubber = _context("wafv2")
    full = [_acl(n) for n in range(100)]
    stubber.add_response("list_web_acls", {"WebACLs": full, "NextMarker": "m1"}, REQUEST)
    stubber.add_response("list_web_acls", {"WebACLs": [_acl(100)], "NextMarker": "m2"},
                         {**REQUEST, "NextMarker": "m1"})

    assert engine.items(ctx, wafv2.LIST_REGIONAL) == [*full, _acl(100)]
    stubber.assert_no_pending_responses()


def test_an_empty_waf_page_with_a_marker_ends_the_listing(aws):
    ctx, stubber = _context("wafv2")
    stubber.add_response("list_web_acls", {"WebACLs": [], "NextMarker": "m1"}, REQUEST)

    assert engine.items(ctx, wafv2.LIST_REGIONAL) == []
    stubber.assert_no_pending_responses()


def test_a_token_answered_twice_is_an_error_not_an_endless_listing(aws):
    ctx, stubber = _context("apigatewayv2")
    stubber.add_response("get_apis", {"Items": [_api(1)], "NextToken": "t1"}, {})
    stubber.add_response("get_apis", {"Items": [_api(2)], "NextToken": "t2"}, {"NextToken": "t1"})
    stubber.add_response("get_apis", {"Items": [_api(3)], "NextToken": "t1"}, {"NextToken": "t2"})

    with pytest.raises(engine.MalformedAnswer, match="repeats an earlier page's token"):
        engine.items(ctx, apigateway.HTTP_APIS)
    stubber.assert_no_pending_responses()


def test_other_token_listings_follow_every_token_to_the_end(aws):
    """Without token_on_last_page a short page is no end: API Gateway's pages may be short."""
    ctx, stubber = _context("apigatewayv2")
    stubber.add_response("get_apis", {"Items": [_api(1)], "NextToken": "t1"}, {})
    stubber.add_response("get_apis", {"Items": [_api(2)]}, {"NextToken": "t1"})

    assert engine.items(ctx, apigateway.HTTP_APIS) == [_api(1), _api(2)]
    stubber.assert_no_pending_responses()

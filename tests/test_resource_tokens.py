"""Listings that follow a token by hand (no botocore paginator) always end, and never short.

WAFv2 answers a NextMarker even on its last page (boto3#3715): following it would not end,
so a page shorter than the page size asked for ends WAF's listings. A token that comes back
a second time is an error, as botocore's own paginators make it: never an endless listing.
moto paginates WAF by the book, so these answers come from botocore's Stubber (validated
against the service model) on the scan's own clients.
"""

from __future__ import annotations

import dataclasses
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
            "Description": "edge rules", "LockToken": "token",
            "ARN": f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/acl-{n}/{n:08d}"}


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
    ctx, stubber = _context("wafv2")
    full = [_acl(n) for n in range(100)]
    for asked, answered in ((None, "m1"), ("m1", "m2"), ("m2", "m1")):
        stubber.add_response("list_web_acls", {"WebACLs": full, "NextMarker": answered},
                             {**REQUEST, **({"NextMarker": asked} if asked else {})})

    with pytest.raises(engine.MalformedAnswer, match="repeats an earlier page's token"):
        engine.items(ctx, wafv2.LIST_REGIONAL)
    stubber.assert_no_pending_responses()


def test_without_the_flag_a_short_page_with_a_token_is_followed(aws):
    """A short page ends a listing only where the spec says the service works that way."""
    ctx, stubber = _context("wafv2")
    by_the_book = dataclasses.replace(wafv2.LIST_REGIONAL, token_on_last_page=False)
    stubber.add_response("list_web_acls", {"WebACLs": [_acl(1)], "NextMarker": "m1"}, REQUEST)
    stubber.add_response("list_web_acls", {"WebACLs": [_acl(2)]}, {**REQUEST, "NextMarker": "m1"})

    assert engine.items(ctx, by_the_book) == [_acl(1), _acl(2)]
    stubber.assert_no_pending_responses()


def test_hand_followed_tokens_are_only_where_botocore_has_no_paginator(aws):
    """Listings with a botocore paginator (API Gateway v2's) are paged by botocore, which
    refuses a repeated token itself; the specs' own loop is for the rest (WAF)."""
    ctx, _ = _context("apigatewayv2")
    assert ctx.client("apigatewayv2").can_paginate(apigateway.HTTP_APIS.method)
    assert not ctx.client("wafv2").can_paginate(wafv2.LIST_REGIONAL.method)

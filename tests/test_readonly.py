"""The scanner never writes to AWS: shown by what it sends, and enforced before sending."""

from __future__ import annotations

import boto3
import pytest
from preflight_scanner.aws import MutatingCallBlocked, Sessions, is_read_operation

READ_VERBS = ("Describe", "Get", "List")


def test_every_operation_a_full_scan_issues_is_a_read(demo_scan):
    result, operations = demo_scan.result, demo_scan.sessions.call_log.counts
    assert result.api_calls == sum(operations.values()) > 50
    not_reads = [op for op in operations
                 if not op.split(":")[1].startswith(READ_VERBS)
                 and op not in ("sts:AssumeRole", "sts:GetCallerIdentity")]
    assert not_reads == []


def test_what_reaches_the_wire_is_read_only(demo_scan):
    """Independent of the scanner's own log: the proxy saw every request."""
    assert demo_scan.wire
    for request in demo_scan.wire:
        _, _, what = request.partition(":")
        if " " in what:  # REST protocols: classified by HTTP method
            method = what.split(" ")[0]
            assert method in ("GET", "HEAD"), request
        else:
            assert what.startswith(READ_VERBS) or what in ("AssumeRole", "GetCallerIdentity"), \
                request


def test_a_mutating_call_is_refused_before_it_is_sent(aws):
    sessions = Sessions()
    ddb = sessions.client(None, "dynamodb", "us-east-1")
    with pytest.raises(MutatingCallBlocked, match="dynamodb:CreateTable"):
        ddb.create_table(TableName="x", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
    assert not any("CreateTable" in key for key in aws.seen)


@pytest.mark.parametrize(("service", "operation", "expected"), [
    ("dynamodb", "DescribeTable", True),
    ("s3", "ListBuckets", True),
    ("sts", "AssumeRole", True),
    ("dynamodb", "UpdateContinuousBackups", False),
    ("s3", "PutBucketVersioning", False),
    ("lambda", "InvokeFunction", False),
    ("iam", "AssumeRole", False),  # only STS's AssumeRole is a read
])
def test_read_classification(service, operation, expected):
    assert is_read_operation(service, operation) is expected

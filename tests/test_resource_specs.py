"""A resource type is one spec: registering it is all the IAM policy, `preflight resources`,
the minimum-call model and a scan need; the engine fails closed on a malformed answer."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from preflight_scanner.cli import main
from preflight_scanner.models import Status
from preflight_scanner.resources import REGISTRY, engine, s3
from preflight_scanner.resources.spec import (
    Attribute,
    Call,
    Detail,
    Field,
    Get,
    Listing,
    ResourceType,
    iso_time,
    mapping,
)

from benchmarks.minimum import AccountCounts, PlaceCounts, minimum_calls

# A type no module of the scanner knows: SQS queues (moto serves SQS).
QUEUES = Call("sqs", "ListQueues", "QueueUrls", page_size=1000, page_param="MaxResults",
              empty_when_absent=True)
ATTRIBUTES = Call("sqs", "GetQueueAttributes", "Attributes", {"AttributeNames": ["All"]})
SQS = ResourceType(
    name="aws.sqs.queue",
    description="An SQS queue (a test-only type)",
    listing=Listing(QUEUES, id=Get(""), name=Get("", convert=lambda url: url.rsplit("/", 1)[1]),
                    arn="arn:{partition}:sqs:{region}:{account}:{name}"),
    details=(Detail("attributes", ATTRIBUTES, {"QueueUrl": "id"},
                    (Field(Attribute("visibility_timeout", "Seconds a received message is "
                                     "hidden", "30"), Get("VisibilityTimeout", "30")),)),),
)

POLICY = """\
id: sqs-visibility
title: Queues hide a received message for 30 seconds
description: A test policy over a type registered by the test alone.
severity: low
resource: aws.sqs.queue
check:
  attribute: visibility_timeout
  equals: "30"
runbook: disaster-recovery#restore-s3-object-versions
"""


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    from preflight_scanner.policy import loader

    monkeypatch.setitem(REGISTRY, SQS.name, SQS)
    # The policy schema is generated from the registry once per process: again, with SQS.
    loader._validator.cache_clear()
    path = tmp_path / "sqs-visibility.yml"
    path.write_text(POLICY, encoding="utf-8")
    yield path
    monkeypatch.undo()
    loader._validator.cache_clear()


def test_the_iam_policy_follows_a_registered_spec(sqs, capsys):
    assert main(["iam-policy", "--policies", str(sqs)]) == 0
    statement = json.loads(capsys.readouterr().out)["Statement"]
    assert statement == [{"Sid": "PreflightRead", "Effect": "Allow", "Resource": "*",
                          "Action": ["sqs:GetQueueAttributes", "sqs:ListQueues"]}]


def test_resources_describes_a_registered_spec(sqs, capsys):
    assert main(["resources", "--format", "json"]) == 0
    [entry] = [t for t in json.loads(capsys.readouterr().out) if t["name"] == SQS.name]
    assert entry["listing"]["calls"] == [{"name": "sqs:ListQueues", "page_size": 1000}]
    assert entry["details"][0]["calls"] == [{"name": "sqs:GetQueueAttributes",
                                             "page_size": None}]
    assert entry["details"][0]["cost"] == "per resource"
    assert "visibility_timeout" in [a["name"] for a in entry["details"][0]["attributes"]]
    assert main(["resources"]) == 0
    assert ("  attributes (sqs:GetQueueAttributes; per resource, only when a policy reads it)"
            in capsys.readouterr().out)


def test_the_minimum_model_follows_a_registered_spec(sqs):
    places = {("1", "eu-west-1"): PlaceCounts(items={"sqs:ListQueues": 2500})}
    needed = minimum_calls({SQS.name: ["attributes"]}, [AccountCounts("1", assumed=False)],
                           ["eu-west-1"], places, organization=False, moto=False)
    assert needed == Counter({"sts:GetCallerIdentity": 1, "sqs:ListQueues": 3,
                              "sqs:GetQueueAttributes": 2500})


def test_a_scan_reads_a_registered_spec(sqs, aws, scan):
    import boto3

    client = boto3.client("sqs", region_name="eu-west-1")
    client.create_queue(QueueName="orders")
    client.create_queue(QueueName="slow", Attributes={"VisibilityTimeout": "120"})
    result = scan({"regions": ["eu-west-1"]}, policy_paths=[sqs])
    assert not result.errors
    verdicts = {f.resource.name: f.status for f in result.findings}
    assert verdicts == {"orders": Status.PASS, "slow": Status.FAIL}
    account = result.findings[0].resource.account_id
    assert {f.resource.arn for f in result.findings} == {
        f"arn:aws:sqs:eu-west-1:{account}:orders", f"arn:aws:sqs:eu-west-1:{account}:slow"}


def test_a_listing_without_its_result_key_is_an_error_not_an_empty_list(aws, scan, monkeypatch):
    # Declared against a key moto's answer does not carry: the type must become a gap.
    broken = Listing(Call("s3", "ListBuckets", "Bucketz"), id=Get("Name"), arn=None)
    monkeypatch.setitem(REGISTRY, s3.TYPE, ResourceType(s3.TYPE, "broken", broken,
                                                         s3.RESOURCE.details))
    result = scan({"regions": ["eu-west-1"]}, policies=["s3-versioning-enabled"])
    [error] = result.errors
    assert (error.resource_type, error.operation, error.code) == (s3.TYPE, "ListBuckets",
                                                                   "MalformedAnswer")
    assert "ListBuckets answered without 'Bucketz'" in error.message
    assert [f.status for f in result.findings] == [Status.ERROR]  # never silently compliant


def test_gets_read_paths_take_defaults_and_convert():
    from datetime import UTC, datetime, timedelta, timezone

    answer = {"A": {"B": 1}, "When": datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))}
    assert Get("A.B").read(answer) == 1
    assert Get("A.C", "none").read(answer) == "none"
    assert Get("A.B.C", 7).read(answer) == 7  # a path through a scalar: absent
    assert Get("When", convert=iso_time).read(answer) == "2026-01-01T00:00:00+00:00"
    assert Get("Tags", convert=mapping).read(answer) == {}
    assert iso_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"
    field = Field(Attribute("x", "x"), {"a": Get("A.B"), "b": Get("Nope", False, bool)})
    assert field.read(answer) == {"a": 1, "b": False}
    assert field.default == {"a": None, "b": False}


def test_a_call_names_its_method_and_request():
    assert QUEUES.name == "sqs:ListQueues"
    assert QUEUES.method == "list_queues"
    assert QUEUES.request(QueueNamePrefix="o") == {"MaxResults": 1000, "QueueNamePrefix": "o"}
    assert engine.MalformedAnswer(QUEUES, "QueueUrls").operation == "ListQueues"


def test_the_readme_resource_table_is_the_specs():
    """The README's table is generated from the registry; PREFLIGHT_REGEN_GOLDEN=1 rewrites it."""
    import os
    import re

    from preflight_scanner.resources.catalogue import readme_table

    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = re.compile(r"(<!-- resource-table:begin -->\n)(.*?)(\n<!-- resource-table:end -->)",
                       re.DOTALL)
    expected = readme_table(REGISTRY)
    if os.environ.get("PREFLIGHT_REGEN_GOLDEN"):
        readme.write_text(block.sub(lambda m: m[1] + expected + m[3], text), encoding="utf-8")
    found = block.search(readme.read_text(encoding="utf-8"))
    assert found, "README.md lost its <!-- resource-table:begin/end --> markers"
    assert found[2] == expected, "README's resource table differs from the specs: " \
                                 "run the tests with PREFLIGHT_REGEN_GOLDEN=1"


def test_an_absent_list_is_empty_only_where_the_service_model_makes_it_optional():
    """AWS leaves optional empty lists out of an answer (GetStages without ``item``), as
    botocore's paginators read it; a required key, or one the model does not know, missing
    from an answer is malformed: an error, never an empty listing."""
    import botocore.session

    models = botocore.session.get_session()
    stages = Call("apigateway", "GetStages", "item")
    zones = Call("route53", "ListHostedZones", "HostedZones")
    typo = Call("s3", "ListBuckets", "Bucketz")
    apigateway = models.get_service_model("apigateway")
    assert engine.optional_list(apigateway, stages, "item")
    assert engine.listed(apigateway, stages, {}, "item") == []
    assert engine.listed(apigateway, stages, {"item": [{"stageName": "prod"}]}, "item") == [
        {"stageName": "prod"}]
    route53 = models.get_service_model("route53")
    assert not engine.optional_list(route53, zones, "HostedZones")  # required by the model
    with pytest.raises(engine.MalformedAnswer, match="answered without 'HostedZones'"):
        engine.listed(route53, zones, {"IsTruncated": False}, "HostedZones")
    s3_model = models.get_service_model("s3")
    with pytest.raises(engine.MalformedAnswer, match="answered without 'Bucketz'"):
        engine.listed(s3_model, typo, {"Buckets": []}, "Bucketz")
    with pytest.raises(engine.MalformedAnswer, match="is not a list"):
        engine.listed(apigateway, stages, {"item": {"stageName": "prod"}}, "item")

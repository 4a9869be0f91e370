"""Framework tags reach every report format from the mapping files, through a real scan.

The built-in policies carry no `frameworks:` key any more; these prove that a scan (moto in
server mode) still tags a finding with the controls the built-in mapping files name, plus
those of a mapping file of one's own, in SARIF, OCSF, ASFF and HTML alike.
"""

from __future__ import annotations

import json

import boto3
from preflight_scanner.demo import estate
from preflight_scanner.models import Status
from preflight_scanner.policy import builtin_policy_dir
from preflight_scanner.reports import asff, html, ocsf, sarif
from preflight_scanner.scan import _summary

PITR = "dynamodb-pitr-enabled"
# sorted by framework name, as every report lists them
EXPECTED = (("aws-config", ("dynamodb-pitr-enabled",)), ("aws-fsbp", ("DynamoDB.2",)),
            ("own", ("O.1",)))


def test_every_report_format_tags_a_finding_with_the_mapped_controls(aws, scan, tmp_path):
    estate.create_table(boto3.Session(), "us-east-1", "orders-fw")  # no PITR: a fail
    own = tmp_path / "own"
    (own / "frameworks").mkdir(parents=True)
    (own / "frameworks" / "own.yml").write_text(
        f"framework: own\ntitle: Ours\ncontrols:\n  O.1: [{PITR}]\n", encoding="utf-8")
    result = scan(policies=[PITR], policy_paths=[builtin_policy_dir(), own])
    [policy] = result.policies
    assert policy.frameworks == EXPECTED
    [index] = [i for i, f in enumerate(result.findings) if f.resource.id == "orders-fw"]
    assert result.findings[index].status is Status.FAIL

    [rule] = sarif.to_document(result)["runs"][0]["tool"]["driver"]["rules"]
    assert {"aws-config:dynamodb-pitr-enabled", "aws-fsbp:DynamoDB.2", "own:O.1"} <= \
        set(rule["properties"]["tags"])
    assert rule["properties"]["frameworks"] == {name: list(c) for name, c in EXPECTED}

    event = json.loads(ocsf.render(result))[index]
    assert event["compliance"]["standards"] == ["aws-config", "aws-fsbp", "own"]
    assert event["compliance"]["requirements"] == [
        "aws-config:dynamodb-pitr-enabled", "aws-fsbp:DynamoDB.2", "own:O.1"]

    assert json.loads(asff.render(result))[index]["Compliance"]["RelatedRequirements"] == [
        "aws-config dynamodb-pitr-enabled", "aws-fsbp DynamoDB.2", "own O.1"]

    page = html.render(result)
    assert "aws-fsbp: DynamoDB.2" in page and "own: O.1" in page


def test_the_built_in_policies_summaries_keep_their_former_tags():
    # What the policies' own keys gave before they moved to the mapping files (commit
    # 88584d1): the summary is the only place a report reads frameworks from.
    from preflight_scanner.policy import load_policies

    loaded = {p.id: p for p in load_policies()}
    assert _summary(loaded[PITR]).frameworks == EXPECTED[:2]
    assert _summary(loaded["cognito-mfa-on-in-prod"]).frameworks == (
        ("aws-fsbp", ("Cognito.5",)),)
    assert _summary(loaded["lambda-timeout-bounds"]).frameworks == ()

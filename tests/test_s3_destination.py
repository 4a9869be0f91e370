"""Shards that meet in S3: `scan --out s3://...` and `merge s3://prefix/`, on moto's S3."""

from __future__ import annotations

import json

import boto3
import pytest
from preflight_scanner.cli import main
from preflight_scanner.demo import estate

from tests.support import BUILTIN_POLICIES

BUCKET = "preflight-reports"
PITR = str(BUILTIN_POLICIES / "dynamodb-pitr-enabled.yml")


@pytest.fixture
def sharded_estate(aws, write_config):
    ids = estate.create_organization(["a", "b", "c", "d"])
    for name, account_id in ids.items():
        estate.create_table(estate.account_session(account_id), "us-east-1", f"{name}-orders",
                            pitr=name in "ac")
    # The reports bucket lives in the caller's account, like a central logging bucket.
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    config = write_config({"regions": ["us-east-1"], "role_name": estate.MEMBER_ROLE,
                           "accounts": [{"id": i, "environment": "prod"} for i in ids.values()]})
    return ids, config


def _keys(prefix: str) -> list[str]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET,
                                                                         Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_shards_written_to_s3_merge_from_the_prefix(sharded_estate, tmp_path, capsys):
    ids, config = sharded_estate
    for k in (1, 2):
        code = main(["scan", "--config", str(config), "--policies", PITR, "--shard", f"{k}/2",
                     "--format", "md", "--out", f"s3://{BUCKET}/run-42/shard-{k}"])
        assert code in (0, 1), capsys.readouterr().err
    assert _keys("run-42/") == ["run-42/shard-1/report.json", "run-42/shard-1/report.md",
                                "run-42/shard-2/report.json", "run-42/shard-2/report.md"]
    assert f"report: s3://{BUCKET}/run-42/shard-1/report.json" in capsys.readouterr().out
    code = main(["merge", f"s3://{BUCKET}/run-42/", "--out", str(tmp_path / "merged")])
    assert code == 1  # b-orders and d-orders have no PITR
    merged = json.loads((tmp_path / "merged" / "report.json").read_text())
    assert {a["id"] for a in merged["scan"]["accounts"]} == set(ids.values())
    statuses = {f["resource"]["name"]: f["status"] for f in merged["findings"]}
    assert statuses == {"a-orders": "pass", "b-orders": "fail", "c-orders": "pass",
                        "d-orders": "fail"}
    # The merged report can go back to the bucket too.
    assert main(["merge", f"s3://{BUCKET}/run-42/", "--out", f"s3://{BUCKET}/merged/run-42"]) == 1
    assert _keys("merged/") == ["merged/run-42/report.json"]


def test_a_bucket_that_cannot_be_used_is_exit_2_before_the_scan(sharded_estate, aws, capsys):
    _, config = sharded_estate
    aws.seen.clear()
    code = main(["scan", "--config", str(config), "--policies", PITR,
                 "--out", "s3://no-such-reports-bucket/run-1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "s3://no-such-reports-bucket/run-1" in err and "Fix:" in err
    assert set(aws.seen) <= {"s3:HEAD /no-such-reports-bucket"}, aws.seen  # nothing scanned


@pytest.mark.parametrize(("source", "message"), [
    (f"s3://{BUCKET}/nothing-here/", "no report.json under"),
    ("s3://Not_A_Bucket/x", "is not an S3 bucket name"),
])
def test_merge_from_a_prefix_without_reports_is_exit_2(sharded_estate, tmp_path, capsys, source,
                                                       message):
    assert main(["merge", source, "--out", str(tmp_path / "m")]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_shard_report_in_s3_is_named_by_its_uri(sharded_estate, tmp_path, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=BUCKET, Key="run-7/shard-1/report.json", Body=b'{"not": "a report"')
    assert main(["merge", f"s3://{BUCKET}/run-7/", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert f"s3://{BUCKET}/run-7/shard-1/report.json" in err and "preflight-merge-" not in err

"""`scan --shard K/N` then `merge`: the same findings as one scan; mismatched inputs rejected."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.demo import estate

PITR = "dynamodb-pitr-enabled"


@pytest.fixture
def organization(aws, tmp_path):
    ids = estate.create_organization(["prod", "staging", "dev"])
    for name, account_id in ids.items():
        estate.create_table(estate.account_session(account_id), "us-east-1", f"{name}-orders")
    estate.create_table(boto3.Session(), "us-east-1", "management-orders", pitr=True)
    config = tmp_path / "preflight.yml"
    config.write_text(yaml.safe_dump({"regions": ["us-east-1"], "organization": True,
                                      "role_name": estate.MEMBER_ROLE}))
    expires = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(textwrap.dedent(f"""\
        waivers:
          - id: staging
            policies: [{PITR}]
            resources: [staging-orders]
            reason: Staging tables are rebuilt from fixtures nightly
            owner: platform
            expires: {expires}
          - id: nothing
            policies: [no-such-policy]
            reason: Left over from a policy that was removed
            owner: platform
            expires: {expires}
        """))
    return ids, config, waivers


def scan_args(config: Path, waivers: Path, out: Path, *extra: str) -> list[str]:
    return ["scan", "--config", str(config), "--policies", f"policies/{PITR}.yml",
            "--waivers", str(waivers), "--out", str(out), *extra]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def comparable(report: dict) -> list:
    return [(f["policy_id"], f["resource"]["account_id"], f["resource"]["name"], f["status"])
            for f in report["findings"]]


def test_shards_split_the_accounts_and_merge_into_the_whole_scan(organization, tmp_path, capsys):
    ids, config, waivers = organization
    assert main(scan_args(config, waivers, tmp_path / "full")) == 1
    for k in (1, 2):
        assert main(scan_args(config, waivers, tmp_path / f"shard-{k}", "--shard", f"{k}/2")) in (0, 1)
    shards = [load(tmp_path / f"shard-{k}" / "report.json") for k in (1, 2)]
    accounts = [{a["id"] for a in s["scan"]["accounts"]} for s in shards]
    assert not accounts[0] & accounts[1]
    assert accounts[0] | accounts[1] == {*ids.values(), estate.MANAGEMENT_ACCOUNT}
    assert [s["scan"]["shard"] for s in shards] == [{"index": 1, "count": 2},
                                                   {"index": 2, "count": 2}]
    capsys.readouterr()
    code = main(["merge", str(tmp_path / "shard-2" / "report.json"),
                 str(tmp_path / "shard-1" / "report.json"), "--out", str(tmp_path / "merged"),
                 "--format", "html,sarif,junit,md"])
    assert code == 1  # the gate on the merged result: prod and dev fail
    merged, full = load(tmp_path / "merged" / "report.json"), load(tmp_path / "full" / "report.json")
    assert comparable(merged) == comparable(full)
    assert merged["summary"] == full["summary"]
    assert "shard" not in merged["scan"] and merged["scan"]["policy_set"] == full["scan"]["policy_set"]
    assert [a["id"] for a in merged["scan"]["accounts"]] == [a["id"] for a in full["scan"]["accounts"]]
    assert merged["scan"]["api_calls"] == sum(s["scan"]["api_calls"] for s in shards)
    # The waiver applied in one shard; "nothing" is unused only because no shard used it.
    assert [(w["id"], w["matched"]) for w in merged["waivers"]["applied"]] == [("staging", 1)]
    assert [w["id"] for w in merged["waivers"]["unused"]] == ["nothing"]
    for name in ("report.html", "report.sarif", "report.junit.xml", "report.md"):
        assert (tmp_path / "merged" / name).stat().st_size > 0


def _save(tmp_path: Path, name: str, report: dict) -> str:
    path = tmp_path / name / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report))
    return str(path)


def _shard_pair(tmp_path: Path, config: Path, waivers: Path) -> list[dict]:
    for k in (1, 2):
        main(scan_args(config, waivers, tmp_path / f"s{k}", "--shard", f"{k}/2"))
    return [load(tmp_path / f"s{k}" / "report.json") for k in (1, 2)]


def test_mismatched_inputs_are_rejected_with_exit_2_naming_the_file(organization, tmp_path, capsys):
    _, config, waivers = organization
    one, two = _shard_pair(tmp_path, config, waivers)
    capsys.readouterr()

    def merge(*reports: dict) -> str:
        paths = [_save(tmp_path, f"in{i}", r) for i, r in enumerate(reports)]
        assert main(["merge", *paths, "--out", str(tmp_path / "out")]) == 2
        return capsys.readouterr().err

    other_version = json.loads(json.dumps(two))
    other_version["tool"]["version"] = "9.9.9"
    err = merge(one, other_version)
    assert "in1/report.json: written by Preflight 9.9.9" in err and "do not merge" in err
    other_policies = json.loads(json.dumps(two))
    other_policies["scan"]["policy_set"] = "sha256:0000"
    assert "different policy set" in merge(one, other_policies)
    assert "shard 2/2 missing" in merge(one)
    assert "shard 1/2 is also" in merge(one, one)
    unsharded = json.loads(json.dumps(two))
    del unsharded["scan"]["shard"]
    assert "is not a shard's result" in merge(one, unsharded)
    other_waivers = json.loads(json.dumps(two))
    other_waivers["waivers"]["digest"] = "x"
    assert "different waivers file" in merge(one, other_waivers)
    assert not (tmp_path / "out" / "report.json").exists()


def test_unsharded_reports_merge_unless_an_account_is_in_two(organization, tmp_path, capsys):
    _, config, waivers = organization
    one, two = _shard_pair(tmp_path, config, waivers)
    for report in (one, two):
        del report["scan"]["shard"]
    paths = [_save(tmp_path, "a", one), _save(tmp_path, "b", two)]
    assert main(["merge", *paths, "--out", str(tmp_path / "ok"), "--no-fail-on-error"]) in (0, 1)
    assert (tmp_path / "ok" / "report.json").exists()
    capsys.readouterr()
    both = [_save(tmp_path, "c", one), _save(tmp_path, "d", one)]
    assert main(["merge", *both, "--out", str(tmp_path / "dup")]) == 2
    assert "is also in" in capsys.readouterr().err

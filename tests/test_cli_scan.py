"""`preflight scan` end to end through the CLI entry point, against moto."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
from preflight_scanner.cli import main
from preflight_scanner.demo import estate


def test_without_a_config_the_callers_account_is_scanned_in_the_default_region(aws, tmp_path,
                                                                                 capsys):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "home", pitr=True)
    estate.create_table(session, "eu-west-1", "elsewhere")  # another region: not scanned
    code = main(["scan", "--out", str(tmp_path), "--policies", "policies/dynamodb-pitr-enabled.yml"])
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["accounts"] == [{"id": estate.MANAGEMENT_ACCOUNT,
                                           "name": estate.MANAGEMENT_ACCOUNT,
                                           "environment": "default"}]
    assert report["scan"]["regions"] == ["us-east-1"]
    assert [f["resource"]["name"] for f in report["findings"]] == ["home"]
    out, err = capsys.readouterr()
    assert "dynamodb-pitr-enabled" in out and "1 pass, 0 fail, 0 error" in out
    assert "collecting:" not in err  # progress only on a terminal


def test_regions_option_and_a_single_worker(aws, tmp_path):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "a")
    estate.create_table(session, "eu-west-1", "b")
    code = main(["scan", "--out", str(tmp_path), "--regions", "us-east-1,eu-west-1",
                 "--max-workers", "1", "--policies", "policies/dynamodb-pitr-enabled.yml"])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert sorted(f["resource"]["region"] for f in report["findings"]) == ["eu-west-1",
                                                                          "us-east-1"]


def test_python_dash_m_scanner_is_the_same_cli():
    done = subprocess.run([sys.executable, "-m", "preflight_scanner", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert "validate" in done.stdout and "scan" in done.stdout


def test_no_credentials_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    code = main(["scan", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot determine the accounts to scan" in err
    assert "Traceback" not in err


def test_reports_are_ordinary_readable_files(aws, tmp_path):
    import os
    import stat

    code = main(["scan", "--out", str(tmp_path), "--policies", "policies/s3-versioning-enabled.yml"])
    assert code == 0
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "report.json").stat().st_mode)
    assert mode == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_scan_history_records_each_run_for_preflight_history(aws, tmp_path, capsys):
    estate.create_table(boto3.Session(), "us-east-1", "t", pitr=True)
    config = tmp_path / "preflight.yml"
    config.write_text("regions: [us-east-1]\nhistory: runs.db\n")
    args = ["scan", "--config", str(config), "--policies", "policies/dynamodb-pitr-enabled.yml"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--history", str(tmp_path / "other.db")]) == 0
    capsys.readouterr()
    assert main(["history", "--db", str(tmp_path / "runs.db"), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1  # the second run went to the store named on the command line
    assert main(["history", "--db", str(tmp_path / "other.db"), "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1

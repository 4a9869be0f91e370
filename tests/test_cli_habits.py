"""The options people bring from Prowler, Checkov and the AWS CLI, end to end through the CLI
entry point on the session moto server: --profile, --region(s), -q, -v, -o, colour, choosing
checks, "did you mean"."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.demo import estate

from tests.support import BUILTIN_POLICIES

PITR = str(BUILTIN_POLICIES / "dynamodb-pitr-enabled.yml")
VERSIONING = str(BUILTIN_POLICIES / "s3-versioning-enabled.yml")


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def _policy_ids(out: Path) -> set[str]:
    return {p["id"] for p in _report(out)["scan"]["policies"]}


# -- regions ----------------------------------------------------------------------------------

def test_a_mistyped_region_is_exit_2_with_the_closest_region_before_any_call(tmp_path, capsys,
                                                                             monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # a call would fail slowly
    started = time.monotonic()
    code = main(["scan", "--regions", "us-east-1,us-east-9", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "'us-east-9' (did you mean us-east-1?)" in err
    assert "--allow-unknown-regions" in err
    assert time.monotonic() - started < 5  # no retries against an endpoint
    assert not (tmp_path / "out").exists()


def test_a_mistyped_region_in_the_config_points_at_its_line(tmp_path, capsys, write_config):
    config = write_config({"regions": ["eu-west-1", "eu-wset-1"]})
    code = main(["scan", "--config", str(config), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{config}:3:" in err and "'eu-wset-1' (did you mean eu-west-1?)" in err


def test_opt_in_regions_are_known_and_unknown_ones_need_the_escape(aws, tmp_path, capsys):
    estate.create_table(boto3.Session(), "af-south-1", "cape", pitr=True)
    out = tmp_path / "out"
    assert main(["scan", "--region", "af-south-1", "-o", str(out), "--policies", PITR]) == 0
    assert _report(out)["scan"]["regions"] == ["af-south-1"]
    # A region newer than botocore: refused, unless the user says it is real.
    assert main(["scan", "--region", "xx-newplace-1", "-o", str(out), "--policies", PITR]) == 2
    # (moto has no such region: the scan runs, and says what it could not read.)
    assert main(["scan", "--region", "xx-newplace-1", "--allow-unknown-regions", "-o", str(out),
                 "--policies", PITR, "--max-workers", "1"]) == 3
    assert _report(out)["scan"]["regions"] == ["xx-newplace-1"]


def test_iac_and_drill_check_their_region_too(tmp_path, capsys):
    template = tmp_path / "t.yml"
    template.write_text("Resources: {}\n")
    assert main(["iac", str(template), "--region", "eu-centrla-1", "-o", str(tmp_path)]) == 2
    assert "did you mean eu-central-1?" in capsys.readouterr().err
    assert main(["drill", "--regions", "ap-southeast-7x", "-o", str(tmp_path)]) == 2
    assert "unknown region 'ap-southeast-7x'" in capsys.readouterr().err
    config = tmp_path / "preflight.yml"
    config.write_text("regions: [eu-wset-1]\n")
    assert main(["drill", "--config", str(config), "-o", str(tmp_path)]) == 2
    assert f"{config}:1:" in capsys.readouterr().err


# -- profile ------------------------------------------------------------------------------------

def test_profile_selects_the_profiles_region_and_an_unknown_one_is_exit_2(aws, tmp_path, capsys,
                                                                          monkeypatch):
    config = tmp_path / "aws-config"
    config.write_text("[profile shop]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    estate.create_table(boto3.Session(region_name="eu-west-1"), "eu-west-1", "dublin")
    monkeypatch.setenv("AWS_PROFILE", "restored-after-the-test")  # --profile sets it
    out = tmp_path / "out"
    assert main(["scan", "--profile", "shop", "-o", str(out), "--policies", PITR]) == 1
    assert _report(out)["scan"]["regions"] == ["eu-west-1"]
    capsys.readouterr()
    assert main(["scan", "--profile", "shpo", "-o", str(out), "--policies", PITR]) == 2
    err = capsys.readouterr().err
    assert "the AWS profile 'shpo' does not exist (from --profile)" in err
    assert "Traceback" not in err


# -- what the terminal shows --------------------------------------------------------------------

def _two_policies(tmp_path: Path) -> list[str]:
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "orders")  # no PITR: fails
    estate.create_bucket(session, "us-east-1", "assets", versioning="Enabled")  # passes
    return ["--policies", PITR, "--policies", VERSIONING, "-o", str(tmp_path / "out")]


def test_quiet_shows_only_the_failing_policies_and_verbose_lists_every_failing_resource(
        aws, tmp_path, capsys):
    args = _two_policies(tmp_path)
    assert main(["scan", *args]) == 1
    out = capsys.readouterr().out
    assert "s3-versioning-enabled" in out and "dynamodb-pitr-enabled" in out
    assert "FAIL high dynamodb-pitr-enabled" in out and "orders" in out
    assert "\x1b[" not in out  # not a terminal: no colour
    assert main(["scan", "-q", *args]) == 1
    out = capsys.readouterr().out
    assert "s3-versioning-enabled" not in out and "dynamodb-pitr-enabled" in out
    assert "1 pass, 1 fail, 0 error" in out  # the totals still count everything


def test_verbose_logs_to_stderr_and_very_verbose_requests_never_show_credentials(
        aws, tmp_path, capsys, monkeypatch):
    key, token = "AKIAVERYVISIBLEKEY01", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    args = _two_policies(tmp_path)
    assert main(["scan", *args]) == 1
    assert "preflight: DEBUG" not in capsys.readouterr().err
    assert main(["scan", "-vv", *args]) == 1
    err = capsys.readouterr().err
    assert "preflight: DEBUG botocore.endpoint" in err and "DescribeContinuousBackups" in err
    assert key not in err and token not in err
    assert main(["scan", *args]) == 1  # and the next run in this process is quiet again
    assert "DEBUG" not in capsys.readouterr().err


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[str, int]:
    """Run preflight with stdout and stderr on a pseudo-terminal; return what it printed."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "preflight_scanner", *args],
                               stdout=secondary, stderr=secondary, stdin=subprocess.DEVNULL,
                               env=env)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace"), process.wait(timeout=60)


def test_colour_and_progress_on_a_terminal_and_no_color_honoured(aws, tmp_path):
    args = ["scan", *_two_policies(tmp_path)]
    env = dict(os.environ)
    output, code = _run_on_a_terminal(args, env)
    assert code == 1
    assert "\x1b[31m" in output  # failures in red
    # progress on stderr, in accounts and calls
    assert "collecting: 1/1 accounts done (1 region each), " in output and " API calls" in output
    env["NO_COLOR"] = "1"
    output, code = _run_on_a_terminal(args, env)
    assert code == 1 and "\x1b[3" not in output
    env.pop("NO_COLOR")
    output, code = _run_on_a_terminal([*args, "--no-color"], env)
    assert code == 1 and "\x1b[3" not in output


# -- choosing checks ----------------------------------------------------------------------------

def test_check_exclude_severity_category_and_framework_choose_the_policies(aws, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["scan", "-o", str(out)]
    assert main([*base, "--check", "guardduty-enabled", "--check", "s3-versioning-enabled"]) in (0, 1)
    assert _policy_ids(out) == {"guardduty-enabled", "s3-versioning-enabled"}
    # amplify-redeployable-job is disaster recovery too, but moto has no Amplify: an error
    assert main([*base, "--category", "disaster-recovery",
                 "--exclude-check", "route53-failover-ready",
                 "--exclude-check", "amplify-redeployable-job"]) in (0, 1)
    assert _policy_ids(out) == {"dynamodb-deletion-protection", "dynamodb-pitr-enabled",
                                "dynamodb-recent-backup", "dynamodb-recovery-point",
                                "s3-versioning-enabled"}
    assert main([*base, "--framework", "aws-fsbp", "--severity", "high"]) in (0, 1)
    assert _policy_ids(out) == {"cognito-deletion-protection", "cognito-mfa-on-in-prod",
                                "dynamodb-pitr-enabled", "guardduty-enabled",
                                "s3-versioning-enabled", "secretsmanager-rotation-enabled"}


@pytest.mark.parametrize(("args", "expected"), [
    (["--check", "dynamodb-pitr-enabeld"], "'dynamodb-pitr-enabeld': no loaded policy has this "
                                           "id (did you mean dynamodb-pitr-enabled?)"),
    (["--exclude-check", "guardduty"], "did you mean guardduty-enabled?"),
    (["--category", "disaster"], "(did you mean disaster-recovery?) (known: cost, "),
    (["--framework", "aws-fbsp"], "did you mean aws-fsbp?"),
    (["--check", "cognito-mfa-on-in-prod", "--severity", "critical", "--category", "cost"],
     "no loaded policy matches"),
    (["--format", "sarfi,md,htm"], "did you mean sarif for 'sarfi', html for 'htm'?"),
])
def test_names_that_match_nothing_are_exit_2_with_a_suggestion(tmp_path, capsys, args, expected):
    assert main(["scan", "-o", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_config_may_override_policies_this_run_does_not_load(aws, tmp_path, capsys,
                                                               write_config):
    estate.create_table(boto3.Session(), "us-east-1", "orders")
    config = write_config({
        "policies": {"s3-versioning-enabled": {"enabled": False},
                     "dynamodb-pitr-enabled": {"severity": "critical"}},
        "parameters": {"prod": {"lambda-timeout-bounds": {"max_seconds": 120}}}})
    out = tmp_path / "out"
    assert main(["scan", "--config", str(config), "--policies", PITR, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "note: the config's settings for lambda-timeout-bounds are ignored" in err
    assert "note: the config's settings for s3-versioning-enabled are ignored" in err
    assert [p["severity"] for p in _report(out)["scan"]["policies"]] == ["critical"]  # still applied
    # --severity sees the configured severity.
    assert main(["scan", "--config", str(config), "--severity", "critical", "-o", str(out)]) == 1
    assert _policy_ids(out) == {"cognito-mfa-on-in-prod", "dynamodb-pitr-enabled"}


def test_a_policy_id_no_policy_has_is_still_an_error_with_a_suggestion(tmp_path, capsys,
                                                                       write_config):
    config = write_config({"policies": {"dynamodb-pitr-enable": {"enabled": False}}})
    assert main(["scan", "--config", str(config), "--policies", VERSIONING,
                 "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{config}:2:" in err
    assert "no policy has id 'dynamodb-pitr-enable' (did you mean dynamodb-pitr-enabled?)" in err


def test_explain_suggests_the_closest_policy_id(capsys):
    assert main(["explain", "cognito-mfa-on-prod"]) == 2
    assert "did you mean cognito-mfa-on-in-prod?" in capsys.readouterr().err


def test_a_waiver_naming_a_policy_no_policy_has_says_so(aws, tmp_path, capsys):
    from datetime import date, timedelta

    waivers = tmp_path / "waivers.yml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "typo", "policies": ["dynamodb-pitr-enabld"], "reason": "rebuilt nightly from fixtures",
        "owner": "platform", "expires": (date.today() + timedelta(days=30)).isoformat()}]}))
    code = main(["scan", "--policies", PITR, "--waivers", str(waivers), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert ("waiver typo names 'dynamodb-pitr-enabld' (did you mean dynamodb-pitr-enabled?), "
            "which no policy has") in out
    assert "matched nothing" not in out


# -- catalogue, schemas, re-rendering, history --------------------------------------------------

def test_policies_lists_by_category_and_framework_as_a_table_or_json(capsys):
    assert main(["policies", "--framework", "aws-fsbp", "--category", "disaster-recovery",
                 "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in listed] == ["dynamodb-deletion-protection", "dynamodb-pitr-enabled",
                                         "s3-versioning-enabled"]
    assert all("aws-fsbp" in p["frameworks"] and "disaster-recovery" in p["categories"]
               for p in listed)
    assert main(["policies", "--category", "cost"]) == 0
    table = capsys.readouterr().out
    assert "categories" in table.splitlines()[0] and "budget-alerts-configured" in table
    assert "guardduty-enabled" not in table
    assert main(["policies", "--framework", "nist"]) == 2
    assert "known: aws-config, aws-fsbp" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "title"), [
    ("policy", "Preflight policy"), ("config", "Preflight configuration"),
    ("report", "scan report"), ("drill", "drill.json"), ("waivers", "waivers"),
    ("runbooks", "runbooks.json"), ("policy-tests", "policy test cases"),
])
def test_every_published_schema_is_printed_by_name(capsys, name, title):
    assert main(["schema", name]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["$schema"].startswith("https://json-schema.org/draft/2020-12")
    assert title.lower() in document["title"].lower()


def test_report_rerenders_a_drill_and_history_compares_only_like_with_like(aws, tmp_path, capsys):
    estate.create_table(boto3.Session(), "us-east-1", "orders", pitr=True)
    db = str(tmp_path / "history.db")
    drill_dir = tmp_path / "drill"
    assert main(["scan", "-o", str(tmp_path / "scan"), "--history", db,
                 "--category", "disaster-recovery",
                 "--exclude-check", "amplify-redeployable-job"]) in (0, 1)
    assert main(["drill", "-o", str(drill_dir), "--history", db]) in (0, 1)
    capsys.readouterr()
    # A saved drill.json re-renders without AWS, into another directory.
    again = tmp_path / "again"
    assert main(["report", str(drill_dir / "drill.json"), "-o", str(again)]) == 0
    assert sorted(p.name for p in again.iterdir()) == ["drill.html", "drill.md"]
    assert (again / "drill.md").read_text() == (drill_dir / "drill.md").read_text()
    assert main(["report", str(drill_dir / "drill.json"), "--format", "sarif"]) == 2
    assert "a drill.json renders as html, md, json, not as sarif" in capsys.readouterr().err
    # history options before or after the subcommand
    assert main(["history", "--db", db, "list", "--json"]) == 0
    kinds = [r["kind"] for r in json.loads(capsys.readouterr().out)]
    assert kinds == ["scan", "drill"]
    assert main(["history", "list", "--db", db, "--json"]) == 0
    assert [r["kind"] for r in json.loads(capsys.readouterr().out)] == kinds
    assert main(["history", "diff", "1", "2", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "record 1 is a scan and record 2 a drill" in err and "Traceback" not in err


def test_after_the_summary_the_most_severe_failures_and_with_verbose_all_of_them(aws, tmp_path,
                                                                                  capsys):
    estate.create_table(boto3.Session(), "us-east-1", "orders")  # no PITR (high), no autoscaling (medium)
    args = ["scan", "-o", str(tmp_path / "out"), "--check", "dynamodb-pitr-enabled",
            "--check", "dynamodb-autoscaling-registered"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "failing resources of the most severe policies (high):" in out
    assert "FAIL high dynamodb-pitr-enabled  123456789012 us-east-1 aws.dynamodb.table orders" in out
    assert "FAIL medium" not in out
    assert "... and 1 more (-v lists every one" in out
    assert main([*args, "-v"]) == 1
    out = capsys.readouterr().out
    assert "FAIL high dynamodb-pitr-enabled" in out and "FAIL medium dynamodb-autoscaling-registered" in out
    assert "more (-v" not in out


def test_iam_policy_and_explain_accept_a_config_for_more_policies_than_loaded(tmp_path, capsys,
                                                                              write_config):
    config = write_config({"policies": {"s3-versioning-enabled": {"severity": "low"}}})
    assert main(["iam-policy", "--config", str(config), "--policies", PITR]) == 0
    captured = capsys.readouterr()
    assert "dynamodb:DescribeContinuousBackups" in captured.out
    assert "s3:GetBucketVersioning" not in captured.out
    assert "note: the config's settings for s3-versioning-enabled are ignored" in captured.err
    assert main(["explain", "dynamodb-pitr-enabled", "--config", str(config),
                 "--policies", PITR]) == 0

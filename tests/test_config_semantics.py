"""Config checks that need the loaded policies: reported with file and line, exit 2."""

from __future__ import annotations

import pytest
from preflight_scanner.cli import main


@pytest.mark.parametrize(("config_text", "line", "expected"), [
    ("policies:\n  no-such-policy: {enabled: false}\n", 2, "no policy has id 'no-such-policy'"),
    ("parameters:\n  prod:\n    lambda-timeout-bounds: {max_secs: 29}\n", 3,
     "lambda-timeout-bounds has no parameter 'max_secs'"),
    ("parameters:\n  prod:\n    lambda-timeout-bounds:\n      max_seconds: '29'\n", 4,
     "max_seconds must be a number"),
    ("regions: [us-east-1]\nmax_workers: 0\n", 2, "max_workers"),
    ("accounts:\n  - id: 12345\n", 2, "accounts/0/id"),
])
def test_bad_config_is_reported_with_its_line(tmp_path, capsys, config_text, line, expected):
    path = tmp_path / "preflight.yml"
    path.write_text(config_text)
    code = main(["scan", "--config", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:{line}:" in err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_policy_override_changes_severity_and_scope(scan, aws):
    import boto3
    from preflight_scanner.demo import estate

    estate.create_user_pool(boto3.Session(), "us-east-1", "pool", mfa="OFF")
    config = {"regions": ["us-east-1"],
              "accounts": [{"id": estate.MANAGEMENT_ACCOUNT, "environment": "staging"}]}
    assert scan(config, policies=["cognito-mfa-on-in-prod"]).findings == ()
    config["policies"] = {"cognito-mfa-on-in-prod": {
        "severity": "low", "scope": {"environments": ["prod", "staging"]}}}
    [finding] = scan(config, policies=["cognito-mfa-on-in-prod"]).findings
    assert (finding.status.value, finding.severity.value) == ("fail", "low")
    config["policies"] = {"cognito-mfa-on-in-prod": {"enabled": False}}
    result = scan(config, policies=["cognito-mfa-on-in-prod"])
    assert result.findings == () and result.policies == ()

"""A mistake in the local AWS configuration is exit 2 with what to set, never a traceback."""

from __future__ import annotations

import pytest
from preflight_scanner.cli import main

from tests.support import BUILTIN_POLICIES

PITR = str(BUILTIN_POLICIES / "dynamodb-pitr-enabled.yml")


def _config_file(tmp_path, text):
    path = tmp_path / "aws-config"
    path.write_text(text)
    return str(path)


CASES = {
    "unknown profile": ({"AWS_PROFILE": "no-such-profile"}, None,
                        ["'no-such-profile' does not exist", "AWS_PROFILE"]),
    "malformed config file": ({}, "[default\nregion = us-east-1\n",
                              ["cannot be parsed", "AWS_CONFIG_FILE"]),
    "role profile whose source profile is missing": (
        {"AWS_PROFILE": "ops"},
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ro\nsource_profile = gone\n",
        ['source_profile "gone" referenced in the profile "ops" does not exist']),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["scan", "drill"])
def test_a_credential_chain_configuration_problem_is_exit_2_before_any_call(
        aws, monkeypatch, tmp_path, capsys, case, command):
    env, config_text, expected = CASES[case]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)  # the profile decides, as on a laptop
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if config_text is not None:
        monkeypatch.setenv("AWS_CONFIG_FILE", _config_file(tmp_path, config_text))
    code = main([command, "--policies", PITR, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    for text in expected:
        assert text in err, err
    assert "Fix:" in err and "Traceback" not in err and "internal error" not in err
    assert sum(aws.seen.values()) == 0


def test_credentials_aws_rejects_are_still_a_failed_read_exit_3(aws, monkeypatch, tmp_path, capsys):
    from tests.faultproxy import Fault

    aws.faults.append(Fault(service="sts", status=403, code="InvalidClientTokenId",
                            message="The security token included in the request is invalid."))
    code = main(["scan", "--policies", PITR, "--out", str(tmp_path / "out")])
    assert code == 3
    assert "cannot determine the accounts to scan" in capsys.readouterr().err

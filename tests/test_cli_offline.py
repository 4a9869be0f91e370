"""The CLI's offline commands, in-process, and the config file loader. No AWS."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from jsonschema import Draft202012Validator
from preflight_scanner import __version__
from preflight_scanner.cli import main
from preflight_scanner.config import AccountEntry, Config, PolicyOverride, config_schema, load_config
from preflight_scanner.errors import InputError
from preflight_scanner.models import Severity
from preflight_scanner.policy import builtin_policy_dir, policy_schema
from preflight_scanner.resources import REGISTRY

BUILTIN_IDS = sorted(p.stem for p in builtin_policy_dir().glob("*.yml"))

GOOD = """\
id: {id}
title: S3 buckets keep object versions
description: The runbook restores an earlier version.
severity: high
resource: aws.s3.bucket
check:
  attribute: versioning
  equals: Enabled
runbook: disaster-recovery#restore-s3-object-versions
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_good_files(tmp_path, capsys):
    for name in ("first-policy", "second-policy"):
        (tmp_path / f"{name}.yml").write_text(GOOD.format(id=name), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 0, err
    assert out.strip() == "2 policies valid"
    assert err == ""


def test_validate_a_single_file(tmp_path, capsys):
    path = tmp_path / "only-policy.yml"
    path.write_text(GOOD.format(id="only-policy"), encoding="utf-8")
    assert run(capsys, "validate", str(path))[0] == 0


def test_validate_the_builtin_pack(capsys):
    code, out, _ = run(capsys, "validate", str(builtin_policy_dir()))
    assert code == 0
    assert out.strip() == f"{len(BUILTIN_IDS)} policies valid"


def test_validate_bad_file_prints_file_line_and_no_traceback(tmp_path, capsys):
    path = tmp_path / "bad-policy.yml"
    path.write_text(GOOD.format(id="bad-policy").replace("severity: high", "severity: urgent"),
                    encoding="utf-8")
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert "policies valid" not in out
    assert f"{path}:4:1: severity: 'urgent'" in err
    assert "Traceback" not in err
    assert "1 problem(s) found" in err


def test_validate_reports_every_bad_file(tmp_path, capsys):
    (tmp_path / "one.yml").write_text(GOOD.format(id="one").replace("high", "urgent"), encoding="utf-8")
    (tmp_path / "two.yml").write_text(GOOD.format(id="two").replace("versioning", "nope"),
                                      encoding="utf-8")
    (tmp_path / "three.yml").write_text("id: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    for name in ("one", "two", "three"):
        assert re.search(rf"^error: {re.escape(str(tmp_path / name))}\.yml:\d+:\d+: ", err, re.MULTILINE)
    assert "3 problem(s) found" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [
    b"id: caf\xe9\n",                                              # not UTF-8
    b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(            # alias bomb
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
        for i in range(8)),
    b"[\n" * 3000,                                                  # deeper than the recursion limit
    b"!custom key: value\n",                                        # unknown tag on a key
    b"id: x\nid: y\n",                                              # duplicate key
    b"- just\n- a list\n",                                          # not a mapping
    GOOD.format(id="odd").replace("equals: Enabled", "equals: {param: [1]}").encode(),
    GOOD.format(id="odd").replace("equals: Enabled", "equals: {attribute: [a]}").encode(),
])
def test_validate_hostile_or_odd_input_is_a_clean_error(tmp_path, capsys, content):
    path = tmp_path / "odd.yml"
    path.write_bytes(content)
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert f"error: {path}" in err
    assert "Traceback" not in err


def test_validate_missing_path(tmp_path, capsys):
    missing = tmp_path / "nope.yml"
    code, out, err = run(capsys, "validate", str(missing))
    assert code == 2
    assert f"{missing}: no such file or directory" in err
    assert out == ""


def test_validate_without_arguments_is_a_usage_error(capsys):
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert "Missing argument" in err


@pytest.mark.parametrize(("argv", "title"), [
    (["schema"], "Preflight policy"),
    (["schema", "policy"], "Preflight policy"),
    (["schema", "config"], "Preflight configuration"),
    (["schema", "report"], "Preflight scan report"),
])
def test_schema_prints_a_valid_draft_2020_12_schema(capsys, argv, title):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    document = json.loads(out)
    Draft202012Validator.check_schema(document)
    assert document["title"] == title


def test_schema_policy_is_the_generated_schema(capsys):
    _, out, _ = run(capsys, "schema")
    assert json.loads(out) == policy_schema()


def test_schema_config_is_the_config_schema(capsys):
    _, out, _ = run(capsys, "schema", "config")
    assert json.loads(out) == config_schema()


def test_schema_unknown_kind_is_a_usage_error(capsys):
    code, out, err = run(capsys, "schema", "bogus")
    assert code == 2
    assert out == ""
    assert "bogus" in err


def test_policies_lists_the_builtin_ids(capsys):
    code, out, err = run(capsys, "policies")
    assert code == 0, err
    assert len(BUILTIN_IDS) >= 20
    listed = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert listed == BUILTIN_IDS
    assert "cognito-mfa-on-in-prod" in out and "environments: ['prod']" in out


def test_policies_from_a_directory(tmp_path, capsys):
    (tmp_path / "mine.yml").write_text(GOOD.format(id="mine"), encoding="utf-8")
    code, out, _ = run(capsys, "policies", "--policies", str(tmp_path))
    assert code == 0
    rows = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert rows == ["mine"]
    assert "everywhere" in out


def test_resources_lists_every_type_with_its_calls(capsys):
    code, out, err = run(capsys, "resources")
    assert code == 0, err
    for name, rtype in REGISTRY.items():
        assert re.search(rf"^{re.escape(name)}: ", out, re.MULTILINE), name
        for call in rtype.list_calls:
            assert call in out
        for detail in rtype.details:
            for call in detail.calls:
                assert call in out
        for attribute in rtype.attribute_names():
            assert re.search(rf"^\s+{re.escape(attribute)}\s", out, re.MULTILINE), (name, attribute)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(capsys, flag):
    code, out, _ = run(capsys, flag)
    assert code == 0
    assert "Usage:" in out
    for command in ("scan", "validate", "policies", "resources", "schema", "demo"):
        assert command in out


def test_command_help(capsys):
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0
    assert "Usage:" in out and "PATHS" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert __version__ in out


def test_unknown_command(capsys):
    code, out, err = run(capsys, "frobnicate")
    assert code == 2
    assert out == ""
    assert "No such command 'frobnicate'" in err
    assert "Traceback" not in err


def test_unknown_option(capsys):
    code, _, err = run(capsys, "validate", "--frobnicate", "x")
    assert code == 2
    assert "--frobnicate" in err


# ------------------------------------------------------------------ config

CONFIG = textwrap.dedent("""\
    regions: [eu-west-1, us-east-1]
    role_name: PreflightAudit
    accounts:
      - id: "111111111111"
        name: dev
        environment: dev
      - id: "222222222222"
        name: prod
        environment: prod
        role_arn: arn:aws:iam::222222222222:role/Audit
    default_environment: staging
    parameters:
      "*":
        lambda-timeout-bounds:
          max_seconds: 120
          min_seconds: 2
      prod:
        lambda-timeout-bounds:
          max_seconds: 60
    policies:
      s3-versioning-enabled:
        severity: critical
      cognito-mfa-on-in-prod:
        enabled: false
    max_workers: 8
    """)


def write_config(tmp_path, text):
    path = tmp_path / "preflight.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_loads(tmp_path):
    path = write_config(tmp_path, CONFIG)
    config = load_config(path)
    assert config.regions == ("eu-west-1", "us-east-1")
    assert config.role_name == "PreflightAudit"
    assert config.accounts == (
        AccountEntry("111111111111", "dev", "dev"),
        AccountEntry("222222222222", "prod", "prod", "arn:aws:iam::222222222222:role/Audit"),
    )
    assert config.default_environment == "staging"
    assert config.environment_tag == "Environment"
    assert config.policies == {
        "s3-versioning-enabled": PolicyOverride(True, Severity.CRITICAL, None),
        "cognito-mfa-on-in-prod": PolicyOverride(False, None, None),
    }
    assert config.max_workers == 8
    assert config.source == str(path)


def test_no_config_means_defaults():
    assert load_config(None) == Config()


def test_empty_config_means_defaults(tmp_path):
    config = load_config(write_config(tmp_path, "# nothing yet\n"))
    assert (config.regions, config.accounts, config.max_workers) == ((), (), 16)


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "needle", "says"), [
    ('id: "111111111111"', 'id: "11111"', '"11111"', ["accounts/0/id", "'11111'"]),
    ('id: "111111111111"', "id: 111111111111", "111111111111", ["accounts/0/id"]),  # a number
    ("max_workers: 8", "max_workers: 8\ncolour: red", "colour:", ["'colour'"]),
    ("    name: dev", "    nmae: dev", "nmae:", ["accounts/0", "'nmae'"]),
    ("regions: [eu-west-1, us-east-1]", "regions: [eu-west-1, Mars]", "Mars", ["regions/1", "'Mars'"]),
    ("severity: critical", "severity: urgent", "urgent", ["policies/s3-versioning-enabled/severity"]),
    ("max_workers: 8", "max_workers: 0", "max_workers:", ["max_workers"]),
    ("role_arn: arn:aws:iam::222222222222:role/Audit", "role_arn: Audit", "role_arn:", ["role_arn"]),
])
def test_invalid_config_gives_file_line_errors(tmp_path, old, new, needle, says):
    assert old in CONFIG
    text = CONFIG.replace(old, new, 1)
    path = write_config(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.path == str(path)
    assert problem.line == line_of(text, needle), str(problem)
    for fragment in says:
        assert fragment in problem.message
    assert problem.hint


def test_every_config_problem_is_reported(tmp_path):
    text = CONFIG.replace('"111111111111"', '"1"').replace("us-east-1", "nowhere")
    text += "colour: red\n"
    with pytest.raises(InputError) as info:
        load_config(write_config(tmp_path, text))
    lines = sorted(p.line for p in info.value.problems)
    assert lines == sorted([line_of(text, '"1"'), line_of(text, "nowhere"), line_of(text, "colour:")])


def test_config_must_be_a_mapping(tmp_path):
    with pytest.raises(InputError, match="mapping"):
        load_config(write_config(tmp_path, "- eu-west-1\n"))


def test_malformed_config_yaml(tmp_path):
    path = write_config(tmp_path, "regions: [eu-west-1\n")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.problems[0].path == str(path)
    assert info.value.problems[0].line == 2


def test_parameters_for_merges_star_and_environment(tmp_path):
    config = load_config(write_config(tmp_path, CONFIG))
    assert config.parameters_for("lambda-timeout-bounds", "prod") == {"max_seconds": 60, "min_seconds": 2}
    assert config.parameters_for("lambda-timeout-bounds", "dev") == {"max_seconds": 120, "min_seconds": 2}
    assert config.parameters_for("s3-versioning-enabled", "prod") == {}


def test_parameters_for_environment_only():
    config = Config(parameters={"prod": {"p": {"x": 1}}})
    assert config.parameters_for("p", "prod") == {"x": 1}
    assert config.parameters_for("p", "dev") == {}


def test_parameters_for_does_not_mutate_the_config():
    config = Config(parameters={"*": {"p": {"x": 1}}, "prod": {"p": {"x": 2}}})
    config.parameters_for("p", "prod")["x"] = 99
    assert config.parameters_for("p", "dev") == {"x": 1}
    assert config.parameters_for("p", "prod") == {"x": 2}


def test_config_problem_points_into_the_file(tmp_path):
    text = CONFIG
    config = load_config(write_config(tmp_path, text))
    problem = config.problem(("policies", "s3-versioning-enabled"), "no such policy")
    assert problem.line == line_of(text, "s3-versioning-enabled:")
    assert Config().problem(("x",), "m").path == "(built-in defaults)"

"""The built-in pack's own test cases, and its framework mappings as files.

Every built-in policy ships with cases (policies/tests/<id>.yml) that `preflight test` runs
through the scan's evaluator: at least one pass, one fail and one error from an unreadable
value each. The framework mappings (policies/frameworks/<name>.yml) are the only place
the built-in pack says which controls a policy checks.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from preflight_scanner.cli import main
from preflight_scanner.errors import InputError
from preflight_scanner.policy import builtin_policy_dir, load_policies
from preflight_scanner.policy.frameworks import (
    framework_controls,
    list_frameworks,
    load_framework,
    unknown_policies,
)
from preflight_scanner.yamlfile import load_yaml

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_policy_cases")

POLICIES = load_policies()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack_run() -> dict:
    """`preflight test --format json` on the whole built-in pack, once for this module."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["test", "--format", "json"])
    return {"code": code, "report": json.loads(out.getvalue())}


def test_every_builtin_case_passes(pack_run):
    failed = [f"{r['policy_id']}: {r['case']}: {r['failure']}" for r in pack_run["report"]["results"]
              if not r["passed"]]
    assert failed == []
    assert pack_run["code"] == 0


def test_every_builtin_policy_has_cases(pack_run):
    report = pack_run["report"]
    assert report["summary"]["untested"] == []
    assert {r["policy_id"] for r in report["results"]} == {p.id for p in POLICIES}
    assert len(POLICIES) == 37


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_each_policy_is_shown_to_pass_to_fail_and_to_err_on_an_unreadable_value(policy, pack_run):
    results = [r for r in pack_run["report"]["results"] if r["policy_id"] == policy.id]
    verdicts = Counter(r["actual"] for r in results)
    assert verdicts["pass"] >= 1 and verdicts["fail"] >= 1 and verdicts["error"] >= 1, verdicts
    if policy.scope.environments is not None:  # a scoped policy: show where it does not apply
        assert verdicts["not-applicable"] >= 1, verdicts


def test_a_fail_case_shows_the_leaves_that_decided_it(pack_run):
    failing = [r for r in pack_run["report"]["results"] if r["actual"] == "fail"]
    assert failing and all(r["evidence"] for r in failing)
    pitr = next(r for r in failing if r["policy_id"] == "dynamodb-pitr-enabled")
    assert pitr["evidence"][0] == {"attribute": "pitr.status", "operator": "equals",
                                   "expected": "ENABLED", "actual": "DISABLED", "passed": False,
                                   "error": None}


# ------------------------------------------------------------ what ships in the wheel

def _package_data() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["setuptools"]["package-data"]["preflight_scanner.policies"]


@pytest.mark.parametrize("folder", ["tests", "frameworks"])
def test_case_files_and_mappings_are_package_data(folder):
    files = sorted((ROOT / "policies" / folder).glob("*"))
    assert files
    for path in files:
        relative = path.relative_to(ROOT / "policies").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in _package_data()), relative


def test_the_case_files_and_mappings_are_not_loaded_as_policies():
    sources = {Path(p.source).parent for p in POLICIES}
    assert sources == {builtin_policy_dir()}


# ------------------------------------------------------------ framework mappings as files

# What the policies' own `frameworks:` keys said before they moved to the mapping files:
# every report's framework tags come from here, so this must not change by accident.
BUILTIN_MAPPINGS = {
    "apigateway-execution-logging": {"aws-config": ("api-gw-execution-logging-enabled",),
                                     "aws-fsbp": ("APIGateway.1",)},
    "apigateway-waf-attached": {"aws-config": ("api-gw-associated-with-waf",),
                                "aws-fsbp": ("APIGateway.4",)},
    "cloudfront-logging-enabled": {"aws-config": ("cloudfront-accesslogs-enabled",),
                                   "aws-fsbp": ("CloudFront.5",)},
    "cloudfront-waf-attached": {"aws-config": ("cloudfront-associated-with-waf",),
                                "aws-fsbp": ("CloudFront.6",)},
    "cognito-deletion-protection": {
        "aws-config": ("cognito-user-pool-deletion-protection-enabled",),
        "aws-fsbp": ("Cognito.6",)},
    "cognito-mfa-on-in-prod": {"aws-fsbp": ("Cognito.5",)},
    "dynamodb-autoscaling-registered": {"aws-config": ("dynamodb-autoscaling-enabled",),
                                        "aws-fsbp": ("DynamoDB.1",)},
    "dynamodb-deletion-protection": {
        "aws-config": ("dynamodb-table-deletion-protection-enabled",),
        "aws-fsbp": ("DynamoDB.6",)},
    "dynamodb-pitr-enabled": {"aws-config": ("dynamodb-pitr-enabled",),
                              "aws-fsbp": ("DynamoDB.2",)},
    "dynamodb-recent-backup": {"aws-config": ("dynamodb-last-backup-recovery-point-created",)},
    "guardduty-enabled": {"aws-config": ("guardduty-enabled-centralized",),
                          "aws-fsbp": ("GuardDuty.1",)},
    "lambda-reserved-concurrency": {"aws-config": ("lambda-concurrency-check",)},
    "s3-versioning-enabled": {"aws-config": ("s3-bucket-versioning-enabled",),
                              "aws-fsbp": ("S3.14",)},
    "logs-retention-set": {"aws-config": ("cw-loggroup-retention-period-check",),
                           "aws-fsbp": ("CloudWatch.16",)},
    "secretsmanager-rotation-enabled": {"aws-config": ("secretsmanager-rotation-enabled-check",),
                                        "aws-fsbp": ("SecretsManager.1",)},
    "secretsmanager-rotated-recently": {
        "aws-config": ("secretsmanager-scheduled-rotation-success-check",
                       "secretsmanager-secret-periodic-rotation"),
        "aws-fsbp": ("SecretsManager.4",)},
}


def test_no_builtin_policy_declares_frameworks_itself():
    files = sorted(builtin_policy_dir().glob("*.yml"))
    assert files
    assert [f.name for f in files if "frameworks" in load_yaml(f).data] == []


def test_the_loaded_policies_carry_what_the_mapping_files_say():
    loaded = {p.id: dict(p.frameworks) for p in POLICIES if p.frameworks}
    assert loaded == BUILTIN_MAPPINGS
    for framework in list_frameworks():
        assert unknown_policies(load_framework(framework), {p.id for p in POLICIES}) == []
        for policy_id, controls in framework_controls(framework).items():
            assert loaded[policy_id][framework] == tuple(controls)


def test_a_policy_of_ones_own_merges_its_frameworks_key_with_the_mapping_files(tmp_path):
    source = (builtin_policy_dir() / "s3-versioning-enabled.yml").read_text(encoding="utf-8")
    (tmp_path / "s3-versioning-enabled.yml").write_text(
        source + "frameworks:\n  aws-fsbp: [S3.14, S3.99]\n  own: [O.1]\n", encoding="utf-8")
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "frameworks" / "own.yml").write_text(
        "framework: own\ntitle: Ours\ncontrols:\n  O.2: [s3-versioning-enabled]\n",
        encoding="utf-8")
    [policy] = load_policies([tmp_path])
    # built-in file first, then this pack's file, then the policy's own key; each once
    assert dict(policy.frameworks) == {"aws-config": ("s3-bucket-versioning-enabled",),
                                       "aws-fsbp": ("S3.14", "S3.99"), "own": ("O.2", "O.1")}


def test_a_mapping_of_ones_own_naming_no_loaded_policy_is_refused_with_its_line(tmp_path,
                                                                                capsys):
    source = (builtin_policy_dir() / "s3-versioning-enabled.yml").read_text(encoding="utf-8")
    (tmp_path / "s3-versioning-enabled.yml").write_text(source, encoding="utf-8")
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "frameworks" / "own.yml").write_text(
        "framework: own\ntitle: Ours\ncontrols:\n  O.1: [s3-versioning-enabled]\n"
        "  O.2: [s3-versoning-enabled]\n", encoding="utf-8")
    assert main(["policies", "--policies", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'frameworks' / 'own.yml'}:5:" in err
    assert "'s3-versoning-enabled', which no loaded policy file defines" in err
    assert "Traceback" not in err


def test_policies_framework_selects_by_the_mapping_files(tmp_path, capsys):
    (tmp_path / "frameworks").mkdir()
    for name in ("dynamodb-pitr-enabled", "guardduty-enabled"):
        (tmp_path / f"{name}.yml").write_text(
            (builtin_policy_dir() / f"{name}.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "frameworks" / "own.yml").write_text(
        "framework: own\ntitle: Ours\ncontrols:\n  O.1: [guardduty-enabled]\n",
        encoding="utf-8")
    assert main(["policies", "--policies", str(tmp_path), "--framework", "own",
                 "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["id"] == "guardduty-enabled"
    assert listed["frameworks"] == {"aws-config": ["guardduty-enabled-centralized"],
                                    "aws-fsbp": ["GuardDuty.1"], "own": ["O.1"]}


def test_an_unknown_framework_is_refused_with_a_suggestion():
    with pytest.raises(InputError) as raised:
        framework_controls("aws-fbsp")
    assert "no framework mapping 'aws-fbsp'" in str(raised.value)
    assert "did you mean aws-fsbp?" in str(raised.value)


def test_a_malformed_mapping_is_refused_with_its_line(tmp_path):
    (tmp_path / "cis-aws.yml").write_text(
        "framework: cis-aws\ntitle: CIS\ncontrols:\n  '1.1': [Not-An-Id]\n  '1.2': []\n",
        encoding="utf-8")
    with pytest.raises(InputError) as raised:
        framework_controls("cis-aws", tmp_path)
    problems = [str(p) for p in raised.value.problems]
    assert any(p.startswith(f"{tmp_path / 'cis-aws.yml'}:4:") and "Not-An-Id" in p
               for p in problems), problems
    assert any(":5:" in p and "controls/1.2" in p for p in problems), problems


def test_a_mapping_whose_name_differs_from_its_file_is_refused(tmp_path):
    (tmp_path / "cis-aws.yml").write_text(
        "framework: cis\ntitle: CIS\ncontrols:\n  '1.1': [s3-versioning-enabled]\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=r"cis-aws.yml:1:.*differs from the file name"):
        load_framework("cis-aws", tmp_path)


def test_unknown_policies_lists_ids_no_loaded_policy_has(tmp_path):
    (tmp_path / "own.yml").write_text(
        "framework: own\ntitle: Ours\ncontrols:\n  A.1: [s3-versioning-enabled, gone-policy]\n",
        encoding="utf-8")
    framework = load_framework("own", tmp_path)
    assert unknown_policies(framework, {p.id for p in POLICIES}) == ["gone-policy"]
    assert framework.by_policy() == {"s3-versioning-enabled": ["A.1"], "gone-policy": ["A.1"]}

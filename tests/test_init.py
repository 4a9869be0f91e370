"""`preflight init` on moto: discovers the organization, writes the starter files, and is
idempotent (never overwrites without --force)."""

from __future__ import annotations

import subprocess

import yaml
from preflight_scanner.cli import main
from preflight_scanner.config import load_config
from preflight_scanner.demo import estate
from preflight_scanner.iam import actions_of, iam_policy
from preflight_scanner.policy import load_policies

from tests.test_github_actions import ROOT, tool


def _files(directory):
    return {name: (directory / name) for name in
            ("preflight.yml", "preflight-role.yml", ".github/workflows/preflight.yml")}


def test_init_lists_the_organization_guesses_environments_and_writes_the_role(aws, tmp_path,
                                                                              capsys):
    ids = estate.create_organization(["shop-prod", "shop-staging", "data-lake"])
    out = tmp_path / "repo"
    assert main(["init", "--dir", str(out), "--region", "eu-west-1"]) == 0
    printed = capsys.readouterr()
    files = _files(out)
    assert all(f"{path}: written" in printed.out for path in files.values())
    assert "create-stack-set" in printed.out and "SERVICE_MANAGED" in printed.out

    config_text = files["preflight.yml"].read_text()
    config = load_config(files["preflight.yml"])
    assert config.organization and config.role_name == "PreflightReadOnly"
    assert config.regions == ("eu-west-1",)
    environments = {a.id: (a.name, a.environment) for a in config.accounts}
    assert environments == {ids["shop-prod"]: ("shop-prod", "prod"),
                            ids["shop-staging"]: ("shop-staging", "staging"),
                            ids["data-lake"]: ("data-lake", None),
                            estate.MANAGEMENT_ACCOUNT: (environments[estate.MANAGEMENT_ACCOUNT][0],
                                                        "management")}
    assert {a.id for a in config.accounts} >= set(ids.values())
    assert config_text.count("# review: guessed from the account's name") == 2  # prod, staging
    assert "# review: the management account" in config_text
    assert "nothing in the name suggests one" in config_text  # data-lake

    role = yaml.safe_load(files["preflight-role.yml"].read_text())
    properties = role["Resources"]["PreflightReadOnlyRole"]["Properties"]
    granted = actions_of(properties["Policies"][0]["PolicyDocument"])
    from preflight_scanner.config import Config

    assert granted == actions_of(iam_policy(load_policies(None), Config()))  # iam-policy's reads
    assert not [a for a in granted if not a.split(":")[1].startswith(("List", "Get", "GET", "Describe",
                                                                      "View"))]
    assert role["Parameters"]["ScannerPrincipalArn"]["Default"] == \
        f"arn:aws:iam::{estate.MANAGEMENT_ACCOUNT}:root"
    lint = subprocess.run([tool("cfn-lint"), str(files["preflight-role.yml"])],
                          capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_workflow_is_valid_for_github_and_pins_the_same_actions_as_ours(aws, tmp_path):
    out = tmp_path / "repo"
    assert main(["init", "--dir", str(out)]) == 0
    workflow = _files(out)[".github/workflows/preflight.yml"]
    check = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                            str(workflow)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    ours = "".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    for line in workflow.read_text().splitlines():
        if "uses: actions/" in line or "uses: aws-actions/" in line:
            assert line.split("uses: ")[1] in ours, line
    assert "uses: preflight-scanner/preflight@v" in workflow.read_text()


def test_without_organizations_only_the_callers_account_with_the_reason(aws, tmp_path, capsys):
    out = tmp_path / "repo"
    assert main(["init", "--dir", str(out)]) == 0
    assert "Organizations ListAccounts was not allowed" in capsys.readouterr().err
    config = load_config(out / "preflight.yml")
    assert not config.organization
    assert [a.id for a in config.accounts] == [estate.MANAGEMENT_ACCOUNT]
    assert config.regions == ("us-east-1",)


def test_init_is_idempotent_and_overwrites_only_with_force(aws, tmp_path, capsys):
    out = tmp_path / "repo"
    assert main(["init", "--dir", str(out)]) == 0
    files = _files(out)
    before = {name: path.read_text() for name, path in files.items()}
    capsys.readouterr()
    assert main(["init", "--dir", str(out)]) == 0
    again = capsys.readouterr().out
    assert all(f"{path}: unchanged" in again for path in files.values())
    assert {name: path.read_text() for name, path in files.items()} == before
    files["preflight.yml"].write_text("regions: [eu-west-1]\n")  # the user's edits
    assert main(["init", "--dir", str(out)]) == 0
    out_text = capsys.readouterr().out
    assert f"{files['preflight.yml']}: kept" in out_text
    assert f"{files['preflight-role.yml']}: unchanged" in out_text
    assert files["preflight.yml"].read_text() == "regions: [eu-west-1]\n"
    assert main(["init", "--dir", str(out), "--force"]) == 0
    assert f"{files['preflight.yml']}: overwritten" in capsys.readouterr().out
    assert files["preflight.yml"].read_text() == before["preflight.yml"]


def test_init_only_reads(aws, tmp_path):
    estate.create_organization(["shop-prod"])
    aws.operations.clear()
    assert main(["init", "--dir", str(tmp_path)]) == 0
    assert set(aws.operations) <= {"sts:GetCallerIdentity", "organizations:ListAccounts"}, \
        aws.operations

"""The composite action, its scan script and the workflows: valid against GitHub's schemas,
clean under zizmor (offline), hardened as docs/ci.md says, and the scan script run for real
against moto with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at temporary files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import yaml
from preflight_scanner.demo import estate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
SCRIPT = ROOT / "scripts" / "action-scan.sh"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is a declared test dependency (pip install -e '.[test]')"
    return found


def load(path: Path) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); these files are read as GitHub reads them.
    text = path.read_text(encoding="utf-8")
    return yaml.load(text, Loader=_GithubLoader)


class _GithubLoader(yaml.SafeLoader):
    pass


_GithubLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GithubLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                                    list("tf"))


def test_workflows_and_the_action_validate_against_githubs_schemas():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "scheduled-scan.yml", "pre-deploy-gate.yml"}
    for schema, files in (("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", [ACTION])):
        done = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema,
                               *map(str, files)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_offline():
    done = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--color", "never",
                           str(ACTION), *map(str, WORKFLOWS)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


def test_zizmor_would_catch_a_template_injection(tmp_path):
    """The check above can fail: the same run on a workflow with a classic injection does."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(textwrap.dedent("""\
        on: pull_request_target
        permissions: {}
        jobs:
          x:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ github.event.pull_request.title }}"
        """))
    done = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--color", "never",
                           str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "template-injection" in done.stdout


def test_every_action_is_pinned_checkouts_drop_credentials_and_permissions_are_least():
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow.get("permissions") in ({}, {"contents": "read"}), path.name
        for name, job in workflow["jobs"].items():
            steps = job.get("steps", [])
            for step in steps:
                uses = step.get("uses")
                if uses is None or uses.startswith("./"):
                    continue
                assert PINNED.match(uses), f"{path.name}:{name}: {uses} is not pinned to a SHA"
                if uses.startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"
            oidc = any("configure-aws-credentials" in (s.get("uses") or "") for s in steps)
            granted = job.get("permissions", {})
            assert (granted.get("id-token") == "write") == oidc, f"{path.name}:{name}"
            for step in steps:  # no expression is spliced into a shell script
                assert "${{" not in step.get("run", ""), f"{path.name}:{name}: {step.get('name')}"


def test_the_scheduled_scan_shards_merges_and_keeps_a_baseline():
    workflow = load(ROOT / ".github" / "workflows" / "scheduled-scan.yml")
    assert workflow["on"]["schedule"][0]["cron"] and "workflow_dispatch" in workflow["on"]
    scan, merge = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    shards = scan["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(workflow["env"]["SHARDS"]) + 1))
    assert scan["strategy"]["fail-fast"] is False
    merge_steps = {s.get("name", s.get("uses")): s for s in merge["steps"]}
    assert "preflight-baseline" in merge_steps["Download the previous run's result (the baseline)"]["run"]
    assert "preflight \"${args[@]}\" shards/*/report.json" in merge_steps["Merge, compare, gate"]["run"]
    assert merge_steps["Keep the result as the next run's baseline"]["with"]["name"] == "preflight-baseline"
    assert merge_steps["Upload the SARIF to code scanning"]["uses"].startswith(
        "github/codeql-action/upload-sarif@")
    assert merge["permissions"]["security-events"] == "write"


def test_the_pre_deploy_gate_is_reusable_and_fails_on_the_gate():
    workflow = load(ROOT / ".github" / "workflows" / "pre-deploy-gate.yml")
    call = workflow["on"]["workflow_call"]
    assert call["inputs"]["role-to-assume"]["required"] is True
    assert {"config", "environment", "policies", "fail-on"} <= set(call["inputs"])
    job = workflow["jobs"]["gate"]
    assert job["environment"] == "${{ inputs.environment }}"
    scan = next(s for s in job["steps"] if s.get("id") == "scan")
    assert "fail" not in scan["with"]  # the action's default: the gate's exit code fails the job


# -- the action's scan script, for real -----------------------------------------------------

def run_script(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           **{f"PREFLIGHT_{k.upper()}": v for k, v in inputs.items()}}
    done = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs, summary.read_text()


@pytest.fixture
def estate_with_a_waiver(aws, tmp_path):
    session = boto3.Session()
    estate.create_table(session, "us-east-1", "orders", pitr=True)
    estate.create_table(session, "us-east-1", "carts")
    estate.create_table(session, "us-east-1", "legacy-sessions")
    expires = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    (tmp_path / "waivers.yml").write_text(textwrap.dedent(f"""\
        waivers:
          - id: legacy
            policies: [dynamodb-pitr-enabled]
            resources: ["legacy-*"]
            reason: Sessions expire within a day; nothing to restore
            owner: web-team
            expires: {expires}
        """))
    return tmp_path


def test_the_scan_step_writes_outputs_summary_and_exits_with_the_gate(estate_with_a_waiver):
    tmp_path = estate_with_a_waiver
    policies = f"{ROOT}/policies/dynamodb-pitr-enabled.yml,\n {ROOT}/policies/s3-versioning-enabled.yml"
    done, outputs, summary = run_script(
        tmp_path, policies=policies, waivers="waivers.yml", formats="html,sarif,junit,md",
        baseline="previous/report.json", out="out")
    assert done.returncode == 1, done.stdout + done.stderr
    action = load(ACTION)
    assert set(outputs) == set(action["outputs"]), "every declared output is written"
    assert outputs["exit-code"] == "1" and outputs["report-dir"] == "out"
    assert outputs["report-json"] == "out/report.json" and outputs["report-md"] == "out/report.md"
    assert (tmp_path / outputs["report-sarif"]).is_file()
    assert (outputs["pass"], outputs["fail"], outputs["waived"], outputs["error"]) == ("1", "1", "1", "0")
    assert (outputs["new"], outputs["fixed"]) == ("0", "0")
    assert summary.startswith("# Preflight report") and "legacy" in summary
    assert "::warning::no baseline at previous/report.json" in done.stdout
    # The scan's own output is fenced off from GitHub's workflow-command parser.
    token = re.search(r"^::stop-commands::(\S+)$", done.stdout, re.M).group(1)
    assert done.stdout.index("dynamodb-pitr-enabled") > done.stdout.index(f"::stop-commands::{token}")
    assert f"\n::{token}::\n" in done.stdout
    assert "::error::Preflight: failing checks at or above 'low' (exit 1)" in done.stdout

    # Compared with that run, nothing is new: --fail-on-new passes; fail=false never fails.
    done, outputs, _ = run_script(
        tmp_path, policies=policies, waivers="waivers.yml", formats="md", out="again",
        baseline="out/report.json", fail_on_new="true")
    assert done.returncode == 0 and outputs["exit-code"] == "0", done.stdout + done.stderr
    assert (outputs["new"], outputs["fail"]) == ("0", "1")
    assert "report-html" not in outputs


def test_invalid_input_exits_2_with_no_report_and_fail_false_still_records_the_code(aws, tmp_path):
    done, outputs, summary = run_script(tmp_path, fail_on="severe", out="out")
    assert done.returncode == 2
    assert outputs == {"exit-code": "2", "report-dir": "out"}
    assert summary == ""
    done, outputs, _ = run_script(tmp_path, shard="5/4", out="out", fail="false")
    assert done.returncode == 0 and outputs["exit-code"] == "2"
    assert "::error::Preflight wrote no report (exit code 2)" in done.stdout

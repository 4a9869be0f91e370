"""The composite action, its scan script and the workflows: valid against GitHub's schemas,
clean under zizmor (offline), hardened as docs/ci.md says, and the scan script run for real
against moto with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at temporary files."""

from __future__ import annotations

import json
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
# The actions that exchange GitHub's OIDC token: only their jobs may have id-token: write.
OIDC_USERS = ("aws-actions/configure-aws-credentials@", "actions/attest-build-provenance@",
              "pypa/gh-action-pypi-publish@")


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
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "scheduled-scan.yml", "pre-deploy-gate.yml",
                                           "release.yml"}
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
            oidc = any(action in (s.get("uses") or "") for s in steps for action in OIDC_USERS)
            granted = job.get("permissions", {})
            assert (granted.get("id-token") == "write") == oidc, f"{path.name}:{name}"
            for step in steps:  # no expression is spliced into a shell script
                assert "${{" not in step.get("run", ""), f"{path.name}:{name}: {step.get('name')}"


def _uses(path: Path) -> list[tuple[str, str]]:
    """Every `uses:` line of a workflow or action file: (reference, trailing comment)."""
    found = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(#.*)?$", path.read_text(), re.M)
    return [(ref, comment) for ref, comment in found]


def test_every_remote_action_is_pinned_by_sha_with_its_release_in_a_comment():
    refs = [(path, ref, comment) for path in [ACTION, *WORKFLOWS] for ref, comment in _uses(path)]
    assert any(path == ACTION for path, _, _ in refs), "the composite action uses pinned actions too"
    for path, ref, comment in refs:
        if ref.startswith("./"):
            continue
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a commit SHA"
        assert re.match(r"# v\d+\.\d+\.\d+\b", comment), f"{path.name}: {ref} needs '# vX.Y.Z'"


LOCKS = ROOT / "requirements"


def _locked(path: Path) -> dict[str, str]:
    """name -> the requirement's whole entry (version, markers, hashes)."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    return {re.match(r"[A-Za-z0-9._-]+", e).group(0).lower(): e for e in entries
            if re.match(r"[A-Za-z0-9]", e)}


@pytest.mark.parametrize("name", ["action.txt", "action-iac.txt", "release.txt"])
def test_every_locked_requirement_is_an_exact_version_with_hashes(name):
    locked = _locked(LOCKS / name)
    assert locked, name
    for entry in locked.values():
        assert re.match(r"[A-Za-z0-9._-]+==[^\s;]+", entry), entry.splitlines()[0]
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    assert "bash requirements/compile.sh" in (LOCKS / name).read_text()  # how to regenerate


def test_the_action_locks_cover_preflights_dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    def names(requirements):
        return {re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in requirements}
    base, iac = _locked(LOCKS / "action.txt"), _locked(LOCKS / "action-iac.txt")
    assert names(project["dependencies"]) | {"setuptools"} <= set(base)
    assert names(project["optional-dependencies"]["iac"]) | set(base) <= set(iac)
    assert "cfn-lint" not in base  # the live scan's install stays small


def test_the_action_installs_from_the_lock_with_a_cache_keyed_on_it():
    steps = load(ACTION)["runs"]["steps"]
    by_name = {s["name"]: s for s in steps}
    cache = by_name["Restore pip's downloads"]
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["key"] == "${{ steps.lock.outputs.key }}"
    install = by_name["Install Preflight"]
    assert install["env"]["PIP_CACHE_DIR"] == cache["with"]["path"]
    script = (ROOT / "scripts" / "action-install.sh").read_text()
    assert "--require-hashes --no-deps" in script
    assert '"${pip[@]}" check' in script
    upload = by_name["Upload the SARIF to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"]
    inputs = load(ACTION)["inputs"]
    assert {"mode", "upload-sarif", "sarif-category", "install-from", "cache"} <= set(inputs)
    assert len(load(ACTION)["description"]) <= 125  # GitHub Marketplace's limit


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PREFLIGHT_INSTALL_FROM", "git", "install-from must be pypi or source"),
    ("PREFLIGHT_PYTHON", "false", ""),
])
def test_the_install_script_refuses_bad_input_before_installing_anything(tmp_path, variable,
                                                                          value, message):
    env = {**os.environ, "PREFLIGHT_SOURCE": str(ROOT), "PREFLIGHT_VENV": str(tmp_path / "v"),
           variable: value}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "action-install.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "v").exists()


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


def test_the_release_builds_once_tests_attests_and_publishes_without_a_token():
    workflow = load(ROOT / ".github" / "workflows" / "release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}} and workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "test": {"contents": "read"},
        "attest": {"id-token": "write", "attestations": "write"},
        "publish": {"id-token": "write"},
        "github-release": {"contents": "write"},
    }
    assert set(jobs["publish"]["needs"]) == {"build", "test", "attest"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    [publish] = jobs["publish"]["steps"][-1:]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert not publish.get("with"), "trusted publishing: no password or token"
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "secrets." not in text
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "--require-hashes" in build and "python -m build" in build and "twine check" in build
    assert "cyclonedx-py environment" in build
    assert jobs["test"]["steps"][-1]["env"]["PREFLIGHT_DIST"] == "dist"  # the built files
    assert any(s.get("uses", "").startswith("actions/attest-build-provenance@")
               for s in jobs["attest"]["steps"])
    assert "gh release create" in jobs["github-release"]["steps"][-1]["run"]


def test_the_pre_deploy_gate_is_reusable_and_fails_on_the_gate():
    workflow = load(ROOT / ".github" / "workflows" / "pre-deploy-gate.yml")
    call = workflow["on"]["workflow_call"]
    assert call["inputs"]["role-to-assume"]["required"] is True
    # github.repository is the caller's inside a called workflow: Preflight's must be named
    assert call["inputs"]["preflight-repository"]["required"] is True
    assert call["inputs"]["preflight-ref"]["required"] is True
    preflight_checkouts = [s["with"] for job in workflow["jobs"].values() for s in job["steps"]
                           if s.get("with", {}).get("path") == ".preflight-action"]
    assert len(preflight_checkouts) == 2
    assert all(c["repository"] == "${{ inputs.preflight-repository }}" and
               c["ref"] == "${{ inputs.preflight-ref }}" for c in preflight_checkouts)
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


# -- the action's other modes -------------------------------------------------------------

def test_the_iac_mode_checks_templates_and_upload_sarif_adds_the_sarif(aws, tmp_path):
    template = ROOT / "tests" / "data" / "iac" / "cfn" / "app.yaml"
    done, outputs, summary = run_script(tmp_path, mode="iac", paths=f" {template}\n", formats="md",
                                        upload_sarif="true", out="iac", fail="false")
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["exit-code"] in {"0", "1", "3"}, done.stdout + done.stderr
    assert (outputs["report-md"], outputs["report-sarif"]) == ("iac/report.md", "iac/report.sarif")
    assert "report-html" not in outputs  # only the formats asked for, plus the SARIF to upload
    sarif = json.loads((tmp_path / "iac" / "report.sarif").read_text())
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "Preflight"
    assert summary and set(outputs) >= {"pass", "fail", "error", "waived"}


def test_the_github_format_prints_annotations_outside_the_fenced_scan_output(aws, tmp_path):
    template = ROOT / "tests" / "data" / "iac" / "cfn" / "app.yaml"
    done, outputs, _ = run_script(tmp_path, mode="iac", paths=f" {template}\n", formats="github",
                                  out="iac", fail="false")
    assert outputs["exit-code"] in {"1", "3"}, done.stdout + done.stderr
    token = re.search(r"^::stop-commands::(\S+)$", done.stdout, re.M).group(1)
    after = done.stdout.split(f"\n::{token}::\n", 1)[1]  # where GitHub reads commands again
    annotations = [line for line in after.splitlines() if line.startswith(("::error file=",
                                                                             "::warning file="))]
    assert annotations, done.stdout
    assert all("app.yaml" in line and ",line=" in line for line in annotations)


def test_the_iac_mode_without_paths_is_invalid_input(tmp_path):
    done, outputs, _ = run_script(tmp_path, mode="iac", paths=" , ")
    assert done.returncode == 2 and "needs the paths input" in done.stdout
    assert outputs == {}


def test_the_drill_mode_writes_the_drill_report(aws, tmp_path):
    done, outputs, summary = run_script(tmp_path, mode="drill", out="drill", fail="false",
                                        baseline="no-such/drill.json")
    assert outputs["report-json"] == "drill/drill.json", done.stdout + done.stderr
    assert (outputs["report-md"], outputs["report-html"]) == ("drill/drill.md", "drill/drill.html")
    assert json.loads((tmp_path / "drill" / "drill.json").read_text())["steps"]
    assert "pass" not in outputs  # the counts are the scan's and iac's
    assert "::warning::no baseline at no-such/drill.json" in done.stdout
    assert summary == (tmp_path / "drill" / "drill.md").read_text()


def test_the_runbooks_mode_validates_the_runbook_references(tmp_path):
    done, outputs, _ = run_script(tmp_path, mode="runbooks")
    assert done.returncode == 0 and outputs == {"exit-code": "0"}, done.stdout + done.stderr
    policy = (ROOT / "policies" / "dynamodb-pitr-enabled.yml").read_text()
    broken = tmp_path / "broken" / "dynamodb-pitr-enabled.yml"
    broken.parent.mkdir()
    broken.write_text(re.sub(r"(?m)^runbook: .*$", "runbook: no-such-runbook#nowhere", policy))
    done, outputs, _ = run_script(tmp_path, mode="runbooks", policies=str(broken.parent))
    assert done.returncode == 2 and outputs == {"exit-code": "2"}, done.stdout + done.stderr
    assert "no-such-runbook" in done.stdout + done.stderr


def test_an_unknown_mode_is_refused(tmp_path):
    done, outputs, _ = run_script(tmp_path, mode="lint")
    assert outputs == {}
    assert done.returncode == 2 and "mode must be scan, iac, drill or runbooks" in done.stdout


# -- reusable workflows: what a called job asks for, its callers must grant ------------------
#
# GitHub refuses to start a called workflow (startup_failure) whose job requests a permission
# the caller does not grant. A called job's request is its own `permissions:`, else the called
# workflow's top-level ones, else nothing (it then runs with whatever the caller gives). The
# caller's grant is the calling job's `permissions:`, else its workflow's (or example's)
# top-level ones. When neither is written GitHub applies the repository's default token
# permissions, which a repository setting can reduce to contents and packages read: this check
# treats an absent grant as granting nothing, so an example must always spell out its grant.

LEVEL = {"none": 0, "read": 1, "write": 2}
SCOPES = ("actions", "attestations", "checks", "contents", "deployments", "discussions",
          "id-token", "issues", "models", "packages", "pages", "pull-requests",
          "repository-projects", "security-events", "statuses")
CALLED = re.compile(r"(?:^|/)\.github/workflows/([\w.-]+\.ya?ml)(?:@\S+)?$")


def permission_levels(value: object) -> dict[str, int]:
    if value is None:
        return {}
    if value in ("read-all", "write-all"):
        return dict.fromkeys(SCOPES, LEVEL[value.removesuffix("-all")])
    assert isinstance(value, dict), f"permissions: {value!r}"
    return {scope: LEVEL[level] for scope, level in value.items()}


def requested_by_jobs(workflow: dict) -> dict[str, dict[str, int]]:
    top = workflow.get("permissions")
    return {name: permission_levels(job.get("permissions", top))
            for name, job in workflow["jobs"].items()}


def reusable_workflows() -> dict[str, dict]:
    found = {path.name: load(path) for path in WORKFLOWS}
    return {name: wf for name, wf in found.items()
            if isinstance(wf.get("on"), dict) and "workflow_call" in wf["on"]}


def _yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```ya?ml\n(.*?)^```", markdown, re.M | re.S)


def _comment_examples(text: str) -> list[str]:
    """The example at the head of a workflow: the indented comment lines from `#   jobs:`."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"#\s+jobs:\s*$", line)]
    blocks = []
    for start in starts:
        block = []
        for line in lines[start:]:
            if not line.startswith("#"):
                break
            block.append(line[1:])
        blocks.append(textwrap.dedent("\n".join(block)))
    return blocks


def caller_examples() -> list[tuple[str, str]]:
    """(where, YAML text) of every documented caller: code blocks in README.md and docs/*.md,
    the examples in the workflows' comments, and the workflows themselves."""
    sources = [(p, _yaml_blocks(p.read_text(encoding="utf-8")))
               for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]]
    sources += [(p, _comment_examples(p.read_text(encoding="utf-8"))) for p in WORKFLOWS]
    sources += [(p, [p.read_text(encoding="utf-8")]) for p in WORKFLOWS]
    return [(f"{p.relative_to(ROOT)} #{n}", block) for p, blocks in sources
            for n, block in enumerate(blocks, 1)]


def calls(where: str, text: str) -> list[tuple[str, str, dict]]:
    """(caller, called workflow's file name, calling job) for each job that calls a workflow."""
    text = "\n".join(line for line in text.splitlines() if line.strip() != "...")
    try:
        doc = yaml.load(text, Loader=_GithubLoader)
    except yaml.YAMLError:
        return []  # not a workflow (a fragment of steps, a config); nothing to call
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return []
    found = []
    for name, job in doc["jobs"].items():
        match = CALLED.search(str((job or {}).get("uses", "")))
        if match:
            granted = job.get("permissions", doc.get("permissions"))
            found.append((f"{where} job {name}", match.group(1), {**job, "permissions": granted}))
    return found


def permission_problems(caller: str, job: dict, called_name: str, called: dict) -> list[str]:
    granted = permission_levels(job.get("permissions"))
    problems = []
    for nested, wanted in requested_by_jobs(called).items():
        for scope, level in wanted.items():
            if level > granted.get(scope, 0):
                problems.append(f"{caller}: {called_name} job {nested} needs {scope}: "
                                f"{'write' if level == 2 else 'read'}, not granted")
    inputs = called["on"]["workflow_call"].get("inputs") or {}
    given = set(job.get("with") or {})
    problems += [f"{caller}: required input {name} of {called_name} is not given"
                 for name, spec in inputs.items() if spec.get("required") and name not in given]
    return problems


def test_every_documented_caller_grants_what_the_called_jobs_ask_for():
    reusable = reusable_workflows()
    assert "pre-deploy-gate.yml" in reusable
    found = [c for where, text in caller_examples() for c in calls(where, text)]
    where = {caller.split(" #")[0] for caller, _, _ in found}
    assert {"docs/ci.md", ".github/workflows/pre-deploy-gate.yml", "README.md"} <= where, where
    problems = []
    for caller, name, job in found:
        assert name in reusable, f"{caller}: calls {name}, which is not a reusable workflow here"
        problems += permission_problems(caller, job, name, reusable[name])
    assert not problems, "\n".join(problems)


def test_the_permission_check_catches_the_startup_failure():
    """The caller the docs used to show: the iac job's security-events: write is not granted."""
    old = textwrap.dedent("""\
        jobs:
          preflight:
            uses: OWNER/preflight/.github/workflows/pre-deploy-gate.yml@v1
            permissions: {contents: read, id-token: write}
            with: {role-to-assume: arn, preflight-repository: OWNER/preflight, preflight-ref: v1}
        """)
    [(caller, name, job)] = calls("old", old)
    problems = permission_problems(caller, job, name, reusable_workflows()[name])
    assert problems == ["old job preflight: pre-deploy-gate.yml job iac needs security-events: "
                        "write, not granted", "old job preflight: pre-deploy-gate.yml job iac "
                        "needs actions: read, not granted"]
    # No grant written at all: nothing is assumed granted; and a missing required input counts.
    [(caller, name, job)] = calls("bare", "jobs:\n  x:\n    uses: ./.github/workflows/pre-deploy-gate.yml\n")
    problems = permission_problems(caller, job, name, reusable_workflows()[name])
    assert any("gate needs id-token: write" in p for p in problems)
    assert any("required input preflight-repository" in p for p in problems)
    # A job without permissions inherits its workflow's; read-all grants every scope read.
    assert requested_by_jobs({"permissions": {"checks": "write"}, "jobs": {"j": {}}}) == \
        {"j": {"checks": 2}}
    assert permission_levels("read-all")["security-events"] == 1

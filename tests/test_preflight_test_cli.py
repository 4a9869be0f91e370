"""`preflight test`, in-process: exit codes, evidence, file:line problems, json and junit.

No AWS: a case is evaluated by the scan's evaluator on the document it describes.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped
from preflight_scanner.cli import main
from preflight_scanner.policy import load_policies

POLICY = """\
id: table-versioned
title: Buckets keep versions
description: The runbook restores an earlier version of an object.
severity: high
resource: aws.s3.bucket
scope:
  environments: [prod]
parameters:
  wanted: {default: Enabled}
check:
  attribute: versioning
  equals: {param: wanted}
runbook: disaster-recovery#restore-s3-object-versions
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A policy directory of one's own, with its cases beside it in tests/."""
    folder = tmp_path / "pack"
    write(folder / "table-versioned.yml", POLICY)
    write(folder / "tests" / "table-versioned.yml", """\
        policy: table-versioned
        cases:
          - name: versioned
            environment: prod
            resource: {name: assets, versioning: Enabled}
            expect: pass
          - name: suspended
            environment: prod
            resource: {name: assets, versioning: Suspended}
            expect: fail
            message: versioning is Suspended
          - name: dev is out of scope
            environment: dev
            resource: {name: assets, versioning: Suspended}
            expect: not-applicable
          - name: a config that wants Suspended
            environment: prod
            parameters: {wanted: Suspended}
            resource: {name: assets, versioning: Suspended}
            expect: pass
          - name: unreadable tags leave the environment unknown
            environment: dev
            resource: {name: assets, versioning: Suspended}
            unreadable: {tags: "GetResources failed (AccessDenied)"}
            expect: error
        """)
    return folder


FAILING = """\
    policy: table-versioned
    cases:
      - name: claims a suspended bucket passes
        environment: prod
        resource: {name: assets, versioning: Suspended}
        expect: pass
      - name: right verdict, wrong message
        environment: prod
        resource: {name: assets, versioning: Suspended}
        expect: fail
        message: something else
      - name: still fine
        environment: prod
        resource: {name: assets, versioning: Enabled}
        expect: pass
    """


def test_the_cases_beside_a_policy_directory_run_and_pass(pack, capsys):
    code, out, err = run(capsys, "test", "--policies", str(pack))
    assert (code, err) == (0, "")
    assert "  ok      dev is out of scope: not-applicable" in out
    assert "  ok      unreadable tags leave the environment unknown: error" in out
    assert out.rstrip().endswith("5 cases of 1 policies: 5 passed, 0 failed")


def test_the_policy_loader_does_not_take_case_files_or_mappings_for_policies(pack, tmp_path):
    write(pack / "frameworks" / "own.yml",
          "framework: own\ntitle: x\ncontrols: {A: [table-versioned]}\n")
    assert [(p.id, dict(p.frameworks)) for p in load_policies([pack])] == [
        ("table-versioned", {"own": ("A",)})]  # the mapping applies; it is no policy itself
    # ... judged below the directory given: a pack kept under a folder named tests loads
    moved = tmp_path / "tests" / "policies"
    write(moved / "table-versioned.yml", POLICY)
    assert [p.id for p in load_policies([moved])] == ["table-versioned"]


def test_a_failing_case_exits_1_and_shows_the_evidence(pack, capsys):
    cases = write(pack.parent / "cases" / "failing.yml", FAILING)
    code, out, err = run(capsys, "test", "--policies", str(pack), str(cases))
    assert code == 1, err
    assert f"FAILED  claims a suspended bucket passes: expected pass, got fail ({cases}:3)" in out
    assert "message: versioning is Suspended; it should be Enabled" in out
    assert 'versioning equals "Enabled": actual "Suspended", does not hold' in out
    assert ("FAILED  right verdict, wrong message: the message does not contain "
            "'something else'") in out
    assert "  ok      still fine: pass" in out
    assert out.rstrip().endswith("3 cases of 1 policies: 1 passed, 2 failed")


def test_json_output(pack, capsys):
    cases = write(pack.parent / "cases" / "failing.yml", FAILING)
    code, out, _ = run(capsys, "test", "--policies", str(pack), "--format", "json", str(cases))
    assert code == 1
    report = json.loads(out)
    assert report["summary"] == {"cases": 3, "passed": 1, "failed": 2, "untested": []}
    first = report["results"][0]
    assert first | {"evidence": None} == {
        "policy_id": "table-versioned", "case": "claims a suspended bucket passes",
        "file": str(cases), "line": 3, "type": "aws.s3.bucket", "expected": "pass",
        "expected_message": None, "actual": "fail",
        "message": "versioning is Suspended; it should be Enabled", "passed": False,
        "failure": "expected pass, got fail", "evidence": None}
    assert first["evidence"] == [{"attribute": "versioning", "operator": "equals",
                                  "expected": "Enabled", "actual": "Suspended",
                                  "passed": False, "error": None}]


def test_junit_output(pack, tmp_path, capsys):
    cases = write(pack.parent / "cases" / "failing.yml", FAILING)
    code, out, _ = run(capsys, "test", "--policies", str(pack), "--format", "junit", str(cases))
    assert code == 1
    xml = JUnitXml.fromstring(out)
    (suite,) = list(xml)
    assert (suite.name, suite.tests, suite.failures) == ("table-versioned", 3, 2)
    first = next(iter(suite))
    assert first.classname == "table-versioned" and first.name == "claims a suspended bucket passes"
    assert first._elem.get("file") == str(cases) and first._elem.get("line") == "3"
    (failure,) = first.result
    assert isinstance(failure, Failure) and failure.message == "expected pass, got fail"
    assert 'versioning equals "Enabled": actual "Suspended"' in failure.text


def test_policies_without_cases_are_listed_not_passed_over(pack, capsys):
    write(pack / "other-policy.yml", POLICY.replace("id: table-versioned", "id: other-policy"))
    code, out, _ = run(capsys, "test", "--policies", str(pack))
    assert code == 0
    assert "no cases for 1 policies: other-policy" in out
    code, out, _ = run(capsys, "test", "--policies", str(pack), "--format", "junit")
    skipped = [case for suite in JUnitXml.fromstring(out) for case in suite
               if any(isinstance(r, Skipped) for r in case.result)]
    assert [case.classname for case in skipped] == ["other-policy"]


def test_no_cases_at_all_is_invalid_input_not_a_pass(tmp_path, capsys):
    write(tmp_path / "pack" / "table-versioned.yml", POLICY)
    code, _, err = run(capsys, "test", "--policies", str(tmp_path / "pack"))
    assert code == 2
    assert "no test cases found" in err


BAD = """\
    policy: table-versioned
    cases:
      - name: one
        environment: prod
        resource: {name: assets, versoning: Enabled, region: eu-west-1}
        parameters: {wantd: x}
        expect: pass
      - name: one
        type: aws.lambda.function
        unreadable: {versioning: denied}
        expect: not-applicable
        message: nothing
    """


def test_bad_cases_exit_2_with_file_line_and_a_suggestion(pack, capsys):
    cases = write(pack.parent / "cases" / "bad.yml", BAD)
    code, out, err = run(capsys, "test", "--policies", str(pack), str(cases))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert f"error: {cases}:5:30: aws.s3.bucket has no attribute 'versoning' " \
           "(fix: did you mean 'versioning'?)" in lines
    assert any(line.startswith(f"error: {cases}:5:50: region is set by the case") for line in lines)
    assert f"error: {cases}:6:18: table-versioned has no parameter 'wantd' " \
           "(fix: did you mean 'wanted'?)" in lines
    assert any(line.startswith(f"error: {cases}:8:5: a second case named 'one'") for line in lines)
    assert any(f"{cases}:9:" in line and "does not check aws.lambda.function" in line
               for line in lines)
    assert any(f"{cases}:12:" in line and "not-applicable case has no finding" in line
               for line in lines)
    assert lines[-1] == "6 problem(s) found"


@pytest.mark.parametrize(("text", "expected"), [
    ("policy: table-versiond\ncases: [{name: a, expect: pass}]\n",
     ":1:1: no loaded policy 'table-versiond' (fix: did you mean 'table-versioned'?)"),
    ("policy: table-versioned\ncases:\n  - name: a\n    expect: passes\n",
     ":4:5: cases/0/expect: 'passes' is not one of"),
    ("policy: table-versioned\ncases:\n  - name: a\n    expect: pass\n    expected: fail\n",
     ":5:5: cases/0: unknown key 'expected'"),
    ("policy: table-versioned\ncases: []\n", ":2:1: cases: [] should be non-empty"),
    ("- just a list\n", ":1:1: a case file is a YAML mapping"),
    ("policy: [unclosed\n", "invalid YAML"),
])
def test_a_malformed_case_file_exits_2_and_says_where(pack, capsys, text, expected):
    cases = write(pack.parent / "cases" / "case.yml", text)
    code, _, err = run(capsys, "test", "--policies", str(pack), str(cases))
    assert code == 2
    assert f"error: {cases}" in err and expected in err, err


def test_a_missing_path_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "test", str(tmp_path / "nowhere.yml"))
    assert code == 2 and "no such file or directory" in err


def test_what_a_case_says_is_printed_inert(pack, capsys):
    cases = write(pack.parent / "cases" / "esc.yml", """\
        policy: table-versioned
        cases:
          - name: "red \\e[31m and a title \\e]0;pwned\\a"
            environment: prod
            resource: {name: assets, versioning: "\\e[2J"}
            expect: pass
        """)
    code, out, _ = run(capsys, "test", "--policies", str(pack), str(cases))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    assert "red \\x1b[31m" in out


def test_the_readme_example_runs_and_passes(tmp_path, capsys):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Testing policies: `preflight test`", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    cases = write(tmp_path / "example.yml", example)
    code, out, err = run(capsys, "test", str(cases))
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("3 cases of 1 policies: 3 passed, 0 failed")


def test_a_case_file_named_after_one_policy_that_tests_another_is_refused(pack, capsys):
    write(pack / "other-policy.yml", POLICY.replace("id: table-versioned", "id: other-policy"))
    copied = (pack / "tests" / "table-versioned.yml").read_text(encoding="utf-8")
    write(pack / "tests" / "other-policy.yml", copied)  # copied, `policy:` not yet edited
    code, _, err = run(capsys, "test", "--policies", str(pack))
    assert code == 2
    assert (f"{pack / 'tests' / 'other-policy.yml'}:1:1: the file is named after policy "
            "'other-policy' but tests 'table-versioned'") in err


def test_a_file_given_twice_runs_once(pack, capsys):
    cases = pack / "tests" / "table-versioned.yml"
    code, out, _ = run(capsys, "test", "--policies", str(pack), str(cases), str(pack / "tests"))
    assert code == 0
    assert out.rstrip().endswith("5 cases of 1 policies: 5 passed, 0 failed")


def test_cases_set_the_account_and_region_a_scope_names(tmp_path, capsys):
    scoped = POLICY.replace("  environments: [prod]", "  accounts: [shop-prod]\n  regions: [eu-west-1]")
    write(tmp_path / "pack" / "table-versioned.yml", scoped)
    write(tmp_path / "pack" / "tests" / "table-versioned.yml", """\
        policy: table-versioned
        cases:
          - name: the named account, the named region
            account: {id: "111111111111", name: shop-prod}
            region: eu-west-1
            resource: {name: assets, versioning: Suspended}
            expect: fail
          - name: the account by id does not match a scope by name
            account: {id: "111111111111"}
            region: eu-west-1
            resource: {name: assets, versioning: Suspended}
            expect: not-applicable
          - name: another region
            account: {id: "111111111111", name: shop-prod}
            region: us-east-1
            resource: {name: assets, versioning: Suspended}
            expect: not-applicable
        """)
    code, out, err = run(capsys, "test", "--policies", str(tmp_path / "pack"))
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("3 cases of 1 policies: 3 passed, 0 failed")

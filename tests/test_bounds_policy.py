"""Bounded cost for what policy authors write: regular expressions and JMESPath expressions.

A catastrophic regex or an exploding expression is refused at validation (with file, line
and a fix) or yields `error` findings; it never stalls a scan or exhausts memory. The
tests that would hang without the bounds run under a time limit (a subprocess with a
timeout, or a measured bound), so a regression fails instead of hanging CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.policy.expressions import (
    MAX_EVALUATION_STEPS,
    BudgetExceeded,
    ExpressionRejected,
    compile_expression,
    search,
)
from preflight_scanner.policy.operators import OPERATORS
from preflight_scanner.policy.patterns import MAX_PATTERN_CHARS, compile_pattern
from preflight_scanner.policy.templates import sample_resource
from preflight_scanner.policy.unevaluable import Unevaluable

EAST = "us-east-1"
RUNBOOK = "disaster-recovery#restore-a-dynamodb-table"
CATASTROPHIC = "^(a+)+$"  # exponential in Python's re on "aaa...ab"
# Doubles a value 30 times: 2^31 names if anything walks it.
EXPLODING = "[name, name]" + " | [@, @]" * 30


def write_policy(folder: Path, policy_id: str, check: dict[str, Any],
                 parameters: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "id": policy_id, "title": "probe", "description": "Probes a bound.", "severity": "low",
        "resource": "aws.dynamodb.table", "check": check, "runbook": RUNBOOK,
    }
    if parameters:
        doc["parameters"] = parameters
    path = folder / f"{policy_id}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` that contains ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


# --- regular expressions ---------------------------------------------------------------------


def test_a_catastrophic_pattern_runs_in_linear_time():
    regex = compile_pattern(CATASTROPHIC)
    started = time.perf_counter()
    assert regex.search("a" * 100_000 + "b") is None
    assert regex.search("a" * 100_000) is not None
    assert time.perf_counter() - started < 2  # Python's re: centuries at this length


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"^(a)\1$", "invalid escape sequence"),
    (r"^(?P<x>a)(?P=x)$", "invalid"),
    (r"^(?=admin)", "invalid perl operator"),
    (r"^x(?<!y)", "invalid perl operator"),
    (r"orders\Z", "invalid escape sequence"),
    ("a{1001}", "invalid repetition size"),
    ("([a-z]", "missing )"),
])
@pytest.mark.parametrize("operator", ["matches", "any_matches"])
def test_a_pattern_re2_refuses_is_a_validation_error_with_line_and_hint(
        tmp_path, capsys, pattern, reason, operator):
    path = write_policy(tmp_path / "p", "probe-regex", {"attribute": "name", operator: pattern})
    code, err = validate(path, capsys)
    assert code == 2
    assert f"error: {path}:{line_of(path, operator + ':')}:" in err, err
    assert reason in err and "RE2 syntax" in err


def test_a_pattern_longer_than_the_limit_is_refused(tmp_path, capsys):
    path = write_policy(tmp_path / "p", "probe-long", {
        "attribute": "name", "matches": "a" * (MAX_PATTERN_CHARS + 1)})
    code, err = validate(path, capsys)
    assert code == 2 and f"more than {MAX_PATTERN_CHARS:,}" in err
    assert f"{path}:{line_of(path, 'matches:')}:" in err


def test_a_parameter_default_and_a_template_used_as_patterns_are_checked(tmp_path, capsys):
    folder = tmp_path / "p"
    param = write_policy(folder, "probe-param", {"attribute": "name", "matches": {"param": "p"}},
                         {"p": {"default": r"(x)\1"}})
    template = write_policy(folder, "probe-template", {
        "attribute": "name", "any_matches": {"template": "^{{ name }}(?=x)"}})
    code, err = validate(folder, capsys)
    assert code == 2
    assert f"error: {param}:" in err and f"error: {template}:" in err
    assert err.count("invalid regular expression") == 2, err


def test_a_pattern_from_a_parameter_that_re2_refuses_is_an_error_at_scan_time():
    leaf = OPERATORS["matches"]
    with pytest.raises(Unevaluable, match="not a regular expression RE2 runs"):
        leaf.test("orders", r"(a)\1")
    with pytest.raises(Unevaluable, match="lone surrogate"):
        leaf.test("a\ud800", "a")


# --- JMESPath expressions --------------------------------------------------------------------


def test_an_exploding_expression_runs_out_of_budget_quickly():
    started = time.perf_counter()
    # Each of these walks all 2^31 names without a budget (json.dumps, a sort key per item).
    for expression in (f"to_string({EXPLODING})", f"{EXPLODING} | length(to_string(@))",
                       f"sort_by({EXPLODING} | [] | [] | [], &to_string(@))"):
        with pytest.raises(BudgetExceeded, match=f"{MAX_EVALUATION_STEPS:,} steps"):
            search(expression, {"name": "orders"})
    assert time.perf_counter() - started < 5


def test_a_reasonable_expression_over_a_large_attribute_fits_the_budget():
    alarms = [{"name": f"a{i}", "metric": "5XXError", "has_actions": i % 2 == 0}
              for i in range(2_000)]
    found = search("length(alarms[?metric == '5XXError' && has_actions].name)", {"alarms": alarms})
    assert found == 1_000


@pytest.mark.parametrize("expression", [
    "(" * 100_000 + "name" + ")" * 100_000,
    "(" * 400 + "name" + ")" * 400,
    "!" * 400 + "name",
    "& " * 400 + "name",
    "name" + "[*]" * 300,
    "name" + ".a" * 450,
    " || ".join(["name"] * 60),
    "name[" + "9" * 5_000 + "]",
    "`" + "9" * 5_000 + "`",
])
def test_deep_long_or_huge_expressions_are_refused_not_a_recursion_error(expression):
    with pytest.raises(ExpressionRejected):
        compile_expression(expression)
    with pytest.raises(Unevaluable):  # and at evaluation, for a policy built without the loader
        search(expression, {"name": "x"})


@pytest.mark.parametrize(("name", "expression", "expected"), [
    ("exploding", EXPLODING, "needs more than"),
    ("nested", "(" * 5_000 + "name" + ")" * 5_000, "characters long"),
    ("nested within the length", "(" * 300 + "name" + ")" * 300, "levels deep"),
    ("huge index", "name[" + "9" * 5_000 + "]", "characters long"),
    ("long chain", "name" + ".a" * 450, "more than 400 parts"),
])
def test_the_cli_refuses_bad_expressions_with_file_and_line(tmp_path, capsys, name, expression,
                                                            expected):
    path = write_policy(tmp_path / "p", "probe-expression",
                        {"attribute": "name", "equals": {"attribute": expression}})
    code, err = validate(path, capsys)
    assert code == 2, err
    assert f"error: {path}:{line_of(path, 'equals:') + 1}:" in err, err  # the operand's line
    assert expected in err, err


def test_the_sample_resources_fit_every_builtin_expression():
    # The loader evaluates expressions on samples; the pack must pass (and it is loaded).
    assert search("length(alarms)", sample_resource("aws.dynamodb.table")) is not None


# --- a real scan: the bounds hold end to end -------------------------------------------------

# Cheap on the loader's sample (named sample-name, `||` stops there), exploding on any
# real table (to_string writes out 2^31 names): so it passes validation and must be
# stopped by the budget at scan time.
DATA_DEPENDENT = f"name == 'sample-name' || ({EXPLODING} | to_string(@))"
# The peak (VmHWM) of a `preflight scan` process of this test's size: 63 MiB on 2026-12-03.
PLAIN_SCAN_MIB = 64
LONG_NAME = "a" * 200 + "b"  # a valid DynamoDB name; ^(a+)+$ backtracks 2^200 ways on it


def _scan_in_a_subprocess(args: list[str], timeout: float) -> tuple[int, float, int, str]:
    """`preflight scan` in a child process: (exit code, seconds, peak RSS in KiB, stderr)."""
    # VmHWM is this process's own peak. ru_maxrss is not: Linux carries it across exec, so a
    # child of a pytest worker reported the worker's 400 MiB as its own.
    code = ("import re, sys\n"
            "from pathlib import Path\n"
            "from preflight_scanner.cli import main\n"
            f"code = main({args!r})\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', Path('/proc/self/status').read_text())\n"
            "print('maxrss', hwm.group(1), file=sys.stderr)\n"
            "sys.exit(code)\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ), check=False)
    seconds = time.perf_counter() - started
    rss = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("maxrss")]
    assert rss, done.stderr
    return done.returncode, seconds, rss[0], done.stderr


def test_catastrophic_patterns_and_exploding_expressions_cost_seconds_not_hours(
        aws, write_config, tmp_path):
    session = estate.account_session("123456789012")
    estate.create_table(session, EAST, LONG_NAME)
    estate.create_table(session, EAST, "orders")
    folder = tmp_path / "policies"
    write_policy(folder, "probe-literal", {"attribute": "name", "matches": CATASTROPHIC})
    write_policy(folder, "probe-override", {"attribute": "name", "matches": {"param": "p"}},
                 {"p": {"default": "^orders$"}})
    write_policy(folder, "probe-template", {
        "attribute": "name", "matches": {"template": "^({{ params.unit }}+)+$"}},
        {"unit": {"default": "a"}})
    write_policy(folder, "probe-expression", {"attribute": DATA_DEPENDENT, "equals": True})
    config = write_config({"regions": [EAST], "parameters": {"*": {
        "probe-override": {"p": "^(a|aa)+$"}, "probe-template": {"unit": "(a|a)"}}}})
    out = tmp_path / "out"
    code, seconds, rss_kib, stderr = _scan_in_a_subprocess(
        ["scan", "--config", str(config), "--out", str(out), "--policies", str(folder)],
        timeout=120)  # Python's re would not finish this scan in a lifetime
    assert "Traceback" not in stderr, stderr
    assert seconds < 60, f"{seconds:.1f} s"  # a subprocess start and a small scan on moto
    # A plain scan process peaks near PLAIN_SCAN_MIB; a catastrophic pattern on Python's re
    # would grow without bound, not by a few MiB.
    assert rss_kib < 2 * PLAIN_SCAN_MIB * 1024, f"{rss_kib // 1024} MiB"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    found = {(f["policy_id"], f["resource"]["name"]): f for f in report["findings"]}
    for policy in ("probe-literal", "probe-override", "probe-template"):
        assert found[(policy, LONG_NAME)]["status"] == "fail", found[(policy, LONG_NAME)]
    assert found[("probe-literal", "orders")]["status"] == "fail"
    for name in (LONG_NAME, "orders"):
        finding = found[("probe-expression", name)]
        assert finding["status"] == "error", finding
        assert "needs more than" in finding["message"]
    assert code == 1  # failures (low) and errors: failures decide the code

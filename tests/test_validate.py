"""`preflight validate`: every problem of a file set in one run, each at its own key, with a
"did you mean" wherever a name was mistyped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from preflight_scanner.cli import main

FIVE_MISTAKES = """\
# five mistakes, one run
id: five-mistakes
title: Tables can be restored
description: The runbook restores a table.
severity: hihg
resource: aws.dynamodb.table
check:
  all:
    - attribute: pitr.status
      equal: ENABLED
    - attribute: deletion_protecton
      equals: true
    - attribute: billing_mode
      in: PAY_PER_REQUEST
messages:
  fial: the table cannot be restored
runbok: disaster-recovery#restore-a-dynamodb-table
"""


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def column_of(text: str, needle: str) -> int:
    index = text.index(needle)
    return index - text.rfind("\n", 0, index)


def validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str]]:
    code = main(["validate", *map(str, paths)])
    captured = capsys.readouterr()
    return code, [line for line in (captured.out + captured.err).splitlines()
                  if line.startswith("error: ")]


def test_five_mistakes_in_one_file_are_five_problems_in_one_run(tmp_path, capsys):
    path = tmp_path / "five-mistakes.yml"
    path.write_text(FIVE_MISTAKES)
    code, errors = validate(capsys, path)
    assert code == 2
    expected = {  # needle: what the line says
        "severity: hihg": "did you mean 'high'?",
        "equal: ENABLED": "unknown key 'equal' (fix: did you mean 'equals'?",
        "attribute: deletion_protecton": "did you mean 'deletion_protection'?",
        "in: PAY_PER_REQUEST": "'PAY_PER_REQUEST' is not a valid operand for in",
        "fial:": "did you mean 'fail'?",
        "runbok:": "did you mean 'runbook'?",
    }
    for needle, says in expected.items():
        where = f"{path}:{line_of(FIVE_MISTAKES, needle)}:{column_of(FIVE_MISTAKES, needle)}: "
        assert any(e.startswith(f"error: {where}") and says in e for e in errors), \
            (needle, errors)
    assert len(errors) == len(expected) + 1  # and the missing runbook key, at the top
    assert "Traceback" not in "\n".join(errors)


def test_an_operator_typo_points_at_the_key_itself_in_a_nested_condition(tmp_path, capsys):
    text = FIVE_MISTAKES.replace("five-mistakes", "nested").replace("hihg", "high") \
        .replace("deletion_protecton", "deletion_protection").replace("in: PAY", "equals: PAY") \
        .replace("fial", "fail").replace("runbok", "runbook") \
        .replace("    - attribute: pitr.status\n      equal: ENABLED\n",
                 "    - any:\n        - attribute: pitr.status\n          eqauls: ENABLED\n")
    path = tmp_path / "nested.yml"
    path.write_text(text)
    code, errors = validate(capsys, path)
    assert code == 2
    assert errors == [f"error: {path}:{line_of(text, 'eqauls')}:11: check/all/0/any/0: unknown "
                      "key 'eqauls' (fix: did you mean 'equals'? operators: equals, not_equals, "
                      "in, not_in, contains, gt, gte, lt, lte, matches, any_matches, exists)"]


def test_a_resource_type_typo_is_suggested_and_the_attributes_are_still_checked(
        tmp_path, capsys):
    text = FIVE_MISTAKES.replace("hihg", "high").replace("aws.dynamodb.table", "aws.dynamodb.tabel")
    path = tmp_path / "five-mistakes.yml"
    path.write_text(text)
    _, errors = validate(capsys, path)
    assert any("'aws.dynamodb.tabel' is not one of the allowed values" in e
               and "did you mean 'aws.dynamodb.table'?" in e for e in errors), errors
    assert any("no resource type has an attribute 'deletion_protecton'" in e
               and "did you mean 'deletion_protection'?" in e for e in errors), errors


def test_a_message_template_typo_is_suggested(tmp_path, capsys):
    text = FIVE_MISTAKES.replace("hihg", "high").replace("deletion_protecton", "deletion_protection") \
        .replace("equal:", "equals:").replace("in: PAY", "equals: PAY").replace("fial", "fail") \
        .replace("runbok", "runbook") \
        .replace("  fail: the table cannot be restored", "  fail: '{{ nmae }} cannot be restored'")
    path = tmp_path / "five-mistakes.yml"
    path.write_text(text)
    code, errors = validate(capsys, path)
    assert code == 2
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"error: {path}:{line_of(text, 'fail:')}:")
    assert "'nmae' is undefined" in errors[0] and "did you mean 'name'?" in errors[0]


def test_every_file_of_a_directory_is_reported_in_one_run(tmp_path, capsys):
    (tmp_path / "five-mistakes.yml").write_text(FIVE_MISTAKES)
    (tmp_path / "other.yml").write_text(
        FIVE_MISTAKES.replace("five-mistakes", "other").replace("hihg", "high"))
    (tmp_path / "not-yaml.yml").write_text("id: [unclosed\n")
    code, errors = validate(capsys, tmp_path)
    assert code == 2
    files = {re.match(r"error: (.*?):\d+", e).group(1) for e in errors}  # type: ignore[union-attr]
    assert files == {str(tmp_path / n) for n in ("five-mistakes.yml", "other.yml", "not-yaml.yml")}
    assert len([e for e in errors if "other.yml" in e]) == 6  # five-mistakes less the severity


def test_a_valid_pack_still_validates(capsys):
    assert main(["validate", "policies"]) == 0
    assert re.search(r"^\d+ policies valid$", capsys.readouterr().out, re.M)

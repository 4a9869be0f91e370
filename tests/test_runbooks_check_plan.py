"""What `preflight runbooks check` derives from a runbook before any AWS call: its steps and
sections, what each step needs, and what each placeholder stands for. No AWS here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preflight_scanner.errors import InputError
from preflight_scanner.runbookcheck.binding import bind, for_step
from preflight_scanner.runbookcheck.needs import AliasReady, Exists, Metric, PolicyHolds, Verdict, plan
from preflight_scanner.runbookcheck.steps import parse_file


def parsed(tmp_path: Path, text: str, name: str = "book.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    book = parse_file(path, text)
    plans = [plan(step) for step in book.steps]
    return book, plans, bind(book, plans)


def fence(*commands: str) -> str:
    return "```bash\n" + "\n".join(commands) + "\n```\n"


def test_steps_are_numbered_per_section_with_github_anchors(tmp_path):
    book, _, _ = parsed(tmp_path, "# Book\n\n## Same\n\n" + fence(
        "aws dynamodb list-tables", "echo hi", "X=$(aws sts get-caller-identity)")
        + "\n## Same\n\n" + fence("aws dynamodb list-tables"))
    assert [(s.id, s.line) for s in book.steps] == [
        ("book#same/step-1", 6), ("book#same/step-2", 8), ("book#same-1/step-1", 14)]
    assert [s.anchor for s in book.sections] == ["book", "same", "same-1"]


def test_inference_binds_each_placeholder_to_the_kind_its_typed_option_names(tmp_path):
    _, plans, bindings = parsed(tmp_path, "# B\n\n## A\n\n" + fence(
        "aws dynamodb describe-table --table-name ${TABLE_NAME}",
        "aws logs filter-log-events --log-group-name /aws/lambda/${FUNCTION_NAME}",
        "aws cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name Errors "
        "--dimensions Name=FunctionName,Value=${FUNCTION_NAME} --start-time a --end-time b "
        "--period 60 --statistics Sum",
        "aws sqs get-queue-url --queue-name ${QUEUE}",
        "aws logs tail /ecs/${SERVICE}"))
    assert bindings["TABLE_NAME"].kind == "dynamodb-table"
    assert bindings["FUNCTION_NAME"].kind == "lambda-function"  # from the dimension
    assert bindings["SERVICE"].problem == ("unbound placeholder SERVICE: no option of the "
                                           "runbook says what it names")
    assert "QUEUE" not in bindings  # only in an option Preflight does not judge
    logs = plans[1].needs[0]
    assert isinstance(logs, Exists) and logs.events and logs.kind == "log-group"
    assert isinstance(plans[2].needs[0], Metric)
    assert plans[3].needs == (Verdict("unknown", "--queue-name names a sqs resource "
                                      "(queue_name) that Preflight does not read",
                                      "check it by hand, or waive this step with the reason"),)


def test_loops_front_matter_and_run_time_values(tmp_path):
    book, plans, bindings = parsed(tmp_path, "---\nbindings:\n  NS: AWS/Lambda\n"
                                   "  T: {resource: dynamodb-table}\nscope:\n"
                                   "  regions: [eu-west-1]\n---\n# B\n\n## A\n\n" + fence(
        "for m in Errors Throttles; do",
        "  aws cloudwatch get-metric-statistics --namespace $NS --metric-name $m "
        "--start-time a --end-time b --period 60 --statistics Sum",
        "done",
        "V=$(aws lambda publish-version --function-name f --query Version --output text)",
        "aws lambda update-alias --function-name f --name live --function-version $V",
        "aws dynamodb describe-table --table-name \"$(cat name.txt)\""))
    assert book.front.scope == {"regions": ["eu-west-1"]}
    step = for_step(book.steps[0], bindings)
    assert step["m"].literals == ("Errors", "Throttles") and step["NS"].literals == ("AWS/Lambda",)
    assert bindings["T"].kind == "dynamodb-table"
    alias = plans[2].needs[-1]
    assert isinstance(alias, AliasReady) and alias.rollback
    assert (alias.function.template, alias.alias.template) == ("f", "live")
    assert plans[3].needs[0].status == "unknown"  # type: ignore[union-attr]
    assert "computed when the step runs" in plans[3].needs[0].message  # type: ignore[union-attr]


def test_operations_that_reuse_a_policy_and_qualified_function_names(tmp_path):
    _, plans, _ = parsed(tmp_path, "# B\n\n## A\n\n" + fence(
        "aws dynamodb restore-table-to-point-in-time --source-table-name t "
        "--target-table-name t2 --use-latest-restorable-time",
        "aws s3api list-object-versions --bucket b",
        "aws lambda invoke --function-name f:production out.json",
        "aws dynamodb create-table --table-name new --attribute-definitions "
        "AttributeName=k,AttributeType=S --key-schema AttributeName=k,KeyType=HASH "
        "--billing-mode PAY_PER_REQUEST"))
    assert [type(n).__name__ for n in plans[0].needs] == ["Exists", "PolicyHolds"]
    assert isinstance(plans[0].needs[1], PolicyHolds)
    assert plans[0].needs[1].policy_id == "dynamodb-pitr-enabled"
    assert plans[1].needs[1].policy_id == "s3-versioning-enabled"  # type: ignore[union-attr]
    alias = plans[2].needs[1]
    assert isinstance(alias, AliasReady)
    assert (alias.function.template, alias.alias.template) == ("f", "production")
    assert plans[3].needs == ()  # the table it creates need not exist
    assert [p.region for p in plans] == [None, None, None, None]


def test_a_dimension_computed_by_the_shell_is_a_run_time_value(tmp_path):
    _, plans, _ = parsed(tmp_path, "# B\n\n## A\n\n" + fence(
        "aws cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name Errors "
        "--dimensions Name=FunctionName,Value=$(cat fn.txt) --start-time a --end-time b "
        "--period 60 --statistics Sum"))
    metric = plans[0].needs[0]
    assert isinstance(metric, Metric) and metric.dimensions[0][1].runtime


def test_a_literal_region_says_where_the_step_runs(tmp_path):
    _, plans, _ = parsed(tmp_path, "# B\n\n## A\n\n" + fence(
        "aws dynamodb list-tables --region eu-west-1",
        "aws dynamodb list-tables --region ${AWS_REGION}"))
    assert [p.region for p in plans] == ["eu-west-1", None]


def test_broken_front_matter_is_an_input_error_with_the_line(tmp_path):
    with pytest.raises(InputError) as caught:
        parsed(tmp_path, "---\nbindings:\n  X: {resource: no-such-kind}\n---\n# B\n")
    problem = caught.value.problems[0]
    assert problem.path.endswith("book.md") and problem.line == 3
    assert "binding X" in problem.message
    assert "dynamodb-table" in problem.hint


def test_the_schema_command_prints_the_published_schema(capsys):
    from preflight_scanner.cli import main
    from preflight_scanner.reports.runbooks_json import schema

    assert main(["runbooks", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema()


def test_an_unknown_format_is_a_usage_error_before_any_work(tmp_path, capsys):
    from preflight_scanner.cli import main

    runbook = tmp_path / "r.md"
    runbook.write_text("# R\n")
    assert main(["runbooks", "check", str(runbook), "--format", "pdf",
                 "--out", str(tmp_path / "out")]) == 2
    assert "unknown format 'pdf'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

"""`preflight runbooks lint`: AWS CLI commands in runbooks against botocore's models, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preflight_scanner.cli import main
from preflight_scanner.runbooklint import lint_markdown, lint_paths
from preflight_scanner.runbooklint.shell import HOLE, commands
from preflight_scanner.runbooks import builtin_runbook_dir

DATA = Path(__file__).parent / "data" / "runbooks"


def lint(script: str) -> list[str]:
    """The problems in one bash block, as 'line:column: message (fix: hint)'."""
    report = lint_markdown(f"# t\n\n```bash\n{script}\n```\n", "r.md")
    return [str(p).removeprefix("r.md:") for p in report.problems]


def test_seed_excerpts_report_exactly_the_broken_commands():
    problems = [(p.line, p.column, p.message) for p in lint_paths([str(DATA / "seed_excerpts.md")])]
    assert [(line, column) for line, column, _ in problems] == [
        (41, 19), (53, 19), (64, 6), (110, 16), (169, 5)]
    messages = [m for _, _, m in problems]
    assert "'p99' is not one of the allowed values" in messages[0]
    assert "--metric-name and its value '4XXError' are glued together" in messages[2]
    assert "aws amplify get-job-details: no such operation" in messages[3]
    assert "unknown AWS CLI service 'marketplace-metering'" in messages[4]


def test_preflights_own_runbooks_lint_clean():
    reports = lint_paths([str(builtin_runbook_dir())])
    assert reports == []


def test_the_own_runbooks_do_contain_commands():
    # Guards the test above: "clean" must not mean "found nothing to check".
    text = (builtin_runbook_dir() / "disaster-recovery.md").read_text(encoding="utf-8")
    assert lint_markdown(text, "disaster-recovery.md").commands >= 5


def test_glued_option_has_the_fix():
    [problem] = lint("aws cloudwatch list-metrics --namespaceAWS/Lambda")
    assert problem.startswith("4:29: aws cloudwatch list-metrics: unknown option --namespaceAWS/Lambda")
    assert "fix: put a space between them: --namespace AWS/Lambda" in problem


def test_unknown_service_operation_and_option_suggest_the_right_name():
    assert "did you mean `aws dynamodb`?" in lint("aws dynamodbb list-tables")[0]
    assert "did you mean `aws dynamodb describe-table`?" in \
        lint("aws dynamodb describe-tables --table-name t")[0]
    [option] = lint("aws dynamodb describe-table --tablename t")
    assert "unknown option --tablename" in option and "did you mean --table-name?" in option


def test_cli_service_names_differ_from_botocores():
    assert lint("aws s3api get-bucket-versioning --bucket b") == []
    assert lint("aws configservice describe-config-rules") == []
    assert "unknown AWS CLI service 'config'" in lint("aws config describe-config-rules")[0]


def test_required_options_and_cli_input_json():
    [missing] = lint("aws dynamodb create-backup --table-name t")
    assert "required option --backup-name is missing" in missing
    assert lint("aws dynamodb create-backup --cli-input-json file://backup.json") == []
    assert lint("aws dynamodb create-backup --generate-cli-skeleton") == []


def test_option_given_twice():
    [twice] = lint("aws dynamodb describe-table --table-name a \\\n  --table-name b")
    assert twice.startswith("5:3:") and "--table-name given twice (fix: keep one" in twice


def test_value_shapes():
    assert "'ten' is not an integer" in lint(
        "aws lambda put-function-concurrency --function-name f "
        "--reserved-concurrent-executions ten")[0]
    enum = lint("aws cognito-idp set-user-pool-mfa-config --user-pool-id p --mfa-configuration of")
    assert "'of' is not one of the allowed values (did you mean OFF?)" in enum[0]
    flag = lint("aws lambda publish-version --function-name f --dry-run true")
    # publish-version has no DryRun: an unknown option, not a value problem
    assert "unknown option --dry-run" in flag[0]
    [boolean] = lint("aws dynamodb update-table --table-name t --deletion-protection-enabled true")
    assert "--deletion-protection-enabled takes no value" in boolean
    assert "write --deletion-protection-enabled or --no-deletion-protection-enabled" in boolean
    assert lint("aws dynamodb update-table --table-name t --no-deletion-protection-enabled") == []


def test_shorthand_keys_and_json():
    [key] = lint("aws cloudwatch get-metric-statistics --namespace N --metric-name M "
                 "--start-time 1 --end-time 2 --period 60 --statistics Sum "
                 "--dimensions Name=FunctionName,Valeu=f")
    assert "unknown key 'Valeu' in shorthand (did you mean Value?)" in key
    assert lint("aws cloudwatch get-metric-statistics --namespace N --metric-name M "
                "--start-time 1 --end-time 2 --period 60 --statistics Sum Average "
                "--dimensions Name=FunctionName,Value=f Name=Resource,Value=r") == []
    assert "is not valid JSON" in lint(
        "aws dynamodb update-table --table-name t --provisioned-throughput '{\"ReadCapacityUnits\": }'")[0]
    assert lint("aws ec2 describe-instances --filters Name=tag:Env,Values=prod,staging") == []


def test_query_must_be_jmespath():
    [query] = lint("aws dynamodb list-tables --query 'TableNames[0'")
    assert "--query is not valid JMESPath" in query
    assert lint("aws dynamodb list-tables --query 'TableNames[?starts_with(@, `prod`)]'") == []
    assert "--output 'txt' is not one of" in lint("aws dynamodb list-tables --output txt")[0]


def test_placeholders_are_values():
    script = """aws lambda put-function-concurrency --function-name "$FN" \\
  --reserved-concurrent-executions ${LIMIT}
aws lambda update-alias --function-name f --name live --function-version <PREVIOUS_VERSION>
aws dynamodb update-table --table-name "${TABLE}" --provisioned-throughput "$(cat t.json)"
aws cloudwatch get-metric-statistics --namespace N --metric-name M --period $P \\
  --start-time "$(date -u +%FT%TZ)" --end-time now --statistics $STAT"""
    assert lint(script) == []


def test_high_level_commands_are_recognised():
    script = """aws s3 cp ./build s3://bucket/ --recursive --exclude '*.map'
aws s3 ls
aws configure set region eu-west-1
aws logs tail /aws/lambda/f --follow --since 10m
aws deploy push --application-name app --s3-location s3://b/k --source .
aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin x
aws cloudformation deploy --template-file t.yml --stack-name s
aws emr create-cluster --release-label emr-7.0.0 --instance-type m5.xlarge --instance-count 3
aws --version
aws help"""
    assert lint(script) == []


def test_waiters_and_paging():
    assert lint("aws dynamodb wait table-exists --table-name t") == []
    assert "no waiter 'table-exist'" in lint("aws dynamodb wait table-exist --table-name t")[0]
    assert "required option --table-name is missing" in lint("aws dynamodb wait table-exists")[0]
    assert lint("aws dynamodb list-tables --max-items 5 --page-size 2 --starting-token x") == []
    assert "'five' is not an integer" in lint("aws dynamodb list-tables --max-items five")[0]


def test_streaming_output_takes_a_file_and_other_stray_words_are_flagged():
    assert lint("aws s3api get-object --bucket b --key k ./out.bin") == []
    [stray] = lint("aws sns publish --topic-arn arn --message Deploy started")
    assert "unexpected argument 'started' after --message Deploy" in stray


def test_global_options_before_the_service():
    assert lint("aws --region eu-west-1 --output json dynamodb list-tables") == []


def test_shell_constructs():
    script = """# a comment: aws nonsense here
TABLES=$(aws dynamodb list-tables --query 'TableNames[]' --output text)
for t in $TABLES; do aws dynamodb describe-table --table-name "$t" | jq .Table; done
aws sts get-caller-identity && aws dynamodb list-tabels; echo done
cat <<EOF > policy.json
aws not-a-command --here
EOF
X=1 aws dynamodb list-tables 2>/dev/null"""
    [problem] = lint(script)
    assert problem.startswith("7:45:") and "list-tabels" in problem


def test_the_tokenizer_keeps_positions_and_marks_holes():
    [cmd] = commands('aws lambda invoke --function-name "fn-${ENV}" \\\n  --payload \'{"a": 1}\'')
    words = [(w.text, w.line, w.column) for w in cmd.words]
    assert words[4] == (f"fn-{HOLE}", 0, 34)
    assert words[6] == ('{"a": 1}', 1, 12)


def test_blocks_in_list_items_console_sessions_and_other_languages():
    text = """# r

1. Step:
   ```console
   $ aws dynamodb list-tabels
   {"TableNames": []}
   ```
2. Not shell:
   ```python
   aws = "dynamodb list-tabels"
   ```
"""
    report = lint_markdown(text, "r.md")
    assert [(p.line, p.column) for p in report.problems] == [(5, 19)]
    assert report.commands == 1


def test_exit_codes_and_output(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text("```bash\naws dynamodb list-tables\n```\n")
    bad = tmp_path / "bad.md"
    bad.write_text("```sh\naws dynamodb list-tabels\n```\n")
    assert main(["runbooks", "lint", str(good)]) == 0
    assert "no problems in 1 file(s); 1 AWS CLI command(s) checked" in capsys.readouterr().err
    assert main(["runbooks", "lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:2:14: aws dynamodb list-tabels: no such operation" in out
    assert main(["runbooks", "lint", "--format", "json", str(bad)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["commands"] == 1 and document["problems"][0]["line"] == 2


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.md", None, "no such file or directory"),
    ("policy.yml", "a: 1\n", "not a Markdown file"),
    ("binary.md", b"\x00\x01\x02", "is binary, not Markdown"),
    ("latin1.md", b"caf\xe9\n", "cannot be read"),
])
def test_bad_input_exits_2(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["runbooks", "lint", str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_a_directory_without_markdown_is_bad_input(tmp_path, capsys):
    assert main(["runbooks", "lint", str(tmp_path)]) == 2
    assert "no Markdown files in this directory" in capsys.readouterr().err


def test_runbook_section_command_still_works(capsys):
    assert main(["runbook", "disaster-recovery#restore-a-dynamodb-table"]) == 0
    assert "restore" in capsys.readouterr().out.lower()


def test_what_the_cli_accepts_is_not_flagged():
    # argparse takes an unambiguous prefix; ec2's {"Value": x} and list elements take a scalar
    assert lint("aws ec2 describe-instances --filter Name=instance-state-name,Values=running") == []
    assert lint("aws ec2 modify-network-interface-attribute --network-interface-id eni-1 "
                "--description Web") == []
    assert lint("aws elb register-instances-with-load-balancer --load-balancer-name lb "
                "--instances i-1 i-2") == []
    # a streaming operation's output file may stand anywhere
    assert lint("aws s3api get-object --bucket b out.bin --key k") == []
    [twice] = lint("aws s3api get-object --bucket b out.bin --key k other.bin")
    assert "unexpected argument 'other.bin'" in twice
    # a structure with several members still needs its keys
    assert "is not shorthand for a structure" in lint(
        "aws dynamodb update-table --table-name t --provisioned-throughput 100")[0]

"""`preflight runbooks check` end to end through the CLI, against a seeded multi-account moto
estate: a runbook written for the test mixes steps that work with steps that cannot, and the
report must say exactly which steps fail, in which account, and why."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.reports.runbooks_json import schema

from tests.faultproxy import Fault

RUNBOOK = Path(__file__).parent / "data" / "runbooks-check" / "orders.md"


def seed() -> tuple[str, str]:
    """prod: everything in place; staging: a table without PITR, a function without an
    earlier version, its log group empty, no Throttles metric, no dashboard."""
    ids = estate.create_organization(["prod", "staging"])
    prod, staging = ids["prod"], ids["staging"]
    for account, ready in ((prod, True), (staging, False)):
        session = estate.account_session(account)
        estate.create_table(session, "us-east-1", "orders", pitr=ready)
        estate.create_function(session, "us-east-1", "checkout")
        estate.publish_versions(session, "us-east-1", "checkout", 2 if ready else 1,
                                alias="live")
        estate.create_log_group(session, "us-east-1", "/aws/lambda/checkout",
                                events=("START",) if ready else ())
        for metric in ("Errors", "Throttles") if ready else ("Errors",):
            estate.put_metric(session, "us-east-1", "AWS/Lambda", metric,
                              {"FunctionName": "checkout"})
        if ready:
            estate.create_dashboard(session, "us-east-1", "orders-prod")
    return prod, staging


def config(write_config: Any, prod: str, staging: str) -> Path:
    return write_config({"role_name": estate.MEMBER_ROLE, "regions": ["us-east-1"],
                         "accounts": [{"id": prod, "name": "prod", "environment": "prod"},
                                      {"id": staging, "name": "staging",
                                       "environment": "staging"}]})


def outcomes(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(step["id"], outcome["place"]["account_name"]): outcome
            for runbook in report["runbooks"] for section in runbook["sections"]
            for step in section["steps"] for outcome in step["outcomes"]}


def failing(report: dict[str, Any]) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(step id, account name) -> (status, messages) for every step that is not ready."""
    return {key: (o["status"], [r["message"] for r in o["reasons"]]
                  + [r["message"] for t in o["targets"] for r in t["reasons"]])
            for key, o in outcomes(report).items() if o["status"] != "ready"}


def run(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out"
    code = main(["runbooks", "check", *args, "--out", str(out)])
    report = json.loads((out / "runbooks.json").read_text())
    jsonschema.validate(report, schema())
    return code, report


def test_check_reports_exactly_the_steps_that_would_fail_per_account(aws, tmp_path,
                                                                      write_config, capsys):
    prod, staging = seed()
    aws.operations.clear()
    code, report = run(tmp_path, str(RUNBOOK), "--config", str(config(write_config, prod,
                                                                         staging)))
    where = {"prod": f"in prod ({prod}) us-east-1", "staging": f"in staging ({staging}) us-east-1"}
    unbound = "unbound placeholder SERVICE: no option of the runbook says what it names"
    glued = ("invalid command: aws cloudwatch get-metric-statistics: unknown option "
             "--metric-name4XXError: the option --metric-name and its value '4XXError' are "
             "glued together")
    replica = "the step runs in eu-west-1 (--region), a region this check did not read"
    memory = "AWS/Lambda MemoryUtilization (FunctionName=checkout) has not been published {} " \
             "in the last two weeks (ListMetrics)"
    assert failing(report) == {
        ("orders#restore-to-a-point-in-time/step-1", "staging"): (
            "not-ready", ["policy dynamodb-pitr-enabled fails: point-in-time recovery is off: "
                          "the table cannot be restored to a moment before the data was lost"]),
        ("orders#read-the-function-logs/step-1", "staging"): (
            "not-ready", ["log group '/aws/lambda/checkout' exists but has never stored an "
                          "event (storedBytes 0): there is nothing to read"]),
        ("orders#errors-and-throttles/step-1", "staging"): (
            "not-ready", ["AWS/Lambda Throttles (FunctionName=checkout) has not been published "
                          f"{where['staging']} in the last two weeks (ListMetrics)"]),
        ("orders#memory/step-1", "prod"): ("not-ready", [memory.format(where["prod"])]),
        ("orders#memory/step-1", "staging"): ("not-ready", [memory.format(where["staging"])]),
        ("orders#roll-back/step-1", "staging"): (
            "not-ready", ["alias live of checkout points at version 1 and no earlier published "
                          "version exists to move it to"]),
        ("orders#open-the-dashboard/step-1", "staging"): (
            "not-ready", [f"CloudWatch dashboard 'orders-staging' does not exist "
                          f"{where['staging']}"]),
        ("orders#container-logs/step-1", "prod"): ("unknown", [unbound]),
        ("orders#container-logs/step-1", "staging"): ("unknown", [unbound]),
        ("orders#api-errors/step-1", "prod"): ("not-ready", [glued]),
        ("orders#api-errors/step-1", "staging"): ("not-ready", [glued]),
        # eu-west-1 is not among the regions checked: said, not skipped
        ("orders#the-replica/step-1", "prod"): ("unknown", [replica]),
        ("orders#the-replica/step-1", "staging"): ("unknown", [replica]),
    }
    assert code == 1
    # What passed is proved, not implied: each ready target says what was found.
    everything = outcomes(report)
    loop = everything[("orders#errors-and-throttles/step-1", "prod")]
    assert [(t["bindings"], t["verified"]) for t in loop["targets"]] == [
        ({"FUNCTION_NAME": "checkout", "m": "Errors"},
         ["AWS/Lambda Errors (FunctionName=checkout) is published"]),
        ({"FUNCTION_NAME": "checkout", "m": "Throttles"},
         ["AWS/Lambda Throttles (FunctionName=checkout) is published"])]
    assert everything[("orders#restore-to-a-point-in-time/step-1", "prod")]["targets"][0][
        "verified"] == ["DynamoDB table orders exists", "policy dynamodb-pitr-enabled passes"]
    pitr_fix = everything[("orders#restore-to-a-point-in-time/step-1", "staging")]["targets"][0][
        "reasons"][0]["fix"]
    assert pitr_fix.startswith("aws dynamodb update-continuous-backups --region us-east-1 "
                               "--table-name orders")
    # One listing per (service, account, region), whatever the number of steps and targets.
    assert aws.operations["cloudwatch:ListMetrics"] == 2
    assert aws.operations["logs:DescribeLogGroups"] == 2
    assert aws.operations["dynamodb:ListTables"] == 2
    assert report["check"]["api_calls"] == sum(aws.operations.values())
    text = capsys.readouterr()
    assert f"{RUNBOOK}:42: orders#memory/step-1 [prod us-east-1] not ready" in text.out
    assert "Traceback" not in text.err


def test_front_matter_binds_and_scopes_and_a_waiver_accepts_a_step(aws, tmp_path,
                                                                   write_config):
    prod, staging = seed()
    runbook = tmp_path / "containers.md"
    runbook.write_text("---\nbindings:\n  SERVICE: orders-${ENVIRONMENT}\nscope:\n"
                       "  environments: [prod]\n---\n# Containers\n\n## Tail\n\n"
                       "```sh\naws logs tail \"/ecs/${SERVICE}\" --since 30m\n```\n\n"
                       "## Dashboard\n\n```sh\naws cloudwatch get-dashboard --dashboard-name "
                       "orders-${ENVIRONMENT}\n```\n")
    estate.create_log_group(estate.account_session(prod), "us-east-1", "/ecs/orders-prod")
    code, report = run(tmp_path, str(runbook), "--config", str(config(write_config, prod,
                                                                        staging)))
    assert failing(report) == {("containers#tail/step-1", "prod"): (
        "not-ready", ["log group '/ecs/orders-prod' exists but has never stored an event "
                      "(storedBytes 0): there is nothing to read"])}  # staging: out of scope
    assert code == 1
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "ecs-logs", "policies": "runbook-step", "resources": "containers#tail/*",
        "reason": "the service starts logging with its next release", "owner": "sre",
        "expires": (date.today() + timedelta(days=30)).isoformat()}]}))
    code, report = run(tmp_path, str(runbook), "--config", str(config(write_config, prod,
                                                                        staging)),
                       "--waivers", str(waivers))
    assert code == 0
    waived = outcomes(report)[("containers#tail/step-1", "prod")]
    assert waived["status"] == "waived" and waived["waiver"]["id"] == "ecs-logs"
    assert report["waivers"]["waivers"][0]["state"] == "applied"


def test_the_config_binds_and_scopes_by_file_name_and_front_matter_wins(aws, tmp_path,
                                                                         write_config, capsys):
    """runbooks: check: in preflight.yml states what front matter would, for the runbooks
    whose file name matches; a later entry wins over an earlier one, front matter over both."""
    prod, staging = seed()
    tail = "# Containers\n\n## Tail\n\n```sh\naws logs tail \"/ecs/${SERVICE}\" --since 30m\n```\n"
    (tmp_path / "containers.md").write_text(tail)
    (tmp_path / "fronted.md").write_text("---\nbindings:\n  SERVICE: orders-${ENVIRONMENT}\n"
                                         "scope:\n  environments: [staging]\n---\n" + tail)
    estate.create_log_group(estate.account_session(prod), "us-east-1", "/ecs/orders-prod")
    path = config(write_config, prod, staging)
    settings = yaml.safe_load(path.read_text())
    settings["runbooks"] = {"check": {
        "*.md": {"bindings": {"SERVICE": "missing"},
                 "scope": {"environments": ["prod", "staging"]}},
        "contain*.md": {"bindings": {"SERVICE": "orders-${ENVIRONMENT}"},
                        "scope": {"environments": ["prod"]}},
        "payments.md": {"scope": {"environments": ["prod"]}}}}
    path.write_text(yaml.safe_dump(settings))
    code, report = run(tmp_path, str(tmp_path / "containers.md"), str(tmp_path / "fronted.md"),
                       "--config", str(path))
    assert failing(report) == {
        ("containers#tail/step-1", "prod"): (  # the later entry; staging: out of its scope
            "not-ready", ["log group '/ecs/orders-prod' exists but has never stored an event "
                          "(storedBytes 0): there is nothing to read"]),
        ("fronted#tail/step-1", "staging"): (  # front matter's binding and scope
            "not-ready", [f"CloudWatch Logs log group '/ecs/orders-staging' does not exist in "
                          f"staging ({staging}) us-east-1"])}
    assert code == 1
    assert ("note: the config's runbooks: check: entry 'payments.md' matches none of the "
            "runbooks checked") in capsys.readouterr().err


@pytest.mark.parametrize(("entry", "line", "message"), [
    ("bindngs: {SERVICE: orders}", 4, "unknown key 'bindngs' (did you mean bindings?)"),
    ("bindings:\n        TABLE: {resource: dynamodb-tabel}", 5,
     "unknown resource kind 'dynamodb-tabel' (did you mean dynamodb-table?)"),
    ("scope: {environment: [prod]}", 4, "unknown key 'environment' (did you mean "
     "environments?)"),
    ("bindings:\n        TABLE: {name: orders}", 5, "a binding is a value, a list of values "
     "or {resource: KIND}"),
])
def test_a_bad_runbooks_section_is_located_with_a_suggestion(tmp_path, capsys, entry, line,
                                                             message):
    path = tmp_path / "preflight.yml"
    path.write_text(f"runbooks:\n  check:\n    orders.md:\n      {entry}\n")
    code = main(["runbooks", "check", str(RUNBOOK), "--config", str(path), "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:{line}:" in err and message in err, err
    assert "Traceback" not in err


def test_a_listing_that_is_denied_makes_its_steps_cannot_tell_not_ready(aws, tmp_path,
                                                                         write_config):
    prod, staging = seed()
    aws.faults.append(Fault(service="logs", operation="DescribeLogGroups", account=staging))
    code, report = run(tmp_path, str(RUNBOOK), "--config", str(config(write_config, prod,
                                                                        staging)))
    status, messages = failing(report)[("orders#read-the-function-logs/step-1", "staging")]
    assert status == "unknown"
    assert "cannot tell whether CloudWatch Logs log group '/aws/lambda/checkout' exists: " \
           "logs:DescribeLogGroups failed (AccessDeniedException)" in messages[0]
    assert ("orders#read-the-function-logs/step-1", "prod") not in failing(report)
    assert code == 1  # other steps are not ready; without them it would be 3


def test_bad_front_matter_is_a_located_input_error(tmp_path, capsys):
    runbook = tmp_path / "bad.md"
    runbook.write_text("---\nbindings: [oops\n---\n# Bad\n")
    code = main(["runbooks", "check", str(runbook), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{runbook}:3:1: invalid YAML" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_only_cannot_tell_exits_3(aws, tmp_path, write_config):
    runbook = tmp_path / "vague.md"
    runbook.write_text("# Vague\n\n## Queue\n\n```bash\naws sqs get-queue-attributes "
                       "--queue-url https://sqs/q --attribute-names All\n```\n")
    code, report = run(tmp_path, str(runbook))
    assert code == 3
    assert failing(report) == {("vague#queue/step-1", estate.MANAGEMENT_ACCOUNT): (
        "unknown", ["--queue-url names a sqs resource (queue_url) that Preflight does not "
                    "read"])}


def test_the_demo_estate_has_ready_and_not_ready_steps_in_our_own_runbook(demo_aws, tmp_path,
                                                                          write_config):
    from tests.support import BUILTIN_POLICIES

    demo = demo_aws.config
    code, report = run(tmp_path, str(BUILTIN_POLICIES / "runbooks" / "lambda-errors.md"),
                       "--config", str(write_config(demo)))
    assert code == 1
    assert report["summary"]["ready"] > 0 and report["summary"]["not-ready"] > 0
    east = {(step["id"], o["place"]["account_name"]): o
            for r in report["runbooks"] for section in r["sections"] for step in section["steps"]
            for o in step["outcomes"] if o["place"]["region"] == "us-east-1"}
    logs = east[("lambda-errors#read-the-function-logs/step-1", "shop-prod")]
    by_function = {t["bindings"]["FUNCTION_NAME"]: t for t in logs["targets"]}
    assert by_function["orders-handler"]["status"] == "ready"  # it ran: it has logged
    assert by_function["nightly-report"]["reasons"][0]["message"].startswith(
        "CloudWatch Logs log group '/aws/lambda/nightly-report' does not exist")
    rollback = east[("lambda-errors#roll-back-with-the-production-alias/step-3", "shop-prod")]
    verdicts = {t["bindings"]["FUNCTION_NAME"]: t["status"] for t in rollback["targets"]}
    assert verdicts["orders-handler"] == "ready" and verdicts["checkout-handler"] == "not-ready"


def test_cloudfront_metrics_are_looked_up_where_cloudfront_publishes_them(aws, tmp_path,
                                                                         write_config):
    """CacheHitRate exists only with the distribution's additional metrics on (a seed
    runbook's trap); CloudFront publishes in us-east-1 whatever region the check reads."""
    estate.put_metric(estate.account_session(estate.MANAGEMENT_ACCOUNT), "us-east-1",
                      "AWS/CloudFront", "Requests", {"DistributionId": "E1", "Region": "Global"})
    runbook = tmp_path / "cdn.md"
    runbook.write_text("# CDN\n\n## Traffic\n\n```bash\n" + "\n".join(
        "aws cloudwatch get-metric-statistics --namespace AWS/CloudFront --metric-name "
        f"{metric} --dimensions Name=DistributionId,Value=E1 Name=Region,Value=Global "
        "--start-time 2026-01-01T00:00:00Z --end-time 2026-01-01T01:00:00Z --period 300 "
        "--statistics Average" for metric in ("Requests", "CacheHitRate")) + "\n```\n")
    code, report = run(tmp_path, str(runbook), "--config",
                       str(write_config({"regions": ["eu-west-1"]})))
    assert failing(report) == {("cdn#traffic/step-2", estate.MANAGEMENT_ACCOUNT): (
        "not-ready", [f"AWS/CloudFront CacheHitRate (DistributionId=E1,Region=Global) has not "
                      f"been published in {estate.MANAGEMENT_ACCOUNT} "
                      f"({estate.MANAGEMENT_ACCOUNT}) us-east-1 in the last two weeks "
                      "(ListMetrics)"])}
    assert code == 1


def test_an_api_and_its_stage_are_bound_together_never_crossed(aws, tmp_path, write_config):
    """API Gateway execution logs exist only where logging was configured (a seed runbook's
    trap); ${API_ID} and ${STAGE} come from the same stage, so two APIs make two targets."""
    session = estate.account_session(estate.MANAGEMENT_ACCOUNT)
    orders = estate.create_rest_api(session, "us-east-1", "orders", [estate.Stage("prod")])
    carts = estate.create_rest_api(session, "us-east-1", "carts", [estate.Stage("canary")])
    estate.create_log_group(session, "us-east-1", f"API-Gateway-Execution-Logs_{orders}/prod",
                            events=("request",))
    runbook = tmp_path / "api.md"
    runbook.write_text("# API\n\n## Execution logs\n\n```bash\n"
                       "aws apigateway get-stage --rest-api-id ${API_ID} --stage-name ${STAGE}\n"
                       "aws logs filter-log-events --log-group-name "
                       "\"API-Gateway-Execution-Logs_${API_ID}/${STAGE}\"\n```\n")
    code, report = run(tmp_path, str(runbook), "--config",
                       str(write_config({"regions": ["us-east-1"]})))
    logs = outcomes(report)[("api#execution-logs/step-2", estate.MANAGEMENT_ACCOUNT)]
    assert [(t["bindings"], t["status"]) for t in logs["targets"]] == sorted(
        [({"API_ID": orders, "STAGE": "prod"}, "ready"),
         ({"API_ID": carts, "STAGE": "canary"}, "not-ready")], key=lambda t: t[0]["API_ID"])
    assert outcomes(report)[("api#execution-logs/step-1", estate.MANAGEMENT_ACCOUNT)][
        "status"] == "ready"
    assert code == 1

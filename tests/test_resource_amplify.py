"""aws.amplify.app: moto has no Amplify at all, so every Amplify call here is answered by
botocore's Stubber (responses validated against the service model), on the scan's own
Amplify client; everything else the scan does still goes to moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.stub import Stubber
from preflight_scanner.aws import Sessions
from preflight_scanner.cli import main
from preflight_scanner.demo import estate
from preflight_scanner.models import Account, ScanResult, Status

from tests.faultproxy import Fault
from tests.support import BUILTIN_POLICIES

ACCOUNT = estate.MANAGEMENT_ACCOUNT
REGION = "us-east-1"
POLICY = "amplify-redeployable-job"
WHEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def app(app_id: str, name: str, production: str | None = None,
        tags: dict[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "appId": app_id, "appArn": f"arn:aws:amplify:{REGION}:{ACCOUNT}:apps/{app_id}",
        "name": name, "description": "", "repository": "https://github.com/example/shop",
        "platform": "WEB", "createTime": WHEN, "updateTime": WHEN, "environmentVariables": {},
        "defaultDomain": f"{app_id}.amplifyapp.com", "enableBranchAutoBuild": True,
        "enableBasicAuth": False, "tags": tags or {}}
    if production:
        found["productionBranch"] = {"branchName": production, "status": "SUCCEED"}
    return found


def branch(name: str, stage: str) -> dict[str, Any]:
    return {"branchArn": f"arn:aws:amplify:{REGION}:{ACCOUNT}:apps/x/branches/{name}",
            "branchName": name, "description": "", "stage": stage, "displayName": name,
            "enableNotification": False, "createTime": WHEN, "updateTime": WHEN,
            "environmentVariables": {}, "enableAutoBuild": True, "customDomains": [],
            "framework": "React", "activeJobId": "1", "totalNumberOfJobs": "1",
            "enableBasicAuth": False, "ttl": "5", "enablePullRequestPreview": False}


def job(job_id: str, status: str) -> dict[str, Any]:
    return {"jobArn": f"arn:aws:amplify:{REGION}:{ACCOUNT}:apps/x/branches/main/jobs/{job_id}",
            "jobId": job_id, "commitId": f"c{job_id}", "commitMessage": "release",
            "commitTime": WHEN, "startTime": WHEN, "status": status, "jobType": "RELEASE"}


def stubbed_scan(scan, answers: list[tuple[str, dict[str, Any], dict[str, Any]]],
                 errors: tuple[tuple[str, str], ...] = ()) -> tuple[ScanResult, Stubber]:
    """A real scan whose Amplify client (and only it) answers from ``answers`` in order."""
    sessions = Sessions()
    client = sessions.client(Account(ACCOUNT, "management", "default"), "amplify", REGION)
    stubber = Stubber(client)
    for method, response, params in answers:
        stubber.add_response(method, response, params)
    for method, code in errors:
        stubber.add_client_error(method, code, http_status_code=403)
    stubber.activate()
    # One worker: the Stubber answers in order, so the calls must come in order.
    result = scan({"regions": [REGION], "max_workers": 1}, policies=[POLICY], sessions=sessions)
    return result, stubber


def apps(*found: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return ("list_apps", {"apps": list(found)}, {"maxResults": 50})


def branches(app_id: str, *found: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return ("list_branches", {"branches": list(found)}, {"appId": app_id, "maxResults": 50})


def jobs(app_id: str, name: str, *found: dict[str, Any], token: str | None = None,
         after: str | None = None) -> tuple[str, dict[str, Any], dict[str, Any]]:
    params = {"appId": app_id, "branchName": name, "maxResults": 50}
    response: dict[str, Any] = {"jobSummaries": list(found)}
    if token:
        response["nextToken"] = token
    return ("list_jobs", response, params | ({"nextToken": after} if after else {}))


def test_an_earlier_successful_job_passes_and_only_the_production_branch_is_read(aws, scan):
    result, stubber = stubbed_scan(scan, [
        apps(app("d1", "shop-web", production="main", tags={"Environment": "prod"})),
        branches("d1", branch("dev", "DEVELOPMENT"), branch("main", "PRODUCTION")),
        # Newest first: the newest failed, the one before succeeded.
        jobs("d1", "main", job("42", "FAILED"), job("41", "SUCCEED"), job("40", "SUCCEED")),
    ])

    stubber.assert_no_pending_responses()  # no ListJobs for the dev branch
    [finding] = result.findings
    assert finding.status is Status.PASS
    assert finding.message == "branch main can be redeployed from job 41 (commit c41)"
    assert finding.resource.arn == f"arn:aws:amplify:{REGION}:{ACCOUNT}:apps/d1"
    assert finding.resource.environment == "prod"
    assert result.api_calls >= 3 and not result.errors


def test_the_newest_success_alone_is_not_a_known_good_release(aws, scan):
    result, _ = stubbed_scan(scan, [
        apps(app("d1", "shop-web")),  # no productionBranch: the PRODUCTION stage decides
        branches("d1", branch("main", "PRODUCTION")),
        jobs("d1", "main", job("7", "SUCCEED"), job("6", "FAILED")),
    ])

    [finding] = result.findings
    assert finding.status is Status.FAIL
    assert finding.message == ("branch main has no successful job before its newest (7), so "
                               "there is no known good release to redeploy")


def test_jobs_are_read_page_by_page_only_until_an_earlier_success(aws, scan):
    result, stubber = stubbed_scan(scan, [
        apps(app("d1", "shop-web", production="main")),
        branches("d1", branch("main", "PRODUCTION")),
        jobs("d1", "main", job("9", "SUCCEED"), job("8", "FAILED"), token="page-2"),
        jobs("d1", "main", job("7", "CANCELLED"), job("6", "SUCCEED"), token="page-3",
             after="page-2"),
    ])

    stubber.assert_no_pending_responses()  # page 3 is never asked for
    [finding] = result.findings
    assert finding.status is Status.PASS
    assert finding.evidence["production_branch.redeploy_job"]["id"] == "6"


def test_an_app_without_a_production_branch_fails(aws, scan):
    result, _ = stubbed_scan(scan, [
        apps(app("d1", "prototype")),
        branches("d1", branch("feature", "EXPERIMENTAL")),
    ])

    [finding] = result.findings
    assert finding.status is Status.FAIL
    assert "no production branch" in finding.message


def test_a_denied_job_listing_is_an_error_finding(aws, scan):
    result, _ = stubbed_scan(scan, [
        apps(app("d1", "shop-web", production="main")),
        branches("d1", branch("main", "PRODUCTION")),
    ], errors=(("list_jobs", "AccessDeniedException"),))

    [finding] = result.findings
    assert finding.status is Status.ERROR
    assert "AccessDeniedException" in finding.message
    assert [e.operation for e in result.errors] == ["ListJobs"]


def test_a_failed_listing_through_the_wire_is_an_error_never_a_pass(aws, scan):
    """Not stubbed: the injected fault answers ListApps before it reaches moto."""
    aws.faults.append(Fault(service="amplify", operation="ListApps"))

    result = scan({"regions": [REGION]}, policies=[POLICY])

    assert aws.faults[0].hits == 1
    assert [f.status for f in result.findings] == [Status.ERROR]
    assert [(e.operation, e.code) for e in result.errors] == [
        ("ListApps", "AccessDeniedException")]


def test_unstubbed_amplify_on_moto_is_one_unretried_error_per_place(aws, scan):
    """The test proxy answers moto's missing Amplify with a 501 (tests/faultproxy.py): an
    error finding at once, where moto's 500 cost eight retries with backoff per place."""
    result = scan({"regions": [REGION]}, policies=[POLICY])

    assert aws.operations["amplify:ListApps"] == 1
    assert [f.status for f in result.findings] == [Status.ERROR]
    assert [(e.operation, e.code) for e in result.errors] == [("ListApps", "NotImplemented")]


def test_the_iam_policy_names_every_call_the_spec_declares(capsys):
    assert main(["iam-policy", "--policies",
                 str(BUILTIN_POLICIES / f"{POLICY}.yml")]) == 0
    [statement] = json.loads(capsys.readouterr().out)["Statement"]
    assert {"amplify:ListApps", "amplify:ListBranches", "amplify:ListJobs"} <= \
        set(statement["Action"])
    assert not any(a.startswith("amplify:") and not a.startswith("amplify:List")
                   for a in statement["Action"])

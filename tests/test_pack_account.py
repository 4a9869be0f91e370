"""The account-level part of the built-in pack on moto: GuardDuty per account-region
(aws.region), budgets and dashboards per account (aws.account, listed once per account
however many regions are scanned), and the policies that read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import yaml
from preflight_scanner.aws import Sessions
from preflight_scanner.demo import estate
from preflight_scanner.models import Severity, Status
from preflight_scanner.policy import load_policies
from preflight_scanner.runbooks import RunbookLibrary

MANAGEMENT = estate.MANAGEMENT_ACCOUNT
REGIONS = ["us-east-1", "eu-west-1"]
PACK = {
    # id: (severity, runbook, resource type, frameworks)
    "guardduty-enabled": (
        Severity.HIGH, "security-incident#threat-detection-with-guardduty", "aws.region",
        {"aws-fsbp": ("GuardDuty.1",), "aws-config": ("guardduty-enabled-centralized",)}),
    "budget-alerts-configured": (
        Severity.MEDIUM, "cost-spike#budget-alerts", "aws.account", {}),
    "cloudwatch-environment-dashboard": (
        Severity.LOW, "high-error-rate#check-the-environment-dashboard", "aws.account", {}),
}
DASHBOARD = "cloudwatch-environment-dashboard"
BUDGETS = "budget-alerts-configured"
EMAIL = '"SubscriptionType=EMAIL,Address=${ONCALL_EMAIL:?set ONCALL_EMAIL to the on-call address}"'


# --- helpers --------------------------------------------------------------------------------


def org(regions: list[str] = REGIONS, **extra: Any) -> tuple[dict[str, Any], str, str]:
    """An organization with prod and staging members: (config, prod id, staging id)."""
    ids = estate.create_organization(["shop-prod", "shop-staging"])
    prod, staging = ids["shop-prod"], ids["shop-staging"]
    config = {
        "organization": True,
        "role_name": estate.MEMBER_ROLE,
        "regions": regions,
        "accounts": [
            {"id": MANAGEMENT, "name": "shop-management", "environment": "management"},
            {"id": prod, "name": "shop-prod", "environment": "prod"},
            {"id": staging, "name": "shop-staging", "environment": "staging"},
        ],
        **extra,
    }
    return config, prod, staging


def by_account(result, policy_id: str) -> dict[str, Any]:
    found = [f for f in result.findings if f.policy_id == policy_id]
    keys = [f.resource.account_id for f in found]
    assert len(keys) == len(set(keys)), f"an account was reported twice: {keys}"
    return {f.resource.account_id: f for f in found}


def by_place(result, policy_id: str) -> dict[tuple[str, str], Any]:
    found = [f for f in result.findings if f.policy_id == policy_id]
    return {(f.resource.account_id, f.resource.region): f for f in found}


def probe(tmp_path: Path, resource: str, check: dict[str, Any]) -> Path:
    directory = tmp_path / "probe-policies"
    directory.mkdir(exist_ok=True)
    doc = {"id": "probe", "title": "probe", "description": "Reads attributes for a test.",
           "severity": "low", "resource": resource, "check": check, "runbook": "tests#probe"}
    (directory / "probe.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return directory


def usage_budget(session: boto3.Session, name: str) -> None:
    """A usage budget that notifies: it warns about usage, not about spend."""
    account = session.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    session.client("budgets", region_name="us-east-1").create_budget(
        AccountId=account,
        Budget={"BudgetName": name, "BudgetLimit": {"Amount": "100", "Unit": "GB"},
                "TimeUnit": "MONTHLY", "BudgetType": "USAGE"},
        NotificationsWithSubscribers=[{
            "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                             "Threshold": 90.0, "ThresholdType": "PERCENTAGE"},
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}]}])


# --- the policies as data -------------------------------------------------------------------


def test_pack_policies_are_declared_as_the_issue_asks():
    loaded = {p.id: p for p in load_policies()}
    runbooks = RunbookLibrary()
    for policy_id, (severity, runbook, resource, frameworks) in PACK.items():
        policy = loaded[policy_id]
        assert policy.severity is severity, policy_id
        assert policy.runbook == runbook, policy_id
        assert runbooks.section(runbook) is not None, f"{policy_id}: no section {runbook}"
        assert policy.resources == (resource,), policy_id
        assert policy.frameworks == frameworks, policy_id
        assert bool(policy.unmapped) is not bool(frameworks), policy_id
        assert policy.parameters, policy_id
        # Everywhere by design: each description says why no scope narrows it.
        assert policy.scope.to_dict() == {}, policy_id
    assert loaded[DASHBOARD].defaults()["app"] == "[A-Za-z0-9_.-]+"


# --- the attributes on moto -----------------------------------------------------------------


def test_account_attributes_read_budgets_with_notifications_and_dashboards(aws, scan, tmp_path):
    session = boto3.Session()
    estate.create_budget(session, "monthly", amount=500.0, alert_at_percent=80.0)
    estate.create_budget(session, "silent", alert_at_percent=None)
    estate.create_dashboard(session, "us-east-1", "shop-prod-dashboard")
    estate.create_dashboard(session, "us-east-1", "billing")
    check = {"all": [{"attribute": "budgets", "exists": True},
                     {"attribute": "dashboards", "exists": True}]}

    result = scan({"regions": ["us-east-1"]},
                  policy_paths=[probe(tmp_path, "aws.account", check)])

    assert not result.errors
    (finding,) = result.findings
    assert finding.status is Status.PASS
    ref = finding.resource
    assert (ref.type, ref.id, ref.account_id, ref.region, ref.arn) == (
        "aws.account", MANAGEMENT, MANAGEMENT, "us-east-1", f"arn:aws:iam::{MANAGEMENT}:root")
    assert sorted(finding.evidence["budgets"], key=lambda b: b["name"]) == [
        {"name": "monthly", "type": "COST", "time_unit": "MONTHLY", "limit": 500.0,
         "notifications": [{"type": "ACTUAL", "threshold": 80.0,
                            "comparison": "GREATER_THAN"}]},
        {"name": "silent", "type": "COST", "time_unit": "MONTHLY", "limit": 1000.0,
         "notifications": []},
    ]
    assert finding.evidence["dashboards"] == ["billing", "shop-prod-dashboard"]


# --- guardduty-enabled ------------------------------------------------------------------------


def test_guardduty_enabled_in_every_scanned_region(aws, scan):
    session = boto3.Session()
    estate.enable_guardduty(session, "us-east-1")

    result = scan({"regions": REGIONS}, policies=["guardduty-enabled"])

    assert not result.errors
    regions = by_place(result, "guardduty-enabled")
    assert {place: f.status for place, f in regions.items()} == {
        (MANAGEMENT, "us-east-1"): Status.PASS, (MANAGEMENT, "eu-west-1"): Status.FAIL}
    east, west = regions[(MANAGEMENT, "us-east-1")], regions[(MANAGEMENT, "eu-west-1")]
    assert (east.resource.type, east.resource.id, east.resource.name) == \
        ("aws.region", f"{MANAGEMENT}/us-east-1", "us-east-1")
    assert east.evidence == {"guardduty.status": "ENABLED"}
    assert west.evidence == {"guardduty.status": "NONE"}
    assert west.severity is Severity.HIGH
    assert west.runbook == "security-incident#threat-detection-with-guardduty"
    assert west.remediation == ("aws guardduty create-detector --region eu-west-1 --enable "
                                "--finding-publishing-frequency FIFTEEN_MINUTES",)


def test_guardduty_suspended_detector_fails_and_is_resumed(aws, scan):
    session = boto3.Session()
    estate.enable_guardduty(session, "us-east-1")
    suspended = session.client("guardduty", region_name="eu-west-1").create_detector(
        Enable=False)["DetectorId"]
    config = {"regions": REGIONS, "parameters": {"*": {"guardduty-enabled": {
        "finding_publishing_frequency": "SIX_HOURS"}}}}

    result = scan(config, policies=["guardduty-enabled"])

    west = by_place(result, "guardduty-enabled")[(MANAGEMENT, "eu-west-1")]
    assert west.status is Status.FAIL
    assert west.evidence == {"guardduty.status": "DISABLED"}
    assert west.remediation == (
        f"aws guardduty update-detector --region eu-west-1 --detector-id {suspended} --enable "
        "--finding-publishing-frequency SIX_HOURS",)


# --- budget-alerts-configured -----------------------------------------------------------------


def test_budget_alerts_configured_per_account(aws, scan):
    config, prod, staging = org()
    estate.create_budget(estate.account_session(prod), "prod-monthly")
    estate.create_budget(estate.account_session(staging), "staging-monthly",
                         alert_at_percent=None)
    usage_budget(boto3.Session(), "data-transfer")  # management: notifies, but not on spend

    result = scan(config, policies=[BUDGETS])

    assert not result.errors
    accounts = by_account(result, BUDGETS)
    assert {a: f.status for a, f in accounts.items()} == {
        prod: Status.PASS, staging: Status.FAIL, MANAGEMENT: Status.FAIL}
    assert all(f.resource.type == "aws.account" and f.resource.region == "us-east-1"
               for f in accounts.values())  # once per account, in the first region
    expression = "budgets[?type == 'COST' && length(notifications) > `0`].name"
    assert accounts[prod].evidence == {expression: ["prod-monthly"]}
    assert accounts[staging].evidence == {expression: []}
    assert accounts[MANAGEMENT].evidence == {expression: []}
    # A cost budget without notifications gets one; no cost budget at all gets a new one.
    assert accounts[staging].remediation == (
        f"aws budgets create-notification --account-id {staging} --budget-name staging-monthly "
        "--notification 'NotificationType=ACTUAL,ComparisonOperator=GREATER_THAN,Threshold=80,"
        f"ThresholdType=PERCENTAGE' --subscribers {EMAIL}",)
    (create,) = accounts[MANAGEMENT].remediation
    assert create.startswith(
        f"aws budgets create-budget --account-id {MANAGEMENT} --budget 'BudgetName=monthly-cost,"
        "BudgetLimit={Amount=1000,Unit=USD},TimeUnit=MONTHLY,BudgetType=COST' "
        '--notifications-with-subscribers "Notification={NotificationType=ACTUAL,')
    assert "Address=${ONCALL_EMAIL:?" in create


# --- cloudwatch-environment-dashboard ---------------------------------------------------------


def test_environment_dashboard_follows_the_account_environment(aws, scan):
    config, prod, staging = org()
    # moto keeps dashboards per region (AWS lists them from any region): seed where the
    # account type is read, the first scanned region.
    estate.create_dashboard(estate.account_session(prod), "us-east-1", "shop-prod-dashboard")
    estate.create_dashboard(estate.account_session(staging), "us-east-1",
                            "shop-prod-dashboard")  # the wrong environment's

    result = scan(config, policies=[DASHBOARD])

    assert not result.errors
    accounts = by_account(result, DASHBOARD)
    # The management account runs no application: it fails until the config scopes it out.
    assert {a: f.status for a, f in accounts.items()} == {
        prod: Status.PASS, staging: Status.FAIL, MANAGEMENT: Status.FAIL}
    assert accounts[prod].evidence == {"dashboards": ["shop-prod-dashboard"]}
    assert accounts[staging].evidence == {"dashboards": ["shop-prod-dashboard"]}
    assert "no CloudWatch dashboard for the staging environment" in accounts[staging].message
    assert accounts[staging].decisive[0].expected.endswith("-staging-dashboard$")
    assert accounts[staging].remediation[1] == (
        'aws cloudwatch put-dashboard --region us-east-1 --dashboard-name '
        '"${APP_NAME:?set APP_NAME to the application name}"-staging-dashboard '
        "--dashboard-body file://dashboard.json")

    scoped = {**config, "policies": {DASHBOARD: {"scope": {"environments": ["prod",
                                                                             "staging"]}}}}
    assert set(by_account(scan(scoped, policies=[DASHBOARD]), DASHBOARD)) == {prod, staging}


def test_environment_dashboard_app_parameter(aws, scan):
    config, prod, staging = org(regions=["us-east-1"])
    estate.create_dashboard(estate.account_session(prod), "us-east-1", "shop-prod-dashboard")
    estate.create_dashboard(estate.account_session(staging), "us-east-1",
                            "blog-staging-dashboard")

    default = by_account(scan(config, policies=[DASHBOARD]), DASHBOARD)
    assert (default[prod].status, default[staging].status) == (Status.PASS, Status.PASS)

    pinned = {**config, "parameters": {"*": {DASHBOARD: {"app": "shop"}}}}
    accounts = by_account(scan(pinned, policies=[DASHBOARD]), DASHBOARD)
    assert (accounts[prod].status, accounts[staging].status) == (Status.PASS, Status.FAIL)
    assert accounts[staging].decisive[0].expected == "^shop-staging-dashboard$"
    assert accounts[staging].remediation[1] == (
        "aws cloudwatch put-dashboard --region us-east-1 --dashboard-name "
        "shop-staging-dashboard --dashboard-body file://dashboard.json")


# --- call economy -----------------------------------------------------------------------------


def test_account_types_listed_once_per_account_regions_per_region(aws, scan):
    config, prod, staging = org()
    for account in (prod, staging):
        session = estate.account_session(account)
        estate.create_budget(session, "monthly")
        estate.create_budget(session, "quarterly-ish", alert_at_percent=None)
        estate.enable_guardduty(session, "eu-west-1")
    sessions = Sessions()

    result = scan(config, policies=[BUDGETS, DASHBOARD, "guardduty-enabled"],
                  sessions=sessions)

    assert not result.errors
    calls = sessions.call_log.counts
    assert calls["budgets:DescribeBudgets"] == 3  # once per account, not per region
    assert calls["budgets:DescribeNotificationsForBudget"] == 4  # once per budget
    assert calls["cloudwatch:ListDashboards"] == 3
    assert calls["guardduty:ListDetectors"] == 3 * 2  # GuardDuty is regional
    assert calls["guardduty:GetDetector"] == 2  # one per detector
    for policy_id in (BUDGETS, DASHBOARD):
        assert len(by_account(result, policy_id)) == 3
    places = by_place(result, "guardduty-enabled")
    assert len(places) == 6
    assert {place for place, f in places.items() if f.status is Status.PASS} == {
        (prod, "eu-west-1"), (staging, "eu-west-1")}

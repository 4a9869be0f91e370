"""Builders for a fake AWS estate on moto, used by the demo, the tests and the benchmarks.

These write (they create resources on the fake); the scanner never uses them. Each
builder takes a boto3 Session bound to one account, so an estate can span accounts.
Callers use the package as one namespace (``estate.create_table(...)``); the creators
live in one module per service, named like the scanner's resource specs
(``scanner/resources/``):

- ``organization``: the organisation, its accounts, and a session in each
  (``MANAGEMENT_ACCOUNT``, ``MEMBER_ROLE``)
- ``account``: what an account or region has: GuardDuty detectors, budgets, dashboards
- ``dynamodb``, ``s3``, ``cognito``, ``route53``, ``secretsmanager``, ``cloudfront``:
  one creator each (tables with backups and auto scaling, buckets, user pools, failover
  zones, secrets, distributions)
- ``awslambda``: functions, versions, layers, and the metrics and logs a run leaves
- ``apigateway``: REST and HTTP APIs with their ``Stage``s, execution logging, the logs role
- ``cloudwatch``: metric alarms and metric datapoints
- ``logs``: log groups and their retention
- ``wafv2``: web ACLs, IP sets, blocking rules, and a web ACL on a REST API stage
- ``tagging``: the Key/Value tag list the creators share

Adding a resource type's demo creator means adding one function to its service's module
(a new module for a new service) and re-exporting it here.
"""

from __future__ import annotations

from .account import create_budget, create_dashboard, enable_guardduty
from .apigateway import (
    Stage,
    create_http_api,
    create_rest_api,
    set_apigateway_logs_role,
    set_execution_logging,
)
from .awslambda import add_insights_layer, create_function, publish_versions, put_durations
from .cloudfront import create_distribution
from .cloudwatch import create_alarm, put_metric
from .cognito import create_user_pool
from .dynamodb import create_table
from .logs import create_log_group, set_log_retention
from .organization import MANAGEMENT_ACCOUNT, MEMBER_ROLE, account_session, create_organization
from .route53 import create_failover_zone
from .s3 import create_bucket
from .secretsmanager import create_secret
from .wafv2 import attach_web_acl, block_addresses, create_ip_set, create_web_acl

__all__ = [
    "MANAGEMENT_ACCOUNT",
    "MEMBER_ROLE",
    "Stage",
    "account_session",
    "add_insights_layer",
    "attach_web_acl",
    "block_addresses",
    "create_alarm",
    "create_bucket",
    "create_budget",
    "create_dashboard",
    "create_distribution",
    "create_failover_zone",
    "create_function",
    "create_http_api",
    "create_ip_set",
    "create_log_group",
    "create_organization",
    "create_rest_api",
    "create_secret",
    "create_table",
    "create_user_pool",
    "create_web_acl",
    "enable_guardduty",
    "publish_versions",
    "put_durations",
    "put_metric",
    "set_apigateway_logs_role",
    "set_execution_logging",
    "set_log_retention",
]

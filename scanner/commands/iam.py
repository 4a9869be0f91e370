"""`preflight iam-policy`: the least-privilege IAM policy the loaded policies need."""

from __future__ import annotations

import json

import click

from ..exitcodes import EXIT_OK


@click.command(name="iam-policy")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml: its policy overrides, roles and organization discovery count.")
@click.option("--partition", default="aws", show_default=True,
              type=click.Choice(["aws", "aws-cn", "aws-us-gov"]),
              help="Partition of the ARNs in the policy.")
@click.option("--runbooks", "runbook_paths", multiple=True, type=click.Path(),
              help="Runbook file or directory (repeatable): add what `preflight runbooks "
                   "check` of these runbooks reads.")
def iam_policy(policy_paths: tuple[str, ...], config_path: str | None, partition: str,
               runbook_paths: tuple[str, ...]) -> int:
    """Print the minimal IAM policy (JSON, read-only actions) a scan of these policies needs.

    Derived from the calls each resource type declares, for the attributes the policies
    read: the same plan the scan follows. The read statements go on the role scanned in
    each account; sts:AssumeRole (when roles are used) and organizations:ListAccounts (with
    organization: true) on the principal that runs the scan. sts:GetCallerIdentity needs
    no permission. With --runbooks, the calls a `runbooks check` of those runbooks makes
    (log groups, metrics, WAF IP sets, the resources its steps name) are merged in.
    """
    from ..config import load_config
    from ..iam import iam_policy as build
    from ..inputs import prepare_policies

    config, policies = prepare_policies(load_config(config_path), policy_paths)
    extra: set[str] = set()
    if runbook_paths:
        from ..runbookcheck.run import required_calls

        extra = required_calls(runbook_paths, config)
    click.echo(json.dumps(build(policies, config, partition, extra), indent=2))
    return EXIT_OK

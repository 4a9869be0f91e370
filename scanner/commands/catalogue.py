"""Commands that read the policy catalogue: validate, policies, resources, schema, explain,
runbook. None of them touches AWS."""

from __future__ import annotations

import json
from typing import Any

import click

from ..exitcodes import EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Check runbook references against the config's runbooks.")
def validate(paths: tuple[str, ...], config_path: str | None) -> int:
    """Validate policy files (and directories of them); list every problem."""
    from ..config import load_config
    from ..policy import load_policies

    policies = load_policies(list(paths), runbooks=load_config(config_path).runbooks())
    click.echo(f"{len(policies)} policies valid")
    return EXIT_OK


@click.command()
@click.argument("policy_id")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use the config's runbooks and policy overrides.")
def explain(policy_id: str, policy_paths: tuple[str, ...], config_path: str | None) -> int:
    """Explain a policy: what it checks, why, its parameters, mappings and fix."""
    from ..config import load_config
    from ..explain import explain as render
    from ..runner import prepare_policies
    from ..suggest import did_you_mean

    config = load_config(config_path)
    runbooks = config.runbooks()
    _, loaded = prepare_policies(config, policy_paths)
    policy = next((p for p in loaded if p.id == policy_id), None)
    if policy is None:
        raise click.BadParameter(f"no loaded policy has id {policy_id!r}"
                                 f"{did_you_mean(policy_id, [p.id for p in loaded])} "
                                 "(see `preflight policies`)", param_hint="POLICY_ID")
    click.echo(render(policy, runbooks), nl=False)
    return EXIT_OK


@click.command()
@click.argument("ref")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use the config's runbooks instead of the built-in ones.")
def runbook(ref: str, config_path: str | None) -> int:
    """Print a runbook section: REF is runbook#section, e.g. disaster-recovery#fail-over-dns."""
    from ..config import load_config
    from ..explain import runbook_section

    runbooks = load_config(config_path).runbooks()
    text = runbook_section(ref, runbooks)
    if text is None:
        raise click.BadParameter(f"no runbook section {ref!r}; "
                                 f"{runbooks.suggest(ref)}", param_hint="REF")
    click.echo(text, nl=False)
    return EXIT_OK


@click.command(name="policies")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
def list_policies(policy_paths: tuple[str, ...]) -> int:
    """List the loaded policies."""
    from tabulate import tabulate

    from ..policy import load_policies

    rows = [[p.id, p.severity.value, ", ".join(p.resources), _scope_text(p.scope.to_dict()),
             p.runbook] for p in load_policies(list(policy_paths))]
    click.echo(tabulate(rows, headers=["id", "severity", "resource", "scope", "runbook"]))
    return EXIT_OK


def _scope_text(scope: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in scope.items()) or "everywhere"


@click.command()
def resources() -> int:
    """List resource types, the attributes policies can use, and the calls they cost."""
    from ..resources import REGISTRY

    for rtype in REGISTRY.values():
        click.echo(f"{rtype.name}: {rtype.description}")
        where = "once per account" if rtype.per_account else "once per account-region"
        calls = ", ".join(rtype.list_calls) or "no API call"
        click.echo(f"  listing ({calls}; {where}):")
        for attr in (*rtype.common, *rtype.listed):
            click.echo(f"    {attr.name:24} {attr.description}")
        for detail in rtype.details:
            cost = "per resource" if detail.per_resource else "once per account-region"
            click.echo(f"  {detail.name} ({', '.join(detail.calls)}; {cost}, "
                       "only when a policy reads it):")
            for attr in detail.attributes:
                click.echo(f"    {attr.name:24} {attr.description}")
        click.echo("")
    return EXIT_OK


@click.command()
@click.argument("which", type=click.Choice(["policy", "config", "report"]), default="policy")
def schema(which: str) -> int:
    """Print a JSON Schema: policy (default), config or report."""
    if which == "policy":
        from ..policy import policy_schema

        document = policy_schema()
    elif which == "config":
        from ..config import config_schema

        document = config_schema()
    else:
        from preflight_scanner.reports.json_report import schema as report_schema

        document = report_schema()
    click.echo(json.dumps(document, indent=2))
    return EXIT_OK

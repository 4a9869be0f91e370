"""Commands that read the policy catalogue: validate, policies, resources, schema, explain,
runbook. None of them touches AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
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
    from ..inputs import prepare_policies
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
@click.option("--category", "categories", multiple=True, metavar="NAME",
              help="Only the policies of this category (repeatable).")
@click.option("--framework", "frameworks", multiple=True, metavar="NAME",
              help="Only the policies mapped to this framework (repeatable), e.g. aws-fsbp.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table for people, or JSON for scripts.")
def list_policies(policy_paths: tuple[str, ...], categories: tuple[str, ...],
                  frameworks: tuple[str, ...], output: str) -> int:
    """List the loaded policies: severity, resource types, categories, frameworks, scope."""
    from tabulate import tabulate

    from ..policy import load_policies
    from ..selection import Selection, select

    policies = select(load_policies(list(policy_paths)),
                      Selection(categories=categories, frameworks=frameworks))
    if output == "json":
        click.echo(json.dumps([_policy_entry(p) for p in policies], indent=2))
        return EXIT_OK
    rows = [[p.id, p.severity.value, ", ".join(p.resources), ", ".join(p.categories),
             ", ".join(p.frameworks), _scope_text(p.scope.to_dict()), p.runbook]
            for p in policies]
    click.echo(tabulate(rows, headers=["id", "severity", "resource", "categories", "frameworks",
                                       "scope", "runbook"]))
    return EXIT_OK


def _policy_entry(policy: Any) -> dict[str, Any]:
    return {"id": policy.id, "title": policy.title, "severity": policy.severity.value,
            "resources": list(policy.resources), "categories": list(policy.categories),
            "frameworks": {name: list(ids) for name, ids in policy.frameworks.items()},
            "scope": policy.scope.to_dict(), "runbook": policy.runbook,
            "parameters": {name: p.default for name, p in policy.parameters.items()}}


def _scope_text(scope: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in scope.items()) or "everywhere"


@click.command()
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Text for people, or JSON for scripts.")
def resources(output: str) -> int:
    """List resource types, the attributes policies can use, and the calls they cost."""
    from ..resources import REGISTRY
    from ..resources.catalogue import text, type_entry

    if output == "json":
        click.echo(json.dumps([type_entry(t) for t in REGISTRY.values()], indent=2,
                              default=str))
    else:
        click.echo(text(REGISTRY))
    return EXIT_OK


def _policy_schema() -> dict[str, Any]:
    from ..policy import policy_schema

    return policy_schema()


def _config_schema() -> dict[str, Any]:
    from ..config import config_schema

    return config_schema()


def _packaged(filename: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        from preflight_scanner.reports import packaged_schema

        return packaged_schema(filename)

    return load


# Every published schema, by name. The policy and config schemas are generated from the code
# that validates; the others are files in reports/schemas/, one line each.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "policy": _policy_schema,
    "config": _config_schema,
    "report": _packaged("report.schema.json"),
    "drill": _packaged("drill.schema.json"),
    "waivers": _packaged("waivers.schema.json"),
    "runbooks": _packaged("runbooks.schema.json"),
    "policy-tests": lambda: _policy_test_schema(),
}


def _policy_test_schema() -> dict[str, Any]:
    from ..policytest.schema import case_file_schema

    return case_file_schema()


@click.command()
@click.argument("which", type=click.Choice(list(SCHEMAS)), default="policy")
def schema(which: str) -> int:
    """Print a published JSON Schema (default: policy)."""
    click.echo(json.dumps(SCHEMAS[which](), indent=2))
    return EXIT_OK

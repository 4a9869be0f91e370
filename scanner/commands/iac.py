"""`preflight iac`: the policies on CloudFormation, CDK output and Terraform plans."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from ..formats import Format
from ..models import Severity
from .options import SEVERITIES, format_option, make_view, view_options
from .scanning import FORMAT_NAMES

# cfn-lint (and the ~150 MB it pulls in) is the `iac` extra: live scans, drills and runbook
# checks install without it.
IAC_EXTRA_INSTALL = "pip install 'preflight-scanner[iac]'"


def require_iac_extra() -> None:
    """Exit 2 with the install line when the `iac` extra's cfn-lint is missing."""
    if importlib.util.find_spec("cfnlint") is None:
        raise click.UsageError("`preflight iac` needs the iac extra (cfn-lint), which is not "
                               f"installed: {IAC_EXTRA_INSTALL}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--environment", default=None,
              help="Environment the templates deploy to (default: the config's "
                   "default_environment); a resource's environment tag still overrides it.")
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A CloudFormation parameter value (repeatable; wins over --parameters-file).")
@click.option("--parameters-file", "parameter_files", multiple=True,
              type=click.Path(dir_okay=False, exists=True),
              help="CloudFormation parameters: a [{ParameterKey, ParameterValue}] list or a "
                   "{Key: Value} map, JSON or YAML (repeatable).")
@click.option("--source", "source_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Directory of the .tf files of the Terraform plans (for lines and "
                   "`# preflight:waive` comments; default: each plan's directory).")
@click.option("--region", default="us-east-1", show_default=True,
              help="Region the templates deploy to (AWS::Region, policy region scopes).")
@click.option("--account-id", default="000000000000", show_default=True,
              help="Account the templates deploy to (AWS::AccountId, account scopes).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml: environments, parameters, policy overrides.")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("-o", "--out", "out_dir", default="preflight-iac", show_default=True,
              type=click.Path(file_okay=False), help="Directory for report.json.")
@format_option("Report formats besides report.json, comma-separated (repeatable): "
               f"{', '.join(FORMAT_NAMES)}.", always_json=True)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a failure at or above this severity exists.")
@click.option("--fail-on-error/--no-fail-on-error", default=True, show_default=True,
              help="Whether an error finding (a value unknown before deployment, a construct "
                   "not expanded: an include from S3, a macro, a remote nested stack) exits 3.")
@click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False),
              help="Waivers file (as for scan), besides the waivers written in the templates.")
@click.option("--max-waiver-days", type=click.IntRange(1, 3650), default=None,
              help="How far ahead any waiver (in the file or in a template) may expire "
                   "(default 90).")
@click.option("--allow-unknown-regions", is_flag=True, default=False,
              help="Accept a --region this installation's botocore does not list yet.")
@view_options
def iac(paths: tuple[str, ...], environment: str | None, parameters: tuple[str, ...],
        parameter_files: tuple[str, ...], source_dirs: tuple[str, ...], region: str,
        account_id: str, config_path: str | None, policy_paths: tuple[str, ...], out_dir: str,
        formats: tuple[Format, ...], fail_on: str, fail_on_error: bool,
        waivers_path: str | None, max_waiver_days: int | None, allow_unknown_regions: bool,
        quiet: bool, verbosity: int, no_color: bool) -> int:
    """Check CloudFormation templates, CDK output (cdk.out) and Terraform plans
    (terraform show -json) before they deploy; findings point at file:line."""
    require_iac_extra()
    from ..config import load_config
    from ..iac.parameters import parse_parameters
    from ..iac.run import run_iac
    from ..inputs import load_optional_waivers, prepare_policies
    from ..job import Delivery, Gate, deliver
    from ..regions import checked

    view = make_view(quiet, verbosity, no_color)
    checked([region], allow_unknown_regions, "--region")
    waivers = load_optional_waivers(waivers_path)
    config, policies = prepare_policies(load_config(config_path), policy_paths)
    # The output directory is checked before the templates are read: results need a place.
    delivery = Delivery(Path(out_dir), formats, Gate(Severity(fail_on), False, fail_on_error),
                        view=view)
    return deliver(lambda: run_iac(paths, config, policies, environment=environment,
                                   parameters=parse_parameters(parameters, parameter_files),
                                   region=region, account_id=account_id,
                                   source_dirs=source_dirs, waivers=waivers,
                                   max_waiver_days=max_waiver_days), delivery)

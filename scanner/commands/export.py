"""`preflight export securityhub` (the one command that writes to AWS, kept apart from the scan)
and `preflight notify` (a chat message about a saved report)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..exitcodes import EXIT_INCOMPLETE, EXIT_OK


@click.group()
def export() -> None:
    """Send a saved report.json to another system (a write: never part of `scan`)."""


@export.command()
@click.argument("report_path", metavar="REPORT_JSON", type=click.Path(dir_okay=False))
@click.option("--region", default=None,
              help="The Security Hub region to import into (default: the AWS configuration's).")
@click.option("--archive-missing", is_flag=True, default=False,
              help="Archive this account's Preflight findings that the report no longer has "
                   "(needs securityhub:GetFindings too).")
@click.option("--print-iam-policy", is_flag=True, default=False,
              help="Print the IAM policy this command needs and exit.")
def securityhub(report_path: str, region: str | None, archive_missing: bool,
                print_iam_policy: bool) -> int:
    """Import REPORT_JSON's findings into AWS Security Hub (ASFF, BatchImportFindings).

    Only the calling account's live findings are sent (the default product accepts no
    other); a re-import updates the same findings. Exit 3 when some were rejected.
    """
    from preflight_scanner.reports.text import inert

    from ..export import securityhub as hub
    from ..saved import load_saved_report

    if print_iam_policy:
        policy = json.loads(json.dumps(hub.IAM_POLICY))
        if archive_missing:
            policy["Statement"].append(hub.ARCHIVE_STATEMENT)
        click.echo(json.dumps(policy, indent=2))
        return EXIT_OK
    result = load_saved_report(Path(report_path))
    summary = hub.export(result, region, archive_missing)
    click.echo(f"security hub {summary.region}, account {summary.account_id}: "
               f"{summary.imported} finding(s) imported"
               + (f", {summary.archived} archived" if archive_missing else ""))
    for account, count in sorted(summary.other_accounts.items()):
        click.echo(inert(f"left out: {count} finding(s) of account {account} (export them with "
                         "that account's credentials)"))
    if summary.pre_deploy:
        click.echo(f"left out: {summary.pre_deploy} pre-deploy finding(s) (templates, not resources)")
    for failed in summary.failed:
        click.echo(inert(f"rejected: {failed.id}: {failed.code} {failed.message}"), err=True)
    return EXIT_INCOMPLETE if summary.failed else EXIT_OK


@click.command()
@click.argument("kind", type=click.Choice(["slack", "teams", "webhook"]))
@click.argument("report_path", metavar="REPORT_JSON", type=click.Path(dir_okay=False))
@click.option("--url-env", required=True, metavar="NAME",
              help="The environment variable holding the webhook URL (a secret: never printed).")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="An earlier report.json: mark failures new or unchanged.")
@click.option("--only-new", is_flag=True, default=False,
              help="List only new failures, and send nothing when there are none.")
@click.option("--run-url", default=None,
              help="Link to the run (default: from GITHUB_SERVER_URL, GITHUB_REPOSITORY and "
                   "GITHUB_RUN_ID when set).")
@click.option("--limit", type=click.IntRange(1, 40), default=10, show_default=True,
              help="At most this many failures in the message, most severe first.")
def notify(kind: str, report_path: str, url_env: str, baseline: str | None, only_new: bool,
           run_url: str | None, limit: int) -> int:
    """Post a summary of REPORT_JSON's failures to Slack, Teams or a JSON webhook."""
    import os

    from ..baseline import compare
    from ..export import notify as chat
    from ..saved import load_saved_report

    url = os.environ.get(url_env, "").strip()
    if not url:
        raise chat.NotifyError(f"${url_env} is empty or not set: put the webhook URL in it "
                               "(a CI secret)")
    chat.check_url(url, url_env)
    result = load_saved_report(Path(report_path))
    if baseline is not None:
        result = compare(result, load_saved_report(Path(baseline)), baseline)
    message = chat.build(result, only_new, limit, chat.run_url(os.environ, run_url))
    if only_new and not message.items:
        click.echo("notify: no new failures; nothing sent")
        return EXIT_OK
    status = chat.send(url, chat.PAYLOADS[kind](message))
    click.echo(f"notify: {kind} message sent (HTTP {status}), "
               f"{len(message.items) + message.more} failure(s)")
    return EXIT_OK



"""Commands for the disaster-recovery drill and the scan history: drill, history list/diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..exitcodes import EXIT_OK

if TYPE_CHECKING:
    from ..history import HistoryStore
from .options import F, aws_options, stack, use_aws_options, verbosity_option


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="preflight.yml; its optional drill: {target, rto_minutes, rpo_minutes} and "
                   "history: keys are read too.")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack. Those "
                   "with the disaster-recovery category, or named by a step, are used.")
@aws_options
@click.option("-o", "--out", "out_dir", default="preflight-drill", show_default=True,
              type=click.Path(file_okay=False),
              help="Directory for drill.json, drill.html and drill.md.")
@click.option("--target", type=click.FloatRange(0, 100), default=None,
              help="Readiness score target, percent (overrides the config's drill.target).")
@click.option("--since", "since", type=click.Path(dir_okay=False), default=None,
              help="The previous drill's drill.json: report the drift since it.")
@click.option("--history", "history", type=click.Path(dir_okay=False), default=None,
              help="History store (SQLite) to record this drill in, and to read the last drill "
                   "and the quarters from (default: the config's history: key).")
@click.option("--waivers", "waivers", type=click.Path(dir_okay=False), default=None,
              help="Waivers file: waived checks leave the score and are listed with their "
                   "reasons.")
@verbosity_option("Log progress to stderr; -vv also each AWS request (credentials redacted).")
def drill(config_path: str | None, policy_paths: tuple[str, ...], regions: tuple[str, ...],
          out_dir: str, target: float | None, since: str | None, history: str | None,
          waivers: str | None, profile: str | None, allow_unknown_regions: bool,
          verbosity: int) -> int:
    """Disaster-recovery drill readiness: per runbook step, recovery points, score, drift,
    and the checklist with its commands filled in."""
    from ..drill.run import drill as run_drill
    from ..drill.run import exit_code
    drill_regions = use_aws_options(profile, regions, allow_unknown_regions)
    if not drill_regions and not allow_unknown_regions:
        from ..config import load_config
        from ..inputs import check_config_regions

        check_config_regions(load_config(config_path))
    document, _ = run_drill(config_path, policy_paths, drill_regions, Path(out_dir),
                            target=target, since=Path(since) if since else None,
                            history=history, waivers=waivers)
    return exit_code(document)


def _store_options(command: F) -> F:
    """--db and --config, accepted on `history` and on each of its subcommands alike
    (`preflight history --db F list` and `preflight history list --db F`)."""
    return stack(command, (
        click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
                     help="History store (default: the config's history: key, else "
                          "preflight.db)."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="preflight.yml, for its history: key."),
    ))


@click.group()
@_store_options
@click.pass_context
def history(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """Recorded scans and drills: list them, compare two."""
    ctx.obj = {"db": db, "config": config_path}


def _store(ctx: click.Context, db: str | None, config_path: str | None) -> HistoryStore:
    from ..drill.settings import load_drill_settings
    from ..history import HistoryStore

    parent = ctx.obj or {}
    db = db or parent.get("db")  # the subcommand's own option wins over the group's
    config_path = config_path or parent.get("config")
    path = db or load_drill_settings(config_path).history or "preflight.db"
    return HistoryStore(path, create=False)


@history.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_store_options
@click.pass_context
def list_scans(ctx: click.Context, as_json: bool, db: str | None, config_path: str | None) -> int:
    """List the recorded scans and drills, oldest first."""
    from tabulate import tabulate

    with _store(ctx, db, config_path) as store:
        records = store.scans()
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return EXIT_OK
    rows = []
    for r in records:
        score = (r.summary or {}).get("score") or {}
        readiness = (f"{score.get('percent')}% ({score.get('score')}/{score.get('possible')})"
                     if score.get("percent") is not None else "")
        rows.append([r.id, r.kind, r.started_at, len(r.accounts), ",".join(r.regions),
                     r.counts.get("pass", 0), r.counts.get("fail", 0), r.counts.get("error", 0),
                     r.counts.get("waived", 0), "yes" if r.complete else "no", readiness])
    click.echo(tabulate(rows, headers=["id", "kind", "started", "accounts", "regions", "pass",
                                       "fail", "error", "waived", "complete", "readiness"]))
    return EXIT_OK


@history.command(name="diff")
@click.argument("before", type=int)
@click.argument("after", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_store_options
@click.pass_context
def diff_scans(ctx: click.Context, before: int, after: int, as_json: bool, db: str | None,
               config_path: str | None) -> int:
    """Compare two recorded scans (or two drills): what was fixed, what regressed, what is
    new or gone. A scan and a drill are not compared: their policy sets differ."""
    from ..historydiff import CHANGE_KINDS, diff

    with _store(ctx, db, config_path) as store:
        result = diff(store, before, after)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return EXIT_OK
    click.echo(f"scan {before} ({result.before.kind}, {result.before.started_at}) -> "
               f"scan {after} ({result.after.kind}, {result.after.started_at})")
    click.echo(", ".join(f"{len(getattr(result, k))} {k}" for k in CHANGE_KINDS)
               + f", {result.unchanged} unchanged")
    for kind in CHANGE_KINDS:
        changes = getattr(result, kind)
        if not changes:
            continue
        click.echo(f"\n{kind}:")
        for c in changes:
            r = c.finding.resource
            click.echo(f"  {c.key[0]}  {r['type']} {r['name']} ({r['account_id']} {r['region']})"
                       f": {c.before or '-'} -> {c.after or '-'}")
    return EXIT_OK

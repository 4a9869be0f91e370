"""The `preflight drill` job: select the drill's policies, scan, compare with the last drill,
record into the history store, write drill.json, drill.html and drill.md, print a summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from preflight_scanner.reports.text import inert

from ..config import Config, load_config
from ..errors import InputError, Problem
from ..exitcodes import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK
from ..history import HistoryStore, RecordKind
from ..models import ScanResult
from ..output import prepare_output_dir, publish
from ..scan import Clock, configure_policies, run_scan, utcnow
from ..waivers import WaiverState
from ..yamlfile import parse_json
from .document import build_document, previous_from_document, render_json, steps_for, validation_errors
from .readiness import COUNTED, StepStatus, checks_from_history, readiness, score
from .recovery import worst_case_text
from .settings import load_drill_settings, with_rpo_target
from .steps import STEP_MAP, Step, check_step_map, selects

OUTPUTS = ("drill.json", "drill.html", "drill.md")


def _scoped(config: Config, ids: set[str]) -> Config:
    """The config's per-policy sections narrowed to the drill's policies (they were checked
    against every loaded policy first, so a typo is still reported)."""
    return dataclasses.replace(
        config,
        parameters={env: {pid: v for pid, v in per.items() if pid in ids}
                    for env, per in config.parameters.items()},
        policies={pid: o for pid, o in config.policies.items() if pid in ids},
    )


def load_previous(path: Path) -> dict[str, Any]:
    """A previous drill.json as the drift baseline; a bad file is an input error."""
    def fail(message: str) -> InputError:
        return InputError([Problem(str(path), None, None, message,
                                   "pass a drill.json written by `preflight drill`")])

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read it: {exc}") from None
    # The bounded loader every saved report goes through: depth, huge numbers, duplicate keys.
    document = parse_json(str(path), text)
    errors = validation_errors(document)
    if errors:
        raise fail(f"not a valid drill.json: {errors[0]}"
                   + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    return previous_from_document(document, str(path))


def previous_from_history(store: HistoryStore, steps: Sequence[Step],
                          accounts: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The last recorded drill, its readiness recomputed with today's step map."""
    record = store.latest(RecordKind.DRILL)
    if record is None:
        return None
    checks = checks_from_history(store.findings(record.id))
    return {"source": "history", "ref": str(record.id), "started_at": record.started_at,
            "score": score(steps, checks, accounts, None)["overall"],
            "steps": readiness(steps, checks)}


def history_points(store: HistoryStore, steps: Sequence[Step], limit: int = 8
                   ) -> list[dict[str, Any]]:
    """Readiness of the latest recorded scan or drill of each of the last quarters."""
    from .readiness import quarter

    latest: dict[str, Any] = {}
    for record in store.scans():
        latest[quarter(record.started_at)] = record
    points = []
    for record in sorted(latest.values(), key=lambda r: r.started_at)[-limit:]:
        overall = (record.summary or {}).get("score")
        if record.kind != RecordKind.DRILL or not isinstance(overall, Mapping):
            overall = score(steps, checks_from_history(store.findings(record.id)), [],
                            None)["overall"]
        points.append({"id": record.id, "kind": record.kind, "started_at": record.started_at,
                       "percent": overall.get("percent"), "score": overall.get("score"),
                       "possible": overall.get("possible")})
    return points


def drill(config_path: str | None, policy_paths: Sequence[str], regions: Sequence[str],
          out_dir: Path, *, target: float | None = None, since: Path | None = None,
          history: str | None = None, waivers: str | None = None,
          clock: Clock = utcnow, sessions: Any = None,
          step_map: Mapping[str, Any] = STEP_MAP, echo: bool = True
          ) -> tuple[dict[str, Any], ScanResult]:
    """Everything but the exit code: returns the drill document and the scan result."""
    from ..policy import load_policies

    settings = load_drill_settings(config_path)
    if target is not None:
        settings = dataclasses.replace(settings, target=target)
    config = with_rpo_target(load_config(config_path), settings)
    runbooks = config.runbooks()
    check_step_map(step_map, runbooks)
    loaded = load_policies(list(policy_paths) or None, runbooks=runbooks)
    configure_policies(loaded, config)  # every override checked against every policy
    selected = [p for p in loaded if selects(step_map, p.id, p.categories)]
    if not selected:
        raise InputError([Problem("--policies", None, None,
                                  f"no loaded policy has the category {step_map['category']!r} "
                                  "or is named by a drill step",
                                  "add `categories: [disaster-recovery]` to your policies")])
    previous = load_previous(since) if since is not None else None
    prepare_output_dir(out_dir)  # inputs read; before any AWS call, results need a place
    extra: dict[str, Any] = {}
    if waivers is not None:  # waived checks leave the score, with their reasons
        from ..waivers import load_waivers

        extra["waivers"] = load_waivers(waivers)
    history_path = history or settings.history
    store = HistoryStore(history_path) if history_path else None  # a bad store fails now
    try:
        result = run_scan(_scoped(config, {p.id for p in selected}), selected,
                          regions=regions, clock=clock, sessions=sessions, **extra)
        steps = steps_for(result, step_map)
        accounts = [{"id": a.id, "name": a.name, "environment": a.environment}
                    for a in result.accounts]
        points: list[dict[str, Any]] = []
        if store is not None:
            if previous is None:
                previous = previous_from_history(store, steps, accounts)
            points = history_points(store, steps)
        document = build_document(result, step_map, settings, runbooks, previous=previous,
                                  history=points)
        if store is not None:
            document["drill"]["history_id"] = store.record(result, kind=RecordKind.DRILL, summary={
                "score": document["score"]["overall"],
                "steps": {s["id"]: s["status"] for s in document["steps"]},
            })
    finally:
        if store is not None:
            store.close()
    problems = validation_errors(document)
    if problems:  # pragma: no cover - a bug: the document must follow its own schema
        raise AssertionError(f"drill.json does not follow its schema: {problems[:3]}")
    write_outputs(document, out_dir)
    if echo:
        click.echo(summary_text(document), nl=False)
        for name in OUTPUTS:
            click.echo(f"report: {out_dir / name}")
    return document, result


def write_outputs(document: Mapping[str, Any], out_dir: Path) -> list[Path]:
    from preflight_scanner.reports import drill_html, drill_markdown

    rendered = {"drill.json": render_json(document), "drill.html": drill_html.render(document),
                "drill.md": drill_markdown.render(document)}
    return publish(out_dir, {name: rendered[name] for name in OUTPUTS})


def exit_code(document: Mapping[str, Any]) -> int:
    """1: the target is not met (without a target: a step is not ready); 3: nothing failed
    but something could not be read; 0: ready."""
    overall = document["score"]["overall"]
    if overall["target"] is not None:
        failed = overall["meets_target"] is False
    else:
        failed = any(s["status"] == StepStatus.NOT_READY for s in document["steps"])
    if failed:
        return EXIT_FAILURES
    unknown = any(s["status"] == StepStatus.UNKNOWN for s in document["steps"])
    return EXIT_INCOMPLETE if unknown or not document["drill"]["complete"] else EXIT_OK


def summary_text(document: Mapping[str, Any]) -> str:
    from tabulate import tabulate

    rows = [[s["id"], s["status"], *(s["counts"][status] for status in COUNTED), s["ref"]]
            for s in document["steps"]]
    lines = [tabulate(rows, headers=["step", "status", "ready", "not ready", "unknown",
                                     "waived", "runbook"]), ""]
    overall = document["score"]["overall"]
    percent = "n/a" if overall["percent"] is None else f"{overall['percent']}%"
    text = (f"readiness: {overall['score']}/{overall['possible']} ({percent}), "
            f"{overall['outstanding']} outstanding, {overall['waived']} waived")
    if overall["target"] is not None:
        text += f"; target {overall['target']}%: {'met' if overall['meets_target'] else 'NOT met'}"
    lines.append(text)
    worst = document["recovery_points"]["worst"]["overall"]
    if worst["tables"] or worst["buckets"]:
        lines.append(inert(f"worst recovery point: {worst_case_text(worst)}"))
    lines += waiver_lines(document.get("waivers"))
    drift = document["drift"]
    if drift is not None:
        lines.append(f"since {drift['since']['started_at']}: {len(drift['became_ready'])} became "
                     f"ready, {len(drift['regressed'])} regressed, "
                     f"{len(drift['new_resources'])} new resource(s)")
    return "\n".join(lines) + "\n"


def waiver_lines(waivers: Mapping[str, Any] | None) -> list[str]:
    """Expired and unused waivers, in the words `preflight scan` prints them
    (scanner.job.ci_summary)."""
    if not waivers:
        return []
    lines = [inert(f"waiver {w['id']} expired on {w['expires']} ({w['owner']}): {w['matched']} "
                   f"finding(s) count again; renew or remove it ({w['source']})")
             for w in waivers[WaiverState.EXPIRED]]
    lines += [inert(f"waiver {w['id']} matched nothing: remove it ({w['source']})")
              for w in waivers[WaiverState.UNUSED]]
    return lines

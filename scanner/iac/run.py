"""`preflight iac`: the same policies on what is about to be deployed.

Files (or directories, walked) are recognised by content: CloudFormation templates (YAML or
JSON, CDK's ``cdk.out/*.template.json`` included) and Terraform plans
(``terraform show -json plan.out``). Each planned resource becomes a scanner ``Resource``
of the type and attribute names the live collectors produce, and the ordinary evaluator
judges it, so a policy cannot tell a planned resource from a live one.

Decisions:
- A value that cannot be known before deployment makes the attribute *unreadable*: a policy
  reading it yields ``error`` with the reason (never a pass).
- A policy reading an attribute no template can express (alarms, backups, aliases, recent
  durations...) does not apply before deployment: it is left out of the run and named in
  the report's ``notes``, never counted as a pass.
- Waivers written next to a resource (CloudFormation ``Metadata.preflight.waive``, a
  Terraform ``# preflight:waive POLICY expires=... owner=... reason`` comment) are waiver
  records narrowed to that resource, checked, matched and reported with the waivers file's:
  the same required fields, the same horizon, the same expiry and unused reporting.
- Whatever cannot be expanded before deployment (a macro, an include from S3, a module, a
  stack set, a nested stack whose template is not local, a loop over an unknown
  collection) makes what it may create ``error`` for every policy, at its line.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config
from ..errors import InputError, Problem
from ..evaluate import TAGS, EvaluationContext, evaluate
from ..models import Account, Finding, Resource, ScanResult, Status
from ..policy.model import Policy
from ..scan import _excerpts, _summary, configure_policies, plan_attributes, policy_set_digest
from ..waivers import Waiver, WaiverFile, with_written, written_waiver
from ..yamlfile import YamlDocument, load_yaml, parse_json
from . import cloudformation, terraform
from .mappings import FIXES, PLANNABLE, plan_resources
from .model import COMMON, Planned
from .remediation import template_remediation
from .templatefiles import decode
from .values import Unknown

SKIP_DIRS = {".git", "node_modules", ".terraform", "__pycache__", ".venv", "venv"}
SUFFIXES = {".json", ".yaml", ".yml", ".template"}


def relative(path: Path) -> str:
    """As findings show it: relative to the current directory (the repository root in CI)."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_posix()


def discover(paths: Sequence[str]) -> dict[Path, str]:
    """The templates and plans to read, each with its kind (see ``discover_all``)."""
    return discover_all(paths)[0]


def discover_all(paths: Sequence[str]) -> tuple[dict[Path, str], list[str]]:
    """The templates and plans to read, each with its kind ("cloudformation" or
    "terraform"), and why each file or directory walked past was skipped: each file named,
    and each directory's files with a template or plan suffix (walked, tool directories
    skipped) whose content is one. A named file that is neither, or paths that hold none at
    all, is an input error: a pre-deploy gate that checked nothing must not pass. What a
    walk skips is listed, so a template that was not recognised cannot go unnoticed."""
    files: list[Path] = []
    named: dict[Path, str | None] = {}
    problems: list[Problem] = []
    skipped: list[str] = []
    seen: set[str] = set()  # the suffixes and names walked past, for a hint
    for raw in paths:
        path = Path(raw)
        unreadable = _unreadable(path)
        if unreadable is not None:
            problems.append(Problem(raw[:300], None, None, f"cannot read: {unreadable}",
                                    "pass a shorter path (a relative one, or cd nearer)"))
        elif path.is_dir():
            files.extend(_walk(path, seen, skipped))
        elif path.is_file():
            named[path] = kind_of(path)
            if named[path] is None:
                problems.append(_not_infrastructure(path, raw))
            files.append(path)
        else:
            problems.append(Problem(raw, None, None, "no such file or directory"))
    if problems:
        raise InputError(problems)
    found: dict[Path, str] = {}
    for file in dict.fromkeys(files):
        kind = named[file] if file in named else kind_of(file)
        if kind is not None:
            found[file] = kind
        else:
            skipped.append(f"skipped {relative(file)}: {_why_not(file)}")
    if not found:
        raise InputError([_nothing_found(paths, len(files), seen)])
    return found, skipped


def _unreadable(path: Path) -> str | None:
    """Why a path cannot even be looked at (a name longer than the file system allows:
    ENAMETOOLONG), or None; a missing path is reported as such by the caller."""
    try:
        path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _walk(directory: Path, seen: set[str], skipped: list[str]) -> list[Path]:
    """The files under ``directory`` with a template or plan suffix; what it leaves out
    (tool directories, other suffixes) is added to ``skipped``."""
    files: list[Path] = []
    others: dict[str, int] = {}
    for root, dirs, names in os.walk(directory):
        for d in sorted(d for d in dirs if d in SKIP_DIRS or d.startswith(".")):
            skipped.append(f"skipped directory {relative(Path(root) / d)}: a tool directory")
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        seen.update(names)
        seen.update(Path(n).suffix.lower() for n in names)
        for name in sorted(names):
            suffix = Path(name).suffix.lower()
            if suffix in SUFFIXES:
                files.append(Path(root) / name)
            else:
                others[suffix or "(none)"] = others.get(suffix or "(none)", 0) + 1
    if others:
        counts = ", ".join(f"{suffix} {n}" for suffix, n in sorted(others.items()))
        skipped.append(f"skipped {sum(others.values())} file(s) under {relative(directory)} "
                       f"without a template or plan suffix ({counts})")
    return files


def _why_not(path: Path) -> str:
    """Why a file walked past is not a template or plan (the problem, without its path)."""
    problem = _not_infrastructure(path, str(path))
    where = f"line {problem.line}: " if problem.line is not None else ""
    return where + problem.message.split(": expected", 1)[0]


_EXPECTED = ("expected a CloudFormation template (YAML or JSON whose Resources hold AWS:: "
             "types) or a Terraform plan (the JSON of `terraform show -json plan.out`)")
_CONVERT_PLAN = "terraform plan -out plan.out && terraform show -json plan.out > plan.json"


def _not_infrastructure(path: Path, raw: str) -> Problem:
    """Why a file named on the command line is not read, and what was expected instead."""
    if path.suffix.lower() == ".tf":
        return Problem(raw, None, None, f"Terraform source is not read: {_EXPECTED}",
                       f"pass its plan: {_CONVERT_PLAN}")
    text = _read(path)
    if text is None:
        return Problem(raw, None, None, f"not a UTF-8 text file: {_EXPECTED}",
                       "a binary plan from `terraform plan -out` converts with "
                       "`terraform show -json plan.out > plan.json`")
    if text.lstrip().startswith("{"):
        try:
            parse_json(raw, text)
        except InputError as exc:
            first = exc.problems[0]
            syntax = first.message.removeprefix(_JSON_SYNTAX)
            message = f"invalid JSON ({syntax})" if syntax != first.message else first.message
            return dataclasses.replace(first, message=f"{message}: {_EXPECTED}")
    else:
        invalid = _yaml_problem(raw, text)
        if invalid is not None:
            return invalid
    return Problem(raw, None, None, f"content not recognised: {_EXPECTED}")


def _yaml_problem(raw: str, text: str) -> Problem | None:
    from cfnlint.decode import decode_str

    try:
        _, matches = decode_str(text)
    except Exception as exc:  # cfn-lint's parser raises more than its own
        return Problem(raw, None, None, f"invalid YAML ({exc}): {_EXPECTED}")
    if not matches:
        return None
    first = matches[0]
    return Problem(raw, getattr(first, "linenumber", None), None,
                   f"invalid YAML ({getattr(first, 'message', first)}): {_EXPECTED}")


def _nothing_found(paths: Sequence[str], count: int, seen: set[str]) -> Problem:
    """Directories that hold no template or plan: checking nothing must not pass."""
    suffixes = ", ".join(sorted(SUFFIXES))
    message = (f"no CloudFormation template or Terraform plan found in {count} file(s) "
               f"ending {suffixes}")
    if ".tf" in seen:
        hint = f"did you mean the plan of these .tf files? {_CONVERT_PLAN}, then pass plan.json"
    elif "cdk.json" in seen:
        hint = "did you mean the CDK app's templates? run `cdk synth` and pass cdk.out"
    else:
        hint = ("pass the templates (YAML or JSON whose Resources hold AWS:: types) or the "
                "JSON of `terraform show -json plan.out`")
    return Problem(", ".join(paths), None, None, message, hint)


# A YAML text that does not parse but looks like a template is still read as one, so that
# cfn-lint reports its error at file:line instead of the file being skipped.
_LOOKS_LIKE_TEMPLATE = re.compile(r"^\s*Resources:\s*(?:#.*)?$(?s:.*)^\s+Type:\s*['\"]?"
                                  r"[A-Za-z0-9]+::", re.MULTILINE)


def kind_of(path: Path) -> str | None:
    """"cloudformation", "terraform" or None (not an infrastructure file), by parsing the
    content, not by its layout (a document indented under ``---`` is a template too): a file
    whose first character is ``{`` is read as JSON whatever its suffix, any other as YAML."""
    text = _read(path)
    if text is None:
        return None
    if text.lstrip().startswith("{"):
        try:
            document = parse_json(str(path), text)
        except InputError as exc:
            # JSON that parses but is refused (nesting, a huge number, a duplicate key) is
            # read as what it looks like, so that its reader reports why at file:line.
            return None if exc.problems[0].message.startswith(_JSON_SYNTAX) else _sniff(text)
        if isinstance(document, dict) and ("resource_changes" in document or (
                "planned_values" in document and "format_version" in document)):
            return "terraform"
        return "cloudformation" if _is_template(document) else None
    document, parsed = _yaml(text)
    if not parsed:
        return "cloudformation" if _LOOKS_LIKE_TEMPLATE.search(text) else None
    return "cloudformation" if _is_template(document) else None


_JSON_SYNTAX = "not valid JSON: "  # parse_json's message for text that is not JSON at all
_PLAN_KEY = re.compile(r'"(?:resource_changes|planned_values)"\s*:')
_RESOURCES_KEY = re.compile(r'"Resources"\s*:')


def _sniff(text: str) -> str | None:
    """The kind of a JSON file that parse_json refuses, from its keys."""
    if _PLAN_KEY.search(text):
        return "terraform"
    return "cloudformation" if _RESOURCES_KEY.search(text) else None


def _yaml(text: str) -> tuple[Any, bool]:
    """The YAML document as cfn-lint reads templates (short intrinsic tags included), and
    whether it parsed."""
    from cfnlint.decode import decode_str

    try:
        document, matches = decode_str(text)
    except Exception:  # cfn-lint's parser raises more than its own errors
        return None, False
    return document, not matches


def _is_template(document: Any) -> bool:
    resources = document.get("Resources") if isinstance(document, dict) else None
    return isinstance(resources, dict) and any(
        (isinstance(r, dict) and "Type" in r)
        or str(k) == "Fn::Transform" or str(k).startswith("Fn::ForEach::")
        for k, r in resources.items())


def _read(path: Path) -> str | None:
    """The file's text (a UTF-8 byte-order mark dropped), or None if it is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def parse_parameters(pairs: Sequence[str], files: Sequence[str]) -> dict[str, str | Unknown]:
    """--parameters-file (CloudFormation's [{ParameterKey, ParameterValue}] list or a
    {Key: Value} map, JSON or YAML), then --parameter Key=Value, later ones winning. A listed
    parameter with ``UsePreviousValue: true`` is Unknown: its value is the deployed stack's.
    A listed entry with neither is an input error: read as "", it would quietly switch off
    whatever the parameter decides (a prod-only policy's scope, a feature flag)."""
    values: dict[str, str | Unknown] = {}
    for name in files:
        document = _parameters_document(name)
        raw: Any = document.data
        pointer: tuple[str, ...] = ()
        if isinstance(raw, dict) and isinstance(raw.get("Parameters"), (dict, list)):
            raw, pointer = raw["Parameters"], ("Parameters",)  # `cloudformation deploy`'s
        if isinstance(raw, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in raw):
            problems = [document.problem((*pointer, n), f"parameter {i['ParameterKey']} has no "
                                         "ParameterValue", "add \"ParameterValue\": \"...\" (or "
                                         "\"UsePreviousValue\": true to keep the deployed value)")
                        for n, i in enumerate(raw) if not _has_value(i)]
            if problems:
                raise InputError(problems)
            values.update({str(i["ParameterKey"]): _listed(i) for i in raw})
        elif isinstance(raw, dict):
            values.update({str(k): _text(v) for k, v in raw.items()})
        else:
            raise InputError([Problem(name, None, None, "parameters must be a "
                             "[{ParameterKey, ParameterValue}] list or a {Key: Value} map")])
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError([Problem("--parameter", None, None,
                                      f"{pair!r} is not Key=Value")])
        values[key] = value
    return values


def _has_value(entry: Mapping[str, Any]) -> bool:
    return "ParameterValue" in entry or entry.get("UsePreviousValue") in _TRUE


_TRUE = (True, "true", "True", "TRUE")


def _parameters_document(name: str) -> YamlDocument:
    """A parameters file's data with its lines: YAML 1.2 (JSON is YAML too; ON, OFF, yes,
    no stay text); a YAML error is one problem at its line."""
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(name, None, None,
                                  f"cannot read parameters: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, None, "cannot read parameters: not UTF-8 text",
                                  "save the file as UTF-8")]) from None
    try:
        return load_yaml(name, text)
    except InputError as exc:
        if text.lstrip().startswith(("{", "[")):
            try:  # JSON that YAML refuses (a tab in a string...): no lines, but its data
                return YamlDocument(name, parse_json(name, text))
            except InputError:
                pass
        raise InputError([dataclasses.replace(p, message=f"cannot read parameters: {p.message}")
                          for p in exc.problems]) from None


def _listed(entry: Mapping[str, Any]) -> str | Unknown:
    """One {ParameterKey, ParameterValue | UsePreviousValue} entry's value."""
    if entry.get("UsePreviousValue") in _TRUE:
        key = entry["ParameterKey"]
        return Unknown(f"parameter {key} uses its previous value, unknown before deployment "
                       f"(pass --parameter {key}=VALUE to check a value)")
    return _text(entry["ParameterValue"])


def _text(value: Any) -> str:
    if value is None:  # `Key:` with nothing after it, or JSON null
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def load_planned(paths: Sequence[str], parameters: Mapping[str, Any], region: str,
                 account_id: str, source_dirs: Sequence[str] = ()) -> list[Planned]:
    return _load(discover(paths), parameters, region, account_id, source_dirs)


def _load(kinds: Mapping[Path, str], parameters: Mapping[str, Any], region: str,
          account_id: str, source_dirs: Sequence[str]) -> list[Planned]:
    templates = {f: decode(f) for f, k in kinds.items() if k == "cloudformation"}
    planned = cloudformation.load(templates, relative, parameters, region, account_id)
    for path, kind in kinds.items():
        if kind == "terraform":
            planned.extend(plan_resources(terraform.load(path, relative, list(source_dirs))))
    return planned


def split_policies(policies: Sequence[Policy]) -> tuple[list[Policy], list[str]]:
    """Policies narrowed to the types whose attributes they read can be planned, and a note
    for each (policy, type) left out."""
    kept: list[Policy] = []
    notes: list[str] = []
    for policy in policies:
        types = []
        for type_name in policy.resources:
            plannable = PLANNABLE.get(type_name)
            missing = sorted(policy.attributes() - COMMON - (plannable or frozenset()))
            if plannable is None:
                notes.append(f"{policy.id}: not applied before deployment: templates and plans "
                             f"do not describe {type_name} resources")
            elif missing:
                notes.append(f"{policy.id}: not applied to {type_name} before deployment: it "
                             f"reads {', '.join(missing)}, known only once deployed")
            else:
                types.append(type_name)
        if types:
            kept.append(dataclasses.replace(policy, resources=tuple(types)))
    return kept, notes


def now() -> datetime:
    """The run's clock (waiver expiry is judged against it); tests replace it."""
    return datetime.now(UTC)


def run_iac(paths: Sequence[str], config: Config, policies: Sequence[Policy], *,
            environment: str | None = None, parameters: Mapping[str, Any] | None = None,
            region: str = "us-east-1", account_id: str = "000000000000",
            source_dirs: Sequence[str] = (), waivers: WaiverFile | None = None,
            max_waiver_days: int | None = None,
            clock: Callable[[], datetime] | None = None) -> ScanResult:
    clock = clock or now
    started = clock()
    today = started.astimezone(UTC).date()
    configured = configure_policies(policies, config)
    applicable, notes = split_policies(configured)
    kinds, skipped = discover_all(paths)
    notes.extend(skipped)
    planned = _load(kinds, parameters or {}, region, account_id, source_dirs)
    known = {p.id for p in policies}
    written = written_waivers(planned, known, notes)
    every = with_written(waivers, written)
    matcher = every.matcher(today, max_waiver_days) if every is not None else None
    account = Account(account_id, "iac", environment or config.default_environment)
    resources = [p.to_resource(account, region) for p in planned]
    needs = plan_attributes(applicable, config)
    tags_read = {t: TAGS in attrs for t, attrs in needs.items()}
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            started.isoformat(timespec="seconds"))
    evaluation = evaluate(applicable, resources, [], ctx, tags_read, matcher)
    if matcher is not None:
        matcher.record(evaluation.waiver_hits)
    by_key = {(r.type, r.id): (r, p) for r, p in zip(resources, planned, strict=True)}
    by_policy = {p.id: p for p in applicable}
    located = []
    for finding in evaluation.findings:
        resource, plan = by_key[(finding.resource.type, finding.resource.id)]
        policy = by_policy[finding.policy_id]
        located.append(template_remediation(_locate(finding, resource, policy), plan, policy,
                                            FIXES))
    return ScanResult(
        tool_version=__version__,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=clock().isoformat(timespec="seconds"),
        accounts=(account,),
        regions=(region,),
        policies=tuple(_summary(p) for p in applicable),
        findings=tuple(located),
        errors=(),
        api_calls=0,
        runbooks=_excerpts(applicable, config.runbooks()),
        waivers=matcher.report() if matcher is not None else None,
        policy_set=policy_set_digest(applicable, config),
        notes=tuple(dict.fromkeys(notes)),
    )


def written_waivers(planned: Sequence[Planned], known: set[str], notes: list[str]
                    ) -> list[Waiver]:
    """The waivers written next to resources, as waiver records narrowed to their resource
    (every problem at its file:line); one naming no loaded policy is a note."""
    records: list[Waiver] = []
    problems: list[Problem] = []
    for plan in planned:
        for w in plan.waivers:
            if w.policy not in known:
                notes.append(f"waiver at {w.source.describe()} names no loaded policy "
                             f"{w.policy!r}")
                continue
            try:
                records.append(written_waiver(
                    w.policy, w.reason, w.owner, w.expires, resource=plan.id,
                    path=w.source.path, line=w.source.line, include_errors=w.include_errors))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return records


def _locate(finding: Finding, resource: Resource, policy: Policy) -> Finding:
    """The resource's line, or the offending property's when the verdict is not a pass and
    the attribute it read came from one."""
    location = resource.location
    if finding.underlying_status is not Status.PASS:
        attributes = sorted(policy.attributes())
        unreadable = [a for a in attributes if a in resource.unreadable]
        for attribute in unreadable or attributes:
            if attribute in resource.attribute_locations:
                location = resource.attribute_locations[attribute]
                break
    return dataclasses.replace(finding, location=location)

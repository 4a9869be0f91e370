"""A step (an AWS CLI command) -> what must hold in a place for it to work: the resources
it names exist, the log groups it reads receive events, the metric it reads is published,
and the operation's own preconditions (kinds.POLICIES, kinds.ALIASES).

Values are kept as templates (``/aws/lambda/${FUNCTION_NAME}``) and filled in per place and
per binding by evaluation.py. Nothing here calls AWS.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from botocore import xform_name

from ..runbooklint import cli_model as model
from ..runbooklint import customizations as custom
from ..runbooklint.checks import _command_words, _options, check_invocation
from ..runbooklint.shell import HOLE, Word
from . import kinds as k
from .steps import ParsedStep

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)|<([A-Za-z_][\w.:/|-]*)>")
_IDENTIFIER = re.compile(r"(Name|Id|Arn|Identifier|Url|Names|Ids|Arns)$")
# Members whose names look like identifiers but name nothing that must already exist.
_NOT_RESOURCES = frozenset({"MetricName", "TargetTableName", "StatementId", "BackupName",
                            "AlarmName", "AlarmNames", "ClientRequestToken", "QueryName"})
_SHORTHAND_DIMENSION = re.compile(r"Name=([^,\s]+),Value=([^\s]+)")


@dataclass(frozen=True)
class Value:
    """An option's value as a template; ``runtime`` when the shell computes it when run."""

    option: str
    template: str
    placeholders: tuple[str, ...]
    runtime: bool


@dataclass(frozen=True)
class Exists:
    value: Value
    kind: str
    events: bool = False  # a log group whose events the step reads


@dataclass(frozen=True)
class Metric:
    namespace: Value
    name: Value
    dimensions: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class PolicyHolds:
    value: Value
    kind: str
    policy_id: str


@dataclass(frozen=True)
class AliasReady:
    function: Value
    alias: Value
    rollback: bool  # an earlier published version must exist to move the alias to


@dataclass(frozen=True)
class Verdict:
    """Decided by reading the command alone: an invalid command, or one Preflight cannot
    judge (status ``not-ready`` or ``unknown``)."""

    status: str
    message: str
    fix: str = ""


Need = Exists | Metric | PolicyHolds | AliasReady | Verdict


@dataclass(frozen=True)
class StepPlan:
    step: ParsedStep
    operation: str  # "service operation" as the CLI names it, "" if none
    needs: tuple[Need, ...]
    inferred: tuple[tuple[str, str], ...]  # placeholder -> kind, from this step's options
    not_checked: tuple[str, ...] = field(default=())
    region: str | None = None  # a literal --region: where the step runs, wherever read from

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for need in self.needs:
            for value in _values(need):
                found.update(value.placeholders)
        return found


def _values(need: Need) -> list[Value]:
    if isinstance(need, (Exists, PolicyHolds)):
        return [need.value]
    if isinstance(need, Metric):
        return [need.namespace, need.name, *(v for _, v in need.dimensions)]
    if isinstance(need, AliasReady):
        return [need.function, need.alias]
    return []


def value_of(option: str, word: Word, step: ParsedStep) -> Value:
    template = word.raw
    if len(template) >= 2 and template[0] == template[-1] and template[0] in "'\"":
        template = template[1:-1]
    names = tuple(next(g for g in m.groups() if g) for m in PLACEHOLDER.finditer(template))
    holes = word.text.count(HOLE)
    # A hole no placeholder explains ($(...), $((...))), or a variable the runbook assigns
    # itself, is known only when the command runs.
    runtime = holes > len(names) or any(n in step.runtime for n in names) or \
        "$(" in template or "`" in template
    return Value(option, template, names, runtime)


def plan(step: ParsedStep) -> StepPlan:
    words = step.words
    rest = list(words[1:])
    command = _command_words(rest)
    if len(command) < 2 or any(w.has_hole for w in command[:2]):
        return StepPlan(step, "", (Verdict("unknown", "the AWS CLI command is not spelled out",
                                           "write the service and operation literally"),), ())
    service, name = command[0].text, command[1].text
    label = f"{service} {name}"
    issues = check_invocation(words)
    if issues:
        return StepPlan(step, label, tuple(Verdict("not-ready", f"invalid command: {i.message}",
                                                   i.hint) for i in issues), ())
    given = {g.name: g.values for g in _options([w for w in rest
                                                 if not any(w is c for c in command)])}
    if name == "wait" and len(command) > 2:
        name = next(c for c, a in model.operation_names(service).items()
                    if a == model.waiters(service)[command[2].text])
    elif name in custom.HIGH_LEVEL_COMMANDS.get(service, ()) or \
            service in custom.HIGH_LEVEL_SERVICES:
        return _high_level(step, service, name, command, words)
    operation = model.operation(service, name)
    assert operation is not None  # check_invocation found no problem with it
    needs: list[Need] = []
    inferred: list[tuple[str, str]] = []
    not_checked: list[str] = []
    created = k.CREATED.get((service, name), frozenset())
    values: dict[str, Value] = {}
    for option, found in given.items():
        if not found:
            continue
        for word in found if option.endswith("names") else found[:1]:
            value = value_of(option, word, step)
            values.setdefault(option, value)
            kind = k.kind_for(service, name, option)
            if kind is None or option in created:
                continue
            if value.runtime:
                needs.append(Verdict("unknown", f"--{option} is computed when the step runs "
                                     f"({value.template}): Preflight cannot tell which "
                                     f"{kind.label} it names", "bind it in front matter if it "
                                     "is always the same one"))
                continue
            if PLACEHOLDER.fullmatch(value.template):
                inferred.append((value.placeholders[0], kind.name))
            needs.append(Exists(value, kind.name, events=(service, name) in k.READS_EVENTS))
    needs += _operation_needs(service, name, values, given, step, inferred, not_checked)
    needs += _unread_identifiers(service, name, operation, values, created)
    region = values.get("region")
    fixed = region.template if region is not None and not region.placeholders \
        and not region.runtime else None
    return StepPlan(step, f"{service} {name}", tuple(needs), tuple(inferred), tuple(not_checked),
                    fixed)


def _operation_needs(service: str, name: str, values: dict[str, Value],
                     given: dict[str, tuple[Word, ...]], step: ParsedStep,
                     inferred: list[tuple[str, str]], not_checked: list[str]) -> list[Need]:
    needs: list[Need] = []
    if (service, name) in k.POLICIES:
        option, policy_id = k.POLICIES[(service, name)]
        if option in values and not values[option].runtime:
            kind = k.kind_for(service, name, option)
            assert kind is not None
            needs.append(PolicyHolds(values[option], kind.name, policy_id))
    if service == "lambda" and name in k.ALIASES and "function-name" in values \
            and "name" in values:
        needs.append(AliasReady(values["function-name"], values["name"], k.ALIASES[name]))
    elif service == "lambda" and "function-name" in values:
        qualified = _qualified(values["function-name"])
        if qualified is not None:  # NAME:ALIAS: the alias must exist
            needs.append(qualified)
    if (service, name) in k.METRIC_OPERATIONS and {"namespace", "metric-name"} <= values.keys():
        dimensions: list[tuple[str, Value]] = []
        for word in given.get("dimensions", ()):
            for dim, raw in _SHORTHAND_DIMENSION.findall(word.raw.strip("'\"")):
                value = value_of("dimensions", Word(raw, raw, word.line, word.column), step)
                if PLACEHOLDER.fullmatch(raw) and dim in k.DIMENSIONS and not value.runtime:
                    inferred.append((value.placeholders[0], k.DIMENSIONS[dim]))
                dimensions.append((dim, value))
        if given.get("dimensions") and not dimensions:
            not_checked.append("--dimensions in JSON: only the Name=...,Value=... form is read")
        else:
            needs.append(Metric(values["namespace"], values["metric-name"], tuple(dimensions)))
    return needs


def _qualified(value: Value) -> AliasReady | None:
    """``${FUNCTION_NAME}:production`` -> the alias need; a version number or $LATEST
    (or no qualifier) -> None."""
    if value.runtime:
        return None
    name, qualifier = k.function_and_qualifier(value.template)
    if not qualifier or qualifier.isdigit() or qualifier == "$LATEST" or \
            PLACEHOLDER.search(qualifier):
        return None
    return AliasReady(dataclasses.replace(value, template=name), Value(
        value.option, qualifier, (), False), rollback=False)


def _unread_identifiers(service: str, name: str, operation: model.Operation,
                        values: dict[str, Value], created: frozenset[str]) -> list[Need]:
    """Required options naming something Preflight does not list: never assumed present."""
    api_name = model.operation_names(service).get(name, "")
    noun = re.sub(r"^(Create|Put|Start|Register|Tag|Publish|Send|Run|Generate)", "", api_name)
    out: list[Need] = []
    for option in operation.required:
        member = operation.options[option].member
        if not _IDENTIFIER.search(member) or option in created or member in _NOT_RESOURCES:
            continue
        if option in values and values[option].runtime:
            continue  # made by an earlier step of the runbook (VERSION=$(...)), not a precondition
        if k.kind_for(service, name, option) is not None or option not in values:
            continue
        if api_name != noun and _IDENTIFIER.sub("", member) in noun:
            continue  # CreateBackup --backup-name: the name of what it creates
        if service == "lambda" and option == "name" and name in k.ALIASES:
            continue
        out.append(Verdict("unknown", f"--{option} names a {service} resource "
                           f"({xform_name(member)}) that Preflight does not read",
                           "check it by hand, or waive this step with the reason"))
    return out


def _high_level(step: ParsedStep, service: str, name: str, command: list[Word],
                words: tuple[Word, ...]) -> StepPlan:
    label = f"{service} {name}"
    if (service, name) == ("logs", "tail"):
        after = [w for w in words[3:] if not w.text.startswith("-")]
        if after:
            value = value_of("log-group-name", after[0], step)
            inferred = ((value.placeholders[0], "log-group"),) \
                if PLACEHOLDER.fullmatch(value.template) else ()
            return StepPlan(step, label, (Exists(value, "log-group", events=True),), inferred)
    return StepPlan(step, label, (Verdict("unknown", f"`aws {label}` is a high-level command "
                                          "whose needs Preflight does not derive",
                                          "check it by hand, or waive this step"),), ())

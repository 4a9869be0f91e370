"""Plain-text views for the terminal: a policy explained, a runbook section printed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from preflight_scanner.reports.text import inert

from .policy.conditions import (
    WORDING,
    All,
    AnyOf,
    AttrRef,
    Condition,
    Leaf,
    Not,
    ParamRef,
    TemplateRef,
)
from .policy.model import Policy
from .runbooks import RunbookLibrary


def explain(policy: Policy, runbooks: RunbookLibrary) -> str:
    lines = [
        f"{policy.id}: {policy.title}",
        f"severity: {policy.severity.value}    resource: {', '.join(policy.resources)}",
        f"applies to: {_scope(policy)}",
        "",
        "Why the runbook needs it:",
        *_wrap(policy.description),
        "",
        "What it checks:",
        *(f"  {line}" for line in describe_condition(policy.check, policy.defaults())),
    ]
    stated = [f"  on {key}: {template}" for key, template in policy.messages.templates()]
    if stated:
        lines += ["", "What its findings say (templates):", *stated]
    if policy.parameters:
        lines += ["", "Parameters (override per environment in the config's `parameters`):"]
        lines += [f"  {p.name} = {p.default!r}  {p.description}".rstrip()
                  for p in policy.parameters.values()]
    lines += ["", "Mappings:"]
    if policy.frameworks:
        lines += [f"  {name}: {', '.join(ids)}" for name, ids in sorted(policy.frameworks.items())]
    else:
        lines.append(f"  none: {policy.unmapped or 'not stated'}")
    section = runbooks.section(policy.runbook)
    lines += ["", f"How to fix it: runbook {policy.runbook}"
              + (f" ({section.title})" if section else ""), f"  {runbooks.link(policy.runbook)}"]
    if policy.remediation:
        lines += ["", "Remediation commands (filled in per failing resource):"]
        lines += [f"  {template}" for template in policy.remediation]
    lines += ["", f"source: {policy.source}"]
    return "\n".join(inert(line) if line else line for line in lines) + "\n"


def describe_condition(condition: Condition, params: dict[str, Any],
                       depth: int = 0) -> Iterator[str]:
    pad = "  " * depth
    if isinstance(condition, Leaf):
        word = WORDING.get(condition.operator.name, condition.operator.name.replace("_", " "))
        yield f"{pad}{condition.expression} {word} {_operand(condition.operand, params)}"
    elif isinstance(condition, Not):
        yield f"{pad}not:"
        yield from describe_condition(condition.item, params, depth + 1)
    else:
        yield f"{pad}{'all of' if isinstance(condition, All) else 'any of'}:"
        assert isinstance(condition, (All, AnyOf))
        for item in condition.items:
            yield from describe_condition(item, params, depth + 1)
    if condition.message:  # the sentence a failure of this condition shows
        yield f"{pad}  failing, says: {' '.join(condition.message.split())}"


def _operand(operand: Any, params: dict[str, Any]) -> str:
    if isinstance(operand, ParamRef):
        return f"parameter {operand.name} ({params.get(operand.name)!r})"
    if isinstance(operand, AttrRef):
        return f"attribute {operand.expression}"
    if isinstance(operand, TemplateRef):
        return f"template {operand.source!r}"
    return repr(operand)


def _scope(policy: Policy) -> str:
    scope = policy.scope.to_dict()
    return "; ".join(f"{k} {v}" for k, v in scope.items()) or "every environment, account and region"


def _wrap(text: str, width: int = 88) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="  ")


def runbook_section(ref: str, runbooks: RunbookLibrary) -> str | None:
    section = runbooks.section(ref)
    if section is None:
        return None
    text = "\n".join(inert(line) for line in section.markdown.splitlines())
    return f"{text}\n\n({inert(runbooks.link(ref))})\n"

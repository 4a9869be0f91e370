"""Placeholders -> what they stand for, for a whole runbook.

In order: the runbook's front matter (``bindings:``), the config's ``runbooks: check:``
entries whose glob matches the runbook's file name, a shell ``for`` loop over literal
words around the step, the place itself (``${ENVIRONMENT}``, ``${AWS_REGION}``,
``<account-id>``), and inference from the typed options that use the placeholder anywhere in
the runbook (``--table-name ${TABLE_NAME}``: DynamoDB tables). What none of them settles is
unbound, and a step that needs it cannot be told; Preflight never guesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import RunbookSettings
from ..errors import InputError, Problem
from . import kinds as k
from .needs import StepPlan
from .steps import ParsedRunbook, ParsedStep


@dataclass(frozen=True)
class Binding:
    name: str
    kind: str | None = None  # every resource of this kind in the place
    literals: tuple[str, ...] = ()  # these values (they may use place placeholders)
    place: str | None = None  # environment | region | account_id
    problem: str | None = None  # why it is unbound
    source: str = ""  # how it was bound, for the report


def bind(runbook: ParsedRunbook, plans: list[StepPlan],
         configured: Sequence[RunbookSettings] = ()) -> dict[str, Binding]:
    """``configured``: the config's runbooks: check: entries matching this runbook, in file
    order (a later one wins); the runbook's own front matter wins over all of them."""
    declared = {**_configured(configured), **_declared(runbook)}
    inferred: dict[str, set[str]] = {}
    for step_plan in plans:
        for name, kind in step_plan.inferred:
            inferred.setdefault(name, set()).add(kind)
    names = set().union(*(p.placeholders() for p in plans)) if plans else set()
    bindings: dict[str, Binding] = {}
    for name in sorted(names | declared.keys()):
        kinds = inferred.get(name, set())
        if name in declared:
            bindings[name] = declared[name]
        elif (attribute := k.place_value(name)) is not None:
            bindings[name] = Binding(name, place=attribute, source=f"the place's {attribute}")
        elif len(kinds) == 1:
            kind = next(iter(kinds))
            bindings[name] = Binding(name, kind=kind,
                                     source=f"each {k.KINDS[kind].label} (inferred)")
        elif kinds:
            bindings[name] = Binding(name, problem=f"placeholder {name} is used for "
                                     f"{' and '.join(sorted(kinds))}: ambiguous")
        else:
            bindings[name] = Binding(name, problem=f"unbound placeholder {name}: no option "
                                     "of the runbook says what it names")
    return bindings


def for_step(step: ParsedStep, bindings: dict[str, Binding]) -> dict[str, Binding]:
    """The runbook's bindings, with the loop variables around this step."""
    loops = {name: Binding(name, literals=values, source="the shell loop around the step")
             for name, values in step.loops}
    return {**bindings, **loops}


def _from_spec(name: str, spec: Any, source: str) -> Binding | None:
    """A binding as front matter or the config writes it; None if it is not one."""
    if isinstance(spec, dict) and set(spec) == {"resource"} and spec["resource"] in k.KINDS:
        return Binding(name, kind=str(spec["resource"]), source=source)
    if isinstance(spec, (str, int)) and not isinstance(spec, bool):
        return Binding(name, literals=(str(spec),), source=source)
    if isinstance(spec, list) and spec and all(isinstance(v, (str, int)) for v in spec):
        return Binding(name, literals=tuple(str(v) for v in spec), source=source)
    return None


def _configured(settings: Sequence[RunbookSettings]) -> dict[str, Binding]:
    """The config's bindings; its schema already refused anything that is not one."""
    out: dict[str, Binding] = {}
    for entry in settings:
        for name, spec in entry.bindings.items():
            binding = _from_spec(name, spec, f"the config (runbooks: check: {entry.pattern})")
            if binding is not None:
                out[name] = binding
    return out


def _declared(runbook: ParsedRunbook) -> dict[str, Binding]:
    out: dict[str, Binding] = {}
    problems: list[Problem] = []
    for name, spec in runbook.front.bindings.items():
        binding = _from_spec(name, spec, "front matter")
        if binding is not None:
            out[name] = binding
        else:
            problems.append(runbook.front.problem(
                runbook.path, ("bindings", name), f"front matter binding {name}: {spec!r:.80} "
                "is not a value, a list of values or {resource: KIND}",
                "kinds: " + ", ".join(k.KINDS)))
    if problems:
        raise InputError(problems)
    return out

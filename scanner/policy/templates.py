"""Whether a remediation template is fit for a policy, decided when the policy is validated.

Each template is test-rendered in the sandbox (sandbox.py) against a sample resource built
from the type's declared examples, and its syntax tree is read for what a sample render
cannot see (names in branches not taken, underscore attributes) and for constructs that can
multiply work without an operator (macros, recursive or deeply nested loops, block
assignments, filter blocks). A mistake is so reported with the policy, not discovered during
an incident. Separate from the sandbox because only validation needs the resource registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError

from ..resources import REGISTRY
from ..suggest import suggestion
from .sandbox import MAX_TEMPLATE_CHARS, compiled, context, environment, render

MAX_LOOP_NESTING = 2
# Statements a command template has no use for, each a way to multiply work or memory.
_FORBIDDEN = {
    nodes.Macro: "macros", nodes.CallBlock: "call blocks", nodes.AssignBlock:
    "block assignments ({% set x %}...{% endset %})", nodes.FilterBlock: "filter blocks",
    nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
    nodes.Extends: "extends", nodes.Block: "blocks",
}


@dataclass(frozen=True)
class TemplateProblem:
    message: str
    hint: str = ""


def sample_resource(type_name: str) -> dict[str, Any]:
    rtype = REGISTRY[type_name]
    sample: dict[str, Any] = {
        "id": "sample-id", "name": "sample-name", "arn": "arn:aws:service:us-east-1:111111111111:x",
        "account_id": "111111111111", "region": "us-east-1", "environment": "prod",
        "scan_time": "2026-01-01T00:00:00+00:00",
    }
    for attr in rtype.listed:
        sample[attr.name] = attr.example
    for detail in rtype.details:
        for attr in detail.attributes:
            sample[attr.name] = attr.example
    return sample


def check_template(source: str, types: Sequence[str], parameters: Mapping[str, Any],
                   extra: Sequence[str] = ()) -> TemplateProblem | None:
    """Why ``source`` is refused, or None. ``extra`` names values given beside the resource
    (a message's ``value`` and ``expected``), sampled in each shape they may take."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return TemplateProblem(f"template is {len(source):,} characters long, more than "
                               f"{MAX_TEMPLATE_CHARS:,}", "keep a remediation to a command or two")
    try:
        compiled(source)  # compiling also checks that every filter and test exists
    except jinja2.TemplateSyntaxError as exc:
        return TemplateProblem(f"template syntax error on its line {exc.lineno}: {exc.message}",
                               "see https://jinja.palletsprojects.com/templates/")
    params = {name: getattr(p, "default", p) for name, p in parameters.items()}
    problem = _static_problem(source, types, params, extra)
    if problem:
        return problem
    for type_name in types:
        problems = [_sample_problem(source, type_name, params, dict.fromkeys(extra, sample))
                    for sample in (_EXTRA_SAMPLES if extra else (None,))]
        if all(problems):  # it must render with the extras in one of the shapes they take
            return problems[0]
    return None


# A comparison's value and operand may be a string, a number, a list or missing.
_EXTRA_SAMPLES: tuple[Any, ...] = ("", 1, None, [])


def _sample_problem(source: str, type_name: str, params: Mapping[str, Any],
                    extra: Mapping[str, Any]) -> TemplateProblem | None:
    try:
        render(source, {**sample_resource(type_name), **extra}, params)
    except SecurityError as exc:
        return TemplateProblem(f"template is not allowed in the sandbox: {exc}",
                               "use only the resource's names and attributes")
    except jinja2.UndefinedError as exc:
        return TemplateProblem(f"template uses an unknown name on a sample {type_name}: "
                               f"{exc.message}", _NAMES_HINT)
    except Exception as exc:  # a filter misused on a sample value, for instance
        return TemplateProblem(f"template fails on a sample {type_name}: {exc}")
    return None


_NAMES_HINT = ("available: resource attributes (`preflight resources`), params.<name>, "
               "and the filter shquote")


def _static_problem(source: str, types: Sequence[str], params: Mapping[str, Any],
                    extra: Sequence[str] = ()) -> TemplateProblem | None:
    """What the sample render cannot see: names and attributes in branches it did not take."""
    tree = environment().parse(source)
    for node_type, what in _FORBIDDEN.items():
        if next(tree.find_all(node_type), None) is not None:
            return TemplateProblem(f"template is not allowed in the sandbox: it uses {what}",
                                   "a remediation is a command: expressions, if and for")
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            return TemplateProblem("template is not allowed in the sandbox: it uses a "
                                   "recursive loop", "iterate over the attribute directly")
    if _loop_depth(tree) > MAX_LOOP_NESTING:
        return TemplateProblem(f"template is not allowed in the sandbox: loops nest more than "
                               f"{MAX_LOOP_NESTING} deep", "flatten the loops")
    known = {"resource", "params", *extra}
    for type_name in types:
        known |= context(sample_resource(type_name), params).keys()
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        close = suggestion(unknown[0], known, show=repr)
        return TemplateProblem(f"template uses an unknown name: {unknown[0]!r} is undefined",
                               f"{close} {_NAMES_HINT}" if close else _NAMES_HINT)
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Name):
            reached = node.name if node.name == "self" else None
        elif isinstance(node, nodes.Getattr):
            reached = node.attr
        elif isinstance(node, nodes.Getitem):
            reached = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:  # the attr filter: x|attr('__class__')
            assert isinstance(node, nodes.Filter)
            reached = (node.args[0].value if node.name == "attr" and node.args
                       and isinstance(node.args[0], nodes.Const) else None)
        if isinstance(reached, str) and (reached == "self" or reached.startswith("_")):
            return TemplateProblem(f"template is not allowed in the sandbox: it uses {reached!r}",
                                   "use only the resource's names and attributes")
    return None


def _loop_depth(node: nodes.Node) -> int:
    inner = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, nodes.For) else inner

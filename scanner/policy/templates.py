"""Remediation command templates: jinja2 in an immutable sandbox.

Policies may come from anyone, so templates get no globals, no attribute access past
the sandbox's rules, and undefined names are errors. Each template is test-rendered at
validation time against a sample resource built from the type's declared examples, so
a mistake is reported with the policy, not discovered during an incident.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..resources import REGISTRY


@dataclass(frozen=True)
class TemplateProblem:
    message: str
    hint: str = ""


@functools.lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.globals.clear()  # no range(), lipsum(), dict(), cycler(): nothing to reach for
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    return env


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def context(resource: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Names a template can use: the resource's identity and attributes, and parameters."""
    return {**resource, "resource": resource, "params": dict(params)}


def render(source: str, resource: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    return _compiled(source).render(context(resource, params)).strip()


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


def check_template(source: str, types: Sequence[str], parameters: Mapping[str, Any]
                   ) -> TemplateProblem | None:
    try:
        template = _compiled(source)
    except jinja2.TemplateSyntaxError as exc:
        return TemplateProblem(f"template syntax error on its line {exc.lineno}: {exc.message}",
                               "see https://jinja.palletsprojects.com/templates/")
    params = {name: getattr(p, "default", p) for name, p in parameters.items()}
    problem = _static_problem(source, types, params)
    if problem:
        return problem
    for type_name in types:
        try:
            template.render(context(sample_resource(type_name), params))
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


def _static_problem(source: str, types: Sequence[str], params: Mapping[str, Any]
                    ) -> TemplateProblem | None:
    """What the sample render cannot see: names and attributes in branches it did not take."""
    tree = environment().parse(source)
    known = {"resource", "params"}
    for type_name in types:
        known |= context(sample_resource(type_name), params).keys()
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        return TemplateProblem(f"template uses an unknown name: {unknown[0]!r} is undefined",
                               _NAMES_HINT)
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Name):
            reached = node.name if node.name == "self" else None
        elif isinstance(node, nodes.Getattr):
            reached = node.attr
        elif isinstance(node, nodes.Getitem):
            reached = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:  # the attr filter: x|attr('__class__')
            reached = (node.args[0].value if node.name == "attr" and node.args
                       and isinstance(node.args[0], nodes.Const) else None)
        if isinstance(reached, str) and (reached == "self" or reached.startswith("_")):
            return TemplateProblem(f"template is not allowed in the sandbox: it uses {reached!r}",
                                   "use only the resource's names and attributes")
    return None

"""The jinja2 environment remediation templates render in, and rendering itself.

Policies may come from anyone, so templates get no globals, no attribute access past the
immutable sandbox's rules, and undefined names are errors. Every operator, concatenation
(``~``), method call and filter that can grow a value goes through growth.py before it runs,
and the output is capped while it streams. Kept apart from templates.py (the checks made when
a policy is validated) because a scan only renders: it needs this module, not the registry
of resource types those checks sample.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .growth import FILTER_CHECKS, MAX_SIZE, check_binop, check_method, check_size, too_big

MAX_TEMPLATE_CHARS = 4_000  # the template's source
MAX_OUTPUT = 20_000  # characters of a rendered template


class _BoundedCodeGenerator(CodeGenerator):
    """Routes ``a ~ b`` through the environment, like the intercepted operators."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.call_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every value-growing operation checked before it runs."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return check_size(super().call_binop(context, operator, left, right),
                           f"the result of {operator}")

    def call_concat(self, values: Iterable[Any]) -> str:
        parts = [str(v) for v in values]
        size = sum(len(p) for p in parts)
        if size > MAX_SIZE:
            raise too_big("a concatenation (~)", size, MAX_SIZE)
        return "".join(parts)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_method(getattr(__obj, "__wrapped__", __obj), args, kwargs)
        return check_size(super().call(__context, __obj, *args, **kwargs), "a call's result")


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter with its arguments checked first and its result after."""
    offset = 1 if getattr(fn, "jinja_pass_arg", None) else 0
    check = FILTER_CHECKS.get(name)

    @functools.wraps(fn)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if check is not None and len(args) > offset:
            check(args[offset], *args[offset + 1:], **kwargs)
        return check_size(fn(*args, **kwargs), f"the result of |{name}")

    return bounded


# HTML helpers and the random filter (a report must not change between renders) are off.
_REMOVED_FILTERS = ("random", "urlize", "xmlattr")


@functools.lru_cache(maxsize=1)
def environment() -> BoundedSandbox:
    env = BoundedSandbox(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.globals.clear()  # no range(), lipsum(), dict(), cycler(): nothing to reach for
    for name in _REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters["shquote"] = lambda value: shlex.quote(str(value))
    env.filters = {name: _bounded_filter(name, fn) for name, fn in env.filters.items()}
    return env


@functools.lru_cache(maxsize=512)
def compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def context(resource: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Names a template can use: the resource's identity and attributes, and parameters."""
    return {**resource, "resource": resource, "params": dict(params)}


def render(source: str, resource: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """Render in the sandbox; SecurityError past MAX_OUTPUT characters (checked as it streams)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise SecurityError(f"template is longer than {MAX_TEMPLATE_CHARS} characters")
    chunks: list[str] = []
    size = 0
    for chunk in compiled(source).generate(context(resource, params)):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise too_big("the rendered template", size, MAX_OUTPUT)
        chunks.append(chunk)
    return "".join(chunks).strip()

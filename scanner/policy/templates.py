"""Remediation command templates: jinja2 in an immutable sandbox, with bounded cost.

Policies may come from anyone, so templates get no globals, no attribute access past
the sandbox's rules, and undefined names are errors. Each template is test-rendered at
validation time against a sample resource built from the type's declared examples, so
a mistake is reported with the policy, not discovered during an incident.

The sandbox stops a template from reaching Python; it does not stop one from asking for
a gigabyte (``{{ 'x' * 10**9 }}``, ``{{ 9**9**9 }}``, ``{{ '%999999999d' % 1 }}``). So
every operator, concatenation (``~``), method call, string format and filter that can
grow a value is checked *before* it runs against a size cap, the output is capped while
it streams, and constructs that can multiply work without an operator (macros, recursive
or deeply nested loops, block assignments, filter blocks) are refused at validation.
"""

from __future__ import annotations

import functools
import re
import shlex
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..resources import REGISTRY
from ..suggest import suggestion

# Bounds on what one template may cost. A remediation command is a line or two.
MAX_TEMPLATE_CHARS = 4_000  # the template's source
MAX_SIZE = 10_000  # characters of any string, items of any list, built while rendering
MAX_OUTPUT = 20_000  # characters of a rendered template
MAX_INT_BITS = 4_096  # integers computed while rendering
MAX_WIDTH = 1_000  # field widths and precisions in format specs, center/indent widths
MAX_LOOP_NESTING = 2
# Statements a command template has no use for, each a way to multiply work or memory.
_FORBIDDEN = {
    nodes.Macro: "macros", nodes.CallBlock: "call blocks", nodes.AssignBlock:
    "block assignments ({% set x %}...{% endset %})", nodes.FilterBlock: "filter blocks",
    nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
    nodes.Extends: "extends", nodes.Block: "blocks",
}


def _too_big(what: str, size: int, limit: int) -> SecurityError:
    return SecurityError(f"{what} would be {size:,} long, more than the {limit:,} a "
                         "remediation template may build")


def _check_size(value: Any, what: str = "a value") -> Any:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and \
            len(value) > MAX_SIZE:
        raise _too_big(what, len(value), MAX_SIZE)
    if isinstance(value, int) and not isinstance(value, bool) and \
            value.bit_length() > MAX_INT_BITS:
        raise SecurityError(f"{what} is an integer of more than {MAX_INT_BITS} bits")
    return value


def _sized(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _check_printf(fmt: str) -> None:
    for width, precision in _PRINTF.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise SecurityError(f"format width or precision {number!r} is not allowed "
                                    f"(at most {MAX_WIDTH}, no '*')")


def _check_format_method(fmt: str) -> None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise SecurityError(f"invalid format string: {exc}") from None
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            raise SecurityError("nested replacement fields in a format spec are not allowed")
        for number in re.findall(r"\d+", spec):
            if int(number) > MAX_WIDTH:
                raise SecurityError(f"format width or precision {number} is more than "
                                    f"{MAX_WIDTH}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        if (_sized(left) and _is_int(right)) or (_sized(right) and _is_int(left)):
            seq, times = (left, right) if _sized(left) else (right, left)
            if len(seq) * max(times, 0) > MAX_SIZE:
                raise _too_big("a repetition", len(seq) * times, MAX_SIZE)
        elif _is_int(left) and _is_int(right) and \
                left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a product of more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1 and \
                right * left.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a power of more than {MAX_INT_BITS} bits")
    elif operator == "+":
        if _sized(left) and _sized(right) and len(left) + len(right) > MAX_SIZE:
            raise _too_big("a sum", len(left) + len(right), MAX_SIZE)
    elif operator == "%" and isinstance(left, str):
        _check_printf(left)


def _replaced_size(text: str, old: str, new: str, count: int | None = None) -> int:
    occurrences = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * (len(new) - len(old))


def _check_method(target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Pre-checks for the methods of str that can grow a value."""
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if not isinstance(owner, str):
        return
    values = [*args, *kwargs.values()]
    if name in ("center", "ljust", "rjust", "zfill") and values and _is_int(values[0]) \
            and values[0] > MAX_SIZE:
        raise _too_big(f"str.{name}()", values[0], MAX_SIZE)
    if name == "expandtabs":
        size = values[0] if values and _is_int(values[0]) else 8
        if len(owner) + owner.count("\t") * size > MAX_SIZE:
            raise _too_big("str.expandtabs()", len(owner) + owner.count("\t") * size, MAX_SIZE)
    if name == "replace" and len(values) >= 2 and all(isinstance(v, str) for v in values[:2]):
        count = values[2] if len(values) > 2 and _is_int(values[2]) else None
        size = _replaced_size(owner, values[0], values[1], count)
        if size > MAX_SIZE:
            raise _too_big("str.replace()", size, MAX_SIZE)
    if name == "join" and values:
        parts = list(values[0]) if not isinstance(values[0], (str, bytes)) else values[0]
        size = sum(len(str(p)) for p in parts) + len(owner) * max(len(parts) - 1, 0)
        if size > MAX_SIZE:
            raise _too_big("str.join()", size, MAX_SIZE)
    if name in ("format", "format_map"):
        _check_format_method(owner)
    if name == "translate":
        raise SecurityError("str.translate() is not allowed in remediation templates")


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
        _check_binop(operator, left, right)
        return _check_size(super().call_binop(context, operator, left, right),
                           f"the result of {operator}")

    def call_concat(self, values: Iterable[Any]) -> str:
        parts = [str(v) for v in values]
        size = sum(len(p) for p in parts)
        if size > MAX_SIZE:
            raise _too_big("a concatenation (~)", size, MAX_SIZE)
        return "".join(parts)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_method(getattr(__obj, "__wrapped__", __obj), args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs), "a call's result")


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter with its arguments checked first and its result after."""
    offset = 1 if getattr(fn, "jinja_pass_arg", None) else 0
    check = _FILTER_CHECKS.get(name)

    @functools.wraps(fn)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if check is not None and len(args) > offset:
            check(args[offset], *args[offset + 1:], **kwargs)
        return _check_size(fn(*args, **kwargs), f"the result of |{name}")

    return bounded


def _width(value: Any, name: str) -> None:
    if (_is_int(value) and value > MAX_SIZE) or (isinstance(value, str) and len(value) > MAX_WIDTH):
        raise SecurityError(f"|{name} width {value if _is_int(value) else len(value)} is too large")


def _check_center(value: Any, width: Any = 80, **_: Any) -> None:
    _width(width, "center")


def _check_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    width = kwargs.get("width", width)
    _width(width, "indent")
    unit = len(width) if isinstance(width, str) else (width if _is_int(width) else 4)
    text = str(value)
    if len(text) + (text.count("\n") + 1) * unit > MAX_SIZE:
        raise _too_big("|indent", len(text) + (text.count("\n") + 1) * unit, MAX_SIZE)


def _check_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_printf(str(value))


def _check_replace(value: Any, old: Any = "", new: Any = "", count: Any = None, **_: Any) -> None:
    size = _replaced_size(str(value), str(old), str(new), count if _is_int(count) else None)
    if size > MAX_SIZE:
        raise _too_big("|replace", size, MAX_SIZE)


def _check_join(value: Any, d: Any = "", attribute: Any = None, **kwargs: Any) -> None:
    if attribute is not None or isinstance(value, (str, bytes)):
        return
    parts = value if isinstance(value, (list, tuple)) else None
    if parts is None:
        return
    size = sum(len(str(p)) for p in parts) + len(str(kwargs.get("d", d))) * max(len(parts) - 1, 0)
    if size > MAX_SIZE:
        raise _too_big("|join", size, MAX_SIZE)


def _check_wordwrap(value: Any, width: Any = 79, break_long_words: Any = True,
                    wrapstring: Any = None, **kwargs: Any) -> None:
    width = kwargs.get("width", width)
    wrap = kwargs.get("wrapstring", wrapstring)
    text = str(value)
    lines = len(text) // max(width if _is_int(width) else 1, 1) + text.count("\n") + 1
    size = len(text) + lines * len(str(wrap or "\n"))
    if size > MAX_SIZE:
        raise _too_big("|wordwrap", size, MAX_SIZE)


def _check_count(value: Any, count: Any = 1, *args: Any, **kwargs: Any) -> None:
    if _is_int(count) and count > MAX_SIZE:
        raise SecurityError(f"a batch or slice count of {count} is too large")


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _check_center, "indent": _check_indent, "format": _check_format,
    "replace": _check_replace, "join": _check_join, "wordwrap": _check_wordwrap,
    "batch": _check_count, "slice": _check_count,
}
# HTML helpers and the random filter (a report must not change between renders) are off.
_REMOVED_FILTERS = ("random", "urlize", "xmlattr")


@dataclass(frozen=True)
class TemplateProblem:
    message: str
    hint: str = ""


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
def _compiled(source: str) -> jinja2.Template:
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
    for chunk in _compiled(source).generate(context(resource, params)):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise _too_big("the rendered template", size, MAX_OUTPUT)
        chunks.append(chunk)
    return "".join(chunks).strip()


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
        _compiled(source)  # compiling also checks that every filter and test exists
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

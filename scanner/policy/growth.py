"""What a remediation template may build: each value-growing step is checked before it runs.

The sandbox (sandbox.py) stops a template from reaching Python; it does not stop one from
asking for a gigabyte (``{{ 'x' * 10**9 }}``, ``{{ 9**9**9 }}``, ``{{ '%999999999d' % 1 }}``).
These checks predict the size of an operator's, a method's or a filter's result from its
arguments and refuse it first: plain functions of values, apart from jinja2's environment so
each bound can be read and tested on its own.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

from jinja2.exceptions import SecurityError

# Bounds on what one template may build while rendering. A remediation command is a line or two.
MAX_SIZE = 10_000  # characters of any string, items of any list
MAX_INT_BITS = 4_096  # integers computed while rendering
MAX_WIDTH = 1_000  # field widths and precisions in format specs, center/indent widths


def too_big(what: str, size: int, limit: int) -> SecurityError:
    return SecurityError(f"{what} would be {size:,} long, more than the {limit:,} a "
                         "remediation template may build")


def check_size(value: Any, what: str = "a value") -> Any:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and \
            len(value) > MAX_SIZE:
        raise too_big(what, len(value), MAX_SIZE)
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


def check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        if (_sized(left) and _is_int(right)) or (_sized(right) and _is_int(left)):
            seq, times = (left, right) if _sized(left) else (right, left)
            if len(seq) * max(times, 0) > MAX_SIZE:
                raise too_big("a repetition", len(seq) * times, MAX_SIZE)
        elif _is_int(left) and _is_int(right) and \
                left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a product of more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1 and \
                right * left.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a power of more than {MAX_INT_BITS} bits")
    elif operator == "+":
        if _sized(left) and _sized(right) and len(left) + len(right) > MAX_SIZE:
            raise too_big("a sum", len(left) + len(right), MAX_SIZE)
    elif operator == "%" and isinstance(left, str):
        _check_printf(left)


def _replaced_size(text: str, old: str, new: str, count: int | None = None) -> int:
    occurrences = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * (len(new) - len(old))


def check_method(target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Pre-checks for the methods of str that can grow a value."""
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if not isinstance(owner, str):
        return
    values = [*args, *kwargs.values()]
    if name in ("center", "ljust", "rjust", "zfill") and values and _is_int(values[0]) \
            and values[0] > MAX_SIZE:
        raise too_big(f"str.{name}()", values[0], MAX_SIZE)
    if name == "expandtabs":
        size = values[0] if values and _is_int(values[0]) else 8
        if len(owner) + owner.count("\t") * size > MAX_SIZE:
            raise too_big("str.expandtabs()", len(owner) + owner.count("\t") * size, MAX_SIZE)
    if name == "replace" and len(values) >= 2 and all(isinstance(v, str) for v in values[:2]):
        count = values[2] if len(values) > 2 and _is_int(values[2]) else None
        size = _replaced_size(owner, values[0], values[1], count)
        if size > MAX_SIZE:
            raise too_big("str.replace()", size, MAX_SIZE)
    if name == "join" and values:
        parts = list(values[0]) if not isinstance(values[0], (str, bytes)) else values[0]
        size = sum(len(str(p)) for p in parts) + len(owner) * max(len(parts) - 1, 0)
        if size > MAX_SIZE:
            raise too_big("str.join()", size, MAX_SIZE)
    if name in ("format", "format_map"):
        _check_format_method(owner)
    if name == "translate":
        raise SecurityError("str.translate() is not allowed in remediation templates")


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
        raise too_big("|indent", len(text) + (text.count("\n") + 1) * unit, MAX_SIZE)


def _check_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_printf(str(value))


def _check_replace(value: Any, old: Any = "", new: Any = "", count: Any = None, **_: Any) -> None:
    size = _replaced_size(str(value), str(old), str(new), count if _is_int(count) else None)
    if size > MAX_SIZE:
        raise too_big("|replace", size, MAX_SIZE)


def _check_join(value: Any, d: Any = "", attribute: Any = None, **kwargs: Any) -> None:
    if attribute is not None or isinstance(value, (str, bytes)):
        return
    parts = value if isinstance(value, (list, tuple)) else None
    if parts is None:
        return
    size = sum(len(str(p)) for p in parts) + len(str(kwargs.get("d", d))) * max(len(parts) - 1, 0)
    if size > MAX_SIZE:
        raise too_big("|join", size, MAX_SIZE)


def _check_wordwrap(value: Any, width: Any = 79, break_long_words: Any = True,
                    wrapstring: Any = None, **kwargs: Any) -> None:
    width = kwargs.get("width", width)
    wrap = kwargs.get("wrapstring", wrapstring)
    text = str(value)
    lines = len(text) // max(width if _is_int(width) else 1, 1) + text.count("\n") + 1
    size = len(text) + lines * len(str(wrap or "\n"))
    if size > MAX_SIZE:
        raise too_big("|wordwrap", size, MAX_SIZE)


def _check_count(value: Any, count: Any = 1, *args: Any, **kwargs: Any) -> None:
    if _is_int(count) and count > MAX_SIZE:
        raise SecurityError(f"a batch or slice count of {count} is too large")


FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _check_center, "indent": _check_indent, "format": _check_format,
    "replace": _check_replace, "join": _check_join, "wordwrap": _check_wordwrap,
    "batch": _check_count, "slice": _check_count,
}

"""Read a YAML document and remember where every value came from; read JSON with bounds.

Schema errors are only useful with a line number, so documents are composed into
PyYAML's node graph and converted by hand, recording the (line, column) of every
JSON-pointer path. The conversion also bounds what a hostile file can cost: size,
nesting depth and alias expansion (a "billion laughs" document) are all capped.

``parse_json`` is the same promise for JSON inputs (saved reports: `preflight report`,
`--baseline`, `preflight merge`): a clear InputError with the line and column or the JSON
pointer for anything Python would otherwise raise on (nesting past the stack, a number
past the int-string limit, NaN, a lone surrogate, a duplicate key), never a traceback.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, PreflightSignal, Problem, some

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

Pointer = tuple[str | int, ...]


@dataclass
class YamlDocument:
    path: str
    data: Any
    locations: dict[Pointer, tuple[int, int]] = field(default_factory=dict)

    def locate(self, pointer: Pointer) -> tuple[int | None, int | None]:
        """The position of the deepest known value on ``pointer`` (1-based)."""
        for end in range(len(pointer), -1, -1):
            found = self.locations.get(tuple(pointer[:end]))
            if found:
                return found
        return None, None

    def problem(self, pointer: Pointer, message: str, hint: str = "") -> Problem:
        line, column = self.locate(pointer)
        if line is None and not self.locations:  # an empty document: its first line
            line, column = 1, 1
        return Problem(self.path, line, column, message, hint)


def load_yaml(path: Path | str, text: str | None = None) -> YamlDocument:
    """Parse one YAML file; raise InputError with file:line on anything malformed."""
    name = str(path)
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise InputError([Problem(name, None, None, f"cannot read file: {exc.strerror}")]) from None
        if len(raw) > MAX_BYTES:
            raise InputError([Problem(name, None, None, f"file is larger than {MAX_BYTES} bytes")])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise InputError(
                [Problem(name, line, column, f"not UTF-8 text ({exc.reason})",
                         "save the file as UTF-8")]
            ) from None
    try:
        _check_depth(text, name)  # before composing, which recurses once per level
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at: tuple[int | None, int | None] = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise InputError([Problem(name, *at, f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError([Problem(name, line, column, f"invalid YAML: character U+{char:04X} "
                                  "is not allowed in YAML", "remove it or write it as an escape "
                                  "in a double-quoted string")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, None, None, f"invalid YAML: {exc}")]) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise InputError([Problem(name, None, None, _TOO_DEEP, _TOO_DEEP_HINT)]) from None
    doc = YamlDocument(name, None)
    if node is None:
        return doc
    converter = _Converter(doc)
    doc.data = converter.convert(node, ())
    return doc


_TOO_DEEP = f"document is nested more than {MAX_DEPTH} levels deep"
_TOO_DEEP_HINT = "flatten the document"


def _check_depth(text: str, name: str) -> None:
    """Reject nesting far past MAX_DEPTH from the event stream (which does not recurse),
    with the line where it happens; the converter checks the exact limit."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH + 1:
                mark = event.start_mark
                raise InputError([Problem(name, mark.line + 1 if mark else None,
                                          mark.column + 1 if mark else None, _TOO_DEEP,
                                          _TOO_DEEP_HINT)])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


# libyaml's parser when PyYAML has it (several times faster on a large hostile file), the
# pure-Python one otherwise; both safe: only plain data is constructed.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 booleans: only true/false are booleans.

    Under YAML 1.1, `equals: ON` would compare Cognito's "ON" with the boolean true and
    never match; policy authors should not have to remember to quote it.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _Converter:
    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.nodes = 0
        self.constructor = _Loader("")

    def convert(self, node: yaml.Node, pointer: Pointer) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputError([self._problem(
                node, f"document expands to more than {MAX_NODES} values",
                "repeated YAML aliases (*name) multiply the document; write the values out")])
        if len(pointer) > MAX_DEPTH:
            raise InputError([self._problem(node, _TOO_DEEP, _TOO_DEEP_HINT)])
        self.doc.locations.setdefault(pointer, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*pointer, i)) for i, item in enumerate(node.value)]
        try:
            value = self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise InputError([self._problem(node, f"invalid value: {exc.problem}")]) from None
        except (ValueError, OverflowError) as exc:  # 2026-13-45, an integer of 5000 digits
            raise InputError([self._problem(node, f"invalid value: {exc}",
                                            "quote it to make it a string")]) from None
        # Dates stay strings: the schemas speak JSON, which has no date type.
        return value.isoformat() if isinstance(value, (date, datetime)) else value

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError([self._problem(key_node, "YAML merge keys (<<) are not supported")])
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError([self._problem(key_node, "mapping keys must be plain scalars")])
            try:
                key = str(self.constructor.construct_object(key_node))
            except yaml.constructor.ConstructorError as exc:
                raise InputError([self._problem(key_node, f"invalid key: {exc.problem}")]) from None
            except (ValueError, OverflowError) as exc:
                raise InputError([self._problem(key_node, f"invalid key: {exc}",
                                                "quote it to make it a string")]) from None
            if key in result:
                raise InputError(
                    [self._problem(key_node, f"duplicate key {key!r}", "keep only one of them")]
                )
            self.doc.locations[(*pointer, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.convert(value_node, (*pointer, key))
        return result

    def _problem(self, node: yaml.Node, message: str, hint: str = "") -> Problem:
        mark = node.start_mark
        return Problem(self.doc.path, mark.line + 1, mark.column + 1, message, hint)


def stray_key_problem(doc: YamlDocument, error: Any, where: str) -> Problem | None:
    """A JSON Schema `additionalProperties` error, pointed at the stray key itself rather
    than at the mapping that holds it; None for any other error."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    properties = error.schema.get("properties", {})
    unexpected = [k for k in error.instance if k not in properties]
    if not unexpected:
        return None
    return doc.problem((*tuple(error.absolute_path), unexpected[0]),
                       f"{where}: unknown key {some(unexpected)}",
                       f"allowed keys here: {', '.join(sorted(properties))}")


# --- JSON --------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 200  # far past any report Preflight writes; far below Python's stack
_INT_DIGITS = 4_300  # Python's default int-string limit (sys.get_int_max_str_digits)
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")


class _JsonRefusal(PreflightSignal, ValueError):
    """A value json.loads would accept but a Preflight input must not hold."""


def parse_json(name: str, text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON text; InputError naming ``name`` (with line:column or a JSON pointer)."""
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_bounded_int,
                              parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(name, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]
                         ) from None
    except RecursionError:  # the C decoder recurses once per level
        raise _too_deep_json(name, text, max_depth) from None
    except _JsonRefusal as exc:
        line, column = _locate_digits(text) if "digits" in str(exc) else (None, None)
        raise InputError([Problem(name, line, column, f"not valid JSON here: {exc}")]) from None
    _check_json_values(name, text, document, max_depth)
    return document


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:  # json.loads would keep the last silently
            raise _JsonRefusal(f"duplicate key {key[:80]!r} in one object")
        result[key] = value
    return result


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _INT_DIGITS:
        raise _JsonRefusal(f"a number of {len(digits):,} digits (at most {_INT_DIGITS:,})")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonRefusal(f"the number {text[:40]} is too large for a float")
    return value


def _no_constant(text: str) -> Any:
    raise _JsonRefusal(f"{text} is not a JSON value")


def _locate_digits(text: str) -> tuple[int | None, int | None]:
    match = re.search(f"[0-9]{{{_INT_DIGITS + 1},}}", text)
    return _line_column(text, match.start()) if match else (None, None)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_deep_json(name: str, text: str, max_depth: int) -> InputError:
    """Where the nesting passes ``max_depth``: strings skipped, brackets counted."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                line, column = _line_column(text, match.start())
                return InputError([Problem(name, line, column, f"JSON nested more than "
                                           f"{max_depth} levels deep", _TOO_DEEP_HINT)])
        elif token in ("]", "}"):
            depth -= 1
    return InputError([Problem(name, None, None, f"JSON nested more than {max_depth} levels "
                               "deep", _TOO_DEEP_HINT)])


def _check_json_values(name: str, text: str, document: Any, max_depth: int) -> None:
    """Depth and strings, walked without recursing (the renderers recurse)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, pointer = stack.pop()
        if len(pointer) > max_depth:
            raise _too_deep_json(name, text, max_depth)
        if isinstance(value, dict):
            for key, item in value.items():
                _check_string(name, key, pointer)
                stack.append((item, (*pointer, key)))
        elif isinstance(value, list):
            stack.extend((item, (*pointer, i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            _check_string(name, value, pointer)


def _check_string(name: str, value: str, pointer: tuple[str | int, ...]) -> None:
    if _SURROGATE.search(value):  # "\ud800": no UTF-8 file (no report) can hold it
        raise InputError([Problem(name, None, None, f"{json_pointer(pointer)}: a string holds "
                                  "a lone surrogate (\\uD800-\\uDFFF), not a Unicode character",
                                  "write the character itself, or a surrogate pair")])


def json_pointer(pointer: Iterable[str | int]) -> str:
    """RFC 6901, clipped: a hostile file may nest deep or use long keys."""
    parts = [str(p).replace("~", "~0").replace("/", "~1")[:40] for p in pointer]
    text = "/" + "/".join(parts) if parts else "(the document)"
    return text if len(text) <= 200 else text[:197] + "..."

"""Whether an option's value has the shape the API model asks for.

Only what the model states and the runbook spells out is judged: a value with anything the
shell fills in (HOLE) is never judged as a whole, a JSON or ``file://`` value is not parsed for
its members, and timestamps and blobs are not judged at all (the CLI accepts many spellings).
Shorthand (``Name=x,Value=y``, ``Values=a,b``, ``{...}``, ``[...]``) follows the AWS CLI's
grammar (awscli/shorthand.py) closely enough to find its keys and scalar values.
"""

from __future__ import annotations

import json
import re

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ..suggest import suggestion
from .shell import HOLE

_INTEGER = re.compile(r"[+-]?\d+")
_DOCUMENT = ("file://", "fileb://", "http://", "https://")
_SCALARS = frozenset({"string", "integer", "long", "float", "double", "boolean", "timestamp",
                      "blob"})


def check_values(shape: Shape, values: list[str]) -> list[str]:
    """Problems with the words given to one option; [] when they fit or cannot be judged."""
    if isinstance(shape, ListShape) and shape.member.type_name in _SCALARS:
        items = [item for value in values for item in _split_scalars(value)]
        return [p for item in items for p in check_scalar(shape.member, item)]
    if isinstance(shape, ListShape):
        return [p for value in values for p in _check_complex(shape.member, value, True)]
    if not values:
        return []
    if shape.type_name in ("structure", "map"):
        return _check_complex(shape, values[0])
    return check_scalar(shape, values[0])


def _split_scalars(value: str) -> list[str]:
    # The CLI reads a list of scalars as separate words or one comma-separated word.
    if value.lstrip().startswith("[") or HOLE in value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def check_scalar(shape: Shape, value: str) -> list[str]:
    if HOLE in value or not value:
        return []
    kind = shape.type_name
    if kind in ("integer", "long") and not _INTEGER.fullmatch(value.strip()):
        return [f"{value!r} is not an integer"]
    if kind in ("float", "double"):
        try:
            float(value)
        except ValueError:
            return [f"{value!r} is not a number"]
    if kind == "boolean" and value.lower() not in ("true", "false"):
        return [f"{value!r} is not true or false"]
    enum = list(getattr(shape, "enum", None) or [])
    # Case is forgiven: several services accept any case, and the CLI does not check.
    if kind == "string" and enum and value.lower() not in {e.lower() for e in enum}:
        shown = ", ".join(enum[:8]) + (", ..." if len(enum) > 8 else "")
        hint = suggestion(value, enum, ignore_case=True, otherwise=f"one of {shown}")
        return [f"{value!r} is not one of the allowed values ({hint})"]
    return []


def _check_complex(shape: Shape, value: str, in_list: bool = False) -> list[str]:
    text = value.strip()
    if not text or text.startswith(_DOCUMENT) or HOLE in text[:1]:
        return []
    if text[0] in "{[":  # the CLI reads such a value as JSON (awscli/argprocess.py)
        if HOLE in text:
            return []
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return [f"is not valid JSON ({exc.msg} at character {exc.pos + 1})"]
        return []
    pairs = _shorthand(text)
    if pairs is None:
        return []  # not something we can read with confidence: do not guess
    if isinstance(shape, StructureShape) and not pairs:
        # A bare scalar is fine where the CLI knows which member it is for: a structure with
        # one member (ec2's {"Value": ...}), or an element of a list (elb --instances i-1).
        if len(shape.members) > 1 and not in_list and HOLE not in text:
            keys = ",".join(f"{m}=..." for m in list(shape.members)[:2])
            return [f"{text!r} is not shorthand for a structure (expected {keys})"]
        return []
    return _check_pairs(shape, pairs)


def _check_pairs(shape: Shape, pairs: list[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    for key, value in pairs:
        if HOLE in key:
            continue
        if isinstance(shape, MapShape):
            problems += _check_nested(shape.value, value)
            continue
        if not isinstance(shape, StructureShape):
            continue
        members = shape.members
        if key not in members:
            hint = suggestion(key, members, ignore_case=True,
                              otherwise="keys: " + ", ".join(list(members)[:8]))
            problems.append(f"unknown key {key!r} in shorthand ({hint})")
            continue
        problems += _check_nested(members[key], value)
    return problems


def _check_nested(shape: Shape, value: str) -> list[str]:
    text = value.strip()
    if HOLE in text or not text:
        return []
    if shape.type_name in ("structure", "map") and text.startswith("{") and text.endswith("}"):
        inner = _shorthand(text[1:-1])
        return [] if inner is None else _check_pairs(shape, inner)
    if isinstance(shape, ListShape) and shape.member.type_name in _SCALARS:
        items = text[1:-1].split(",") if text.startswith("[") else text.split(",")
        return [p for item in items for p in check_scalar(shape.member, item.strip())]
    if shape.type_name in _SCALARS:
        return check_scalar(shape, _unquote(text))
    return []


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _shorthand(text: str) -> list[tuple[str, str]] | None:
    """Top-level key=value pairs; a segment without '=' continues the previous value (a list).

    None when brackets or quotes do not balance: the value is then not judged.
    """
    segments: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            segments.append(text[start:i])
            start = i + 1
    if depth != 0 or quote:
        return None
    segments.append(text[start:])
    pairs: list[tuple[str, str]] = []
    for segment in segments:
        key, eq, value = segment.partition("=")
        if eq and re.fullmatch(r"\s*[\w.:/#@\x00-]+\s*", key):
            # Key@=file://x: the value is read from a file (awscli/shorthand.py)
            pairs.append((key.strip().removesuffix("@"), value))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + "," + segment)
        else:
            return []  # no key at all: a plain scalar, which the caller judges
    return pairs
